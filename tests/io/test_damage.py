"""Codes Excel damaged are named findings, one per cell, with exact counts."""

from __future__ import annotations

import polars as pl
import pytest

from source_check import check, load_pack
from source_check.io.damage import damage_for, with_read_checks

HEADER = ["统一社会信用代码", "街镇代码", "从业人员期末人数"]
FIX = "，请将该列设为文本格式后重新填写"
INVALID = "不是有效的统一社会信用代码（GB 32100-2015，含校验位）"


def test_scientific_notation_from_a_csv_saved_by_excel(csv_file, labor):
    rows = [["102表"], HEADER, ["9.13101E+17", "310107005", "3"], ["9.13101E+17", "3.10107E+8", "4"],
            ["91310107MA1G00000Q", "310107005", "5"]]
    result = check(csv_file(rows, encoding="gb18030"), labor)
    assert result.findings.select("rule_id", "source_row", "message").rows() == [
        ("credit_code.excel_damaged", 3,
         "统一社会信用代码“9.13101E+17”疑似被Excel科学计数法损坏，请将该列设为文本格式后重新填写"),
        ("credit_code.excel_damaged", 4,
         "统一社会信用代码“9.13101E+17”疑似被Excel科学计数法损坏，请将该列设为文本格式后重新填写"),
        ("town_code.excel_damaged", 4, "街镇代码“3.10107E+8”疑似被Excel科学计数法损坏，请将该列设为文本格式后重新填写"),
    ]
    rules = result.rules.filter(pl.col("rule_id").str.starts_with("credit_code")).select(
        "rule_id", "level", "dimension", "items", "passes", "fails", "na")
    assert rules.rows() == [
        ("credit_code.required", "error", "completeness", 3, 3, 0, 0),
        ("credit_code.excel_damaged", "error", "validity", 3, 1, 2, 0),
        ("credit_code.format", "error", "validity", 3, 1, 0, 2),  # not applicable to a damaged code
        ("credit_code.unique", "error", "uniqueness", 3, 1, 0, 2),  # two damaged codes are not duplicates
    ]


@pytest.fixture
def industry_pack(write_pack, tmp_path):
    (tmp_path / "ind.csv").write_text("code,name\n0111,稻谷种植\n0610,烟煤和无烟煤开采洗选\n5211,百货零售\n",
                                      encoding="utf-8")
    return load_pack(write_pack("""
        pack: ind
        key: [id]
        codelists:
          ind: {file: ind.csv, key: code, label: name}
        fields:
          id: {required: true}
          industry: {label: 行业代码, format: industry4}
          listed: {label: 行业小类, codelist: ind}
        """))


def test_industry_codes_that_lost_their_leading_zero(industry_pack):
    data = pl.DataFrame({"id": ["a", "b", "c", "d"], "industry": ["111", "0111", "5211", "11"],
                         "listed": ["610", "0610", "5211", "9999"]})
    result = check(data, industry_pack)
    assert result.findings.select("id", "rule_id", "message").rows() == [
        ("a", "industry.excel_damaged", f"行业代码“111”疑似被Excel去掉了开头的0（应为“0111”）{FIX}"),
        ("a", "listed.excel_damaged", f"行业小类“610”疑似被Excel去掉了开头的0（应为“0610”）{FIX}"),
        ("d", "industry.format", "行业代码“11”不是有效的4位行业代码（GB/T 4754-2017 小类）"),
        ("d", "listed.codelist", "行业小类“9999”不在代码表 ind 中"),
    ]


def test_a_credit_code_saved_as_a_number_keeps_its_format_finding_with_a_hint(labor):
    data = pl.DataFrame({"credit_code": ["913101070000000000", "91310107MA1G00000X"], "town_code": ["310107005"] * 2})
    result = check(data, labor)
    assert result.findings.select("rule_id", "message").rows() == [
        ("credit_code.format", f"统一社会信用代码“913101070000000000”{INVALID}；"
                               f"疑似被Excel当作数字保存，第15位之后的数字已变成0{FIX}"),
        ("credit_code.format", f"统一社会信用代码“91310107MA1G00000X”{INVALID}"),
    ]


def test_a_valid_all_digit_code_ending_in_zeros_is_not_damaged(labor):
    valid = "913101070000022000"  # its check character happens to be 0
    result = check(pl.DataFrame({"credit_code": [valid, valid], "town_code": ["310107005"] * 2}), labor)
    assert result.findings["rule_id"].to_list() == ["credit_code.unique", "credit_code.unique"]


def test_rules_are_added_once_and_guards_keep_the_packs_own_when(write_pack):
    pack = load_pack(write_pack("""
        pack: w
        key: [c]
        fields:
          c: {label: 代码, format: uscc}
          active: {type: int}
        rules:
          - {id: c.format, when: active = 1}
        """))
    derived = with_read_checks(pack)
    assert with_read_checks(pack) is derived and with_read_checks(derived) is derived
    assert [r.id for r in derived.rules] == ["c.excel_damaged", "c.format", "active.type"]
    assert derived.rule("c.format").when is not None
    assert derived.rule("c.format").when.text.endswith("AND (active = 1)")
    data = pl.DataFrame({"c": ["bad", "bad", "9.1E+17"], "active": ["1", "0", "1"]})
    assert check(data, pack).findings.select("rule_id", "row").rows() == [
        ("c.format", 0), ("c.excel_damaged", 2)]


def test_fields_that_are_not_codes_get_no_rule(labor):
    assert damage_for(labor, "name") is None and damage_for(labor, "wages") is None
    assert damage_for(labor, "period") is None  # format period: Excel keeps 202412 intact
    assert {r.id for r in with_read_checks(labor).rules} - {r.id for r in labor.rules} == {
        "credit_code.excel_damaged", "town_code.excel_damaged"}


def test_unit_101_industry_code_typed_as_a_number_in_excel(xlsx):
    pack = load_pack("unit-101")
    example = {k: v for k, v in pack.tests[0].rows[0].items() if v is not None}
    fields = list(example)
    record = [str(example[f]) for f in fields]
    record[fields.index("industry_code")] = 111  # a General cell: Excel keeps the number 111
    path = xlsx({"101表": {"rows": [["2024年 调查单位基本情况"], [pack.label(f) for f in fields], record]}})
    result = check(path, pack)
    found = result.findings.filter(pl.col("rule_id").str.contains("industry|101-05"))
    assert found.select("rule_id", "source_row", "message").rows() == [
        ("industry_code.excel_damaged", 3, f"行业代码“111”疑似被Excel去掉了开头的0（应为“0111”）{FIX}"),
    ]
    rule = result.rules.filter(pl.col("rule_id") == "101-05").select("fails", "na").row(0)
    assert rule == (0, 1)


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_credit_codes_stored_as_number_cells_are_named(tmp_path, labor, kind):
    """A credit code typed into a General cell is a number cell: 15 significant digits kept.
    Every such code is the named finding (one in 31 would pass the check character),
    a 9-digit 街镇 code stored as a number is intact, and text codes stay text."""
    from tests.io.conftest import write_ods, write_xls, write_xlsx

    writer = {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}[kind]
    rows = [HEADER, [9.13101e17, 310107005, 3], [9.13101070000001e17, "310107005", 3],
            [9.13101063015123e17, 310107005, 3],  # 913101063015122944 passes the check character
            ["91310107MA1G00000Q", 310107005, 3]]
    path = writer(tmp_path / f"sci.{kind}", {"102表": {"rows": rows}})
    result = check(path, labor)
    damaged = f"疑似被Excel科学计数法损坏{FIX}"
    assert result.findings.select("rule_id", "source_row", "message").rows() == [
        ("credit_code.excel_damaged", 2, f"统一社会信用代码“9.13101E+17”{damaged}"),
        ("credit_code.excel_damaged", 3, f"统一社会信用代码“9.13101070000001E+17”{damaged}"),
        ("credit_code.excel_damaged", 4, f"统一社会信用代码“9.13101063015123E+17”{damaged}"),
    ]


def test_float_codes_from_parquet_and_csv_are_named(tmp_path, labor):
    frame = pl.DataFrame({"credit_code": [913101063015122944.0, 913101070000000000.0],
                          "town_code": ["310107005"] * 2})
    frame.write_parquet(tmp_path / "p.parquet")
    (tmp_path / "p.csv").write_text("credit_code,town_code\n913101063015122944.0,310107005\n"
                                    "9.1310107e+17,310107005\n", encoding="utf-8")
    for name in ("p.parquet", "p.csv"):
        result = check(tmp_path / name, labor)
        assert result.findings["rule_id"].to_list() == ["credit_code.excel_damaged"] * 2, name
        assert "9.13101063015123E+17" in result.findings["message"][0]
