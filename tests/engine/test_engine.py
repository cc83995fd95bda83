"""The fused polars engine: null semantics, balances, history, caps, determinism, one scan."""

from __future__ import annotations

import json

import polars as pl
import pytest

from source_check import InputError, check, load_pack_text
from source_check.engine.polars_engine import build_plan

PACK = """\
pack: t
key: [k]
group: g
fields:
  k: {label: 代码, required: true}
  g: {label: 街镇}
  total: {label: 合计, type: float}
  p1: {label: 甲, type: float}
  p2: {label: 乙, type: float}
  p3: {label: 丙, type: float}
rules:
  - id: R1
    level: error
    check: p1 <= total
    message: "甲{p1}大于合计{total}"
  - id: W1
    level: warning
    when: total > 0
    check: p2 / total < 0.5
  - id: B1
    level: error
    balance: {total: total, parts: [p1, p2, -p3], tolerance: 1}
  - id: B2
    level: info
    balance: {total: total, parts: [p1, p2, -p3], tolerance: 1, null_as_zero: true}
  - id: C1
    level: info
    check: coalesce(p3, 0) >= 0
history:
  - id: H1
    level: warning
    when: prev(total) > 0
    check: total / prev(total) < 2
    message: "合计{total}，上期{prev(total)}"
"""


@pytest.fixture(scope="module")
def pack():
    return load_pack_text(PACK)


def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "k": ["a", "b", "c", "d", None],
            "g": ["x", "x", "y", "y", "y"],
            "total": [10.0, 10.0, None, 0.0, 5.0],
            "p1": [4.0, 12.0, 1.0, 0.0, 1.0],
            "p2": [6.0, 2.0, 1.0, 0.0, 1.0],
            "p3": [0.0, 4.0, None, 0.0, None],
        }
    )


def counts(result, rule_id):
    row = result.rules.filter(pl.col("rule_id") == rule_id).row(0, named=True)
    return row["passes"], row["fails"], row["na"]


def test_null_inputs_are_not_applicable(pack):
    result = check(frame(), pack)
    assert counts(result, "R1") == (3, 1, 1)  # row c: total null → na
    # W1: when total > 0 false for d (0) and null for c → na; a: 0.6 fails
    assert counts(result, "W1") == (2, 1, 2)
    # B1 strict: c (total null) and e (p3 null) are n/a
    assert counts(result, "B1") == (3, 0, 2)
    # B2 null_as_zero: e has total 5, parts 1+1-0 = 2 → imbalance 3 fails; c still n/a (total null)
    assert counts(result, "B2") == (3, 1, 1)
    # coalesce makes p3's null harmless
    assert counts(result, "C1") == (5, 0, 0)
    assert counts(result, "k.required") == (4, 1, 0)
    for row in result.rules.iter_rows(named=True):
        if not row["skipped"]:
            assert row["passes"] + row["fails"] + row["na"] == row["items"] == 5


def test_balance_findings_carry_the_signed_imbalance(pack):
    result = check(frame(), pack)
    b2 = result.findings.filter(pl.col("rule_id") == "B2")
    assert b2["imbalance"].to_list() == [3.0]
    assert "差额 3" in b2["message"][0]


def test_findings_have_key_group_message_and_values(pack):
    result = check(frame(), pack)
    r1 = result.findings.filter(pl.col("rule_id") == "R1").row(0, named=True)
    assert r1["row"] == 1 and r1["k"] == "b" and r1["group"] == "x"
    assert r1["level"] == "error" and r1["dimension"] == "consistency"
    assert r1["message"] == "甲12大于合计10"
    assert json.loads(r1["values"]) == {"p1": 12.0, "total": 10.0}
    assert r1["fields"] == ["p1", "total"]
    assert not result.ok


def test_default_message_names_fields_in_chinese(pack):
    result = check(frame(), pack)
    w1 = result.findings.filter(pl.col("rule_id") == "W1")["message"][0]
    assert w1 == "不符合“W1”：乙为6，合计为10"


def test_history_rules_are_skipped_without_previous(pack):
    result = check(frame(), pack)
    assert [s.rule_id for s in result.skipped] == ["H1"]
    assert result.rules.filter(pl.col("rule_id") == "H1")["skipped"][0] is True


def test_history_rules_join_previous_on_key(pack):
    previous = pl.DataFrame({"k": ["a", "b", "zz"], "total": [4.0, 6.0, 1.0]})
    result = check(frame(), pack, previous=previous)
    h1 = result.findings.filter(pl.col("rule_id") == "H1")
    assert h1["k"].to_list() == ["a"]
    assert h1["message"][0] == "合计10，上期4"
    assert json.loads(h1["values"][0]) == {"total": 10.0, "prev(total)": 4.0}
    assert counts(result, "H1") == (1, 1, 3)
    assert result.skipped == []


def test_previous_must_have_the_key(pack):
    with pytest.raises(InputError, match="主键"):
        check(frame(), pack, previous=pl.DataFrame({"total": [1.0]}))


def test_cap_keeps_counts_exact(pack):
    big = pl.concat([frame()] * 50)
    result = check(big, pack, max_findings_per_rule=3)
    assert counts(result, "R1")[1] == 50
    assert result.findings.filter(pl.col("rule_id") == "R1").height == 3


def test_groups_summary(pack):
    groups = check(frame(), pack).groups
    assert groups.sort("group").select("group", "units", "units_error", "units_warning").rows() == [
        ("x", 2, 1, 1),
        ("y", 3, 1, 0),
    ]


def test_deterministic(pack):
    a = check(frame(), pack).findings
    b = check(frame().lazy(), pack).findings
    assert a.equals(b)


def test_text_input_is_typed_like_a_file(pack):
    text = frame().with_columns(pl.all().cast(pl.String))
    assert check(text, pack).findings.drop("values").equals(check(frame(), pack).findings.drop("values"))


def test_pandas_input(pack):
    pytest.importorskip("pandas")
    result = check(frame().to_pandas(), pack)
    assert counts(result, "R1") == (3, 1, 1)


def test_plan_scans_the_source_once_for_the_rules(pack, tmp_path):
    path = tmp_path / "data.parquet"
    frame().write_parquet(path)
    _, _, sinks, _ = build_plan(pack, pl.scan_parquet(path), pl.scan_parquet(path).select("k", "total"))
    plan = pl.explain_all(sinks)  # counts and failing rows: the pass that evaluates the rules
    # one scan of the submission (shared by both sinks through a cache) + one of previous
    assert plan.count("Parquet SCAN") == 2, plan
    _, _, sinks, _ = build_plan(pack, pl.scan_parquet(path))
    assert pl.explain_all(sinks).count("Parquet SCAN") == 1


def test_streaming_from_parquet(pack, tmp_path):
    path = tmp_path / "data.parquet"
    pl.concat([frame()] * 1000).write_parquet(path)
    result = check(pl.scan_parquet(path), pack)
    assert result.rows == 5000 and counts(result, "R1") == (3000, 1000, 1000)


CROSS = """\
pack: x
key: [k]
forms: ["103", "102"]
fields:
  k: {required: true}
  pay: {label: 应付职工薪酬, type: float, form: "103"}
  wages: {label: 工资总额, type: float, form: "102"}
rules:
  - id: X-01
    when: wages > 0
    check: pay / wages BETWEEN 0.9 AND 1.8
tests:
  - {name: 比例正常, row: {k: a, pay: 100, wages: 100}}
  - {name: 比例过低, row: {k: a, pay: 10, wages: 100}, fails: [X-01]}
"""


def test_multi_form_pack_joins_inputs_on_key():
    from source_check import run_pack_tests

    pack = load_pack_text(CROSS)
    f103 = pl.DataFrame({"k": ["a", "b", "c"], "pay": [100.0, 10.0, 5.0], "name": ["甲", "乙", "丙"]})
    f102 = pl.DataFrame({"k": ["b", "a", "z"], "wages": [100.0, 100.0, 1.0]})
    result = check({"103": f103, "102": f102}, pack)
    assert result.findings["k"].to_list() == ["b"]
    assert counts(result, "X-01") == (1, 1, 1)  # c has no 102 record: not applicable
    assert all(o.passed for o in run_pack_tests(pack))
    with pytest.raises(InputError, match="缺少 102"):
        check({"103": f103}, pack)
    with pytest.raises(InputError, match="多张报表"):
        check(f103, pack)


def test_an_optional_form_left_out_skips_only_its_rules():
    text = CROSS.replace('forms: ["103", "102"]', 'forms: ["103", "102", "B204"]\noptional_forms: [B204]').replace(
        "rules:\n", "  output: {label: 工业总产值, type: float, form: B204}\nrules:\n"
        "  - {id: X-09, when: output > 0, check: pay > 0}\n")
    pack = load_pack_text(text)
    f103 = pl.DataFrame({"k": ["a", "b"], "pay": [100.0, 10.0]})
    f102 = pl.DataFrame({"k": ["a", "b"], "wages": [100.0, 100.0]})
    result = check({"103": f103, "102": f102}, pack)
    reason = "未提供B204表数据，涉及该表指标的规则未执行"
    assert [(s.rule_id, s.reason) for s in result.skipped] == [("output.type", reason), ("X-09", reason)]
    assert result.rules.filter(pl.col("rule_id") == "X-09")["skipped"].item() is True
    assert result.findings["k"].to_list() == ["b"]  # X-01 still runs
    given = check({"103": f103, "102": f102, "B204": pl.DataFrame({"k": ["a"], "output": [5.0]})}, pack)
    assert not given.skipped and counts(given, "X-09") == (1, 0, 1)
    with pytest.raises(InputError, match="缺少 102"):  # a form not named optional is still required
        check({"103": f103, "B204": f102}, pack)


def test_numeric_input_needs_no_raw_text_copy(pack):
    from source_check.engine.compile import PackPlan, raw_name

    plan = PackPlan(load_pack_text("pack: t\nfields: {a: {type: int}, b: {type: float}, c: {type: int}}\n"),
                    has_previous=False)
    schema = pl.Schema({"a": pl.Int64, "b": pl.Int32, "c": pl.Float64})
    names = [e.meta.output_name() for e in plan.typed_columns(schema)]
    assert raw_name("a") not in names and raw_name("b") not in names
    assert raw_name("c") in names  # a float may be non-integral: keep the raw text to cite it
    assert plan.typed_natively == {"a", "b"}
    result = check(pl.DataFrame({"a": [1, None], "b": [2, 3], "c": [1.0, 2.5]}),
                   load_pack_text("pack: t\nfields: {a: {type: int}, b: {type: float}, c: {type: int}}\n"))
    assert counts(result, "a.type") == (1, 0, 1)
    assert counts(result, "c.type") == (1, 1, 0)


def test_uniqueness_settled_in_a_first_pass_equals_the_whole_column_test():
    """``is_unique`` through the first pass (row-wise ``is_in``) gives the statuses of ``is_duplicated``."""
    from source_check.engine.compile import status_name
    from source_check.engine.polars_engine import build_plan

    pack = load_pack_text("""
pack: u
fields: {code: {unique: true}, name: {}, n: {type: int}}
rules:
  - {id: R, check: is_unique(upper(name)) OR n > 5}
""")
    data = pl.DataFrame({
        "code": ["a", "b", "a", None, None, "c", "b", "d"],
        "name": ["x", "X", "y", None, "z", "Z", "w", "v"],
        "n": [1, 2, 3, 4, 5, 6, 7, 8],
    }).lazy()
    results = []
    for settle in (True, False):
        plan, status, _, _ = build_plan(pack, data, settle_uniqueness=settle)
        names = [status_name(i) for i in range(len(plan.active))]
        results.append(status.select(names).collect())
        if settle:
            assert set(plan.compiler.repeated) == {"code", "UPPER(name)"}
            assert plan.compiler.repeated["code"].sort().to_list() == ["a", "b"]
    assert results[0].equals(results[1])
    by_id = dict(zip([r.id for r in plan.active], results[0].columns, strict=True))
    assert results[0][by_id["code.unique"]].to_list() == [False, False, False, None, None, True, False, True]
    assert results[0][by_id["R"]].to_list() == [False, False, True, None, False, True, True, True]
