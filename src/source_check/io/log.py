"""The reading log: what the reader did with each file, as data.

Every row the reader does not turn into a record (title and header rows, blank rows,
合计 and 说明 rows), every column it could not map, every guess it made (encoding,
sheet, header row) is one :class:`ReadEvent`, so that nothing is dropped silently and
a bureau system can show the log without parsing text.

Examples
--------
>>> e = ReadEvent("a.xlsx", "skip_total", "跳过合计行", sheet="数据", ranges=((15, 15),))
>>> str(e)
'a.xlsx［数据］：跳过合计行：第 15 行'
>>> row_ranges([3, 4, 5, 9, 11, 12])
((3, 5), (9, 9), (11, 12))
>>> ranges_text(((3, 5), (9, 9)))
'第 3–5、9 行'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["EventKind", "ReadEvent", "column_letter", "ranges_text", "row_ranges"]

EventKind = Literal[
    "format",  # how the file was recognised (xlsx, csv, parquet…)
    "encoding",  # the text encoding chosen and why
    "sheet",  # which sheet was read, and which others also matched
    "title",  # rows above the header (title, unit line)
    "header",  # the header row(s) and the columns mapped
    "code_row",  # a row of 指标代码 under the header
    "unmapped",  # columns kept but not mapped to a field
    "duplicate",  # a second column mapping to a field already mapped
    "conflict",  # label and 指标代码 disagree for a column
    "empty_columns",  # columns without header and without data, dropped
    "skip_blank",  # blank rows skipped
    "skip_total",  # 合计/总计/小计 rows skipped
    "skip_note",  # 说明/注/填表人 rows skipped
    "cell_error",  # Excel error values (#DIV/0!, #N/A…) read as empty
    "group",  # where the group (街镇) came from
    "option",  # an option that did not apply to this file
    "no_rows",  # a header and no data under it
    "merged",  # merged cells in the data (a text value filled down, or a number left in its first row)
]


@dataclass(frozen=True)
class ReadEvent:
    """One thing the reader did or could not do, with where it happened.

    Attributes
    ----------
    file
        The file as given.
    kind
        What happened (see :data:`EventKind`).
    message
        A Chinese sentence for the person who submitted the file.
    sheet
        The Excel sheet, if any.
    ranges
        The rows concerned as inclusive ``(first, last)`` ranges of the row numbers a
        person sees in Excel (1-based, title rows counted; for text files the record
        number).
    columns
        The columns concerned, as a person names them (``"C"`` in Excel, ``"3"`` in CSV).
    level
        ``"info"`` for what was done as expected, ``"warning"`` for what a person
        should look at.
    """

    file: str
    kind: EventKind
    message: str
    sheet: str | None = None
    ranges: tuple[tuple[int, int], ...] = ()
    columns: tuple[str, ...] = ()
    level: Literal["info", "warning"] = "info"

    @property
    def rows(self) -> int:
        """How many rows the event concerns."""
        return sum(b - a + 1 for a, b in self.ranges)

    def __str__(self) -> str:
        where = self.file + (f"［{self.sheet}］" if self.sheet else "")
        text = f"{where}：{self.message}"
        if self.ranges:
            text += f"：{ranges_text(self.ranges)}"
        return text


def row_ranges(rows: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Sorted row numbers compressed into inclusive ranges."""
    out: list[tuple[int, int]] = []
    for r in sorted(set(rows)):
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return tuple(out)


def ranges_text(ranges: tuple[tuple[int, int], ...], limit: int = 20) -> str:
    """Ranges as Chinese text, at most ``limit`` of them (then a count of the rest)."""
    parts = [str(a) if a == b else f"{a}–{b}" for a, b in ranges[:limit]]
    text = "第 " + "、".join(parts) + " 行"
    if len(ranges) > limit:
        rest = sum(b - a + 1 for a, b in ranges[limit:])
        text += f"等（另有 {rest} 行）"
    return text


def column_letter(index: int) -> str:
    """The Excel letter of a 0-based column index.

    Examples
    --------
    >>> column_letter(0), column_letter(25), column_letter(26), column_letter(701)
    ('A', 'Z', 'AA', 'ZZ')
    """
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters
