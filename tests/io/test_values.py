"""Value clean-up and skipped rows, table-driven."""

from __future__ import annotations

import polars as pl
import pytest

from source_check.io.values import clean_code, clean_date, clean_number, clean_text, skip_reason
from source_check.pack.model import DEFAULT_NA_VALUES

NA = DEFAULT_NA_VALUES


def run(expr_of, values):
    return pl.DataFrame({"x": values}, schema={"x": pl.String}).select(expr_of(pl.col("x"))).to_series().to_list()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("1,234", "1234"),
        ("１，２３４．５", "1234.5"),  # full-width digits and punctuation
        ("1 234 567", "1234567"),  # space between groups of three
        ("1\u00a0234", "1234"),  # no-break space
        ("12 34", "12 34"),  # separators only between groups of three: kept, the type rule names it
        ("1,5", "1,5"),
        ("1.234,56", "1.234,56"),
        ("1,234,56", "1,234,56"),
        ("12,345.5", "12345.5"),
        ("1'234", "1234"),
        ("12 人", "12 人"),  # kept as read (not 12人)
        ("１２ａ", "１２ａ"),
        ("TRUE", "TRUE"),
        ("'123", "123"),  # Excel's text mark
        ("−12", "-12"),  # Unicode minus
        ("\u200b 42 \u3000", "42"),  # zero-width and ideographic spaces
        ("  ", None),
        ("—", None),  # na_values
        ("－", None),
        ("无", None),
        ("N/A", None),
        ("#N/A", None),
        ("十", "十"),  # not a number: kept, the <field>.type rule cites it
        (None, None),
    ],
)
def test_clean_number(raw, clean):
    assert run(lambda x: clean_number(x, NA), [raw]) == [clean]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("９１３１０１０７ＭＡ１Ｇ００００Ｑ", "91310107MA1G0000Q"),
        ("310107005.0", "310107005"),
        ("310107005.5", "310107005.5"),
        ("1.00", "1"),
        (" 0111 ", "0111"),
        ("9.13101E+17", "9.13101E+17"),  # kept as read: the excel_damaged rule names it
        ("/", None),
    ],
)
def test_clean_code(raw, clean):
    assert run(lambda x: clean_code(x, NA), [raw]) == [clean]


def test_clean_text_keeps_full_width_punctuation_of_names():
    out = run(lambda x: clean_text(x, NA), [" 上海（集团）有限公司\u200b ", "空", ""])
    assert out == ["上海（集团）有限公司", None, None]


def test_clean_date_turns_excel_serials_into_dates():
    values = ["45293", "45293.0", "２０２４－０１－０２", "2024/1/2", "12345"]
    assert run(lambda x: clean_date(x, NA, excel=True), values) == [
        "2024-01-02", "2024-01-02", "2024-01-02", "2024/1/2", "12345"]
    assert run(lambda x: clean_date(x, NA), ["45293"]) == ["45293"]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ([None, None, None], "blank"),
        (["  ", "\u200b", ""], "blank"),
        (["合计", None, "10"], "total"),
        ([None, "总 计", "10"], "total"),
        ([None, "其中：规上企业", "3"], "total"),
        (["填表人：张三", None, None], "note"),
        (["注：本表金额单位为千元", None, None], "note"),
        (["单位：人", None, None], "note"),
        (["91310107MA1G00000Q", "合计科技有限公司", "3"], None),  # a key: a unit, whatever its name
        ([None, "上海甲公司", "3"], None),  # no key, but no marker either: a record (required rules report it)
    ],
)
def test_skip_reason(row, reason):
    df = pl.DataFrame([row], schema={"k": pl.String, "n": pl.String, "v": pl.String}, orient="row")
    cells = [pl.col(c) for c in df.columns]
    assert df.select(skip_reason(cells, [pl.col("k")])).item() == reason


def test_skip_reason_without_key_uses_the_first_cell():
    df = pl.DataFrame({"a": ["合计", "甲", None], "b": ["1", "合计", "说明：无"]})
    out = df.select(skip_reason([pl.col("a"), pl.col("b")], [])).to_series().to_list()
    assert out == ["total", None, "note"]


def test_skip_reason_reads_typed_cells_without_making_them_text():
    """Numbers from parquet are empty when null and never a 合计 marker; the result is as for text."""
    typed = pl.DataFrame({"v": [10.0, None, 3.0, None], "k": [None, None, "91310107MA1G00000Q", None],
                          "n": ["合计", None, "甲", "说明：无"]})
    text = typed.with_columns(pl.col("v").cast(pl.String))
    cells = [pl.col(c) for c in typed.columns]
    results = {}
    for name, keys in (("key", [pl.col("k")]), ("no key", [])):
        got = typed.select(skip_reason(cells, keys, [False, True, True], [True] * len(keys))).to_series().to_list()
        assert got == text.select(skip_reason(cells, keys)).to_series().to_list()
        results[name] = got
    assert results["key"] == ["total", "blank", None, "note"]
    assert results["no key"] == [None, "blank", None, "note"]  # the first non-empty cell, 10, is no marker


def test_malformed_separators_and_booleans_are_type_findings_quoting_the_text_as_read(tmp_path, labor):
    """Separators are removed only between groups of three digits; anything else is a
    ``<field>.type`` finding that quotes the cell as read. A TRUE cell is not 1."""
    from tests.io.conftest import write_xlsx

    from source_check import check

    header = ["统一社会信用代码", "街镇代码", "从业人员期末人数", "从业人员工资总额"]
    rows = [header, ["91310107MA1G00000Q", "310107005", "1,5", "1,234.5"],
            ["91310107MA1G00001U", "310107005", "12 人", "1.234,56"],
            ["91310107MA1G00000Q", "310107005", True, "１２ａ"]]
    result = check(write_xlsx(tmp_path / "v.xlsx", {"s": {"rows": rows}}), labor)
    found = result.findings.filter(pl.col("rule_id").str.ends_with(".type"))
    assert found.select("source_row", "message").rows() == [
        (2, "从业人员期末人数的值不是有效的整数：“1,5”"),
        (3, "从业人员期末人数的值不是有效的整数：“12 人”"),
        (3, "从业人员工资总额的值不是有效的数值：“1.234,56”"),
        (4, "从业人员期末人数的值不是有效的整数：“TRUE”"),
        (4, "从业人员工资总额的值不是有效的数值：“１２ａ”"),
    ]
    # in memory, the engine types text the same way
    frame = pl.DataFrame({"credit_code": ["91310107MA1G00000Q"] * 2, "town_code": ["310107005"] * 2,
                          "emp_end": ["1,234", "1,5"]})
    assert check(frame, labor).findings.filter(pl.col("rule_id") == "emp_end.type")["row"].to_list() == [1]


def test_a_float_code_column_with_nan_or_inf_reads_as_empty():
    from source_check.io.values import number_as_code

    got = pl.DataFrame({"x": [310107005.0, float("nan"), float("inf"), None]}).select(number_as_code(pl.col("x")))
    assert got.to_series().to_list() == ["310107005", None, None, None]
