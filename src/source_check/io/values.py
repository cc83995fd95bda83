"""Vectorised clean-up of cell text, by the type of the field it lands in.

All functions build polars expressions; nothing loops over rows in Python.

* every cell: zero-width characters removed, surrounding whitespace (including the
  ideographic space and the no-break space) stripped, empty text and the pack's
  ``na_values`` made null;
* numbers (``int``/``float`` fields): full-width digits and punctuation made ASCII,
  the Unicode minus made ``-``, thousands separators (``,`` ``，``, spaces, ``'``) removed
  only between well-formed groups of three digits (``1,234,567.5``); text that is then
  not a number (``1,5``, ``12 34``, ``1.234,56``, ``12人``, ``TRUE``) is kept as written,
  so that the field's type rule quotes what was read;
* codes (``str`` fields with a format, code list, pattern, the key or the group):
  full-width made ASCII, a trailing ``.0`` (``310107005.0``, as a program writes a
  number) removed;
* dates: full-width made ASCII; from Excel, a serial day number (``45293``) made a date.

Free text (names, addresses) keeps its full-width punctuation: ``（集团）`` is how
company names are written.

Examples
--------
>>> import polars as pl
>>> s = pl.DataFrame({"x": [" １２，３４５ ", "1 234 567", "−5", "无", "\\u200b7\\u3000", "1,5", "１２ａ", None]})
>>> s.select(clean_number(pl.col("x"), ("无",))).to_series().to_list()
['12345', '1234567', '-5', None, '7', '1,5', '１２ａ', None]
>>> pl.DataFrame({"x": ["３１０１０７００５", "310107005.0"]}).select(clean_code(pl.col("x"), ())).to_series().to_list()
['310107005', '310107005']
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

__all__ = [
    "FULLWIDTH",
    "GROUPED_NUMBER",
    "NOTE_MARKERS",
    "TOTAL_MARKERS",
    "ZERO_WIDTH",
    "blank_cell",
    "clean_code",
    "clean_date",
    "clean_number",
    "clean_text",
    "na_both",
    "null_if",
    "number_as_code",
    "skip_reason",
    "strip_grouping",
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


_SPACE_CLASS = "[\\s" + "".join(ZERO_WIDTH) + "]"
_STRIP = " \t\r\n\v\f\u3000\u00a0\u2009\u202f" + "".join(ZERO_WIDTH)


def _marker_regex(markers: Sequence[str]) -> str:
    """Cell text starting with a marker, spaces allowed around and inside (``合 计``)."""
    spaced = ["\\s*".join(re.escape(ch) for ch in m) for m in markers]
    return f"^{_SPACE_CLASS}*(?:" + "|".join(spaced) + ")"


_BLANK = f"^{_SPACE_CLASS}*$"
_TOTAL, _NOTE, _EITHER = _marker_regex(TOTAL_MARKERS), _marker_regex(NOTE_MARKERS), _marker_regex(
    TOTAL_MARKERS + NOTE_MARKERS)


#: A number written with thousands separators in well-formed groups of three digits
#: (``1,234``, ``1 234 567.5``, ``1'234``, ``1，234``): the only place separators are removed.
#: ``1,5``, ``12 34`` or ``1.234,56`` stay as written, so the field's type rule names them.
GROUPED_NUMBER = r"^[-+]?\d{1,3}(?:[,，\s']\d{3})+(?:\.\d+)?$"
_SEPARATOR_CLASS = r"[,，\s']"


def strip_grouping(text: pl.Expr) -> pl.Expr:
    """``text`` without its thousands separators when it is a :data:`GROUPED_NUMBER`,
    else unchanged (shared with the engine, which types in-memory text the same way).

    Examples
    --------
    >>> df = pl.DataFrame({"x": ["1,234", "1 234 567.5", "1,5", "12 34", "1.234,56", "-12,345", None]})
    >>> df.select(strip_grouping(pl.col("x"))).to_series().to_list()
    ['1234', '1234567.5', '1,5', '12 34', '1.234,56', '-12345', None]
    """
    return pl.when(text.str.contains(GROUPED_NUMBER)).then(text.str.replace_all(_SEPARATOR_CLASS, "")).otherwise(text)


# Each clean-up below is one chain over its input; only the final empty/NA → null step
# references it twice (``when(is_in)``: ``replace`` would reference it once, but polars
# does not stream ``replace`` and would hold the whole column). Clean columns skip the
# chain (see ``assemble``), so the double reference costs only on text that needs it.


def null_if(s: pl.Expr, values: Sequence[str]) -> pl.Expr:
    """``s`` with the empty text and ``values`` as null: one ``is_in`` (the streaming engine
    does not share repeated subexpressions), not ``replace``, which polars does not stream
    and so holds the whole column."""
    return pl.when(s.is_in(["", *values])).then(None).otherwise(s)


def _ascii_text(text: str) -> str:
    return "".join(FULLWIDTH.get(ch, ch) for ch in text if ch not in ZERO_WIDTH).strip(_STRIP)


def clean_text(x: pl.Expr, na_values: Sequence[str]) -> pl.Expr:
    """Stripped of surrounding spaces and zero-width characters; empty text and
    ``na_values`` → null."""
    return null_if(x.cast(pl.String).str.strip_chars(_STRIP), na_values)


def _ascii(x: pl.Expr, drop: Sequence[str] = ()) -> pl.Expr:
    """Full-width forms made ASCII, zero-width characters (and ``drop``) removed, in one pass."""
    mapping = {**FULLWIDTH, **dict.fromkeys(ZERO_WIDTH, "")}
    mapping = {k: ("" if v in drop else v) for k, v in mapping.items()} | dict.fromkeys(drop, "")
    return x.cast(pl.String).str.strip_chars(_STRIP).str.replace_many(list(mapping), list(mapping.values()))


def na_both(na_values: Sequence[str]) -> list[str]:
    """``na_values`` as written and as they read once made ASCII (``－`` → ``-``)."""
    return list(dict.fromkeys([*na_values, *(_ascii_text(v) for v in na_values)]))


def clean_number(x: pl.Expr, na_values: Sequence[str]) -> pl.Expr:
    """Text of a number as a program reads it: ASCII, without the thousands separators of
    well-formed groups (:data:`GROUPED_NUMBER`). Text that is not a number then is kept
    as written (only surrounding blanks removed), so the type rule quotes it as read."""
    number = strip_grouping(_ascii(x).str.strip_prefix("'"))  # '123: Excel's mark for a number typed as text
    as_read = x.cast(pl.String).str.strip_chars(_STRIP)
    return null_if(pl.when(number.cast(pl.Float64, strict=False).is_not_null()).then(number).otherwise(as_read),
                   na_both(na_values))


#: The smallest number with more digits than Excel keeps (15 significant digits): a code
#: stored as such a number has lost its tail.
EXCEL_DIGITS_LIMIT = 1e15


def number_as_code(x: pl.Expr) -> pl.Expr:
    """The text of a number that landed in a text or code field (a number cell, a float column).

    An integer below 10^15 is its digits (a 街镇 code ``310107005`` stored as a number is
    intact); a number of 16 or more digits has lost digits (Excel keeps 15 significant
    digits, a double about 16) and is written in scientific notation with the 15 digits
    Excel kept (``9.13101070000001E+17``), so that the ``<field>.excel_damaged`` rule
    names it; other numbers are their shortest decimal text.

    Examples
    --------
    >>> df = pl.DataFrame({"x": [9.13101e17, 9.13101063015123e17, 310107005.0, 1.5, 1e15, None, float("nan")]})
    >>> df.select(number_as_code(pl.col("x"))).to_series().to_list()
    ['9.13101E+17', '9.13101063015123E+17', '310107005', '1.5', '1E+15', None, None]
    """
    x = x.cast(pl.Float64)
    x = pl.when(x.is_finite()).then(x)  # NaN and ±inf carry no digits: null, as an empty cell
    exp = x.abs().log10().floor()
    mantissa = (x / pl.lit(10.0).pow(exp)).round(14)
    carry = mantissa.abs() >= 10  # 9.99999999999999995 rounds up to 10
    mantissa = pl.when(carry).then(mantissa / 10).otherwise(mantissa).round(14)
    exp = pl.when(carry).then(exp + 1).otherwise(exp).cast(pl.Int64, strict=False)
    sci = pl.concat_str(mantissa.cast(pl.String).str.replace(r"\.0$", ""), pl.lit("E+"),
                        exp.cast(pl.String).str.zfill(2))
    return (
        pl.when(x.abs() >= EXCEL_DIGITS_LIMIT).then(sci)
        .when(x == x.round(0)).then(x.cast(pl.Int64, strict=False).cast(pl.String))
        .otherwise(x.cast(pl.String))
    )


def clean_code(x: pl.Expr, na_values: Sequence[str]) -> pl.Expr:
    """A code's text: ASCII, and ``123.0`` (a number written by a program) → ``123``; a
    program's float of 16 or more digits (``913101070000001024.0``) → scientific notation
    (see :func:`number_as_code`)."""
    s = _ascii(x).str.strip_chars(_STRIP)
    long_float = s.str.contains(r"^[-+]?[0-9]{16,}\.0+$")
    as_float = number_as_code(s.cast(pl.Float64, strict=False))
    s = pl.when(long_float).then(as_float).otherwise(s.str.replace(r"\.0+$", ""))
    return null_if(s, na_both(na_values))


def clean_date(x: pl.Expr, na_values: Sequence[str], *, excel: bool = False) -> pl.Expr:
    """A date's text: ASCII; from Excel, a serial day number becomes ``YYYY-MM-DD``."""
    s = null_if(_ascii(x).str.strip_chars(_STRIP), na_both(na_values))
    if excel:
        serial = s.str.extract(r"^(\d{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
        as_date = (pl.date(1899, 12, 30) + pl.duration(days=serial)).dt.strftime("%Y-%m-%d")
        s = pl.when(serial.is_between(20000, 80000)).then(as_date).otherwise(s)
    return s


def blank_cell(x: pl.Expr) -> pl.Expr:
    """True when a cell is empty, whitespace or zero-width characters only."""
    return x.is_null() | x.cast(pl.String).str.contains(_BLANK)


def skip_reason(
    cells: Sequence[pl.Expr], key_cells: Sequence[pl.Expr], text: Sequence[bool] | None = None,
    key_text: Sequence[bool] | None = None,
) -> pl.Expr:
    """Why a row is not a record: ``"blank"``, ``"total"``, ``"note"`` or null (a record).

    A total or note row is one whose key cells are empty (or hold the marker itself) and
    that has a cell starting with a marker (合计, 说明…; the first such cell decides);
    without key columns, its first non-empty cell must start with one. Only anchored
    regular expressions are used: no cell is copied. ``text`` (and ``key_text``) say
    which cells hold text; a typed cell (number, date: parquet, Arrow) is empty when
    null and never a marker, so it is not turned into text.
    """
    if not cells:
        return pl.lit(None, dtype=pl.String)
    is_text = list(text) if text is not None else [True] * len(cells)
    key_is_text = list(key_text) if key_text is not None else [True] * len(key_cells)
    texts = [c.cast(pl.String) if t else c for c, t in zip(cells, is_text, strict=True)]
    blank = pl.all_horizontal([blank_cell(c) if t else c.is_null() for c, t in zip(texts, is_text, strict=True)])
    if key_cells:
        no_key = pl.all_horizontal([
            (blank_cell(k) | k.cast(pl.String).str.contains(_EITHER)) if t else k.is_null()
            for k, t in zip(key_cells, key_is_text, strict=True)
        ])
        marked = [pl.when(c.str.contains(_EITHER)).then(c) for c, t in zip(texts, is_text, strict=True) if t]
        first = pl.coalesce(marked) if marked else pl.lit(None, dtype=pl.String)
        total = no_key & first.str.contains(_TOTAL).fill_null(False)
        note = no_key & first.str.contains(_NOTE).fill_null(False)
    else:
        first = pl.coalesce([
            pl.when(blank_cell(c)).then(None).otherwise(c) if t
            else pl.when(c.is_null()).then(None).otherwise(pl.lit(""))
            for c, t in zip(texts, is_text, strict=True)
        ])
        total = first.str.contains(_TOTAL).fill_null(False)
        note = first.str.contains(_NOTE).fill_null(False)
    return (
        pl.when(blank).then(pl.lit("blank"))
        .when(total).then(pl.lit("total"))
        .when(note).then(pl.lit("note"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
