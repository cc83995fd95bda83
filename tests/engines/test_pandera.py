"""The pack as a pandera schema: same failure counts as source_check, vectorised checks."""

from __future__ import annotations

import subprocess
import sys

import pandera.polars as pa
import polars as pl
import pytest

from source_check import check, load_pack, load_pack_text
from source_check.engines.pandera import failure_counts, failure_table, prepare, to_schema

NULLS_PACK = """\
pack: nulls
key: [id]
fields:
  id: {label: 代码, required: true, unique: true}
  a: {label: 甲, type: int, min: 0, max: 100}
  b: {label: 乙, type: int}
  c: {label: 丙, type: float}
  code: {label: 代码, pattern: "[0-9]{3}"}
rules:
  - {id: R1, check: a <= b}
  - {id: R2, when: b > 0, check: c / b < 2}
  - {id: R3, check: "coalesce(c, 0) >= 0"}
  - {id: B1, balance: {total: c, parts: [a, b], tolerance: 0.5}}
history:
  - {id: H1, when: prev(a) > 0, check: a >= prev(a)}
"""


@pytest.fixture(scope="module")
def nulls_pack():
    return load_pack_text(NULLS_PACK)


def nulls_frame() -> pl.DataFrame:
    return pl.DataFrame({
        "id": ["u1", "u2", "u3", "u3", None, "u6", None],
        "a": ["1", "5", None, "-3", "200", "—", "7"],
        "b": [2, 3, 4, None, 0, 1, 9],
        "c": [3.0, None, -1.0, 8.0, 0.0, 5.0, 16.0],
        "code": ["123", "12", None, "1234", "999", "abc", "000"],
    })


def test_counts_equal_source_check_with_nulls(nulls_pack, fails_by_rule):
    raw = nulls_frame()
    expected = fails_by_rule(check(raw, nulls_pack))
    assert failure_counts(to_schema(nulls_pack), prepare(nulls_pack, raw)) == expected
    # every kind of rule is exercised here, nulls included
    assert {"id.required", "id.unique", "a.min", "a.max", "code.pattern", "R1", "R2", "R3", "B1"} <= set(expected)


def test_not_applicable_is_a_pass(nulls_pack):
    result = check(nulls_frame(), nulls_pack)
    na = dict(result.rules.select("rule_id", "na").iter_rows())
    assert na["R1"] > 0 and na["R2"] > 0  # rows pandera must count as passes, not failures
    table = failure_table(to_schema(nulls_pack), prepare(nulls_pack, nulls_frame()))
    r1_rows = sorted(table.filter(pl.col("rule_id") == "R1")["index"].to_list())
    findings_rows = sorted(result.findings.filter(pl.col("rule_id") == "R1")["row"].to_list())
    assert r1_rows == findings_rows


def test_counts_equal_on_generated_bench_data(bench_pack, bench_data, fails_by_rule):
    expected = fails_by_rule(check(bench_data, bench_pack))
    assert len(expected) >= 30
    assert failure_counts(to_schema(bench_pack), prepare(bench_pack, bench_data)) == expected


def test_counts_equal_on_labor_102(bench_data, fails_by_rule):
    pack = load_pack("labor-102")
    data = bench_data.select("credit_code", "town_code", "period", "emp_end", "emp_female", "emp_dispatch",
                             "emp_avg", "wages")
    assert failure_counts(to_schema(pack), prepare(pack, data)) == fails_by_rule(check(data, pack))


def test_schema_shape(bench_pack):
    schema = to_schema(bench_pack)
    assert isinstance(schema, pa.DataFrameSchema)
    assert schema.name == "bench-102-103"
    credit = schema.columns["credit_code"]
    assert credit.nullable is False and credit.required is True
    assert {c.name for c in credit.checks} == {"credit_code.format", "credit_code.unique"}
    assert schema.columns["phone"].nullable is True
    emp = schema.columns["emp_end"]
    assert str(emp.dtype) == "Int64"
    assert [c.name for c in emp.checks] == ["emp_end.min"]
    # row rules are dataframe-level checks named by rule id, never element-wise
    names = [c.name for c in schema.checks]
    assert names[:3] == ["102-01", "102-02", "102-03"] and "F103-01" in names
    assert not any(c.element_wise for c in schema.checks)
    meta = schema.metadata["source_check"]
    assert meta["levels"]["102-04"] == "warning" and meta["levels"]["102-01"] == "error"
    assert [rule_id for rule_id, _ in meta["skipped"]] == [r.id for r in bench_pack.history]
    assert {"H102-01", "H102-02", "H102-03"} <= {rule_id for rule_id, _ in meta["skipped"]}
    assert all("上期" in reason for _, reason in meta["skipped"])


def test_builtin_checks_where_natural(nulls_pack):
    schema = to_schema(nulls_pack)
    a = {c.name: c for c in schema.columns["a"].checks}
    assert a["a.min"].statistics == {"min_value": 0.0}
    assert a["a.max"].statistics == {"max_value": 100.0}
    assert "pattern" in schema.columns["code"].checks[0].statistics


def test_failure_cases_capped(bench_pack, bench_data, fails_by_rule):
    capped = failure_table(to_schema(bench_pack, n_failure_cases=3), prepare(bench_pack, bench_data))
    per_rule = capped.group_by("rule_id").len()
    # pandera caps Check failure cases only; nullable=False reports every null
    assert per_rule.filter(~pl.col("rule_id").str.ends_with(".required"))["len"].max() <= 3
    assert per_rule.height == len(fails_by_rule(check(bench_data, bench_pack)))


def test_valid_data_gives_empty_table(nulls_pack):
    ok = prepare(nulls_pack, pl.DataFrame({"id": ["x"], "a": [1], "b": [2], "c": [3.0], "code": ["123"]}))
    assert failure_table(to_schema(nulls_pack), ok).is_empty()
    assert failure_counts(to_schema(nulls_pack), ok) == {}


def test_prepare_adds_missing_fields_and_types_text(nulls_pack):
    typed = prepare(nulls_pack, pl.DataFrame({"id": ["x"], "a": [" 12 "], "extra": [1]}))
    assert typed.schema["a"] == pl.Int64 and typed["a"].to_list() == [12]
    assert typed["c"].to_list() == [None] and "extra" in typed.columns


def test_coerce_lets_pandera_cast(nulls_pack, fails_by_rule):
    frame = pl.DataFrame({"id": ["x", "y"], "a": [1, 2], "b": [2, 1], "c": [3, 3], "code": ["123", "456"]},
                         schema_overrides={"a": pl.Int32, "b": pl.Int16, "c": pl.Int64})
    with pytest.raises(pa.errors.SchemaErrors):
        to_schema(nulls_pack).validate(frame, lazy=True)
    assert failure_counts(to_schema(nulls_pack, coerce=True), frame) == fails_by_rule(check(frame, nulls_pack))


def test_wrong_dtype_is_the_type_rule(nulls_pack):
    frame = pl.DataFrame({"id": ["x"], "a": ["1"], "b": [2], "c": [3.0], "code": ["123"]})
    counts = failure_counts(to_schema(nulls_pack), frame)
    assert counts["a.type"] == 1  # one dtype failure for the column (the other checks on it then error)
    assert check(frame, nulls_pack).rules.filter(pl.col("rule_id") == "a.type")["fails"].item() == 0


def test_importing_source_check_does_not_import_great_expectations():
    code = "import sys, source_check, source_check.engines.pandera; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
