"""Shipped code lists: derived files are current and the small lists have their known codes."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

CODELISTS = Path(__file__).resolve().parents[1] / "rules" / "codelists"


def _codes(name: str) -> list[str]:
    with (CODELISTS / name).open(encoding="utf-8", newline="") as fh:
        return [row["code"] for row in csv.DictReader(fh)]


def test_gb4754_classes_file_is_generated_from_the_full_list():
    spec = importlib.util.spec_from_file_location("make_classes", CODELISTS / "make_classes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (CODELISTS / "gb4754_2017_classes.csv").read_text(encoding="utf-8")
    assert current == module.classes_csv(), "请运行 python rules/codelists/make_classes.py"
    codes = _codes("gb4754_2017_classes.csv")
    assert len(codes) == len(set(codes)) == 1382
    assert all(len(c) == 4 and c.isdigit() for c in codes)


def test_small_code_lists():
    assert _codes("org_type.csv") == ["10", "20", "30", "40", "51", "52", "53", "54", "55", "56", "90"]
    assert _codes("op_status.csv") == ["1", "2", "3", "4", "5", "6", "7", "9"]
    reg = _codes("reg_category.csv")
    assert len(reg) == len(set(reg)) == 23
    assert {"111", "112", "119", "121", "129", "140", "150", "190", "400", "500", "900"} <= set(reg)
