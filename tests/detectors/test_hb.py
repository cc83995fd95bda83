"""hb: a hand-worked Hidiroglou–Berthelot example, strata, min_n, order invariance."""

from __future__ import annotations

import json
import math

import polars as pl
import pytest
from dhelp import assert_parameter_error, assert_same_output, frame, run, shuffled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from source_check import check, load_pack_text

PACK_TEXT = """\
pack: hb
key: [k]
group: g
fields:
  k: {}
  g: {}
  ind: {label: 行业代码}
  rev: {label: 营业收入, type: float, unit: 千元}
detectors:
  - {id: D-hb, kind: hb, fields: [rev], by: [{field: ind, prefix: 2}], min_n: 4}
"""
PACK = load_pack_text(PACK_TEXT)

# One stratum of six units (plus one with a zero previous value, which HB leaves out).
PREV = [100.0, 100.0, 100.0, 100.0, 100.0, 400.0, 0.0]
CUR = [110.0, 105.0, 100.0, 120.0, 400.0, 390.0, 50.0]


def test_hand_worked_example_matches_to_the_digit():
    df = frame({"k": list("abcdefg"), "g": ["x"] * 7, "ind": ["1311"] * 7, "rev": CUR}, group="g",
               previous={"rev": PREV})
    out = run("hb", PACK, df, has_previous=True, fields=["rev"], by=[{"field": "ind", "prefix": 2}], min_n=4)

    # By hand. Ratios r = x_t / x_{t-1} of the six usable units:
    r = [1.1, 1.05, 1.0, 1.2, 4.0, 0.975]
    # sorted 0.975 1.0 1.05 1.1 1.2 4.0 → median (1.05 + 1.1) / 2 = 1.075
    r_med = 1.075
    assert sorted(r)[2:4] == [1.05, 1.1]
    # s_i = 1 − r_med/r_i below the median, r_i/r_med − 1 above; E_i = s_i · max(x_t, x_{t-1})^0.5
    e = [
        (1.1 / 1.075 - 1) * math.sqrt(110),      # a   0.243909…
        (1 - 1.075 / 1.05) * math.sqrt(105),     # b  −0.243975…
        (1 - 1.075 / 1.0) * math.sqrt(100),      # c  −0.75
        (1.2 / 1.075 - 1) * math.sqrt(120),      # d   1.273773…
        (4.0 / 1.075 - 1) * math.sqrt(400),      # e  54.418604…
        (1 - 1.075 / 0.975) * math.sqrt(400),    # f  −2.051282… (a small fall, but a large unit)
    ]
    assert e[2] == pytest.approx(-0.75)
    assert e[4] == pytest.approx(54.41860465116279)
    # quartiles, R type 7: position 1 + (n − 1) p of the sorted E (n = 6)
    s = sorted(e)  # f c b a d e
    q1 = s[1] + 0.25 * (s[2] - s[1])   # position 2.25
    med = s[2] + 0.5 * (s[3] - s[2])   # position 3.5
    q3 = s[3] + 0.75 * (s[4] - s[3])   # position 4.75
    d_q1 = max(med - q1, abs(0.05 * med))
    d_q3 = max(q3 - med, abs(0.05 * med))
    lower, upper = med - 4 * d_q1, med + 4 * d_q3
    assert (round(q1, 6), round(med, 6), round(q3, 6)) == (-0.623494, -0.000033, 1.016307)
    assert (round(lower, 6), round(upper, 6)) == (-2.493876, 4.065328)

    assert out.units["row"].to_list() == [4]   # only e (×4) is outside; f (−2.05) is inside
    v = json.loads(out.units["values"][0])
    assert v["ratio"] == pytest.approx(4.0)
    assert v["median_ratio"] == pytest.approx(r_med)
    assert v["E"] == pytest.approx(e[4], rel=1e-12)
    assert (v["E_q1"], v["E_median"], v["E_q3"]) == pytest.approx((q1, med, q3), rel=1e-12)
    assert (v["lower"], v["upper"]) == pytest.approx((lower, upper), rel=1e-12)
    assert v["n"] == 6 and v["stratum"] == "13"
    assert out.units["score"][0] == pytest.approx((e[4] - med) / d_q3)
    assert "增幅异常" in out.units["message"][0]
    assert (out.items, out.na) == (7, 1)   # the unit with a zero previous value is not tested


def test_bounds_widen_with_C_and_small_strata_are_not_tested():
    df = frame({"k": list("abcdefg"), "g": ["x"] * 7, "ind": ["1311"] * 7, "rev": CUR}, group="g",
               previous={"rev": PREV})
    assert run("hb", PACK, df, has_previous=True, fields=["rev"], C=30).units.is_empty()
    small = run("hb", PACK, df, has_previous=True, fields=["rev"], min_n=7)
    assert small.units.is_empty() and small.na == 7


def test_strata_are_separate_and_decline_is_flagged():
    # stratum 13: growth ~10 %; stratum 52: growth ~ −5 % — each unit judged against its own stratum
    n = 12
    prev = [1000.0 + 50 * i for i in range(n)] * 2
    cur = [p * (1.10 + 0.002 * (i % n)) for i, p in enumerate(prev[:n])] + \
          [p * (0.95 + 0.002 * i) for i, p in enumerate(prev[n:])]
    cur[3] = prev[3] * 0.2          # collapse in stratum 13
    ind = ["1311"] * n + ["5211"] * n
    df = frame({"k": [f"u{i}" for i in range(2 * n)], "g": ["x"] * (2 * n), "ind": ind, "rev": cur}, group="g",
               previous={"rev": prev})
    out = run("hb", PACK, df, has_previous=True, fields=["rev"], by=[{"field": "ind", "prefix": 2}])
    assert out.units["row"].to_list() == [3]
    assert "降幅异常" in out.units["message"][0]
    pooled = run("hb", PACK, df, has_previous=True, fields=["rev"])
    assert 3 in pooled.units["row"].to_list()


@pytest.mark.parametrize(("rise", "flagged"), [(101.0, [10, 11]), (103.0, [8, 10, 11])])
def test_a_side_without_spread_borrows_the_other(rise, flagged):
    # 8 of 12 unchanged: E_med = E_Q3 = 0, so d_Q3 = 0 and the upper side uses d_Q1
    cur = [100.0] * 8 + [rise, 99.0, 95.0, 10.0]
    df = frame({"k": [f"u{i}" for i in range(12)], "g": ["x"] * 12, "ind": ["1311"] * 12, "rev": cur}, group="g",
               previous={"rev": [100.0] * 12})
    out = run("hb", PACK, df, has_previous=True, fields=["rev"])
    # by hand: E = (1 − 1/r)·√100 below the median ratio 1; sorted E: −90, −0.5263, −0.1010, 0 × 8, …
    # Q1 at position 1 + 11/4 = 3.75: −0.1010 · 0.25 = −0.02525; d_Q1 = 0.02525; upper = 4 · d_Q1 = 0.1010
    upper = 4 * 0.25 * (1 / 0.99 - 1) * 10
    v = json.loads(out.units["values"][0])
    assert (v["d_q1"], v["d_q3"], v["upper"]) == pytest.approx((upper / 4, upper / 4, upper))
    # a 1 % rise (E = 0.01·√101 = 0.1005) is inside, 3 % (0.3045) is not
    assert out.units["row"].to_list() == flagged
    assert all(math.isfinite(s) for s in out.units["score"])
    # as METHODS.md writes it (borrow: false): d_Q3 = 0, so every rise above E_med = 0 is an outlier
    literal = run("hb", PACK, df, has_previous=True, fields=["rev"], borrow=False)
    assert literal.units["row"].to_list() == [8, 10, 11]


def test_end_to_end_needs_previous():
    data = pl.DataFrame({"k": list("abcdefg"), "g": ["x"] * 7, "ind": ["1311"] * 7, "rev": CUR})
    prev = data.with_columns(pl.Series("rev", PREV))
    result = check(data, PACK, previous=prev)
    f = result.findings.filter(pl.col("rule_id") == "D-hb")
    assert f["k"].to_list() == ["e"] and f["level"].to_list() == ["warning"]
    row = result.rules.filter(pl.col("rule_id") == "D-hb").row(0, named=True)
    assert (row["items"], row["fails"], row["na"], row["passes"]) == (7, 1, 1, 5)
    without = check(data, PACK)
    assert any(s.rule_id == "D-hb" for s in without.skipped)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("{id: D1, kind: hb, fields: [rev], c: 4}", "是否想写 'C'"),
        ("{id: D1, kind: hb, fields: [rev], U: 2}", "'U' 无效"),
        ("{id: D1, kind: hb, fields: [rev], by: [idn]}", "是否想写 'ind'"),
        ("{id: D1, kind: hb, fields: [rev], min_n: 2}", "min_n"),
    ],
)
def test_parameter_errors_are_positioned(spec, fragment):
    assert_parameter_error(PACK_TEXT, spec, fragment, "hb.yaml")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(1, 1e5), st.floats(0.2, 5), st.sampled_from(["1311", "1320", "5211"])),
                min_size=4, max_size=30), st.integers(0, 10_000))
def test_row_order_does_not_matter(rows, seed):
    df = frame({"k": [f"u{i}" for i in range(len(rows))], "g": ["x"] * len(rows), "ind": [r[2] for r in rows],
                "rev": [r[0] * r[1] for r in rows]}, group="g", previous={"rev": [r[0] for r in rows]})
    params = {"fields": ["rev"], "by": [{"field": "ind", "prefix": 2}], "min_n": 4}
    assert_same_output(run("hb", PACK, df, has_previous=True, **params),
                       run("hb", PACK, shuffled(df, seed), has_previous=True, **params))
