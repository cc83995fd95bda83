"""Two-pass statistics: exact medians by histogram and repeated values by hash equal the direct ones."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from source_check.engine.staged import ExactMedians, RepeatedValues, collect_staged

floats = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, -0.0, 1.0, 1.0000001, -3.5, 1e-300, 5e-324, 2.0**60]),
)


def _direct(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    clean = frame.filter(pl.col("v").is_not_null() & pl.col("v").is_not_nan())
    med = pl.col("v").median().alias("m")
    return clean.group_by(by).agg(med) if by else clean.select(med)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))  # inf − inf: both say NaN


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["甲", "乙", None]), floats), min_size=0, max_size=60),
       st.booleans())
def test_exact_medians_equal_polars_median(rows: list[tuple[str | None, float | None]], stratified: bool) -> None:
    frame = pl.DataFrame({"s": [r[0] for r in rows], "v": [r[1] for r in rows]},
                         schema={"s": pl.String, "v": pl.Float64})
    by = ["s"] if stratified else []
    _, (got,) = collect_staged([], [ExactMedians(frame.lazy(), by, {"m": pl.col("v")})])
    want = _direct(frame, by)
    if by:
        joined = want.join(got, on="s", how="full", coalesce=True, nulls_equal=True, suffix="_got")
        assert all(_same(a, b) for a, b in joined.select("m", "m_got").iter_rows()), joined
    else:
        assert got.height == 1 and _same(got["m"][0], want["m"][0])


def test_medians_of_many_values_read_only_the_candidate_buckets() -> None:
    n = 200_001
    frame = pl.LazyFrame({"v": pl.int_range(n, eager=True).cast(pl.Float64) * 1.37 + 0.5,
                          "s": pl.int_range(n, eager=True) % 3})
    medians = ExactMedians(frame, ["s"], {"m": pl.col("v") / 2, "w": -pl.col("v")})
    first = pl.collect_all(medians.first())
    candidates = pl.collect_all(medians.second(first))
    assert all(c.height < n / 100 for c in candidates)  # the second pass holds a few buckets, not the column
    ties = ExactMedians(pl.LazyFrame({"v": [1.0] * 50_000 + [1.001, 0.999, 7.0]}), [], {"m": pl.col("v")})
    counted = pl.collect_all(ties.second(pl.collect_all(ties.first())))
    assert counted[0].height <= 3  # a tie is one row of the second pass

    got = medians.result(first, candidates).sort("s")
    want = frame.group_by("s").agg((pl.col("v") / 2).median().alias("m"), (-pl.col("v")).median().alias("w")).sort("s")
    assert got.select("s", "m", "w").equals(want.collect())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab普陀", max_size=3)), max_size=40))
def test_repeated_values_equal_is_duplicated(values: list[str | None]) -> None:
    series = pl.Series("code", values, dtype=pl.String)
    _, (found,) = collect_staged([], [RepeatedValues(series.to_frame().lazy(), {"code": pl.col("code")})])
    clean = series.drop_nulls()
    assert sorted(found["code"].to_list()) == sorted(clean.filter(clean.is_duplicated()).unique().to_list())


def test_plain_queries_and_statistics_come_back_in_order(tmp_path) -> None:
    path = tmp_path / "x.parquet"
    pl.DataFrame({"g": ["a", "a", "b"], "v": [1.0, 3.0, 2.0], "k": ["x", "x", "y"],
                  "wide": ["不读"] * 3}).write_parquet(path)
    lf = pl.scan_parquet(path)
    plain = [lf.group_by("g").agg(pl.len()).sort("g"), lf.select(pl.len())]
    staged = [ExactMedians(lf, [], {"m": pl.col("v")}), RepeatedValues(lf, {"k": pl.col("k")})]
    for query in staged[0].first():
        assert "wide" not in query.explain()  # light: only the columns the statistic reads
    done, (med, rep) = collect_staged(plain, staged)
    assert done[0]["len"].to_list() == [2, 1] and done[1].item() == 3
    assert med["m"].to_list() == [2.0] and rep["k"].to_list() == ["x"]


@pytest.mark.parametrize("values", [[], [None, None]])
def test_medians_without_values_are_null(values: list[float | None]) -> None:
    frame = pl.LazyFrame({"v": values}, schema={"v": pl.Float64})
    _, (got,) = collect_staged([], [ExactMedians(frame, [], {"m": pl.col("v")})])
    assert got["m"].to_list() == [None]
