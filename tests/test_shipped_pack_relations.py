"""Behaviour of shipped pack rules that their YAML ``tests:`` cannot express.

Typed input columns (an Excel date cell is a datetime, not text), the thresholds a rule
applies for each way of writing the period, the layout of ``rules/`` (which pack is
where, what extends what) and the detectors' fields.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from source_check import check, load_pack
from source_check.errors import InputError

RULES = Path(__file__).resolve().parents[1] / "rules"

CODES = ["91310107MA1G00409B", "91310107MA1G004176", "91310107MA1G004251", "91310107MA1G00433U",
         "91310107MA1G00441N", "91310107MA1G0045XE", "91310107MA1G00468E", "91310107MA1G004769"]


def _text_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    cols = sorted({k for r in rows for k in r})
    return pl.DataFrame({c: [None if r.get(c) is None else str(r[c]) for r in rows] for c in cols},
                        schema=dict.fromkeys(cols, pl.String))


def _findings(result, rule_id: str) -> pl.DataFrame:
    return result.findings.filter(pl.col("rule_id") == rule_id).sort("row")


# --- 102-04: the minimum wage by period ------------------------------------------------------

#: (period, monthly minimum wage the pack must apply, in 元): month-weighted across the change
#: dates 2023-07-01 (2590 → 2690) and 2025-07-01 (2690 → 2740); YYYY is the same as YYYY12.
MIN_WAGE = [
    ("202306", 2590), ("202307", (2590 * 6 + 2690) / 7), ("202312", 2640), ("2023", 2640),
    ("202406", 2690), ("2024", 2690), ("202509", (2690 * 6 + 2740 * 3) / 9), ("202512", 2715),
    ("2025", 2715), ("2026", 2740), ("2022", 2590),
]


@pytest.mark.parametrize(("period", "wage"), MIN_WAGE)
def test_102_04_threshold_is_the_month_weighted_minimum_wage(period, wage):
    months = 12 if len(period) == 4 else int(period[4:])
    threshold = round(wage)
    below, at = threshold - 1, threshold  # 元 per head per month, 10 people
    rows = [
        {"credit_code": CODES[i], "town_code": "310107005", "period": period, "emp_end": 10, "emp_avg": 10,
         "wages": round(per_head * 10 * months / 1000, 4)}
        for i, per_head in enumerate((below, at))
    ]
    found = _findings(check(_text_frame(rows), "labor-102"), "102-04")
    assert found["row"].to_list() == [0]
    assert f"最低工资标准{threshold}元/月" in found["message"][0]
    assert f"人均月工资{below}元" in found["message"][0]


@pytest.mark.parametrize("spelling", ["202509", "2025-09", "2025/09"])
def test_102_04_period_spellings_pick_the_same_threshold(spelling):
    rows = [{"credit_code": CODES[0], "town_code": "310107005", "period": spelling, "emp_end": 10, "emp_avg": 10,
             "wages": 2700 * 10 * 9 / 1000}]  # 2700 < (2690×6 + 2740×3)/9 ≈ 2707
    found = _findings(check(_text_frame(rows), "labor-102"), "102-04")
    assert found.height == 1 and "最低工资标准2707元/月" in found["message"][0]


def test_102_04_excel_date_cell_period_is_read_by_month():
    """A date-typed period cell (Excel) is September 2025, not the text '2025-09-01…' sorted as a string."""
    frame = pl.DataFrame({
        "credit_code": CODES[:2], "town_code": ["310107005"] * 2,
        "period": [dt.datetime(2025, 9, 1), dt.datetime(2025, 9, 1)],
        "emp_end": [10, 10], "emp_avg": [10, 10], "wages": [2700 * 90 / 1000, 2720 * 90 / 1000],
    })
    found = _findings(check(frame, "labor-102"), "102-04")
    assert found["row"].to_list() == [0]
    assert "2025年1—9月" in found["message"][0]


# --- blank totals are reported by <field>.required ---------------------------------------------

BLANK_TOTALS = [
    ("labor-102", {"emp_end": 10, "emp_avg": 10}, "wages.required"),
    ("labor-102", {"emp_end": 10, "wages": 500}, "emp_avg.required"),
    ("labor-102", {"emp_female": 5, "emp_avg": 5, "wages": 200}, "emp_end.required"),
    ("finance-103", {"current_assets": 50, "revenue": 0, "op_profit": 0, "total_profit": 0}, "total_assets.required"),
    ("finance-103", {"total_assets": 0, "main_revenue": 100, "op_profit": 0, "total_profit": 0}, "revenue.required"),
    ("finance-103", {"total_assets": 0, "revenue": 0, "total_profit": 0}, "op_profit.required"),
    ("finance-103", {"total_assets": 0, "revenue": 0, "op_profit": 0}, "total_profit.required"),
    ("finance-c103", {"current_assets": 50, "revenue": 0, "op_profit": 0, "total_profit": 0}, "total_assets.required"),
    ("industry-b204", {"output_value": 1000, "export_value": 100, "electricity": 5}, "sales_value.required"),
    ("industry-b204", {"sales_value": 1000, "electricity": 5}, "output_value.required"),
    ("trade-e204", {"wholesale": 600, "retail": 400}, "sales_total.required"),
]


@pytest.mark.parametrize(("pack", "values", "rule_id"), BLANK_TOTALS)
def test_blank_total_is_a_required_finding(pack, values, rule_id):
    row = {"credit_code": CODES[0], "town_code": "310107005", "period": "202412", **values}
    result = check(_text_frame([row]), pack)
    assert rule_id in result.findings["rule_id"].to_list()
    assert result.rules.filter(pl.col("rule_id") == rule_id)["level"][0] == "error"


def test_a_102_file_without_a_total_column_is_refused_by_name(tmp_path):
    """Required totals are required columns too: the reader names the missing ones (and the closest header)."""
    path = tmp_path / "102.csv"
    path.write_text("统一社会信用代码,街镇代码,从业人员期末人数,平均人数,工资\n"
                    f"{CODES[0]},310107005,10,10,300\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        check(path, "labor-102")
    assert "从业人员工资总额（wages）" in err.value.message and "从业人员平均人数" not in err.value.message


@pytest.mark.parametrize(("pack", "values", "rule_id"), [
    ("finance-103", {"finished_goods": 800}, "103-04"),
    ("finance-103", {"accum_depr": 50}, "103-05a"),
    ("finance-103", {"depr_current": 40}, "103-05b"),
    ("finance-103", {"main_cost": 90}, "103-03b"),
    ("finance-103", {"receivables": 90}, "103-02b"),
    ("trade-e204", {"sales_total": 100, "wholesale": 100, "online_retail": 100}, "E204-02"),
])
def test_blank_non_core_total_counts_as_zero_in_containment(pack, values, rule_id):
    base = {"total_assets": 1000, "total_liabilities": 600, "owners_equity": 400, "revenue": 0, "op_profit": 0,
            "total_profit": 0} if pack.startswith("finance") else {}
    row = {"credit_code": CODES[0], "town_code": "310107005", "period": "202412", **base, **values}
    ids = check(_text_frame([row]), pack).findings["rule_id"].to_list()
    assert rule_id in ids and not any(i.endswith(".required") for i in ids)


def test_103_08_flags_liabilities_against_zero_assets():
    row = {"credit_code": CODES[0], "town_code": "310107005", "period": "202412", "total_assets": 0,
           "total_liabilities": 500, "owners_equity": -500, "revenue": 0, "op_profit": 0, "total_profit": 0}
    found = _findings(check(_text_frame([row]), "finance-103"), "103-08")
    assert found.height == 1 and "资产总计为0" in found["message"][0]


# --- rules/ layout: common/unit.yaml is the 101 pack, common/base.yaml the shared base ------------


def test_common_unit_is_the_101_pack_and_base_is_shared(shipped_packs):
    by_id = {pack.id: path.relative_to(RULES).as_posix() for path, pack in shipped_packs.items()}
    assert len(by_id) == len(shipped_packs), "two shipped packs share an id"
    assert by_id["unit-101"] == "common/unit.yaml"
    assert by_id["common-base"] == "common/base.yaml"
    assert "common-unit" not in by_id and not (RULES / "unit_101.yaml").exists()
    base = (RULES / "common" / "base.yaml").resolve()
    for path, pack in shipped_packs.items():
        if path.resolve() != base:
            assert base in {Path(f).resolve() for f in pack.files}, f"{path.name} does not extend common/base.yaml"
    unit = load_pack("unit-101")
    assert {"101-03", "101-05", "101-07", "101-09", "credit_code.unique"} <= {r.id for r in unit.all_rules}


def test_101_10_joins_103_revenue_on_the_credit_code():
    unit = load_pack("unit-101")
    assert "revenue" not in unit.fields and "101-10" not in {r.id for r in unit.all_rules}
    f101 = pl.DataFrame({"credit_code": CODES[:3], "town_code": ["310107005"] * 3, "period": ["2024"] * 3,
                         "op_status": ["6", "1", "2"]})
    f103 = pl.DataFrame({"credit_code": CODES[:2], "period": ["2024"] * 2, "revenue": [500.0, 800.0]})
    result = check({"101": f101, "103": f103}, "cross-unit-finance")
    found = _findings(result, "101-10")
    assert found["row"].to_list() == [0] and "当年注销" in found["message"][0] and "500" in found["message"][0]
    counts = result.rules.filter(pl.col("rule_id") == "101-10").row(0, named=True)
    assert (counts["passes"], counts["fails"], counts["na"]) == (0, 1, 2)


def test_q03_counts_the_phones_and_q03b_the_filler_name_as_a_hint():
    detectors = {d.id: d for d in load_pack("unit-101").detectors}
    assert {"filler_phone", "phone", "mobile"} <= set(detectors["Q-03"].model_dump()["fields"])
    # a name is shared by chance (2.7% of clean synthetic units): a hint, not a warning to verify
    assert detectors["Q-03b"].model_dump()["fields"] == ["filler"] and detectors["Q-03b"].level == "info"


@pytest.mark.parametrize(("form", "industry", "rule_id"), [
    ("C103", "5139", "101-06d"), ("B103", "5211", "101-06e"), ("E103", "3311", "101-06f"),
])
def test_form_family_covers_103_variants(form, industry, rule_id):
    pack = load_pack("cross-form-industry")
    frames = {f: pl.DataFrame({"credit_code": pl.Series([], dtype=pl.String)}) for f in pack.forms}
    frames["101"] = pl.DataFrame({"credit_code": CODES[:2], "town_code": ["310107005"] * 2,
                                  "period": ["202412"] * 2, "industry_code": [industry, "4811" if form == "C103"
                                                                                else "3311" if form == "B103"
                                                                                else "5139"]})
    frames[form] = pl.DataFrame({"credit_code": CODES[:2], "营业收入": [1000.0, 2000.0]}).rename(
        {"营业收入": f"{form.lower()}_revenue"})
    found = _findings(check(frames, pack), rule_id)
    assert found["row"].to_list() == [0]


# --- 101-09: 开业时间 as year and month ------------------------------------------------------------


def test_open_date_accepts_year_month_and_excel_dates():
    frame = pl.DataFrame({
        "credit_code": CODES[:4], "town_code": ["310107005"] * 4, "period": ["202412"] * 4,
        "open_date": [dt.datetime(2015, 3, 1), dt.datetime(2025, 1, 1), dt.datetime(2024, 12, 31),
                      dt.datetime(2024, 1, 1)],
    })
    result = check(frame, "unit-101")
    assert _findings(result, "101-09")["row"].to_list() == [1]
    assert _findings(result, "open_date.pattern").is_empty()
    text = _text_frame([{"credit_code": c, "town_code": "310107005", "period": "2024", "open_date": d}
                        for c, d in zip(CODES, ["2015年3月", "2015-03", "201503", "2015/3", "2025年1月", "2015",
                                                "2015年13月", "2024年12月"], strict=True)])
    result = check(text, "unit-101")
    assert _findings(result, "101-09")["row"].to_list() == [4]
    assert _findings(result, "open_date.pattern")["row"].to_list() == [5, 6]
