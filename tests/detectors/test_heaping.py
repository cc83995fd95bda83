"""heaping: a 街镇 with invented round numbers stands out against the others; last digits."""

from __future__ import annotations

import json
import math
import random

import polars as pl
import pytest
from dhelp import assert_parameter_error, assert_same_output, frame, run, shuffled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from source_check import check, load_pack_text

PACK_TEXT = """\
pack: hp
key: [k]
group: g
fields:
  k: {}
  g: {}
  wages: {label: 工资总额, type: float, unit: 千元}
detectors:
  - {id: D-heap, kind: heaping, fields: [wages]}
"""
PACK = load_pack_text(PACK_TEXT)

RNG = random.Random(7)
SMOOTH = [float(RNG.randint(1_000, 99_999)) for _ in range(600)]
# 街镇 b: 60 of 150 values are invented multiples of 100
ROUND = [float(RNG.randint(10, 999) * 100) for _ in range(60)] + [float(RNG.randint(1_000, 99_999)) for _ in range(90)]


def _df(groups: dict[str, list[float]]) -> pl.DataFrame:
    wages = [v for vs in groups.values() for v in vs]
    g = [name for name, vs in groups.items() for _ in vs]
    return frame({"k": [str(i) for i in range(len(wages))], "g": g, "wages": wages}, group="g")


def _binomial_tail(k: int, n: int, p: float) -> float:
    return 1 - sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k))


def test_round_numbers_against_the_other_groups():
    out = run("heaping", PACK, _df({"a": SMOOTH, "b": ROUND}), fields=["wages"], last_digit=False)
    rows = {(r["group"], r["statistic"]): r for r in out.groups.iter_rows(named=True)}
    b = rows[("b", "round_100_share")]
    k_b = sum(1 for v in ROUND if v % 100 == 0)
    k_a = sum(1 for v in SMOOTH if v % 100 == 0)
    assert (b["n"], b["value"]) == (150, k_b / 150)
    details = json.loads(b["values"])
    reference = max(k_a / 600, 1 / 100)           # the other 街镇, never below 1/100
    assert details["reference"] == pytest.approx(round(reference, 6))
    assert details["p"] == pytest.approx(_binomial_tail(k_b, 150, reference), abs=1e-8)
    assert b["flagged"] and b["class"] == "整数偏多（excess）"
    assert "整数值明显偏多" in b["message"] and "（其他街镇）" in b["message"]
    assert rows[("b", "round_10_share")]["flagged"]
    assert not rows[("a", "round_100_share")]["flagged"] and not rows[("a", "round_10_share")]["flagged"]
    overall = rows[(None, "round_100_share")]
    assert json.loads(overall["values"])["reference"] == 0.01   # overall: against 1/b
    assert overall["n"] == 750


def test_small_excess_is_not_flagged_even_if_significant():
    # many values, share 1.3 × the reference: significant but below min_excess 1.5
    a = [float(v) for v in range(10_001, 30_001)]                       # exactly 1 % multiples of 100
    b = [float(v) for v in range(10_001, 50_001)] + [float(100 * i) for i in range(101, 221)]   # 1.3 %
    out = run("heaping", PACK, _df({"a": a, "b": b}), fields=["wages"], bases=[100], last_digit=False)
    row = out.groups.filter(pl.col("group") == "b").row(0, named=True)
    assert json.loads(row["values"])["p"] < 0.001
    assert row["value"] / 0.01 < 1.5 and not row["flagged"]


def test_last_digits_against_uniform_with_two_groups():
    fives = [float(RNG.randint(100, 9_999) * 5) for _ in range(200)]   # last digit only 0 or 5
    out = run("heaping", PACK, _df({"a": SMOOTH, "c": fives}), fields=["wages"], bases=[])
    rows = {r["group"]: r for r in out.groups.iter_rows(named=True)}
    c = rows["c"]
    own = [sum(1 for v in fives if int(v) % 10 == d) for d in range(10)]
    chi2 = sum((own[d] - 20) ** 2 / 20 for d in range(10))   # 200 values, uniform: 20 expected per digit
    assert c["statistic"] == "last_digit_chi2" and c["value"] == pytest.approx(chi2, rel=1e-12)
    assert c["flagged"] and "偏多的数字：" in c["message"] and "与均匀分布相比" in c["message"]
    assert not rows["a"]["flagged"]
    assert json.loads(rows[None]["values"])["reference_from"] == "均匀分布"


def test_last_digits_against_the_median_group():
    fives = [float(RNG.randint(100, 9_999) * 5) for _ in range(200)]
    groups = {"a": SMOOTH[:200], "b": SMOOTH[200:400], "c": fives, "d": SMOOTH[400:]}
    out = run("heaping", PACK, _df(groups), fields=["wages"], bases=[])
    rows = {r["group"]: r for r in out.groups.iter_rows(named=True)}
    assert [g for g, r in rows.items() if r["flagged"]] == [None, "c"]
    # the reference is the per-digit median share of a, b, c, d, renormalised
    shares = {g: [sum(1 for v in vs if int(v) % 10 == d) / len(vs) for d in range(10)] for g, vs in groups.items()}
    med = [sorted(shares[g][d] for g in groups)[1:3] for d in range(10)]
    med = [max((m[0] + m[1]) / 2, 0.001) for m in med]
    q = [m / sum(med) for m in med]
    own = [sum(1 for v in fives if int(v) % 10 == d) for d in range(10)]
    chi2 = sum((own[d] - 200 * q[d]) ** 2 / (200 * q[d]) for d in range(10))
    assert rows["c"]["value"] == pytest.approx(chi2, rel=1e-9)
    assert "各街镇中位分布" in rows["c"]["message"]


def test_too_few_values_is_not_applicable():
    out = run("heaping", PACK, _df({"a": SMOOTH, "z": [1200.0] * 20}), fields=["wages"])
    z = out.groups.filter(pl.col("group") == "z")
    assert not any(z["applicable"]) and not any(z["flagged"])
    assert "少于 50 个" in z["message"][0]
    assert z["statistic"].to_list() == ["round_10_share", "round_100_share", "round_1000_share", "last_digit_chi2"]


def test_end_to_end():
    data = pl.DataFrame({"k": [str(i) for i in range(750)], "g": ["a"] * 600 + ["b"] * 150, "wages": SMOOTH + ROUND})
    result = check(data, PACK)
    assert result.anomalies is not None
    flagged = result.anomalies.filter(pl.col("flagged") & (pl.col("detector_id") == "D-heap"))
    assert "b" in flagged["group"].to_list() and "a" not in flagged["group"].to_list()
    assert result.findings.filter(pl.col("rule_id") == "D-heap").is_empty()


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("{id: D1, kind: heaping, fields: [wages], base: [10]}", "是否想写 'bases'"),
        ("{id: D1, kind: heaping, fields: [wages], bases: [1]}", "bases"),
        ("{id: D1, kind: heaping, fields: [wages], alpha: 2}", "alpha"),
    ],
)
def test_parameter_errors_are_positioned(spec, fragment):
    assert_parameter_error(PACK_TEXT, spec, fragment, "hp.yaml")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(-50_000, 50_000), st.sampled_from(["a", "b", "c"])), min_size=1,
                max_size=200), st.integers(0, 10_000))
def test_row_order_does_not_matter(rows, seed):
    df = frame({"k": [str(i) for i in range(len(rows))], "g": [r[1] for r in rows],
                "wages": [float(r[0]) for r in rows]}, group="g")
    params = {"fields": ["wages"], "min_n": 10}
    assert_same_output(run("heaping", PACK, df, **params), run("heaping", PACK, shuffled(df, seed), **params))
