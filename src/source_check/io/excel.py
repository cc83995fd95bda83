"""Excel and OpenDocument workbooks through fastexcel (calamine): raw cells, no guessing.

Sheets are read with no header (``header_row=None``) and without skipping leading
blank rows, so that row ``i`` of the grid is Excel row ``i + 1``; columns keep their
absolute position (column ``C`` stays ``C`` even when ``A:B`` are empty). Every cell is
read as text; columns that will hold numbers are read a second time as floats, because
calamine's text for a number is rounded to about nine decimals (``1/3`` reads as
``0.333333333``) while its float is exact. Cells holding Excel errors (``#DIV/0!``,
``#N/A``) are read as empty and listed in the reading log when pyarrow is installed
(fastexcel reports them only through pyarrow).

Examples
--------
>>> import tempfile, pathlib, xlsxwriter
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.xlsx"
>>> wb = xlsxwriter.Workbook(p); ws = wb.add_worksheet("数据")
>>> for cell, value in {"B2": "名称", "C2": "人数", "B3": "甲", "C3": 1 / 3}.items():
...     _ = ws.write(cell, value)
>>> wb.close()
>>> book = Workbook.open(p, "xlsx")
>>> book.sheet_names
['数据']
>>> rows, letters, visible = book.head("数据")
>>> letters, rows[1]
(['B', 'C'], ['名称', '人数'])
>>> grid = book.load("数据", numeric=["C"])
>>> grid.frame.row(2), grid.errors
(('甲', '0.3333333333333333'), [])
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import InputError, Position
from .headers import HEAD_ROWS
from .log import column_letter
from .values import EXCEL_DIGITS_LIMIT, number_as_code

__all__ = ["ExcelGrid", "Workbook"]

_HAS_PYARROW = importlib.util.find_spec("pyarrow") is not None
_SUFFIX_FOR_KIND = {"xlsx": (".xlsx", ".xlsm", ".xlsb"), "xls": (".xls",), "ods": (".ods",)}


def _explain(exc: Exception, file: str) -> InputError:
    text = str(exc)
    first = text.splitlines()[0] if text else type(exc).__name__
    lower = text.lower()
    if "password" in lower or "encrypt" in lower:
        why = "工作簿设有打开密码（已加密），请去掉密码后另存再核查 (the workbook is password-protected)"
    elif "zip" in lower or "eocd" in lower or "cfb" in lower or "invalid ole" in lower:
        why = f"文件已损坏或不完整，不是有效的 Excel 文件 (damaged or truncated workbook: {first})"
    else:
        why = f"无法读取工作簿 (cannot read the workbook: {first})"
    return InputError(why, Position(file))


@dataclass
class ExcelGrid:
    """One sheet as text: columns named by Excel letter, row ``i`` is Excel row ``i + 1``."""

    frame: pl.DataFrame
    letters: list[str]
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (Excel row, column letter, detail)


def _number_text(x: pl.Series) -> pl.Series:
    """Exact text of floats: ``10.0`` → ``10``, ``1/3`` → ``0.3333333333333333``."""
    integral = (x == x.round(0)) & (x.abs() < 2**53)
    as_int = x.cast(pl.Int64, strict=False).cast(pl.String)
    return pl.select(pl.when(integral).then(as_int).otherwise(x.cast(pl.String))).to_series().alias(x.name)


class Workbook:
    """An open workbook: its sheets, the first rows of each, and whole sheets as text."""

    def __init__(self, reader: Any, file: str) -> None:
        self._reader = reader
        self.file = file

    @classmethod
    def open(cls, path: Path, kind: str) -> Workbook:
        """Open ``path`` (by path when its name fits its content, else from its bytes)."""
        import fastexcel

        source: Path | bytes = path
        if path.suffix.lower() not in _SUFFIX_FOR_KIND.get(kind, ()):
            source = path.read_bytes()
        try:
            return cls(fastexcel.read_excel(source), str(path))
        except Exception as exc:  # fastexcel raises its own exception tree (and pyo3 panics)
            raise _explain(exc, str(path)) from None

    @property
    def sheet_names(self) -> list[str]:
        return list(self._reader.sheet_names)

    def _load(self, name: str, **kwargs: Any) -> Any:
        try:
            return self._reader.load_sheet(name, header_row=None, skip_rows=0, **kwargs)
        except Exception as exc:
            err = _explain(exc, self.file)
            raise InputError(f"工作表“{name}”：{err.message}", err.position) from None

    def head(self, name: str, n: int = HEAD_ROWS) -> tuple[list[list[str | None]], list[str], bool]:
        """The first ``n`` rows as text, the Excel letter of each column, and whether the
        sheet is visible (hidden sheets are read only when named)."""
        sheet = self._load(name, n_rows=n, dtypes="string")
        visible = str(getattr(sheet, "visible", "visible")) == "visible"
        letters = [column_letter(c.absolute_index) for c in sheet.selected_columns]
        if not letters:
            return [], [], visible
        df = sheet.to_polars()
        return [list(r) for r in df.rows()], letters, visible

    def load(self, name: str, numeric: list[str] | None = None, codes: list[str] | None = None) -> ExcelGrid:
        """The whole sheet as text.

        Columns in ``numeric`` (letters) take the exact value of number cells; a
        TRUE/FALSE cell there reads ``TRUE``/``FALSE`` (not 1/0), so the field's type rule
        names it. In ``codes`` (text and code fields) a number cell of 16 or more digits,
        which Excel has already cut to 15 significant digits, reads in scientific notation
        (``9.13101E+17``, see :func:`~.values.number_as_code`); a shorter integer is its digits.
        Number cells are told from text cells by reading the columns once more as floats
        and as booleans (calamine makes any number a boolean, and no text).
        """
        sheet = self._load(name, dtypes="string")
        index = {column_letter(c.absolute_index): c.absolute_index for c in sheet.selected_columns}
        letters = list(index)
        errors: list[tuple[int, str, str]] = []
        if _HAS_PYARROW:
            batch, cell_errors = sheet._sheet.to_arrow_with_errors()
            frame = pl.DataFrame(pl.from_arrow(batch))
            for e in getattr(cell_errors, "errors", None) or []:
                row, col = e.position
                letter = letters[col] if col < len(letters) else column_letter(col)
                errors.append((int(row) + 1, letter, str(e.detail)))
        else:
            frame = sheet.to_polars()
        if not letters:
            return ExcelGrid(pl.DataFrame(), [])
        frame.columns = letters
        number_cols = {x for x in (numeric or []) if x in index}
        code_cols = {x for x in (codes or []) if x in index} - number_cols
        wanted = sorted(index[x] for x in number_cols | code_cols)
        if wanted and frame.height:
            floats = self._typed(name, wanted, "float")
            flags = self._typed(name, wanted, "boolean")
            exprs = []
            for c in floats.columns:
                text, value = pl.col(c), floats[c]
                is_bool = flags[c].is_not_null() & text.is_in(["true", "false"])
                if c in number_cols:
                    expr = pl.when(is_bool).then(text.str.to_uppercase()).otherwise(
                        pl.coalesce(_number_text(value), text))
                else:
                    is_long_number = flags[c].is_not_null() & ~is_bool & (value.abs() >= EXCEL_DIGITS_LIMIT)
                    expr = pl.when(is_long_number).then(number_as_code(pl.lit(value))).otherwise(text)
                exprs.append(expr.alias(c))
            frame = frame.with_columns(exprs)
        return ExcelGrid(frame, letters, errors)

    def _typed(self, name: str, columns: list[int], dtype: str) -> pl.DataFrame:
        """Columns (absolute indices, sorted) read as ``dtype``, named by letter."""
        typed: pl.DataFrame = self._load(name, use_columns=columns, dtypes=dict.fromkeys(columns, dtype)).to_polars()
        typed.columns = [column_letter(i) for i in columns]
        return typed
