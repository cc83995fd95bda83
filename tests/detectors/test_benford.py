"""benford: exact Benford frequencies conform, uniform digits do not (MAD by hand); applicability."""

from __future__ import annotations

import json
import math

import polars as pl
import pytest
from dhelp import assert_parameter_error, assert_same_output, frame, run, shuffled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from source_check import check, load_pack_text
from source_check.detectors.benford import CLASSES, expected, first_two_digits

PACK_TEXT = """\
pack: bf
key: [k]
group: g
fields:
  k: {}
  g: {}
  rev: {label: 营业收入, type: float, unit: 千元}
detectors:
  - {id: D-benford, kind: benford, fields: [rev], per: group, min_n: 300}
"""
PACK = load_pack_text(PACK_TEXT)


def _values(counts: dict[int, int]) -> list[float]:
    """``count`` values whose first two digits are ``dd``, spread over four orders of magnitude."""
    return [dd * 10.0 ** (i % 4) for dd, c in counts.items() for i in range(c)]


def _df(groups: dict[str, list[float]]) -> pl.DataFrame:
    rev = [v for vs in groups.values() for v in vs]
    g = [name for name, vs in groups.items() for _ in vs]
    return frame({"k": [str(i) for i in range(len(rev))], "g": g, "rev": rev}, group="g")


BENFORD_COUNTS = {dd: round(10_000 * math.log10(1 + 1 / dd)) for dd in range(10, 100)}
UNIFORM_COUNTS = {dd: 10 for dd in range(10, 100)}    # first digits 1–9 each 100 of 900


def test_exact_benford_frequencies_conform():
    out = run("benford", PACK, _df({"a": _values(BENFORD_COUNTS)}), fields=["rev"], per="all")
    n = sum(BENFORD_COUNTS.values())
    # MAD by hand: first digit d collects the counts of dd = 10d … 10d + 9
    first = {d: sum(BENFORD_COUNTS[10 * d + j] for j in range(10)) / n for d in range(1, 10)}
    mad_first = sum(abs(first[d] - math.log10(1 + 1 / d)) for d in range(1, 10)) / 9
    mad_two = sum(abs(BENFORD_COUNTS[dd] / n - math.log10(1 + 1 / dd)) for dd in range(10, 100)) / 90
    rows = {r["statistic"]: r for r in out.groups.iter_rows(named=True)}
    assert rows["mad_first_digit"]["value"] == pytest.approx(mad_first, abs=1e-15)
    assert rows["mad_first_two_digits"]["value"] == pytest.approx(mad_two, abs=1e-15)
    assert mad_first < 0.0001 and mad_two < 0.0001   # rounding to whole counts only
    for r in rows.values():
        assert (r["group"], r["n"], r["applicable"], r["flagged"]) == (None, n, True, False)
        assert r["class"] == CLASSES["close"] == "接近符合（close）"


FIRST_COUNTS = {d: round(1000 * math.log10(1 + 1 / d)) for d in range(1, 10)}   # 301, 176, 125, … (1000 in all)


def _first_digit_values(counts: dict[int, int]) -> list[float]:
    """``count`` values with first digit ``d``: d, 10d, 100d, 1000d, d, … — a quarter of them single-digit."""
    return [d * 10.0 ** (i % 4) for d, c in counts.items() for i in range(c)]


def test_first_digit_reads_every_positive_value():
    # audit reproduction (benf.py): exact Benford first digits over 1000 values, single-digit values included;
    # a default min_value of 10 read only 746 of them (MAD 0.000335 instead of ≈ 0.0001)
    x = [*_first_digit_values(FIRST_COUNTS), 0.0, -3.0]           # zero and negatives are not read
    out = run("benford", PACK, _df({"a": x}), fields=["rev"], per="all", min_n=100)
    rows = {r["statistic"]: r for r in out.groups.iter_rows(named=True)}
    first, two = rows["mad_first_digit"], rows["mad_first_two_digits"]
    mad = sum(abs(FIRST_COUNTS[d] / 1000 - math.log10(1 + 1 / d)) for d in range(1, 10)) / 9
    assert (first["n"], first["class"]) == (1000, CLASSES["close"])
    assert first["value"] == pytest.approx(mad, abs=1e-15) and mad < 0.00011
    assert first["message"].startswith("全部街镇的营业收入首位数字：N=1000，")
    assert json.loads(first["values"])["min_value"] is None
    # the first-two-digit test reads values ≥ 10 only: d has no second digit
    n_two = sum(c - (c + 3) // 4 for c in FIRST_COUNTS.values())
    assert two["n"] == n_two == 746
    assert two["message"].startswith(f"全部街镇的营业收入前两位数字（不小于 10 的值）：N={n_two}，")
    assert json.loads(two["values"])["min_value"] == 10
    # values below 1 have a first digit too
    small = run("benford", PACK, _df({"a": [v / 1000 for v in x]}), fields=["rev"], per="all", tests=["first"],
                min_n=100)
    assert small.groups.select("n", "value").row(0) == (1000, pytest.approx(mad, abs=1e-15))


def test_min_value_when_given_applies_to_every_test():
    x = _first_digit_values(FIRST_COUNTS)
    out = run("benford", PACK, _df({"a": x}), fields=["rev"], per="all", min_n=100, min_value=10,
              tests=["first", "first_two", "second"])
    assert out.groups["n"].to_list() == [746, 746, 746]
    assert all("（不小于 10 的值）" in m for m in out.groups["message"])
    hundred = run("benford", PACK, _df({"a": x}), fields=["rev"], per="all", min_n=100, min_value=100.0)
    n = sum(c - (c + 3) // 4 - (c + 2) // 4 for c in FIRST_COUNTS.values())
    assert hundred.groups["n"].to_list() == [n, n] and "（不小于 100 的值）" in hundred.groups["message"][0]


def test_per_digit_z_as_in_methods_can_be_negative():
    # METHODS: z = (|p_o − p_e| − 1/(2N)) / sqrt(p_e (1 − p_e) / N), no clipping at 0. Exact Benford counts
    # (N = 1000) differ from p_e by less than 1/(2N) = 0.0005 for every digit: every z is slightly negative.
    out = run("benford", PACK, _df({"a": _first_digit_values(FIRST_COUNTS)}), fields=["rev"], per="all",
              tests=["first"], min_n=100)
    digits = json.loads(out.groups["values"][0])["digits"]
    n = 1000
    for d in digits:
        p_e = math.log10(1 + 1 / d["digit"])
        z = (abs(FIRST_COUNTS[d["digit"]] / n - p_e) - 1 / (2 * n)) / math.sqrt(p_e * (1 - p_e) / n)
        assert d["z"] == pytest.approx(round(z, 4), abs=1e-12)
        assert z < 0
    assert [d["z"] for d in digits][:3] == [-0.0324, -0.0339, -0.042]   # the audit's figures
    assert json.loads(out.groups["values"][0])["z_max"] == max(d["z"] for d in digits)
    # a larger difference: digit 1 with 331 instead of 301 of 1030 values, by hand
    counts = dict(FIRST_COUNTS) | {1: 331}
    out = run("benford", PACK, _df({"a": _first_digit_values(counts)}), fields=["rev"], per="all",
              tests=["first"], min_n=100)
    one = json.loads(out.groups["values"][0])["digits"][0]
    p1 = math.log10(2)
    z1 = (abs(331 / 1030 - p1) - 1 / 2060) / math.sqrt(p1 * (1 - p1) / 1030)
    assert one["z"] == pytest.approx(round(z1, 4), abs=1e-12) and round(z1, 2) == 1.39


def test_uniform_digits_do_not_conform():
    out = run("benford", PACK, _df({"a": _values(UNIFORM_COUNTS)}), fields=["rev"], per="all")
    n = 900
    p = {d: math.log10(1 + 1 / d) for d in range(1, 10)}
    mad = sum(abs(1 / 9 - p[d]) for d in range(1, 10)) / 9
    assert round(mad, 6) == 0.059717
    chi2 = sum((100 - n * p[d]) ** 2 / (n * p[d]) for d in range(1, 10))
    z1 = (abs(1 / 9 - p[1]) - 1 / (2 * n)) / math.sqrt(p[1] * (1 - p[1]) / n)
    row = out.groups.filter(pl.col("statistic") == "mad_first_digit").row(0, named=True)
    assert row["value"] == pytest.approx(mad, abs=1e-15)
    assert (row["class"], row["flagged"]) == ("不符合（nonconformity）", True)
    details = json.loads(row["values"])
    assert details["chi2"] == pytest.approx(round(chi2, 4))
    assert details["df"] == 8 and details["p_chi2"] < 1e-6
    digit1 = next(d for d in details["digits"] if d["digit"] == 1)
    assert (digit1["count"], digit1["z"]) == (100, pytest.approx(round(z1, 4)))
    assert "偏离最大的数字：1（实际 11.1%，期望 30.1%）" in row["message"]
    two = out.groups.filter(pl.col("statistic") == "mad_first_two_digits").row(0, named=True)
    mad_two = sum(abs(1 / 90 - math.log10(1 + 1 / dd)) for dd in range(10, 100)) / 90
    assert two["value"] == pytest.approx(mad_two, abs=1e-15)
    assert two["flagged"]


def test_per_group_and_overall_with_applicability():
    groups = {
        "a": _values(BENFORD_COUNTS),                    # conforms
        "b": _values(UNIFORM_COUNTS),                    # does not
        "c": _values({dd: 2 for dd in range(10, 100)}),  # 180 values: too few
        "d": [100.0 + i for i in range(400)],           # 400 values within one decade
    }
    out = run("benford", PACK, _df(groups), fields=["rev"], tests=["first"])
    rows = {r["group"]: r for r in out.groups.iter_rows(named=True)}
    assert list(rows) == [None, "a", "b", "c", "d"]       # overall first, then each 街镇
    assert rows["a"]["flagged"] is False and rows["b"]["flagged"] is True
    assert rows["c"]["applicable"] is False and rows["c"]["value"] is None
    assert "有效值 180 个，少于 300 个" in rows["c"]["message"]
    assert rows["d"]["applicable"] is False and "数量级" in rows["d"]["message"]
    assert rows[None]["n"] == sum(len(v) for v in groups.values())
    assert rows[None]["message"].startswith("全部街镇的营业收入首位数字")
    spread = json.loads(rows["d"]["values"])
    assert spread["decades"] == pytest.approx(math.log10(spread["p95"] / spread["p5"]), abs=1e-4)


def test_second_digit_and_marginal():
    assert sum(expected("second").values()) == pytest.approx(1.0)
    assert expected("second")[0] == pytest.approx(0.11968, abs=1e-5)
    out = run("benford", PACK, _df({"a": _values(BENFORD_COUNTS)}), fields=["rev"], per="all", tests=["second"])
    assert out.groups["statistic"].to_list() == ["mad_second_digit"] and not out.groups["flagged"][0]
    # a MAD between 0.012 and 0.015 is marginal: flagged only with flag_marginal
    counts = dict(BENFORD_COUNTS)
    for dd in range(10, 20):   # move 610 of 10 000 values from first digit 1 to 5: MAD = 2 · 0.061 / 9
        counts[dd] -= 61
    for dd in range(50, 60):
        counts[dd] += 61
    plain = run("benford", PACK, _df({"a": _values(counts)}), fields=["rev"], per="all", tests=["first"])
    assert plain.groups["class"][0] == CLASSES["marginal"] and not plain.groups["flagged"][0]
    strict = run("benford", PACK, _df({"a": _values(counts)}), fields=["rev"], per="all", tests=["first"],
                 flag_marginal=True)
    assert strict.groups["flagged"][0]


def test_digits_of_awkward_numbers():
    # log10(1000) is 2.9999999999999996 in floating point, 0.3 / 0.01 is 29.999999999999996: within a
    # relative 1e-9 below a digit boundary counts as the boundary
    xs = [10.0, 99.99, 1000.0, 1e15, 0.3, 29.9999, 29.99999999999, 123456789.0, 9.99999999999e5]
    got = pl.DataFrame({"x": xs}).select(first_two_digits(pl.col("x"))).to_series().to_list()
    assert got == [10, 99, 10, 10, 30, 29, 30, 12, 10]
    # every positive value is read now: subnormal numbers (10^(e − 1) underflows) and the largest double too
    tiny = pl.DataFrame({"x": [5e-324, 2.5e-310, 1.7976931348623157e308, 7.0, 0.05]})
    assert tiny.select(first_two_digits(pl.col("x"))).to_series().to_list() == [49, 25, 17, 70, 50]


def test_end_to_end_group_level_only():
    data = pl.DataFrame({"k": [str(i) for i in range(900)], "g": ["x"] * 900, "rev": _values(UNIFORM_COUNTS)})
    result = check(data, PACK)
    assert result.findings.filter(pl.col("rule_id") == "D-benford").is_empty()
    assert result.anomalies is not None
    table = result.anomalies.filter(pl.col("detector_id") == "D-benford")
    assert set(table["scope"]) == {"group"}
    assert table.filter(pl.col("flagged"))["group"].to_list() == [None, None, "x", "x"]
    assert json.loads(table["values"][0])["test"] == "first"


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("{id: D1, kind: benford, fields: [rev], min: 300}", "是否想写 'min_n'"),
        ("{id: D1, kind: benford, fields: [rev], per: town}", "per"),
        ("{id: D1, kind: benford, fields: [rev], tests: [first, third]}", "tests"),
        ("{id: D1, kind: benford, fields: [rew]}", "是否想写 'rev'"),
    ],
)
def test_parameter_errors_are_positioned(spec, fragment):
    assert_parameter_error(PACK_TEXT, spec, fragment, "bf.yaml")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(0, 1e7), st.sampled_from(["a", "b", "c"])), min_size=1, max_size=200),
       st.integers(0, 10_000))
def test_row_order_does_not_matter(rows, seed):
    df = frame({"k": [str(i) for i in range(len(rows))], "g": [r[1] for r in rows], "rev": [r[0] for r in rows]},
               group="g")
    params = {"fields": ["rev"], "min_n": 10, "min_decades": 0.5, "tests": ["first", "first_two", "second"]}
    assert_same_output(run("benford", PACK, df, **params), run("benford", PACK, shuffled(df, seed), **params))
