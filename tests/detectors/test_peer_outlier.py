"""peer_outlier: robust z of log ratios by hand, MAD = 0 fallback, strata, order invariance."""

from __future__ import annotations

import json
import math
import statistics

import polars as pl
import pytest
from dhelp import assert_parameter_error, assert_same_output, frame, run, shuffled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from source_check import check, load_pack_text

PACK_TEXT = """\
pack: po
key: [k]
group: g
fields:
  k: {}
  g: {}
  ind: {label: 行业代码}
  emp: {label: 平均人数, type: int}
  wages: {label: 工资总额, type: float, unit: 千元}
detectors:
  - {id: D-peer, kind: peer_outlier, numerator: wages, denominator: emp, label: 人均工资, by: [ind]}
"""
PACK = load_pack_text(PACK_TEXT)


def test_robust_z_by_hand():
    # 12 units at 100..110 千元 per person and one at 2000; 5 employees each
    per_head = [100.0 + i for i in range(11)] + [2000.0]
    df = frame({"k": [f"u{i}" for i in range(12)], "g": ["x"] * 12, "ind": ["1311"] * 12,
                "emp": [5] * 12, "wages": [5 * v for v in per_head]}, group="g")
    out = run("peer_outlier", PACK, df, numerator="wages", denominator="emp", label="人均工资", by=["ind"])
    y = [math.log(v) for v in per_head]
    m = statistics.median(y)
    mad = statistics.median(abs(v - m) for v in y)
    z = [(v - m) / (1.4826 * mad) for v in y]
    assert [i for i, v in enumerate(z) if abs(v) > 3.5] == [11]
    assert out.units["row"].to_list() == [11]
    assert out.units["score"][0] == pytest.approx(z[11], rel=1e-12)
    values = json.loads(out.units["values"][0])
    assert values["median_ratio"] == pytest.approx(math.exp(m))
    assert values["n"] == 12
    msg = out.units["message"][0]
    assert msg.startswith("人均工资为 2000，同层中位数 105.5") and "明显偏高" in msg
    assert (out.items, out.na) == (12, 0)


def test_mad_zero_falls_back_to_mean_absolute_deviation_and_low_side():
    per_head = [100.0] * 10 + [101.0, 10.0]
    df = frame({"k": [f"u{i}" for i in range(12)], "g": ["x"] * 12, "ind": ["1311"] * 12,
                "emp": [1] * 12, "wages": per_head}, group="g")
    out = run("peer_outlier", PACK, df, numerator="wages", denominator="emp")
    mean_ad = (math.log(1.01) + math.log(10)) / 12
    assert out.units["row"].to_list() == [11]
    assert out.units["score"][0] == pytest.approx(math.log(10) / (1.2533 * mean_ad))
    assert "明显偏低" in out.units["message"][0]
    same = frame({"k": list("abcdefghijkl"), "g": ["x"] * 12, "ind": ["1"] * 12, "emp": [1] * 12,
                  "wages": [5.0] * 12}, group="g")
    flat = run("peer_outlier", PACK, same, numerator="wages", denominator="emp")
    assert flat.units.is_empty() and flat.na == 12   # nothing to compare with


def test_small_strata_and_unusable_ratios_are_not_tested():
    wages = [100.0 + i for i in range(10)] + [5000.0, 5000.0, 0.0, 100.0]
    emp = [1] * 13 + [0]
    ind = ["1311"] * 10 + ["5211", "5211", "1311", "1311"]
    df = frame({"k": [f"u{i}" for i in range(14)], "g": ["x"] * 14, "ind": ind, "emp": emp, "wages": wages},
               group="g")
    out = run("peer_outlier", PACK, df, numerator="wages", denominator="emp", by=["ind"])
    assert out.units.is_empty()
    assert out.na == 4   # two in a 2-unit stratum, a zero numerator, a zero denominator
    pooled = run("peer_outlier", PACK, df, numerator="wages", denominator="emp")
    assert pooled.units["row"].to_list() == [10, 11]


def test_end_to_end():
    data = pl.DataFrame({"k": [f"u{i}" for i in range(12)], "g": ["x"] * 12, "ind": ["1311"] * 12,
                         "emp": [2] * 12, "wages": [200.0 + 2 * i for i in range(11)] + [20.0]})
    result = check(data, PACK)
    f = result.findings.filter(pl.col("rule_id") == "D-peer")
    assert f["k"].to_list() == ["u11"]
    assert f["fields"].to_list() == [["wages"]]


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("{id: D1, kind: peer_outlier, numerator: wages, denominater: emp}", "是否想写 'denominator'"),
        ("{id: D1, kind: peer_outlier, numerator: wages}", "缺少参数 'denominator'"),
        ("{id: D1, kind: peer_outlier, numerator: wage, denominator: emp}", "是否想写 'wages'"),
        ("{id: D1, kind: peer_outlier, numerator: wages, denominator: emp, threshold: 0}", "threshold"),
    ],
)
def test_parameter_errors_are_positioned(spec, fragment):
    assert_parameter_error(PACK_TEXT, spec, fragment, "po.yaml")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(0, 1e6), st.integers(0, 100), st.sampled_from(["a", "b"])),
                min_size=1, max_size=40), st.integers(0, 10_000))
def test_row_order_does_not_matter(rows, seed):
    df = frame({"k": [f"u{i}" for i in range(len(rows))], "g": ["x"] * len(rows), "ind": [r[2] for r in rows],
                "emp": [r[1] for r in rows], "wages": [r[0] for r in rows]}, group="g")
    params = {"numerator": "wages", "denominator": "emp", "by": ["ind"], "min_stratum": 5}
    assert_same_output(run("peer_outlier", PACK, df, **params), run("peer_outlier", PACK, shuffled(df, seed), **params))
