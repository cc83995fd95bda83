"""Fixture builders for the reader tests: every file is generated inside the test."""

from __future__ import annotations

import csv
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
    return load_pack("labor-102")


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
