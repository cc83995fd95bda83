"""Hypothesis properties of the engine over the shipped labor-102 pack."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from source_check import check, load_pack
from source_check.testing import field_rows, uscc_codes

PACK = load_pack("labor-102")
TOWNS = list(PACK.codelists["towns"].codes)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(field_rows(PACK, max_size=15))
def test_rows_inside_field_constraints_pass_field_rules(rows):
    result = check(pl.DataFrame(rows, schema_overrides={"period": pl.String}), PACK)
    field_rules = result.rules.filter(pl.col("kind") == "field")
    assert field_rules["fails"].sum() == 0, result.findings


@st.composite
def valid_units(draw):
    """A 102 record that satisfies every rule of the pack."""
    emp_avg = draw(st.integers(1, 5000))
    emp_end = draw(st.integers(max(1, (emp_avg + 1) // 2), emp_avg * 2))
    monthly = draw(st.integers(3000, 50000))  # 元 per person per month, inside both bounds
    return {
        "credit_code": draw(uscc_codes()),
        "town_code": draw(st.sampled_from(TOWNS)),
        "period": "202412",
        "emp_end": emp_end,
        "emp_female": draw(st.integers(0, emp_end)),
        "emp_dispatch": draw(st.integers(0, emp_end)),
        "emp_avg": emp_avg,
        "wages": round(monthly * emp_avg * 12 / 1000, 1),
    }


def _break_102_01(u, k):
    return {**u, "emp_female": u["emp_end"] + k}


def _break_102_02(u, k):
    return {**u, "emp_dispatch": u["emp_end"] + k}


def _break_102_03(u, k):
    return {**u, "wages": 0.0}


def _break_102_04(u, k):
    return {**u, "wages": round(u["emp_avg"] * 12 * 2000 / 1000, 1)}


def _break_102_05(u, k):
    return {**u, "wages": round(u["emp_avg"] * 12 * 70000 / 1000, 1)}


def _break_102_06(u, k):
    return {**u, "emp_end": u["emp_avg"] * 2 + k, "emp_female": 0, "emp_dispatch": 0}


def _break_credit(u, k):
    code = u["credit_code"]
    bad = "0" if code[-1] != "0" else "1"
    return {**u, "credit_code": code[:-1] + bad}


def _break_town(u, k):
    return {**u, "town_code": "310106013"}


def _break_min(u, k):
    return {**u, "emp_dispatch": -k}


MUTATIONS = {
    "102-01": _break_102_01,
    "102-02": _break_102_02,
    "102-03": _break_102_03,
    "102-04": _break_102_04,
    "102-05": _break_102_05,
    "102-06": _break_102_06,
    "credit_code.format": _break_credit,
    "town_code.codelist": _break_town,
    "emp_dispatch.min": _break_min,
}


@SETTINGS
@given(valid_units())
def test_valid_units_pass_every_rule(unit):
    result = check(pl.DataFrame([unit]), PACK)
    assert result.findings.is_empty(), result.findings["message"].to_list()


@SETTINGS
@given(valid_units(), st.sampled_from(sorted(MUTATIONS)), st.integers(1, 100))
def test_a_mutation_is_reported_by_exactly_its_rule(unit, rule_id, k):
    broken = MUTATIONS[rule_id](unit, k)
    result = check(pl.DataFrame([broken]), PACK)
    assert result.findings["rule_id"].to_list() == [rule_id], result.findings["message"].to_list()
