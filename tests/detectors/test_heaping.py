"""heaping: a 街镇 with invented round numbers stands out against the others; last digit, last two digits."""

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


def _binomial_upper(k: int, n: int, p: float) -> float:
    """``P(X ≥ k)`` summed from the top (no cancellation for tiny tails)."""
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))


def _decimals(n: int, k: int, start: float) -> list[float]:
    """``n`` values of 千元 data with one decimal, exactly ``k`` of them whole multiples of 10."""
    return [start + 10.0 * i for i in range(k)] + [start + 2.0 * i + 0.5 for i in range(n - k)]


def test_round_numbers_against_the_other_groups():
    out = run("heaping", PACK, _df({"a": SMOOTH, "b": ROUND}), fields=["wages"], last_digit=False)
    rows = {(r["group"], r["statistic"]): r for r in out.groups.iter_rows(named=True)}
    b = rows[("b", "round_100_share")]
    k_b = sum(1 for v in ROUND if v % 100 == 0)
    k_a = sum(1 for v in SMOOTH if v % 100 == 0)
    assert (b["n"], b["value"]) == (150, k_b / 150)
    details = json.loads(b["values"])
    reference = (k_a + 1) / (600 + 2)             # the other 街镇, Laplace-smoothed, no floor at 1/100
    assert details["reference"] == pytest.approx(round(reference, 6))
    assert details["p"] == pytest.approx(_binomial_tail(k_b, 150, reference), abs=1e-8)
    assert b["flagged"] and b["class"] == "整数偏多（excess）"
    assert "整数值明显偏多" in b["message"]
    assert f"（其他街镇 600 个值中 {k_a} 个，按 ({k_a}+1)/(600+2) 计）" in b["message"]
    assert rows[("b", "round_10_share")]["flagged"]
    assert not rows[("a", "round_100_share")]["flagged"] and not rows[("a", "round_10_share")]["flagged"]
    overall = rows[(None, "round_100_share")]
    assert json.loads(overall["values"])["reference"] == 0.01   # overall: against 1/b, and says so
    assert "参照值 1%（理论值 1/100，即尾数均匀的整数中 100 的整倍数所占比例）" in overall["message"]
    assert overall["n"] == 750


def test_round_reference_is_not_floored_at_one_over_b():
    # audit reproduction (heap2.py): 千元 with one decimal, the other 街镇 have 1 % whole multiples of 10,
    # D 14.5 % — 13 times its peers. A reference floored at 1/10 made that only 1.45 × and unflagged.
    groups = {g: _decimals(400, 4, 1000.0 + 5000 * i) for i, g in enumerate("ABC")}
    groups["D"] = _decimals(400, 58, 20_000.0)
    out = run("heaping", PACK, _df(groups), fields=["wages"], bases=[10], last_digit=False, last_two_digits=False)
    rows = {r["group"]: r for r in out.groups.iter_rows(named=True)}
    d = rows["D"]
    reference = (12 + 1) / (1200 + 2)
    assert d["value"] == 0.145
    assert json.loads(d["values"])["reference"] == pytest.approx(round(reference, 6))
    assert json.loads(d["values"])["p"] == pytest.approx(_binomial_upper(58, 400, reference), rel=1e-6)
    assert d["flagged"] and d["class"] == "整数偏多（excess）"
    assert ("占 14.5%，是参照值 1.08%（其他街镇 1200 个值中 12 个，按 (12+1)/(1200+2) 计）的 13.41 倍"
            in d["message"])
    assert not any(rows[g]["flagged"] for g in "ABC")
    assert not rows[None]["flagged"] and "理论值 1/10" in rows[None]["message"]   # 4.5 % overall, below 1/10


def test_peers_without_round_values_give_a_finite_reference():
    # the other 街镇 have no whole multiple of 10 at all: the smoothed reference 1/(n_o + 2) is not 0, so one
    # round value is no excess, a clear heap still is
    groups = {g: _decimals(400, 0, 1000.0 + 5000 * i) for i, g in enumerate("ABC")}
    groups["D"] = _decimals(400, 1, 20_000.0)
    groups["E"] = _decimals(400, 12, 30_000.0)
    out = run("heaping", PACK, _df(groups), fields=["wages"], bases=[10], last_digit=False, last_two_digits=False)
    rows = {r["group"]: r for r in out.groups.iter_rows(named=True)}
    d, e = json.loads(rows["D"]["values"]), json.loads(rows["E"]["values"])
    assert (d["other_k"], d["reference"]) == (12, round(13 / 1602, 6))     # E's 12 are D's peers
    assert (e["other_k"], e["reference"]) == (1, round(2 / 1602, 6))
    assert not rows["D"]["flagged"] and rows["E"]["flagged"]
    assert json.loads(rows["A"]["values"])["reference"] == pytest.approx(round(14 / 1602, 6))   # D and E
    assert e["p"] == pytest.approx(_binomial_upper(12, 400, 2 / 1602), rel=1e-6)
    assert all(math.isfinite(r["value"]) for r in rows.values())


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
    out = run("heaping", PACK, _df({"a": SMOOTH, "c": fives}), fields=["wages"], bases=[], last_two_digits=False)
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
    out = run("heaping", PACK, _df(groups), fields=["wages"], bases=[], last_two_digits=False)
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


def _endings_group(n: int) -> list[float]:
    """Audit reproduction (heap.py): endings 10, 21, 32, …, 98, 09 only — the last digit stays uniform."""
    endings = [10, 21, 32, 43, 54, 65, 76, 87, 98, 9]
    return [float(RNG.randint(10, 499) * 100 + endings[i % 10]) for i in range(n)]


def test_last_two_digits_catch_endings_that_keep_the_last_digit_uniform():
    groups = {g: [float(RNG.randint(1_000, 49_999)) for _ in range(300)] for g in "ABC"}
    groups["D"] = _endings_group(300)
    out = run("heaping", PACK, _df(groups), fields=["wages"], bases=[])
    rows = {(r["group"], r["statistic"]): r for r in out.groups.iter_rows(named=True)}
    one, two = rows[("D", "last_digit_chi2")], rows[("D", "last_two_digits_chi2")]
    assert json.loads(one["values"])["p"] > 0.5 and not one["flagged"]   # 30 of each units digit
    # fewer than 3 街镇 with 500 values ≥ 1000: against uniform, 3 expected per ending; 10 endings × 30
    assert two["value"] == pytest.approx(10 * (30 - 3) ** 2 / 3 + 90 * 3) == 2700
    details = json.loads(two["values"])
    assert (details["df"], details["reference_from"], details["p"]) == (99, "均匀分布", 0.0)
    assert len(details["digits"]) == 100 and details["digits"][9] == {"digit": 9, "count": 30, "reference": 0.01}
    assert two["flagged"] and two["class"] == "尾数不均匀（non-uniform）"
    assert two["message"].startswith(
        "D的工资总额末两位数字（300 个不小于 1000 的值）与均匀分布相比 χ²=2700（自由度 99，p<0.0001）")
    assert "偏多的末两位：09（实际 10%，参照 1%）、10（实际 10%，参照 1%）、21（实际 10%，参照 1%）" in two["message"]
    assert not any(rows[(g, "last_two_digits_chi2")]["flagged"] for g in "ABC")
    assert rows[(None, "last_two_digits_chi2")]["n"] == 1200
    off = run("heaping", PACK, _df(groups), fields=["wages"], bases=[], last_two_digits=False)
    assert off.groups["statistic"].unique().to_list() == ["last_digit_chi2"]


def test_last_two_digits_against_the_median_of_ten_large_groups():
    # 10 街镇 with 500 values ≥ 1000 (enough for the median: max(min_n, 500) values, at least 10 groups), one
    # of them heaping; "small" (300 values) is tested but not in the median. The reference is the per-ending
    # median share over the ten, floored at 0.001 and renormalised.
    big = [f"g{i}" for i in range(10)]
    groups = {g: [float(RNG.randint(1_000, 99_999)) for _ in range(500)] for g in big[1:]}
    groups["g0"] = _endings_group(500)
    groups["small"] = [float(RNG.randint(1_000, 99_999)) for _ in range(300)]
    out = run("heaping", PACK, _df(groups), fields=["wages"], bases=[], last_digit=False)
    rows = {r["group"]: r for r in out.groups.iter_rows(named=True)}
    assert [g for g, r in rows.items() if r["flagged"]] == [None, "g0"]
    shares = {g: [sum(1 for v in groups[g] if int(v) % 100 == d) / 500 for d in range(100)] for g in big}
    med = [max(sum(sorted(shares[g][d] for g in big)[4:6]) / 2, 0.001) for d in range(100)]
    q = [m / sum(med) for m in med]
    for g in ("g0", "g5", "small"):
        own = [sum(1 for v in groups[g] if int(v) % 100 == d) for d in range(100)]
        n = len(groups[g])
        assert rows[g]["value"] == pytest.approx(sum((own[d] - n * q[d]) ** 2 / (n * q[d]) for d in range(100)),
                                                 rel=1e-9)
    assert "与各街镇中位分布相比" in rows["g0"]["message"]
    assert json.loads(rows[None]["values"])["reference_from"] == "均匀分布"
    # nine such groups are too few for a median over 100 endings: uniform
    del groups["g9"]
    out = run("heaping", PACK, _df(groups), fields=["wages"], bases=[], last_digit=False)
    rows = {r["group"]: r for r in out.groups.iter_rows(named=True)}
    assert {json.loads(r["values"])["reference_from"] for r in rows.values()} == {"均匀分布"}
    own = [sum(1 for v in groups["g5"] if int(v) % 100 == d) for d in range(100)]
    assert rows["g5"]["value"] == pytest.approx(sum((c - 5) ** 2 / 5 for c in own), rel=1e-9)


def test_too_few_values_is_not_applicable():
    out = run("heaping", PACK, _df({"a": SMOOTH, "z": [1200.0] * 20}), fields=["wages"])
    z = out.groups.filter(pl.col("group") == "z")
    assert not any(z["applicable"]) and not any(z["flagged"])
    assert "少于 50 个" in z["message"][0]
    assert z["statistic"].to_list() == ["round_10_share", "round_100_share", "round_1000_share", "last_digit_chi2",
                                        "last_two_digits_chi2"]
    assert "不小于 1000 的值仅 20 个，少于 50 个，不作尾数检验" in z["message"][4]


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
