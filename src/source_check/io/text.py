"""CSV, TSV and text tables: sample the start for the header, scan the rest lazily.

The first megabyte is decoded (see :mod:`.encoding`) and parsed with Python's ``csv``
module to find the delimiter, the header and the widest row; the file itself is then
scanned by polars with no header and one text column per position, named by Excel
letter (``A``, ``B``…), so the row numbers match what a person sees when the file is
opened in Excel (one row per record, title rows counted). Files in another encoding
than UTF-8 are first transcoded to a temporary UTF-8 file, in chunks.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> p = d / "a.csv"
>>> _ = p.write_bytes("标题\\n名称,人数\\n甲,3\\n".encode("gb18030"))
>>> src = TextSource.open(p, None, d)
>>> src.encoding.name, src.delimiter, src.head
('gb18030', ',', [['标题'], ['名称', '人数'], ['甲', '3']])
>>> src.scan().collect().rows()
[(1, '标题', None), (2, '名称', '人数'), (3, '甲', '3')]
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .encoding import TextEncoding, detect_encoding, sample_text, transcode
from .headers import HEAD_ROWS
from .log import column_letter

__all__ = ["ROW", "TextSource", "sniff_delimiter"]


def _where(line: int, record: int) -> str:
    return f"第 {line} 行" + (f"（第 {record} 条记录）" if record != line else "")

#: The column holding each record's row number (1-based, as Excel shows it).
ROW = "__row"
_CANDIDATES = (",", "\t", ";", "|")


def sniff_delimiter(lines: list[str], suffix: str) -> str:
    """The delimiter used by most of the first non-empty lines (``,`` when unsure).

    Examples
    --------
    >>> sniff_delimiter(["a\\tb\\tc", "1\\t2\\t3"], ".txt"), sniff_delimiter(["a;b", "1;2"], ".csv")
    ('\\t', ';')
    """
    if suffix in (".tsv", ".tab"):
        return "\t"
    sample = [ln for ln in lines if ln.strip()][:HEAD_ROWS]
    best, best_key = ",", (0, 0)
    for cand in _CANDIDATES:
        counts = [ln.count(cand) for ln in sample]
        key = (sum(1 for c in counts if c), sum(counts))
        if key > best_key:
            best, best_key = cand, key
    return best


@dataclass
class TextSource:
    """A text table ready to scan: where to read it from, how, and its first rows."""

    path: Path
    read_path: Path
    encoding: TextEncoding
    delimiter: str
    head: list[list[str | None]]
    width: int
    tmpdir: Callable[[], Path] | None = None

    @classmethod
    def open(
        cls, path: Path, encoding: str | None, tmpdir: Path | Callable[[], Path], *, force: TextEncoding | None = None
    ) -> TextSource:
        """Detect the encoding and delimiter and read the first rows.

        A file that is not clean UTF-8 is transcoded when first scanned (after its header
        was found), or at once when its start already had bytes that do not decode, so
        that the error names their line.
        """
        enc = force or detect_encoding(path, encoding)
        text, complete = sample_text(path, enc)
        delimiter = sniff_delimiter(text.splitlines()[: HEAD_ROWS * 2], path.suffix.lower())
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        if not complete and len(records) > 1:
            records = records[:-1]  # the sample may end inside a record
        width = max((len(r) for r in records), default=1) or 1
        head = [[c if c != "" else None for c in r] for r in records[:HEAD_ROWS]]
        folder = tmpdir if callable(tmpdir) else (lambda: tmpdir)
        source = cls(path, path, enc, delimiter, head, width, None if enc.is_utf8 else folder)
        if enc.suspect:
            source.prepare()
        return source

    def prepare(self) -> Path:
        """The UTF-8 file to scan: the file itself, or its transcoded copy (made once)."""
        if self.tmpdir is not None and self.read_path == self.path:
            folder = self.tmpdir()
            self.read_path = folder / f"{len(list(folder.iterdir()))}-{self.path.stem}.utf8.csv"
            transcode(self.path, self.encoding, self.read_path)
        return self.read_path

    @property
    def letters(self) -> list[str]:
        return [column_letter(i) for i in range(self.width)]

    def locate_error(self, polars_message: str = "") -> tuple[str, int]:
        """Where a record breaks the table, for an error that polars reported without a row:
        a Chinese sentence naming the line (and record) and the column, and the line.

        Called only when the scan failed: the file is streamed once with Python's ``csv``
        module, record by record, until the first record with more fields than
        :attr:`width` or a quote that is never closed. ``(polars' first line, 0)`` when
        neither is found.
        """
        path = self.prepare()
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter=self.delimiter, strict=True)
            record, line = 0, 0
            try:
                for fields in reader:
                    record += 1
                    start, line = line + 1, reader.line_num
                    if len(fields) > self.width:
                        extra = column_letter(self.width)
                        return (f"{_where(start, record)}有 {len(fields)} 个字段，"
                                f"多于表头所在的文件开头各行的 {self.width} 个，从 {extra} 列起多出"
                                f"（可能有未加引号的分隔符“{self.delimiter}”）", start)
            except csv.Error:
                start = line + 1
                fh.seek(0)
                text = next(itertools.islice(fh, start - 1, None), "")
                opened = next(csv.reader([text], delimiter=self.delimiter), [])
                column = column_letter(max(len(opened) - 1, 0))
                return (f"{_where(start, record + 1)} {column} 列的引号没有配对（以引号开头的内容一直没有结束引号），"
                        "之后的各行无法按列读取", start)
        found = re.search(r"at column '(\w+)'", polars_message)
        first = polars_message.splitlines()[0] if polars_message else ""
        return (f"{found.group(1)} 列有不能读取的内容：{first}" if found else first), 0

    def scan(self) -> pl.LazyFrame:
        """Every record as text columns ``A``, ``B``… plus :data:`ROW`."""
        return pl.scan_csv(
            self.prepare(),
            has_header=False,
            separator=self.delimiter,
            schema=dict.fromkeys(self.letters, pl.String),
            encoding="utf8",
            raise_if_empty=False,
            missing_columns="insert",
        ).with_row_index(ROW, offset=1)
