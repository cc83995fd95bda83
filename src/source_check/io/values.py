"""Vectorised clean-up of cell text, by the type of the field it lands in.

All functions build polars expressions; nothing loops over rows in Python.

* every cell: zero-width characters removed, surrounding whitespace (including the
  ideographic space and the no-break space) stripped, empty text and the pack's
  ``na_values`` made null;
* numbers (``int``/``float`` fields): full-width digits and punctuation made ASCII,
  the Unicode minus made ``-``, thousands separators (``,`` ``，`` and spaces between
  groups of three digits) removed;
* codes (``str`` fields with a format, code list or pattern): full-width made ASCII,
  a number written by a program as ``310107005.0`` made ``310107005``;
* dates: full-width made ASCII; from Excel, a serial day number (``45293``) made a date.

Free text (names, addresses) keeps its full-width punctuation: ``（集团）`` is how
company names are written.

Examples
--------
>>> import polars as pl
>>> s = pl.DataFrame({"x": [" １２，３４５ ", "1 234 567", "−5", "无", "\\u200b7\\u3000", None]})
>>> s.select(clean_number(pl.col("x"), ("无",))).to_series().to_list()
['12345', '1234567', '-5', None, '7', None]
>>> pl.DataFrame({"x": ["３１０１０７００５", "310107005.0"]}).select(clean_code(pl.col("x"), ())).to_series().to_list()
['310107005', '310107005']
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

__all__ = [
    "FULLWIDTH",
    "NOTE_MARKERS",
    "TOTAL_MARKERS",
    "ZERO_WIDTH",
    "blank_cell",
    "clean_code",
    "clean_date",
    "clean_number",
    "clean_text",
    "skip_reason",
]

#: Characters removed wherever they appear.
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")

#: Full-width forms (U+FF01–U+FF5E) and the ideographic space, with their ASCII forms.
FULLWIDTH: dict[str, str] = {chr(0xFF01 + i): chr(0x21 + i) for i in range(94)} | {
    "\u3000": " ",  # ideographic space
    "\u2212": "-",  # minus sign
}

#: Rows whose first cells start with these are totals (合计 rows), not units.
TOTAL_MARKERS = ("合计", "总计", "小计", "共计", "其中")
#: Rows whose first cells start with these are notes and signatures under the table.
NOTE_MARKERS = (
    "说明", "注:", "注：", "备注", "填表说明", "填报说明", "单位负责人", "统计负责人", "填表人", "报出日期",
    "制表", "审核人", "单位:", "单位：", "计量单位",
)


def _marker_regex(markers: Sequence[str]) -> str:
    return "^(?:" + "|".join(markers) + ")"


def clean_text(x: pl.Expr, na_values: Sequence[str]) -> pl.Expr:
    """Zero-width characters removed, stripped; empty text and ``na_values`` → null."""
    s = x.cast(pl.String).str.replace_many(list(ZERO_WIDTH), [""] * len(ZERO_WIDTH)).str.strip_chars()
    return pl.when((s == "") | s.is_in(list(na_values))).then(None).otherwise(s)


def _halfwidth(s: pl.Expr) -> pl.Expr:
    return s.str.replace_many(list(FULLWIDTH), list(FULLWIDTH.values()))


def clean_number(x: pl.Expr, na_values: Sequence[str]) -> pl.Expr:
    """Text of a number as a program reads it: ASCII, no thousands separators."""
    s = _halfwidth(clean_text(x, na_values)).str.strip_chars()
    grouped = r"^[+-]?\d{1,3}(?:[ \u00a0\u2009\u202f']\d{3})+(?:\.\d+)?$"
    s = pl.when(s.str.contains(grouped)).then(s.str.replace_all(r"[ \u00a0\u2009\u202f']", "")).otherwise(s)
    s = s.str.replace_all(",", "", literal=True)
    return pl.when(s.is_in(list(na_values)) | (s == "")).then(None).otherwise(s)


def clean_code(x: pl.Expr, na_values: Sequence[str]) -> pl.Expr:
    """A code's text: ASCII, and ``123.0`` (a number written by a program) → ``123``."""
    s = _halfwidth(clean_text(x, na_values)).str.strip_chars()
    s = pl.when(s.str.contains(r"^\d+\.0+$")).then(s.str.replace(r"\.0+$", "")).otherwise(s)
    return pl.when(s.is_in(list(na_values)) | (s == "")).then(None).otherwise(s)


def clean_date(x: pl.Expr, na_values: Sequence[str], *, excel: bool = False) -> pl.Expr:
    """A date's text: ASCII; from Excel, a serial day number becomes ``YYYY-MM-DD``."""
    s = _halfwidth(clean_text(x, na_values)).str.strip_chars()
    if excel:
        serial = s.str.extract(r"^(\d{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
        as_date = (pl.date(1899, 12, 30) + pl.duration(days=serial)).dt.strftime("%Y-%m-%d")
        s = pl.when(serial.is_between(20000, 80000)).then(as_date).otherwise(s)
    return pl.when(s.is_in(list(na_values)) | (s == "")).then(None).otherwise(s)


def blank_cell(x: pl.Expr) -> pl.Expr:
    """True when a cell is empty, whitespace or zero-width characters only."""
    s = x.cast(pl.String).str.replace_many(list(ZERO_WIDTH), [""] * len(ZERO_WIDTH)).str.strip_chars()
    return s.is_null() | (s == "")


def skip_reason(cells: Sequence[pl.Expr], key_cells: Sequence[pl.Expr]) -> pl.Expr:
    """Why a row is not a record: ``"blank"``, ``"total"``, ``"note"`` or null (a record).

    A total or note row is one whose key cells are empty (or hold the marker itself) and
    that has a cell starting with a marker (合计, 说明…); without key columns, its first
    non-empty cell must start with one.
    """
    if not cells:
        return pl.lit(None, dtype=pl.String)
    texts = [
        pl.when(blank_cell(c)).then(None).otherwise(c.cast(pl.String).str.replace_all(r"\s", ""))
        for c in cells
    ]
    blank = pl.all_horizontal([t.is_null() for t in texts])
    total_re, note_re = _marker_regex(TOTAL_MARKERS), _marker_regex(NOTE_MARKERS)
    either_re = _marker_regex(TOTAL_MARKERS + NOTE_MARKERS)
    if key_cells:
        keys = [
            pl.when(blank_cell(k)).then(None).otherwise(k.cast(pl.String).str.replace_all(r"\s", ""))
            for k in key_cells
        ]
        no_key = pl.all_horizontal([k.is_null() | k.str.contains(either_re) for k in keys])
        total = no_key & pl.any_horizontal([t.str.contains(total_re).fill_null(False) for t in texts])
        note = no_key & pl.any_horizontal([t.str.contains(note_re).fill_null(False) for t in texts])
    else:
        first = pl.coalesce(texts)
        total = first.str.contains(total_re).fill_null(False)
        note = first.str.contains(note_re).fill_null(False)
    return (
        pl.when(blank).then(pl.lit("blank"))
        .when(total).then(pl.lit("total"))
        .when(note).then(pl.lit("note"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
