"""Hypothesis strategies for users' own pipelines: valid submissions and single-rule violations."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

from source_check import PackError, check, load_pack
from source_check.pack.loader import pack_files, shipped_rules_dir
from source_check.synth.violations import violation_pool
from source_check.testing import rule_violations, valid_submissions

LABOR = load_pack("labor-102")
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(valid_submissions(LABOR, min_units=2, max_units=40))
def test_valid_submissions_pass_the_pack(sub):
    assert 2 <= sub.units <= 40
    result = check(sub.data, LABOR, previous=sub.previous)
    rules = result.rules.filter(pl.col("kind") != "detector")  # detectors judge a population, not a unit
    assert rules["fails"].sum() == 0, rules.filter(pl.col("fails") > 0)
    assert not rules["skipped"].any()  # previous data came along, so history rules ran


@SLOW
@given(rule_violations(LABOR))
def test_each_violation_breaks_exactly_its_rule(v):
    result = check(v.data, LABOR, previous=v.previous)
    rules = {r.id for r in LABOR.all_rules}  # a pack's detectors may flag the unit too
    assert set(result.findings["rule_id"]) & rules == {v.rule_id}, v.mutation


def _pack_or_skip(name: str):
    try:
        return load_pack(name)
    except PackError:
        pytest.skip(f"pack {name} is not shipped yet")


@pytest.mark.parametrize("name", ["common-base", "labor-102"])
def test_violation_pool_examples_fail_alone(name):
    pack = _pack_or_skip(name)
    pool = violation_pool(pack)
    assert pool, name
    rule_ids = {r.id for r in pack.all_rules}
    assert set(pool) <= rule_ids
    for rid, examples in pool.items():
        v = examples[0]
        found = check(v.data, pack, previous=v.previous).findings
        assert set(found.filter(pl.col("rule_id").is_in(sorted(rule_ids)))["rule_id"]) == {rid}, v.mutation


def test_common_base_rules_are_all_violable():
    pack = load_pack("common-base")
    strategy = rule_violations(pack, ["credit_code.unique", "town_code.codelist"])
    assert strategy is not None
    with pytest.raises(ValueError, match="无法单独违反"):
        rule_violations(pack, ["no-such-rule"])


SHIPPED = pack_files(shipped_rules_dir())


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_rule_violations_for_every_shipped_pack(path):
    """Multi-form packs included: their forms are left-joined as the engine does (no unit
    reports B204-1, E204 and S103 together)."""
    pack = load_pack(path)
    rule_violations(pack)  # builds the pool; raises if no rule can be broken alone
    pool = violation_pool(pack)
    rule_ids = {r.id for r in pack.all_rules}
    for rid in sorted(pool)[:3]:
        v = pool[rid][0]
        found = check(v.data, pack, previous=v.previous).findings
        assert set(found.filter(pl.col("rule_id").is_in(sorted(rule_ids)))["rule_id"]) == {rid}, v.mutation


def test_cross_form_industry_breaks_each_form_rule():
    """The generator's B204-1 units all report B103 (E204: E103), so a wrong 行业代码 breaks
    101-06a alone only on a unit left out of B103, and 101-06e only on one left out of B204."""
    pool = violation_pool(load_pack("cross-form-industry"))
    assert {"101-06a", "101-06b", "101-06c", "101-06d", "101-06e", "101-06f"} <= set(pool)
    v = pool["101-06a"][0]
    assert set(v.data) == {"101", "B204", "E204", "S103", "B103", "C103", "E103"}
    assert v.data["B204"].height == 1  # the unit reports 101 and B204-1 only
    assert all(v.data[f].is_empty() for f in ("E204", "S103", "B103", "C103", "E103"))
    v = pool["101-06e"][0]
    assert v.data["B103"].height == 1 and v.data["B204"].is_empty()
    assert "b103_revenue" in v.data["B103"].columns  # the generator's 营业收入, under the pack's id


def test_cross_unit_finance_breaks_101_10():
    """营业状态 is always 1 in generated data: the codes 101-10's condition names are tried."""
    pool = violation_pool(load_pack("cross-unit-finance"))
    assert set(pool) == {"101-10"}
    v = pool["101-10"][0]
    assert v.data["101"]["op_status"].item() in {"2", "4", "5", "6", "7"}
    assert float(v.data["103"]["revenue"].item()) > 0


@pytest.mark.parametrize("name, rules", [
    # revenue.type is not here: 营业收入 is required, and a value that is not a number is
    # null to revenue.required too, so no record breaks revenue.type alone
    ("finance-b103", ["103-08", "103-10", "total_liabilities.type", "selling_exp.type"]),
    ("finance-103", ["103-08"]),
    ("labor-102", ["102-05"]),
])
def test_rebalanced_and_level_mutations_break_ratio_and_type_rules_alone(name, rules):
    """A debt ratio over 100% with 资产=负债+权益 kept, a figure typed as text with its balance
    kept, an average wage far above the cap in both periods: one rule each."""
    pack = load_pack(name)
    rule_violations(pack, rules)  # no ValueError
    pool = violation_pool(pack)
    rule_ids = sorted({r.id for r in pack.all_rules})
    for rid in rules:
        for v in pool[rid]:
            found = check(v.data, pack, previous=v.previous).findings
            assert set(found.filter(pl.col("rule_id").is_in(rule_ids))["rule_id"]) == {rid}, v.mutation
