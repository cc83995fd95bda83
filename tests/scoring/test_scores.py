"""Group scores: the required properties as hypothesis tests, and explanations end to end."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from source_check import check, load_pack
from source_check.scoring import DIMENSIONS, ScoringConfig, explanation_ok_expr, score_groups

CFG = ScoringConfig.from_spec(None)
LEVELS = ["error", "warning", "info"]


@st.composite
def groups_and_findings(draw):
    n_units = draw(st.integers(1, 30))
    findings = draw(st.lists(
        st.tuples(st.integers(0, n_units - 1), st.sampled_from(LEVELS), st.sampled_from(DIMENSIONS),
                  st.booleans(), st.sampled_from(["rule", "detector"])),
        max_size=60,
    ))
    flags = draw(st.integers(0, 6))
    return n_units, findings, flags


def frames(n_units, findings, flags, copies=1):
    groups = pl.DataFrame({"group": ["g"], "name": ["街镇"], "units": [n_units * copies], "units_error": [0]})
    rows = []
    for c in range(copies):
        for row, level, dim, explained, source in findings:
            rows.append((row + c * n_units, "g", level, dim, explained and level != "error", source))
    long = pl.DataFrame(rows, schema={"row": pl.Int64, "group": pl.String, "level": pl.String,
                                      "dimension": pl.String, "explained": pl.Boolean, "source": pl.String},
                        orient="row")
    flag = pl.DataFrame({"group": ["g"], "flagged_anomalies": [float(flags)]})
    return groups, long, flag


def score(n_units, findings, flags, copies=1, column="score"):
    return score_groups(*frames(n_units, findings, flags, copies), CFG)[column][0]


@settings(max_examples=60, deadline=None)
@given(groups_and_findings())
def test_score_is_bounded(case):
    for column in ["score", *[f"score_{d}" for d in DIMENSIONS]]:
        assert 0.0 <= score(*case, column=column) <= 100.0


@settings(max_examples=60, deadline=None)
@given(groups_and_findings(), st.integers(0, 29), st.sampled_from(LEVELS), st.sampled_from(DIMENSIONS),
       st.sampled_from(["rule", "detector"]))
def test_adding_a_finding_never_raises_the_score(case, row, level, dim, source):
    n_units, findings, flags = case
    extra = (row % n_units, level, dim, False, source)
    assert score(n_units, [*findings, extra], flags) <= score(n_units, findings, flags)
    assert score(n_units, findings, flags + 1) <= score(n_units, findings, flags)


@settings(max_examples=60, deadline=None)
@given(groups_and_findings(), st.data())
def test_explaining_a_warning_never_lowers_the_score(case, data):
    n_units, findings, flags = case
    warnings = [i for i, f in enumerate(findings) if f[1] == "warning" and not f[3]]
    if not warnings:
        return
    i = data.draw(st.sampled_from(warnings))
    explained = list(findings)
    explained[i] = (*findings[i][:3], True, findings[i][4])
    assert score(n_units, explained, flags) >= score(n_units, findings, flags)


@settings(max_examples=40, deadline=None)
@given(groups_and_findings(), st.integers(2, 4))
def test_duplicating_every_unit_leaves_the_score_unchanged(case, copies):
    assert score(*case, copies=copies) == pytest.approx(score(*case))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 100))
def test_no_findings_scores_100(n):
    assert score(n, [], 0) == 100.0
    assert score_groups(*frames(n, [], 0), CFG)["grade"][0] == "A"


def test_worked_example():
    # 10 units: one error (penalty 1), one unit with two unexplained warnings (0.8) → 100·(1 − 1.8/10) = 82
    findings = [(0, "error", "consistency", False, "rule"), (1, "warning", "plausibility", False, "rule"),
                (1, "warning", "plausibility", False, "rule")]
    out = score_groups(*frames(10, findings, 0), CFG)
    assert out["score"][0] == 82.0 and out["grade"][0] == "B" and out["rank"][0] == 1
    assert out["score_consistency"][0] == 90.0 and out["score_plausibility"][0] == 92.0


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("核实无误", False),
        ("经核实，数据真实无误，情况属实。", False),
        ("正常", False),
        ("", False),
        (None, False),
        ("本年新增两家门店，营业收入随之增长约六成", True),
        ("12月集中确认了全年项目收入，属正常波动", True),
        ("门店扩张,收入增长了", True),  # 10 characters, the comma counted
        ("  门店扩张收入增长了  ", False),  # 9 once the surrounding spaces go
    ],
)
def test_explanation_quality(text, ok):
    assert pl.select(explanation_ok_expr(pl.lit(text, dtype=pl.String), CFG.boilerplate, 10)).item() is ok


UNIT = {"credit_code": "91310107MA1G00000Q", "town_code": "310107005", "period": "202412", "emp_end": 10,
        "emp_female": 3, "emp_avg": 10, "wages": 1200.0}


def test_explanations_end_to_end():
    pack = load_pack("labor-102")
    data = pl.DataFrame([
        {**UNIT, "wages": 300.0},                                            # 102-04 warning
        {**UNIT, "credit_code": "91310107MA1G00001U", "emp_female": 12},      # 102-01 error
        {**UNIT, "credit_code": "91310107MA1G000032"},
    ])
    before = check(data, pack)
    warn = before.findings.filter(pl.col("rule_id") == "102-04")
    err = before.findings.filter(pl.col("rule_id") == "102-01")
    assert warn["explained"][0] is False and len(warn["fingerprint"][0]) == 16
    notes = pl.DataFrame({
        "fingerprint": [warn["fingerprint"][0], err["fingerprint"][0]],
        "text": ["该单位12月大量人员离职，平均人数按月加权后偏低", "企业说明期末人数统计口径有误，已更正"],
    })
    after = check(data, pack, explanations=notes)
    g0 = before.groups.row(0, named=True)
    g1 = after.groups.row(0, named=True)
    assert after.findings.filter(pl.col("rule_id") == "102-04")["explained"][0] is True
    assert after.findings.filter(pl.col("rule_id") == "102-01")["explained"][0] is False  # errors never
    assert (g0["units_unexplained"], g1["units_unexplained"]) == (1, 0)
    assert g1["score"] > g0["score"]
    boiler = check(data, pack, explanations=notes.with_columns(pl.lit("核实无误").alias("text")))
    assert boiler.groups.row(0, named=True)["units_unexplained"] == 1


def test_fingerprint_is_stable_across_row_order():
    pack = load_pack("labor-102")
    data = pl.DataFrame([{**UNIT, "wages": 300.0}, {**UNIT, "credit_code": "91310107MA1G00001U",
                                                    "emp_female": 12}])
    a = check(data, pack).findings.select("rule_id", "fingerprint").sort("rule_id")
    b = check(data.reverse(), pack).findings.select("rule_id", "fingerprint").sort("rule_id")
    assert a.equals(b)


def test_findings_ordered_by_level_then_priority():
    pack = load_pack("labor-102")
    small = {**UNIT, "emp_female": 12}
    big = {**UNIT, "credit_code": "91310107MA1G00001U", "emp_end": 4000, "emp_female": 5000, "emp_avg": 4000,
           "wages": 960000.0}
    warn = {**UNIT, "credit_code": "91310107MA1G000032", "wages": 300.0}
    result = check(pl.DataFrame([warn, small, big]), load_pack(pack.path))
    assert result.findings["level"].to_list() == ["error", "error", "warning"]
    assert result.findings["credit_code"].to_list()[0] == "91310107MA1G00001U"


def _priority_pack(scoring: str):
    from source_check import load_pack_text

    return load_pack_text(f"""
pack: p
group: g
fields: {{g: {{}}, y: {{type: float}}, x: {{type: float}}, s: {{}}}}
scoring: {scoring}
""")


@pytest.mark.parametrize(
    ("scoring", "previous", "expected"),
    [
        # ŷ = 街镇 median of y: A {1, 3, 8} → 3, B {10} → 10; totals A 12, B 10
        ("{priority_fields: [y]}", False, [2 / 12, 0.0, 5 / 12, 0.0]),
        # ŷ = median(y/x) · x over all units: ratios 1, 1, 2, 1 → 1; ŷ = x
        ("{priority_fields: [y], auxiliary: x}", False, [0.0, 0.0, 4 / 12, 0.0]),
        # per stratum s: S1 {1, 1} → 1, S2 {2, 1} → 1.5
        ("{priority_fields: [y], auxiliary: x, strata: [s]}", False, [0.0, 0.0, 2 / 12, 5 / 10]),
        # ŷ = last period's value
        # a unit with no last value (a new unit) is predicted as without a previous period: median(y/x) · x
        ("{priority_fields: [y], auxiliary: x}", True, [1 / 12, 0.0, 4 / 12, 0.0]),
        # ... or, with no auxiliary, by the 街镇's median
        ("{priority_fields: [y]}", True, [1 / 12, 0.0, 5 / 12, 0.0]),
    ],
)
def test_priority_is_the_largest_scaled_deviation(scoring, previous, expected):
    from source_check.scoring import priority_sinks, with_priority

    pack = _priority_pack(scoring)
    frame = pl.DataFrame({"g": ["A", "A", "A", "B"], "y": [1.0, 3.0, 8.0, 10.0], "x": [1.0, 3.0, 4.0, 10.0],
                          "s": ["S1", "S1", "S2", "S2"], "__prev__y": [2.0, 3.0, None, 10.0]})
    stats = pl.collect_all(priority_sinks(pack, previous, frame.lazy(), pl.col("g")))
    rows = frame.slice(1, 3)  # priority is computed for some rows, from aggregates over all of them
    got = with_priority(pack, previous, rows, pl.col("g"), stats, "p")["p"].to_list()
    assert got == pytest.approx(expected[1:])
    assert with_priority(pack, previous, frame, pl.col("g"), stats, "p")["p"].to_list() == pytest.approx(expected)


def test_priority_divides_by_the_group_total_not_the_sum_of_magnitudes():
    """Profit can be negative: T̂ is the 街镇's total Σy (its absolute value), as the formula says."""
    from source_check.scoring import priority_sinks, with_priority

    pack = _priority_pack("{priority_fields: [y]}")
    frame = pl.DataFrame({"g": ["A", "A", "A", "B"], "y": [1200.0, -800.0, 100.0, -50.0],
                          "x": [1.0] * 4, "s": ["S"] * 4, "__prev__y": [200.0, -800.0, 100.0, -10.0]})
    stats = pl.collect_all(priority_sinks(pack, True, frame.lazy(), pl.col("g")))
    got = with_priority(pack, True, frame, pl.col("g"), stats, "p")["p"].to_list()
    assert got == pytest.approx([1000 / 500, 0.0, 0.0, 40 / 50])


@pytest.mark.parametrize(
    ("spec", "grades"),
    [
        (None, {"A": 90, "B": 80, "C": 60}),
        ({"A": 95}, {"A": 95, "B": 80, "C": 60}),  # a change to one default keeps the others
        ({"优": 90, "良": 75}, {"优": 90, "良": 75}),  # a scale of one's own replaces them
    ],
)
def test_grades_from_the_pack(spec, grades):
    from source_check.pack.schema import ScoringSpec

    cfg = ScoringConfig.from_spec(ScoringSpec(grades=spec) if spec else None)
    assert cfg.grades == grades
    out = score_groups(*frames(20, [(0, "error", "validity", False, "rule")] * 3, 0), cfg)  # 100·(1 − 1/20) = 95
    assert out["grade"][0] == ("A" if "A" in grades else "优")


def test_min_explanation_length_zero_is_kept():
    from source_check.pack.schema import ScoringSpec

    assert ScoringConfig.from_spec(ScoringSpec(min_explanation_length=0)).min_explanation_length == 0
    assert ScoringConfig.from_spec(ScoringSpec()).min_explanation_length == 10


def test_notes_carry_the_packs_numbers():
    from source_check.pack.schema import ScoringSpec

    notes = " ".join(ScoringConfig.from_spec(ScoringSpec(weights={"warning": 0.5, "group_anomaly": 3},
                                                           grades={"A": 95})).notes())
    assert "未说明的核实性问题 0.5" in notes and "每个异常指标 3 分" in notes and "A ≥ 95，B ≥ 80，C ≥ 60" in notes
    default = " ".join(CFG.notes())
    assert "强制性问题 1.0，未说明的核实性问题 0.4" in default and "A ≥ 90" in default


def test_an_error_level_anomaly_weighs_as_an_error():
    as_rule = score(10, [(0, "error", "plausibility", False, "rule")], 0)
    as_detector = score(10, [(0, "error", "plausibility", False, "detector")], 0)
    assert as_rule == as_detector == 90.0
    assert score(10, [(0, "warning", "plausibility", False, "detector")], 0) == 97.0  # the anomaly weight 0.3
