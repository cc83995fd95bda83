"""Read the files people really have into one LazyFrame, with provenance and a reading log.

:func:`read_submission` takes Excel workbooks (.xlsx/.xlsm/.xlsb/.xls/.ods), text tables
(.csv/.tsv/.txt, UTF-8 or GB18030 or anything with a BOM), parquet and Arrow IPC files,
finds the header (title rows, unit lines, two-row headers, a row of 指标代码), maps the
columns onto the pack's fields, cleans values (full-width digits, thousands separators,
zero-width characters, ``na_values``), skips blank, 合计 and 说明 rows — counting and
naming each in the log — and adds ``source_file``, ``source_sheet`` and ``source_row``
(the row number a person sees in Excel) to every record. polars and pandas frames pass
straight through.

Examples
--------
>>> import tempfile, pathlib
>>> from source_check import load_pack
>>> p = pathlib.Path(tempfile.mkdtemp()) / "曹杨.csv"
>>> _ = p.write_bytes("2024年12月 从业人员\\n统一社会信用代码,街镇代码,从业人员期末人数,平均人数,工资总额\\n"
...                   "91310107MA1G00000Q,310107005,\\"1,200\\",1190,165000\\n合计,,1200,1190,165000\\n"
...                   .encode("gb18030"))
>>> with read_submission(p, load_pack("labor-102")) as sub:
...     df = sub.frame.collect()
>>> df.select("credit_code", "emp_end", "source_row").rows()
[('91310107MA1G00000Q', '1200', 3)]
>>> [e.kind for e in sub.log]
['encoding', 'title', 'header', 'skip_total']
>>> str(sub.log[-1]).endswith("跳过合计行（合计、总计、小计）：第 4 行")
True
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import InputError, Position
from ..pack.model import Pack
from ..result import InputInfo
from .assemble import PROVENANCE, ColumnMap, assemble, describe_columns
from .encoding import TextEncoding, head_is_ascii, transcode
from .headers import FieldMatcher
from .log import ReadEvent
from .sniff import sniff
from .source import Options, Utf8Broken, form_fields, format_notes, from_columnar, from_excel, from_text
from .text import TextSource

__all__ = ["PROVENANCE", "ColumnMap", "Submission", "describe_columns", "file_sha256", "read_submission"]

_LIVE_TEMP: set[tempfile.TemporaryDirectory[str]] = set()


@dataclass
class Submission:
    """What was read.

    Attributes
    ----------
    frame
        All records of all files, one column per mapped field (text, cleaned; the
        engine types it), unmapped columns under their header text, and
        ``source_file``, ``source_sheet``, ``source_row``.
    inputs
        Per file: hash, rows read and skipped, sheet, and the reading log as text.
    log
        The reading log of every file as :class:`~source_check.io.log.ReadEvent`.
    columns
        Every source column and what it became.

    A submission read from a non-UTF-8 text file scans a temporary UTF-8 copy; call
    :meth:`close` (or use ``with``) once the frame has been collected. Copies left
    open are removed when the interpreter exits.
    """

    frame: pl.LazyFrame
    inputs: list[InputInfo] = field(default_factory=list)
    log: list[ReadEvent] = field(default_factory=list)
    columns: list[ColumnMap] = field(default_factory=list)
    _temp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    def close(self) -> None:
        """Remove temporary files (the frame cannot be collected afterwards)."""
        if self._temp is not None:
            _LIVE_TEMP.discard(self._temp)
            self._temp.cleanup()
            self._temp = None

    def __enter__(self) -> Submission:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Temp:
    """A temporary directory created on first use and kept alive until closed."""

    def __init__(self) -> None:
        self.dir: tempfile.TemporaryDirectory[str] | None = None

    def path(self) -> Path:
        if self.dir is None:
            self.dir = tempfile.TemporaryDirectory(prefix="source-check-")
            _LIVE_TEMP.add(self.dir)
        return Path(self.dir.name)


def read_submission(
    paths: Sequence[str | Path] | str | Path | Any,
    pack: Pack,
    *,
    group: str | None = None,
    group_from_filename: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    form: str | None = None,
    need_rows: bool = True,
) -> Submission:
    """Read one or more files for ``pack`` into one frame with provenance and a log.

    Parameters
    ----------
    paths
        A path or a list of paths (one file per 街镇 is common: they are concatenated,
        and a unit in two files stays visible to the uniqueness rules). A polars or
        pandas frame passes straight through.
    pack
        The pack whose fields (ids, labels, 指标代码, aliases) name the columns.
    group
        The group (街镇) code or name for files without a group column.
    group_from_filename
        A regular expression whose first group (or whole match) in each file name is the
        group code or name, for files without a group column.
    sheet
        The sheet to read (name, or 1-based position); by default the sheet whose header
        matches the pack best.
    encoding
        The text encoding of CSV files (default: detected).
    form
        For a multi-form pack, the form these files are (``"102"``): only that form's
        fields (and the key) are looked for and required.
    need_rows
        Whether files with a header and no data row are an error (the default); ``check``
        asks it only of the current period's main form.

    Raises
    ------
    InputError
        A file that cannot be read at all, has no header matching the pack, or lacks a
        required field; the message names the file (and sheet) and what was expected.
        Files with a header but no data row are an error when none of the files has
        data (one empty file among others is a ``no_rows`` warning in the log).
    """
    if isinstance(paths, (pl.DataFrame, pl.LazyFrame)) or type(paths).__module__.startswith("pandas"):
        from ..api import as_lazyframe

        return Submission(as_lazyframe(paths))
    if isinstance(paths, (str, Path)):
        paths = [paths]
    fields = form_fields(pack, form)
    opts = Options(group, group_from_filename, None if sheet is None else str(sheet), encoding, fields)
    matcher = FieldMatcher.from_fields(fields)
    temp = _Temp()
    frames: list[pl.LazyFrame] = []
    submission = Submission(pl.LazyFrame())
    try:
        for p in paths:
            frame, info, events, columns = _read_file(Path(p), pack, matcher, opts, temp)
            frames.append(frame)
            submission.inputs.append(info)
            submission.log.extend(events)
            submission.columns.extend(columns)
    except BaseException:
        if temp.dir is not None:
            _LIVE_TEMP.discard(temp.dir)
            temp.dir.cleanup()
        raise
    if need_rows and submission.inputs and not any(i.rows_read for i in submission.inputs):
        names = "、".join(i.path for i in submission.inputs)
        what = "文件没有数据行" if len(submission.inputs) == 1 else f"各文件（{names}）都没有数据行"
        if temp.dir is not None:
            _LIVE_TEMP.discard(temp.dir)
            temp.dir.cleanup()
        raise InputError(f"{what}：表头下没有任何单位的记录 (no data rows under the header)",
                         Position(submission.inputs[0].path))
    if frames:
        submission.frame = pl.concat(frames, how="diagonal_relaxed")
    submission._temp = temp.dir
    return submission


# --- one file -------------------------------------------------------------------------


def _read_file(
    path: Path, pack: Pack, matcher: FieldMatcher, opts: Options, temp: _Temp
) -> tuple[pl.LazyFrame, InputInfo, list[ReadEvent], list[ColumnMap]]:
    file = str(path)
    if not path.is_file():
        raise InputError(f"文件不存在 (file not found)：{path}", Position(file))
    kind = sniff(path)
    if kind == "empty":
        raise InputError("文件为空（0 字节）(empty file)", Position(file))
    if kind == "encrypted":
        raise InputError("工作簿设有打开密码（已加密），请去掉密码后另存再核查 (the workbook is password-protected)",
                         Position(file))
    if kind == "html":
        raise InputError("文件实为网页（HTML/XML）格式，不是 Excel 工作簿；请用 Excel 打开后另存为 .xlsx 再核查 "
                         "(the file is HTML/XML, not a workbook)", Position(file))
    if kind == "unknown":
        raise InputError("无法识别的文件格式：不是 Excel、CSV/文本表格、parquet 或 Arrow 文件 (unknown file format)",
                         Position(file))
    if kind in ("xlsx", "xls", "ods"):
        raw = from_excel(path, kind, matcher, pack, opts)
    elif kind in ("parquet", "ipc"):
        raw = from_columnar(path, kind, matcher)
    else:
        raw = from_text(path, matcher, pack, opts, temp.path)
    notes = format_notes(path, kind, opts, raw.sheet)
    try:
        frame, rows_read, skipped, columns, events = assemble(raw, path, pack, opts, notes)
    except Utf8Broken:
        # the start decoded as UTF-8 (or the caller said so) but a later byte does not: the
        # start is evidence of UTF-8 unless it was plain ASCII, so name the bad bytes
        if opts.encoding or not head_is_ascii(path):
            name = opts.encoding or "utf-8"
            transcode(path, TextEncoding(name, ""), None)  # raises InputError naming the line and byte
            raise InputError(f"文件中有不能按编码 {name} 解码的内容 (does not decode as {name})",
                             Position(file)) from None
        gb = TextEncoding("gb18030", "文件开头只有 ASCII 字符，后文不是 UTF-8，改按 GB18030 读取")
        raw = from_text(path, matcher, pack, opts, temp.path, source=TextSource.open(path, None, temp.path, force=gb))
        frame, rows_read, skipped, columns, events = assemble(raw, path, pack, opts, notes)
    info = InputInfo(file, file_sha256(path), rows_read, skipped, raw.sheet, tuple(str(e) for e in events),
                     tuple(events), raw.text.encoding.name.lower() if raw.text is not None else None)
    return frame, info, events, columns
