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
>>> _ = p.write_bytes("2024年12月 从业人员\\n统一社会信用代码,街镇代码,从业人员期末人数\\n"
...                   "91310107MA1G00000Q,310107005,\\"1,200\\"\\n合计,,1200\\n".encode("gb18030"))
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
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from ..errors import InputError, Position
from ..pack.model import Pack
from ..pack.schema import FieldSpec
from ..result import InputInfo
from .encoding import TextEncoding
from .excel import Workbook
from .headers import FieldMatcher, HeaderLayout, closest_headers, detect_header, map_names
from .log import ReadEvent, column_letter, row_ranges
from .merges import merged_ranges
from .sniff import EXCEL_SUFFIXES, sniff
from .text import ROW, TextSource
from .values import blank_cell, clean_code, clean_date, clean_number, clean_text, skip_reason

__all__ = ["PROVENANCE", "ColumnMap", "Submission", "describe_columns", "file_sha256", "read_submission"]

#: Columns the reader adds to every record.
PROVENANCE = ("source_file", "source_sheet", "source_row")
_SKIP = "__skip"
_SKIP_TEXT = {
    "blank": ("skip_blank", "跳过空行"),
    "total": ("skip_total", "跳过合计行（合计、总计、小计）"),
    "note": ("skip_note", "跳过说明、落款行（说明、注、填表人等）"),
}
_EXCEL_ERRORS = {"Div0": "#DIV/0!", "NA": "#N/A", "Ref": "#REF!", "Value": "#VALUE!", "Name": "#NAME?",
                 "Num": "#NUM!", "Null": "#NULL!", "GettingData": "#GETTING_DATA"}
_LIVE_TEMP: set[tempfile.TemporaryDirectory[str]] = set()


@dataclass(frozen=True)
class ColumnMap:
    """One source column: where, its header, and the field it became (``None``: kept unmapped)."""

    file: str
    sheet: str | None
    column: str
    header: str
    field: str | None
    name: str


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


@dataclass(frozen=True)
class _Options:
    group: str | None
    group_from_filename: str | None
    sheet: str | None
    encoding: str | None
    fields: Mapping[str, FieldSpec]  # the fields this file may hold (one form of a multi-form pack)


def _form_fields(pack: Pack, form: str | None) -> dict[str, FieldSpec]:
    if form is None or not pack.forms:
        return dict(pack.fields)
    if form not in pack.forms:
        raise InputError(f"规则包 {pack.id} 没有报表“{form}”（有：{'、'.join(pack.forms)}）(no such form)")
    return {f: pack.fields[f] for f in dict.fromkeys([*pack.key, *pack.form_fields(form)])}


class _Temp:
    """A temporary directory created on first use and kept alive until closed."""

    def __init__(self) -> None:
        self.dir: tempfile.TemporaryDirectory[str] | None = None

    def path(self) -> Path:
        if self.dir is None:
            self.dir = tempfile.TemporaryDirectory(prefix="source-check-")
            _LIVE_TEMP.add(self.dir)
        return Path(self.dir.name)


@dataclass
class _Raw:
    """One file's table before mapping: source columns (text) plus :data:`ROW`."""

    frame: pl.LazyFrame
    columns: list[str]
    headers: dict[str, str]
    fields: dict[str, str]
    duplicates: dict[str, str] = field(default_factory=dict)
    data_start: int | None = None
    sheet: str | None = None
    excel: bool = False
    events: list[ReadEvent] = field(default_factory=list)


class _Utf8Broken(Exception):
    """The file started as UTF-8 but is not UTF-8 further on."""


def read_submission(
    paths: Sequence[str | Path] | str | Path | Any,
    pack: Pack,
    *,
    group: str | None = None,
    group_from_filename: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    form: str | None = None,
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

    Raises
    ------
    InputError
        A file that cannot be read at all, has no header matching the pack, or lacks a
        required field; the message names the file (and sheet) and what was expected.
    """
    if isinstance(paths, (pl.DataFrame, pl.LazyFrame)) or type(paths).__module__.startswith("pandas"):
        from ..api import as_lazyframe

        return Submission(as_lazyframe(paths))
    if isinstance(paths, (str, Path)):
        paths = [paths]
    fields = _form_fields(pack, form)
    opts = _Options(group, group_from_filename, None if sheet is None else str(sheet), encoding, fields)
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
    if frames:
        submission.frame = pl.concat(frames, how="diagonal_relaxed")
    submission._temp = temp.dir
    return submission


# --- one file -------------------------------------------------------------------------


def _read_file(
    path: Path, pack: Pack, matcher: FieldMatcher, opts: _Options, temp: _Temp
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
        raw = _from_excel(path, kind, matcher, pack, opts)
    elif kind in ("parquet", "ipc"):
        raw = _from_columnar(path, kind, matcher)
    else:
        raw = _from_text(path, matcher, pack, opts, temp)
    notes = _format_notes(path, kind, opts, raw.sheet)
    try:
        frame, rows_read, skipped, columns, events = _assemble(raw, path, pack, opts, notes)
    except _Utf8Broken:
        if opts.encoding:
            raise InputError(f"文件中有不能按指定编码 {opts.encoding} 解码的内容 (does not decode as {opts.encoding})",
                             Position(file)) from None
        gb = TextEncoding("gb18030", "文件开头是 UTF-8，但后文不是，改按 GB18030 读取")
        raw = _from_text(path, matcher, pack, opts, temp, source=TextSource.open(path, None, temp.path, force=gb))
        frame, rows_read, skipped, columns, events = _assemble(raw, path, pack, opts, notes)
    info = InputInfo(file, file_sha256(path), rows_read, skipped, raw.sheet, tuple(str(e) for e in events))
    return frame, info, events, columns


def _format_notes(path: Path, kind: str, opts: _Options, sheet: str | None) -> tuple[list[ReadEvent], list[ReadEvent]]:
    """Events to put before (a name that does not fit the content) and after (options
    that do not apply) a file's own reading events."""
    file, suffix = str(path), path.suffix.lower()
    before: list[ReadEvent] = []
    after: list[ReadEvent] = []
    workbook = kind in ("xlsx", "xls", "ods")
    if kind == "text" and suffix in EXCEL_SUFFIXES:
        before.append(ReadEvent(file, "format", f"扩展名为 {suffix}，但内容是文本表格，按文本读取", level="warning"))
    elif workbook and suffix not in EXCEL_SUFFIXES:
        before.append(ReadEvent(file, "format", f"扩展名为 {suffix or '（无）'}，但内容是 Excel 工作簿，按工作簿读取",
                                level="warning"))
    if opts.sheet is not None and not workbook:
        after.append(ReadEvent(file, "option", "--sheet 只适用于 Excel 工作簿，已忽略"))
    if opts.encoding is not None and kind != "text":
        after.append(ReadEvent(file, "option", "--encoding 只适用于文本（CSV）文件，已忽略", sheet=sheet))
    return before, after


def _from_excel(path: Path, kind: str, matcher: FieldMatcher, pack: Pack, opts: _Options) -> _Raw:
    file = str(path)
    book = Workbook.open(path, kind)
    names = book.sheet_names
    if opts.sheet is not None:
        if opts.sheet in names:
            wanted = [opts.sheet]
        elif opts.sheet.isdigit() and 1 <= int(opts.sheet) <= len(names):
            wanted = [names[int(opts.sheet) - 1]]
        else:
            raise InputError(f"工作簿中没有工作表“{opts.sheet}”（现有：{'、'.join(names)}）(no such sheet)",
                             Position(file))
    else:
        wanted = names
    min_matches = min(2, len(opts.fields))
    found: list[tuple[tuple[int, bool, int], str, list[list[str | None]], list[str], HeaderLayout]] = []
    for i, name in enumerate(wanted):
        rows, letters, visible = book.head(name)
        layout = detect_header(rows, matcher, min_matches) if rows else None
        if layout is not None:
            found.append(((layout.score, visible, -i), name, rows, letters, layout))
    if not found:
        where = f"工作表“{wanted[0]}”" if opts.sheet is not None else f"各工作表（{'、'.join(names)}）"
        raise InputError(_no_header_message(pack, where), Position(file))
    found.sort(key=lambda x: x[0], reverse=True)
    (_, visible, _), name, rows, letters, layout = found[0]
    hidden = "" if visible else "，这是隐藏的工作表"
    events = [ReadEvent(file, "sheet", f"读取工作表“{name}”（表头对应 {layout.score} 个字段{hidden}）", sheet=name,
                        level="info" if visible else "warning")]
    for _, other, _, _, other_layout in found[1:]:
        events.append(ReadEvent(file, "sheet", f"工作表“{other}”也有对应的表头（{other_layout.score} 个字段），未读取；"
                                f"如需核查请用 --sheet 指定", sheet=name, level="warning"))
    numeric = [letters[c] for c, f in layout.fields.items() if pack.fields[f].type in ("int", "float")]
    grid = book.load(name, numeric=numeric)
    if grid.errors:
        cells = [f"{col}{row} {_excel_error(detail)}" for row, col, detail in grid.errors[:20]]
        more = f"等 {len(grid.errors)} 个" if len(grid.errors) > 20 else ""
        events.append(ReadEvent(file, "cell_error", f"以下单元格是 Excel 错误值，按空值读取：{'、'.join(cells)}{more}",
                                sheet=name, ranges=row_ranges(r for r, _, _ in grid.errors), level="warning"))
    fields_by_letter = {letters[c]: f for c, f in layout.fields.items()}
    data, merge_events = _fill_merged(path, name, grid.frame, layout.data_start, fields_by_letter, pack)
    frame = data.lazy().with_row_index(ROW, offset=1)
    raw = _raw_from_layout(frame, grid.letters, rows, layout, file, name)
    raw.excel = True
    raw.events[:0] = events
    raw.events += merge_events
    return raw


def _fill_merged(
    path: Path, sheet: str, frame: pl.DataFrame, data_start: int, fields: dict[str, str], pack: Pack
) -> tuple[pl.DataFrame, list[ReadEvent]]:
    """Fill a text field's value down the rows of a vertically merged cell (``.xlsx``).

    Only the merged cell's first row holds its value; a 街镇代码 merged over the rows of
    its units belongs to each of them. Numbers are not filled (a merged number may be a
    subtotal): the merge is named in the log instead.
    """
    file = str(path)
    merges = [m for m in merged_ranges(path, sheet) if m[2] > m[0] and m[0] >= data_start and m[0] < frame.height]
    fills: dict[str, list[str | None]] = {}
    filled: list[str] = []
    unfilled: list[str] = []
    for r1, c1, r2, c2 in merges:
        letter = column_letter(c1)
        fid = fields.get(letter)
        ref = f"{letter}{r1 + 1}:{column_letter(c2)}{r2 + 1}"
        if fid is None or letter not in frame.columns:
            continue
        value = frame[letter][r1]
        if pack.fields[fid].type != "str" or value is None:
            unfilled.append(ref)
            continue
        column = fills.setdefault(letter, [None] * frame.height)
        for r in range(r1 + 1, min(r2, frame.height - 1) + 1):
            column[r] = value
        filled.append(f"{ref}（{pack.label(fid)}“{value}”）")
    events = []
    if filled:
        more = f"等 {len(filled)} 处" if len(filled) > 10 else ""
        events.append(ReadEvent(file, "merged", f"合并单元格的值已填入所合并的各行：{'、'.join(filled[:10])}{more}",
                                sheet=sheet))
    if unfilled:
        more = f"等 {len(unfilled)} 处" if len(unfilled) > 10 else ""
        listed = "、".join(unfilled[:10])
        events.append(ReadEvent(file, "merged", f"合并单元格只有第一行有值，其余行按空值读取：{listed}{more}",
                                sheet=sheet, level="warning"))
    if fills:
        frame = frame.with_columns(
            pl.coalesce(pl.col(c), pl.Series(c, v, dtype=pl.String)).alias(c) for c, v in fills.items()
        )
    return frame, events


def _excel_error(detail: str) -> str:
    found = re.search(r"Error\((\w+)\)", detail)
    return _EXCEL_ERRORS.get(found.group(1), found.group(1)) if found else detail


def _from_text(
    path: Path, matcher: FieldMatcher, pack: Pack, opts: _Options, temp: _Temp, source: TextSource | None = None
) -> _Raw:
    file = str(path)
    src = source or TextSource.open(path, opts.encoding, temp.path)
    level: Literal["info", "warning"] = "info" if src.encoding.name in ("utf-8", "utf-8-sig", "gb18030") else "warning"
    events = [ReadEvent(file, "encoding", f"编码 {src.encoding.name.upper()}（{src.encoding.how}）", level=level)]
    layout = detect_header(src.head, matcher, min(2, len(opts.fields)))
    if layout is None:
        raise InputError(_no_header_message(pack, "文件"), Position(file))
    raw = _raw_from_layout(src.scan(), src.letters, src.head, layout, file, None)
    raw.events[:0] = events
    raw.frame = raw.frame.with_columns(pl.col(ROW).cast(pl.Int64))
    return raw


def _from_columnar(path: Path, kind: str, matcher: FieldMatcher) -> _Raw:
    file = str(path)
    try:
        lf = pl.scan_parquet(path) if kind == "parquet" else pl.scan_ipc(path)
        names = list(lf.collect_schema().names())
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"无法读取 {kind} 文件 (cannot read {kind})：{first}", Position(file)) from None
    fields, dups = map_names(names, matcher)
    frame = lf.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    events = [ReadEvent(file, "header", f"{kind} 文件，按列名对应 {len(fields)} 个字段："
                        + "、".join(f"{names[c]}→{f}" for c, f in fields.items()))]
    return _Raw(
        frame, names, {n: n for n in names}, {names[c]: f for c, f in fields.items()},
        {names[c]: f for c, f in dups.items()}, None, None, False, events,
    )


def _raw_from_layout(
    frame: pl.LazyFrame, letters: list[str], head: list[list[str | None]], layout: HeaderLayout, file: str,
    sheet: str | None,
) -> _Raw:
    events: list[ReadEvent] = []
    title_rows = [i + 1 for i in range(layout.first) if any(c not in (None, "") for c in head[i])]
    if title_rows:
        first_text = next(str(c).strip() for c in head[title_rows[0] - 1] if c not in (None, ""))
        events.append(ReadEvent(file, "title", f"表头之上的标题、说明行不作为数据（如“{first_text[:40]}”）",
                                sheet=sheet, ranges=row_ranges(title_rows)))
    named = sorted(layout.fields.items())
    mapped = [f"{letters[c]} {layout.headers.get(c, '')}→{f}" for c, f in named if layout.headers.get(c) != f]
    same = [letters[c] for c, f in named if layout.headers.get(c) == f]
    if same:
        mapped.append(f"{'、'.join(same)} 列名即字段名")
    first, last = layout.first + 1, layout.last + 1
    where = f"第 {first} 行" if first == last else f"第 {first}–{last} 行"
    events.append(ReadEvent(file, "header", f"表头在{where}，对应 {layout.score} 个字段：" + "；".join(mapped),
                            sheet=sheet, columns=tuple(letters[c] for c in sorted(layout.fields))))
    if layout.code_row is not None:
        events.append(ReadEvent(file, "code_row", "指标代码行（甲、乙、01…）不作为数据", sheet=sheet,
                                ranges=((layout.code_row + 1, layout.code_row + 1),)))
    for c, (label_field, code_field) in sorted(layout.conflicts.items()):
        events.append(ReadEvent(
            file, "conflict", f"{letters[c]} 列表头“{layout.headers.get(c, '')}”对应 {label_field}，"
            f"但指标代码对应 {code_field}；按表头对应 {label_field}，请核对", sheet=sheet, columns=(letters[c],),
            level="warning"))
    headers = {letters[c]: text for c, text in layout.headers.items() if c < len(letters)}
    return _Raw(
        frame,
        list(letters),
        headers,
        {letters[c]: f for c, f in layout.fields.items() if c < len(letters)},
        {letters[c]: f for c, f in layout.duplicates.items() if c < len(letters)},
        layout.data_start + 1,
        sheet,
        False,
        events,
    )


def _no_header_message(pack: Pack, where: str) -> str:
    names = [pack.label(f) for f in pack.fields][:6]
    return (f"{where}前 30 行中没有找到与规则包 {pack.id} 对应的表头；表头应包含如：{'、'.join(names)} 等 "
            f"(no header row matching pack {pack.id} in the first 30 rows)")


# --- mapping, cleaning, skipping ------------------------------------------------------


def _is_code_field(pack: Pack, fid: str) -> bool:
    spec = pack.fields[fid]
    return bool(spec.format or spec.codelist or spec.pattern) or fid in pack.key or fid == pack.group


def _field_expr(pack: Pack, fid: str, x: pl.Expr, dtype: pl.DataType, excel: bool) -> pl.Expr:
    spec = pack.fields[fid]
    na = pack.na_values
    if dtype != pl.String and dtype != pl.Null:
        if spec.type != "str":
            return x  # already typed (parquet, Arrow)
        if dtype.is_float():
            return pl.when(x == x.round(0)).then(x.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(
                x.cast(pl.String))
        return x.cast(pl.String)
    if spec.type in ("int", "float"):
        return clean_number(x, na)
    if spec.type == "date":
        return clean_date(x, na, excel=excel)
    if _is_code_field(pack, fid):
        return clean_code(x, na)
    return clean_text(x, na)


def _group_value(pack: Pack, text: str) -> tuple[str, str]:
    """A group code from a code or a name (``曹杨`` → ``310107005``), and how it was found."""
    assert pack.group is not None
    t = text.strip()
    spec = pack.fields[pack.group]
    cl = pack.codelists.get(spec.codelist) if spec.codelist else None
    if cl is None or t in cl.codes:
        return t, t
    exact = [code for code, label in cl.labels.items() if label == t]
    near = [code for code, label in cl.labels.items() if t and (t in label or label in t)]
    for hits in (exact, near):
        if len(hits) == 1:
            return hits[0], f"{t} → {hits[0]}（{cl.labels[hits[0]]}）"
    return t, f"{t}（不在代码表 {cl.name} 中）"


def _group_column(raw: _Raw, path: Path, pack: Pack, opts: _Options) -> tuple[pl.Expr | None, ReadEvent | None]:
    file = str(path)
    if opts.group is None and opts.group_from_filename is None:
        return None, None
    if pack.group is not None and pack.group not in opts.fields:
        return None, None  # a form of a multi-form pack that does not carry the group
    if pack.group is None:
        raise InputError(f"规则包 {pack.id} 没有街镇（group）字段，不能使用 --group/--group-from-filename",
                         Position(file))
    if pack.group in raw.fields.values():
        letter = next(c for c, f in raw.fields.items() if f == pack.group)
        return None, ReadEvent(file, "group", f"文件中已有{pack.label(pack.group)}列（{letter}），"
                               "未使用 --group/--group-from-filename", sheet=raw.sheet)
    if opts.group is not None:
        code, how = _group_value(pack, opts.group)
        event = ReadEvent(file, "group", f"{pack.label(pack.group)}取自 --group：{how}", sheet=raw.sheet)
        return pl.lit(code, dtype=pl.String), event
    assert opts.group_from_filename is not None
    try:
        found = re.search(opts.group_from_filename, path.name)
    except re.error as exc:
        raise InputError(f"--group-from-filename 的正则表达式有误：{exc}", Position(file)) from None
    if found is None:
        raise InputError(f"文件名“{path.name}”与 --group-from-filename 的正则“{opts.group_from_filename}”不匹配",
                         Position(file))
    code, how = _group_value(pack, found.group(1) if found.groups() else found.group(0))
    event = ReadEvent(file, "group", f"{pack.label(pack.group)}取自文件名：{how}", sheet=raw.sheet)
    return pl.lit(code, dtype=pl.String), event


def _require(raw: _Raw, path: Path, pack: Pack, fields: Mapping[str, FieldSpec], supplied: set[str]) -> None:
    present = set(raw.fields.values()) | supplied
    missing = [f for f, spec in fields.items() if spec.required and f not in present]
    if not missing:
        return
    unmapped = [h for c, h in raw.headers.items() if c not in raw.fields and h]
    matcher = FieldMatcher.from_fields(fields)
    parts = []
    for f in missing:
        near = closest_headers(f, unmapped, matcher)
        hint = f"（最接近的表头：{'、'.join(f'“{h}”' for h in near)}）" if near else ""
        parts.append(f"{pack.label(f)}（{f}）{hint}")
    tip = "；文件中没有街镇列时可用 --group 或 --group-from-filename 指定" if pack.group in missing else ""
    where = f"工作表“{raw.sheet}”" if raw.sheet else "文件"
    raise InputError(f"{where}缺少必填字段：{'、'.join(parts)}{tip} (missing required fields: {', '.join(missing)})",
                     Position(str(path)))


def _unique_name(header: str, letter: str, taken: set[str]) -> str:
    base = re.sub(r"\s+", "", header) or f"列{letter}"
    if base.startswith("__"):
        base = f"列{letter}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _assemble(
    raw: _Raw, path: Path, pack: Pack, opts: _Options, notes: tuple[list[ReadEvent], list[ReadEvent]]
) -> tuple[pl.LazyFrame, int, int, list[ColumnMap], list[ReadEvent]]:
    file = str(path)
    events = [*notes[0], *raw.events, *notes[1]]
    group_expr, group_event = _group_column(raw, path, pack, opts)
    if group_event is not None:
        events.append(group_event)
    _require(raw, path, pack, opts.fields, {pack.group} if group_expr is not None and pack.group else set())

    schema = raw.frame.collect_schema()
    lf = raw.frame if raw.data_start is None else raw.frame.filter(pl.col(ROW) >= raw.data_start)
    taken = set(pack.fields) | set(PROVENANCE)
    exprs: list[pl.Expr] = []
    columns: list[ColumnMap] = []
    unmapped: dict[str, str] = {}
    for col in raw.columns:
        header = raw.headers.get(col, "")
        fid = raw.fields.get(col)
        if fid is not None:
            exprs.append(_field_expr(pack, fid, pl.col(col), schema[col], raw.excel).alias(fid))
            columns.append(ColumnMap(file, raw.sheet, col, header, fid, fid))
        else:
            name = _unique_name(header, col, taken)
            unmapped[col] = name
            exprs.append(pl.col(col).alias(name))
            columns.append(ColumnMap(file, raw.sheet, col, header, None, name))
    if group_expr is not None and pack.group is not None:
        exprs.append(group_expr.alias(pack.group))
    key_cols = [pl.col(c) for c, f in raw.fields.items() if f in pack.key]
    exprs += [
        pl.lit(file, dtype=pl.String).alias("source_file"),
        pl.lit(raw.sheet, dtype=pl.String).alias("source_sheet"),
        pl.col(ROW).cast(pl.Int64).alias("source_row"),
        skip_reason([pl.col(c) for c in raw.columns], key_cols).alias(_SKIP),
    ]
    staged = lf.select(exprs)

    blank_headers = [name for col, name in unmapped.items() if not raw.headers.get(col)]
    skipped_q = (
        staged.filter(pl.col(_SKIP).is_not_null()).select(_SKIP, "source_row").sort("source_row")
        .with_columns((pl.col("source_row") - pl.int_range(pl.len()).over(_SKIP)).alias("__run"))
        .group_by(_SKIP, "__run").agg(pl.col("source_row").min().alias("first"),
                                      pl.col("source_row").max().alias("last"))
        .sort("first")
    )
    kept_q = staged.filter(pl.col(_SKIP).is_null()).select(
        pl.len().alias("__rows"), *[(~blank_cell(pl.col(n))).sum().alias(n) for n in blank_headers]
    )
    try:
        skipped_df, kept_df = pl.collect_all([skipped_q, kept_q])
    except pl.exceptions.PolarsError as exc:
        text = str(exc)
        if "utf-8" in text.lower() or "utf8" in text.lower():
            raise _Utf8Broken from None
        if "more fields" in text:
            raise InputError("有的行字段数多于文件开头各行（可能有未加引号的逗号），无法按列读取 "
                             "(a row has more fields than the rows at the start of the file)", Position(file)) from None
        raise InputError(f"读取失败 (cannot read)：{text.splitlines()[0]}", Position(file)) from None

    rows_read = int(kept_df["__rows"][0])
    if rows_read == 0:
        events.append(ReadEvent(file, "no_rows", "表头下没有数据行（没有读到任何单位）", sheet=raw.sheet,
                                level="warning"))
    for reason, (kind, text) in _SKIP_TEXT.items():
        part = skipped_df.filter(pl.col(_SKIP) == reason)
        if part.height:
            ranges = tuple(zip(part["first"].to_list(), part["last"].to_list(), strict=True))
            events.append(ReadEvent(file, kind, text, sheet=raw.sheet, ranges=ranges))  # type: ignore[arg-type]
    skipped = sum(e.rows for e in events if e.kind.startswith("skip_"))

    empty = [n for n in blank_headers if int(kept_df[n][0]) == 0]
    if empty:
        letters = [c for c, n in unmapped.items() if n in empty]
        events.append(ReadEvent(file, "empty_columns", f"无表头且无数据的列已忽略：{'、'.join(letters)}",
                                sheet=raw.sheet, columns=tuple(letters)))
        columns = [c for c in columns if c.name not in empty]
    kept_unmapped = [(c, n) for c, n in unmapped.items() if n not in empty]
    if kept_unmapped:
        listed = "、".join(f"{c}（{raw.headers.get(c) or '无表头'}）" for c, _ in kept_unmapped)
        events.append(ReadEvent(file, "unmapped", f"以下列不对应规则包中的字段，已保留但不参与核查：{listed}",
                                sheet=raw.sheet, columns=tuple(c for c, _ in kept_unmapped), level="warning"))
    for col, fid in raw.duplicates.items():
        first = next(c for c, f in raw.fields.items() if f == fid)
        events.append(ReadEvent(file, "duplicate", f"{col} 列“{raw.headers.get(col, '')}”与 {first} 列对应同一字段 "
                                f"{fid}（{pack.label(fid)}），只用 {first} 列核查，{col} 列保留为普通列",
                                sheet=raw.sheet, columns=(col,), level="warning"))
    frame = staged.filter(pl.col(_SKIP).is_null()).drop([_SKIP, *empty])
    return frame, rows_read, skipped, columns, events


def describe_columns(columns: Sequence[ColumnMap]) -> list[str]:
    """One line per source column, for a person (``A 统一社会信用代码 → credit_code``)."""
    return [f"{c.column} {c.header or '（无表头）'} → {c.field or f'（未对应，保留为 {c.name}）'}" for c in columns]

