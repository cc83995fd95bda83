"""unit_error: ×1000 and ×10000 found both ways, ×3 not; peers; re-check of rules; properties."""

from __future__ import annotations

import json

import polars as pl
import pytest
from dhelp import assert_parameter_error, assert_same_output, frame, run, shuffled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from source_check import check, load_pack_text

PACK_TEXT = """\
pack: ue
key: [k]
group: g
fields:
  k: {}
  g: {}
  ind: {label: 行业代码}
  emp: {label: 平均人数, type: int}
  wages: {label: 工资总额, type: float, unit: 千元}
  payable: {label: 应付职工薪酬, type: float, unit: 千元}
rules:
  - {id: R-avg, title: 人均工资不超过 100 千元, when: emp > 0, check: wages / emp <= 100}
  - {id: R-pay, title: 应付职工薪酬与工资总额相符, check: payable / wages between 0.9 and 1.8}
  - {id: R-emp, title: 人数非负, check: emp >= 0}
detectors:
  - {id: D-unit, kind: unit_error, fields: [wages], auxiliary: emp, by: [{field: ind, prefix: 2}]}
"""
PACK = load_pack_text(PACK_TEXT)

PREV = [100.0 * (i + 1) for i in range(20)]
GROWTH = [1.0 + 0.01 * (i % 7) for i in range(20)]


def _frame(cur: list[float], prev: list[float | None] | None = PREV) -> pl.DataFrame:
    n = len(cur)
    cols = {"k": [f"u{i:02d}" for i in range(n)], "g": ["a"] * n, "ind": ["1311"] * n,
            "emp": [10] * n, "wages": cur}
    return frame(cols, group="g", previous={"wages": prev} if prev is not None else None)


def test_thousand_and_ten_thousand_either_way_found_three_not():
    cur = [p * g for p, g in zip(PREV, GROWTH, strict=True)]
    cur[1] *= 1000      # 元 written where 千元 was asked
    cur[2] *= 10_000    # 元 where 万元-scale
    cur[3] *= 3         # a real jump: never a unit error
    cur[4] /= 1000      # 千元 → value 1000 times too small
    cur[5] *= 300       # log10 300 = 2.48: 0.52 from 3, outside the band
    cur[6] *= 100       # below min_ratio's neighbourhood of 10³
    out = run("unit_error", PACK, _frame(cur), has_previous=True, fields=["wages"])
    assert out.units["row"].to_list() == [1, 2, 4]
    values = [json.loads(v) for v in out.units["values"]]
    assert [v["factor"] for v in values] == [1000.0, 10000.0, 0.001]
    assert [v["basis"] for v in values] == ["previous"] * 3
    assert out.units["suggested"].to_list() == pytest.approx([cur[1] / 1000, cur[2] / 10_000, cur[4] * 1000])
    assert out.units["suggested"][0] == pytest.approx(PREV[1] * GROWTH[1])
    assert (out.items, out.na) == (20, 0)


def test_several_fields_at_once():
    df = frame({"k": ["a", "b", "c"], "g": ["x"] * 3, "ind": ["1"] * 3, "emp": [20] * 3,
                "wages": [1200.0 * 1000, 500.0, 800.0], "payable": [1500.0, 600.0 * 10_000, 900.0]},
               group="g", previous={"wages": [1200.0, 510.0, 790.0], "payable": [1500.0, 600.0, 905.0]})
    out = run("unit_error", PACK, df, has_previous=True, fields=["wages", "payable"])
    assert out.units.select("row", "field").rows() == [(0, "wages"), (1, "payable")]
    first, second = (json.loads(v) for v in out.units["values"])
    assert (first["wages"], first["factor"], second["payable"], second["factor"]) == (1_200_000.0, 1000.0, 6e6, 1e4)
    assert first["rules_failed_before"] == ["R-avg", "R-pay"] and first["rules_failed_after"] == []
    assert second["rules_failed_before"] == ["R-pay"] and second["rules_failed_after"] == []
    assert (out.items, out.na) == (6, 0)


def test_message_as_a_statistician_reads_it():
    # 1200 千元 written as 1 200 000 元; last period 1199.64 千元 → ratio 1000.3
    df = _frame([1_200_000.0, 500.0], prev=[1199.64, 480.0])
    out = run("unit_error", PACK, df, has_previous=True, fields=["wages"], recheck=False)
    assert out.units["message"].to_list() == ["工资总额是上期的 1000.3 倍，疑似将千元填成元（建议值 1200）"]
    df = _frame([1.2, 500.0], prev=[1200.0, 480.0])
    out = run("unit_error", PACK, df, has_previous=True, fields=["wages"], recheck=False)
    assert out.units["message"].to_list() == ["工资总额仅为上期的 1/1000，疑似将千元填成百万元（建议值 1200）"]


def test_band_edges():
    # log10(ratio) − 3 within ±0.3 is flagged; just outside is not
    cur = [100.0 * 10 ** 3.29, 100.0 * 10 ** 3.31, 100.0 * 10 ** 2.71, 100.0 * 10 ** 2.69]
    df = _frame(cur, prev=[100.0] * 4)
    out = run("unit_error", PACK, df, has_previous=True, fields=["wages"], recheck=False)
    assert out.units["row"].to_list() == [0, 2]
    # score = 1 − distance / band
    assert out.units["score"].to_list() == pytest.approx([1 - 0.29 / 0.3, 1 - 0.29 / 0.3])
    wide = run("unit_error", PACK, df, has_previous=True, fields=["wages"], band=0.35)
    assert wide.units["row"].to_list() == [0, 1, 2, 3]


def test_peer_ratio_when_no_previous_value():
    # wages per person ≈ 10 千元 in stratum 13; one unit in 元; one in another, too small stratum
    n = 12
    wages = [10.0 * 10 * (1 + 0.03 * i) for i in range(n)]
    wages[4] *= 1000
    cols = {"k": [f"u{i}" for i in range(n + 2)], "g": ["a"] * (n + 2), "ind": ["1311"] * n + ["5211", "5212"],
            "emp": [10] * (n + 2), "wages": [*wages, 100_000.0, 100.0]}
    df = frame(cols, group="g")
    out = run("unit_error", PACK, df, fields=["wages"], auxiliary="emp", by=[{"field": "ind", "prefix": 2}])
    assert out.units["row"].to_list() == [4]
    v = json.loads(out.units["values"][0])
    assert (v["basis"], v["factor"], v["stratum"]) == ("peers", 1000.0, "13")
    assert "同层（行业代码前2位为13）中位数的" in out.units["message"][0]
    assert (out.items, out.na) == (14, 2)   # stratum 52 has 2 records < min_stratum 5
    # the previous value wins over peers when there is one; peers fill in where it is missing
    prev = [w for w in wages] + [100.0, 100.0]
    prev[4] = None
    df = frame(cols, group="g", previous={"wages": prev})
    out = run("unit_error", PACK, df, has_previous=True, fields=["wages"], auxiliary="emp", by=["ind"])
    assert out.units["row"].to_list() == [4, 12]
    assert [json.loads(v)["basis"] for v in out.units["values"]] == ["peers", "previous"]


def test_recheck_rules_after_correction_end_to_end():
    data = pl.DataFrame({
        "k": ["a", "b", "c", "d"], "g": ["1", "1", "2", "2"], "ind": ["1311"] * 4, "emp": [10, 10, 10, 10],
        "wages": [500_000.0, 480.0, 520.0, 5_100_000.0], "payable": [600.0, 500.0, 600.0, 5_100_000.0 * 1.2],
    })
    prev = data.with_columns(pl.Series("wages", [490.0, 470.0, 500.0, 500.0]))
    result = check(data, PACK, previous=prev)
    f = result.findings.filter(pl.col("rule_id") == "D-unit").sort("row")
    assert f["k"].to_list() == ["a", "d"]
    # a: the whole-form is not in 元 (payable is fine), so the fix makes R-avg and R-pay pass
    assert f["message"][0].endswith("按建议值更正后 R-avg、R-pay 通过")
    a = json.loads(f["values"][0])
    assert (a["rules_failed_before"], a["rules_failed_after"]) == (["R-avg", "R-pay"], [])
    # d: payable is in 元 too; dividing wages alone breaks R-pay — a sign the whole form needs the fix
    d = json.loads(f["values"][1])
    assert (d["rules_failed_before"], d["rules_failed_after"]) == (["R-avg"], ["R-pay"])
    assert f["message"][1].endswith("按建议值更正后 R-avg 通过，R-pay 变为不通过")
    anomalies = result.anomalies
    assert anomalies is not None
    scores = anomalies.filter(pl.col("detector_id") == "D-unit").sort("row")["score"].to_list()
    assert scores[0] > 1 > scores[1]   # the fix that makes rules pass ranks first
    row = result.rules.filter(pl.col("rule_id") == "D-unit").row(0, named=True)
    assert (row["items"], row["fails"], row["na"], row["passes"]) == (4, 2, 0, 2)


def test_without_previous_and_auxiliary_nothing_is_tested():
    result = check(pl.DataFrame({"k": ["a"], "g": ["1"], "wages": [1e9]}),
                   load_pack_text(PACK_TEXT.replace(", auxiliary: emp, by: [{field: ind, prefix: 2}]", "")))
    row = result.rules.filter(pl.col("rule_id") == "D-unit").row(0, named=True)
    assert (row["items"], row["fails"], row["na"], row["skipped"]) == (1, 0, 1, False)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("{id: D1, kind: unit_error, fields: [wages], bands: 0.3}", "是否想写 'band'"),
        ("{id: D1, kind: unit_error, fields: [wages], factors: [1]}", "factors"),
        ("{id: D1, kind: unit_error, fields: [wages], auxiliary: emq}", "是否想写 'emp'"),
        ("{id: D1, kind: unit_error, fields: [wages], by: [{field: ind, prefx: 2}]}", "prefx"),
        ("{id: D1, kind: unit_error}", "缺少参数 'fields'"),
    ],
)
def test_parameter_errors_are_positioned(spec, fragment):
    assert_parameter_error(PACK_TEXT, spec, fragment, "ue.yaml")


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
units = st.lists(
    st.tuples(st.floats(1, 1e6), st.sampled_from([0.8, 1.0, 1.25, 3.0, 1000.0, 0.001, 10_000.0, 400.0]),
              st.booleans(), st.integers(1, 500)),
    min_size=1, max_size=25,
)


def _scaled(rows, scale: float) -> pl.DataFrame:
    cols = {"k": [f"u{i}" for i in range(len(rows))], "g": ["a"] * len(rows), "ind": ["1311"] * len(rows),
            "emp": [r[3] for r in rows], "wages": [r[0] * r[1] * scale for r in rows]}
    prev = [r[0] * scale if r[2] else None for r in rows]
    return frame(cols, group="g", previous={"wages": prev})


@SETTINGS
@given(units, st.sampled_from([1000.0, 0.001, 10_000.0, 7.3]))
def test_scaling_every_unit_creates_no_findings(rows, scale):
    params = {"fields": ["wages"], "auxiliary": "emp", "by": ["ind"], "recheck": False}
    base = run("unit_error", PACK, _scaled(rows, 1.0), has_previous=True, **params)
    scaled = run("unit_error", PACK, _scaled(rows, scale), has_previous=True, **params)
    assert scaled.units["row"].to_list() == base.units["row"].to_list()
    clean = [(p, g, has, e) for p, g, has, e in rows if g in (0.8, 1.0, 1.25, 3.0) and has]
    if clean:
        assert run("unit_error", PACK, _scaled(clean, scale), has_previous=True, **params).units.is_empty()


@SETTINGS
@given(units, st.integers(0, 10_000))
def test_row_order_does_not_matter(rows, seed):
    df = _scaled(rows, 1.0)
    params = {"fields": ["wages"], "auxiliary": "emp", "by": ["ind"]}
    assert_same_output(run("unit_error", PACK, df, has_previous=True, **params),
                       run("unit_error", PACK, shuffled(df, seed), has_previous=True, **params))
