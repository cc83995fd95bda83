"""The pack as a Great Expectations suite: expressible rules agree with source_check, the rest listed."""

from __future__ import annotations

import polars as pl
import pytest

from source_check import check, load_pack

gx = pytest.importorskip("great_expectations", reason="需要可选依赖 source-check[gx]（great-expectations）")

from source_check.engines.gx import GxSuite, run_suite, to_pandas, to_suite  # noqa: E402

PACK = """\
pack: gx
key: [id]
params: {limit: 100}
codelists:
  towns: {file: towns.csv, key: code}
fields:
  id: {label: 代码, required: true, unique: true}
  town: {label: 街镇, codelist: towns}
  a: {label: 甲, type: int, min: 0}
  b: {label: 乙, type: int, max: 1000}
  c: {label: 丙, type: float}
  tel: {label: 电话, format: mobile}
  code: {label: 编码, pattern: "[0-9]{3}"}
rules:
  - {id: P1, check: a <= b}
  - {id: P2, check: b > a}
  - {id: P3, check: a = b}
  - {id: C1, check: a < limit}
  - {id: C2, check: 10 >= a}
  - {id: C3, when: b > 0 and c >= 1, check: c BETWEEN 1 AND 50}
  - {id: C4, check: "code IN ('123', '456')"}
  - {id: C5, check: "NOT town IN ('310107005')"}
  - {id: C6, when: a > 0, check: c IS NOT NULL}
  - {id: C7, check: "regexp_like(code, '^1')"}
  - {id: C8, check: "in_codelist(town, 'towns')"}
  - {id: C9, check: a != 3}
  - {id: C10, when: "c IS NOT NULL AND b >= 1", check: a >= 5}
  - {id: X1, check: a * 2 <= b}
  - {id: X2, check: a <= b OR c > 0}
  - {id: X3, check: "uscc_valid(id)"}
  - {id: X4, when: a > b, check: c > 0}
  - {id: B1, balance: {total: c, parts: [a, b], tolerance: 1}}
history:
  - {id: H1, when: prev(a) > 0, check: a >= prev(a)}
"""


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    d = tmp_path_factory.mktemp("gx")
    (d / "towns.csv").write_text("code\n310107005\n310107014\n", encoding="utf-8")
    (d / "pack.yaml").write_text(PACK, encoding="utf-8")
    return load_pack(d / "pack.yaml")


def frame() -> pl.DataFrame:
    return pl.DataFrame({
        "id": ["u1", "u2", "u3", "u3", None, "u6", "u7", "u8"],
        "town": ["310107005", "310107014", "310106013", None, "310107014", "310107005", None, "x"],
        "a": [1, 5, None, -3, 200, 3, 7, 10],
        "b": [2, 3, 4, None, 0, 1, 9, 2000],
        "c": [3.0, None, -1.0, 8.0, 0.0, 60.0, 16.0, 2.0],
        "tel": ["13912345678", "1391234567", None, "02112345678", "15800000000", None, "19900000000", "x"],
        "code": ["123", "12", None, "1234", "999", "abc", "456", "123"],
    })


def fails(result) -> dict[str, int]:
    return dict(result.rules.filter(pl.col("kind") != "detector").select("rule_id", "fails").iter_rows())


def test_expressible_rules_and_unsupported_reasons(pack):
    gs = to_suite(pack)
    assert isinstance(gs, GxSuite)
    expressible = {"id.required", "id.unique", "town.codelist", "a.min", "b.max", "tel.format", "code.pattern",
                   "P1", "P2", "P3", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10"}
    assert set(gs.rules) == expressible
    unsupported = dict(gs.unsupported)
    assert set(unsupported) == {"a.type", "b.type", "c.type", "X1", "X2", "X3", "X4", "B1", "H1"}
    # nothing dropped silently: every rule is either in the suite or listed, once
    assert sorted([*gs.rules, *unsupported]) == sorted(r.id for r in pack.all_rules)
    assert "平衡" in unsupported["B1"] and "上期" in unsupported["H1"] and "AND/OR" in unsupported["X2"]
    assert "when" in unsupported["X4"]
    assert gs.suite.meta["source_check"]["unsupported"][0][0] == "a.type"
    assert gs.rules["P1"] == "expect_column_pair_values_a_to_be_greater_than_b"
    assert gs.rules["C3"] == "expect_column_values_to_be_between"


def test_expectation_meta_and_severity(pack):
    by_rule = {e.meta["rule_id"]: e for e in to_suite(pack).suite.expectations}
    assert by_rule["P1"].meta["level"] == "error" and str(by_rule["P1"].severity.value) == "critical"
    assert by_rule["C3"].row_condition is not None


def test_counts_agree_with_source_check(pack):
    gs = to_suite(pack)
    counts = run_suite(gs, to_pandas(pack, frame()))
    expected = fails(check(frame(), pack))
    got = dict(counts.select("rule_id", "unexpected_count").iter_rows())
    assert got == {rule_id: expected[rule_id] for rule_id in gs.rules}
    assert sum(got.values()) > 10


def test_gx_default_counts_a_null_in_a_pair_as_failure(pack):
    """GX's default ignore_row_if counts a one-sided null as unexpected; source_check says not applicable."""
    data = frame()
    gx_default = dict(run_suite(to_suite(pack, pair_nulls="gx"), to_pandas(pack, data))
                      .select("rule_id", "unexpected_count").iter_rows())
    ours = fails(check(data, pack))
    one_null = data.select((pl.col("a").is_null() ^ pl.col("b").is_null()).sum()).item()
    assert one_null == 2
    for rule_id in ("P1", "P2", "P3"):
        assert gx_default[rule_id] == ours[rule_id] + one_null
    assert gx_default["C1"] == ours["C1"]  # single-column expectations count nulls as missing either way


def test_counts_agree_on_generated_bench_data(bench_pack, bench_data, fails_by_rule):
    gs = to_suite(bench_pack)
    assert len(gs.rules) >= 40
    got = dict(run_suite(gs, bench_data).select("rule_id", "unexpected_count").iter_rows())
    expected = fails(check(bench_data, bench_pack))
    assert got == {rule_id: expected[rule_id] for rule_id in gs.rules}


def test_labor_102_unsupported_listed():
    pack = load_pack("labor-102")
    gs = to_suite(pack)
    unsupported = dict(gs.unsupported)
    assert {"102-01", "102-02", "credit_code.required", "town_code.codelist"} <= set(gs.rules)
    assert {"102-03", "102-04", "102-05", "102-06", "credit_code.format", "H102-01"} <= set(unsupported)
    assert "校验位" in unsupported["credit_code.format"]
