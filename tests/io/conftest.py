"""Fixture builders for the reader tests: every file is generated inside the test."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from source_check import Pack, load_pack

Cell = Any
#: A sheet: rows of cells, optional merges ("A1:H1" -> value) and whether it is hidden.
Sheet = dict[str, Any]


@pytest.fixture(scope="session")
def labor() -> Pack:
    """The shipped labor-102 pack with its three totals (期末人数, 平均人数, 工资总额) optional.

    The shipped pack requires those columns, so a file without them is refused (and a frame
    without them fails ``<field>.required`` on every row). The reader tests use small files
    with a few of the 102 columns; they test reading, not the pack, whose own ``tests:``
    cover the required totals.
    """
    pack = load_pack("labor-102")
    optional = {"emp_end", "emp_avg", "wages"}
    fields = {k: v.model_copy(update={"required": False}) if k in optional else v for k, v in pack.fields.items()}
    rules = [r for r in pack.rules if not (r.constraint == "required" and r.field in optional)]
    return dataclasses.replace(pack, fields=fields, rules=rules)


def write_xlsx(path: Path, sheets: dict[str, Sheet]) -> Path:
    """Write a workbook: per sheet ``rows`` (from A1 down), ``merges`` and ``hidden``.

    ``None`` leaves a cell empty; strings are written as text (never converted to
    numbers), numbers as numbers; a string starting with ``=`` is a formula whose cached
    value is given as ``("=1/0", "#DIV/0!")``.
    """
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    centered = wb.add_format({"align": "center"})
    for name, spec in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(spec.get("rows", [])):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, tuple):
                    ws.write_formula(r, c, value[0], None, value[1])
                elif isinstance(value, str):
                    ws.write_string(r, c, value)
                else:
                    ws.write(r, c, value)
        for ref, value in spec.get("merges", {}).items():
            ws.merge_range(ref, value, centered)
        if spec.get("hidden"):
            ws.hide()
    wb.close()
    return path


def _spans(spec: Sheet) -> tuple[dict[tuple[int, int], tuple[int, int]], set[tuple[int, int]]]:
    """Merged ranges as ``{(row, col) of the top-left: (rows, cols)}`` and the cells they cover."""
    from xlsxwriter.utility import xl_cell_to_rowcol

    spans: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for ref in spec.get("merges", {}):
        (r1, c1), (r2, c2) = (xl_cell_to_rowcol(x) for x in ref.split(":"))
        spans[(r1, c1)] = (r2 - r1 + 1, c2 - c1 + 1)
        covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)} - {(r1, c1)}
    return spans, covered


def write_xls(path: Path, sheets: dict[str, Sheet]) -> Path:
    """The same workbook as :func:`write_xlsx` in the Excel 97–2003 format (BIFF8, by xlwt)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for name, spec in sheets.items():
        ws = wb.add_sheet(name, cell_overwrite_ok=True)
        for r, row in enumerate(spec.get("rows", [])):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
        spans, _ = _spans(spec)
        for (r, c), (nr, nc) in spans.items():
            ws.merge(r, r + nr - 1, c, c + nc - 1)
        if spec.get("hidden"):
            ws.visibility = 1
    wb.save(str(path))
    return path


def write_ods(path: Path, sheets: dict[str, Sheet]) -> Path:
    """The same workbook as :func:`write_xlsx` as an OpenDocument spreadsheet (by odfpy)."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, spec in sheets.items():
        table = Table(name=name)
        rows = spec.get("rows", [])
        spans, covered = _spans(spec)
        width = max((len(r) for r in rows), default=0)
        for r, row in enumerate(rows):
            tr = TableRow()
            for c in range(width):
                if (r, c) in covered:
                    tr.addElement(CoveredTableCell())
                    continue
                value = row[c] if c < len(row) else None
                attrs: dict[str, Any] = {}
                if (r, c) in spans:
                    attrs = {"numberrowsspanned": spans[(r, c)][0], "numbercolumnsspanned": spans[(r, c)][1]}
                if value is None:
                    cell = TableCell(**attrs)
                elif isinstance(value, str):
                    cell = TableCell(valuetype="string", **attrs)
                    cell.addElement(P(text=value))
                else:
                    cell = TableCell(valuetype="float", value=value, **attrs)
                    cell.addElement(P(text=str(value)))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def write_csv(path: Path, rows: Sequence[Sequence[Cell]], encoding: str = "utf-8", delimiter: str = ",",
              bom: bool = False) -> Path:
    """Write rows as CSV text in ``encoding`` (``None`` cells are empty)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    data = buf.getvalue().encode(encoding)
    if bom:
        data = "\ufeff".encode(encoding) + data
    path.write_bytes(data)
    return path


@pytest.fixture
def xlsx(tmp_path: Path) -> Callable[..., Path]:
    def make(sheets: dict[str, Sheet], name: str = "data.xlsx") -> Path:
        return write_xlsx(tmp_path / name, sheets)

    return make


@pytest.fixture
def csv_file(tmp_path: Path) -> Callable[..., Path]:
    def make(rows: Sequence[Sequence[Cell]], name: str = "data.csv", **kwargs: Any) -> Path:
        return write_csv(tmp_path / name, rows, **kwargs)

    return make


#: A 102 form as filled by hand: a title row, a unit line, a two-row header with merged
#: cells (从业人员 over three columns), a row of 指标代码, a blank row, 合计 and 填表人 rows.
FORM_102 = {
    "rows": [
        ["2024年12月 从业人员及工资总额"],
        ["单位：人、千元"],
        ["统一社会信用代码", "单位详细名称", "街镇代码", "从业人员", None, None, "从业人员工资总额（千元）", "备注"],
        [None, None, None, "期末人数", "其中：女性", "平均人数", None, None],
        ["甲", "乙", "丙", "01", "02", "08", "12", None],
        ["91310107MA1G00000Q", "上海䶮𠀀科技有限公司", "310107005", 10, 3, 10, "1,200", None],
        ["91310107MA1G00001U", "上海乙有限公司", "310107014", "１２", 13, 12, 1500.5, "新开业"],
        [None, None, None, None, None, None, None, None],
        ["合计", None, None, 22, 16, 22, 2700.5, None],
        ["填表人：张三", None, None, None, None, None, None, None],
    ],
    "merges": {
        "A1:H1": "2024年12月 从业人员及工资总额",
        "A3:A4": "统一社会信用代码",
        "B3:B4": "单位详细名称",
        "C3:C4": "街镇代码",
        "D3:F3": "从业人员",
        "G3:G4": "从业人员工资总额（千元）",
        "H3:H4": "备注",
    },
}


@pytest.fixture
def form_102() -> dict[str, Any]:
    return {"rows": [list(r) for r in FORM_102["rows"]], "merges": dict(FORM_102["merges"])}


@pytest.fixture(scope="session")
def writers() -> tuple[Callable[..., Path], Callable[..., Path]]:
    """``(write_xlsx, write_csv)`` for tests that build files themselves."""
    return write_xlsx, write_csv
