"""Hypothesis strategies for users' own pipelines: valid submissions and single-rule violations."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

from source_check import PackError, check, load_pack
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
    from source_check.synth.violations import violation_pool

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
