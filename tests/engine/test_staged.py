"""Two-pass statistics: repeated values by hash equal the direct ones; plain queries ride along."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from source_check.engine.staged import RepeatedValues, collect_staged


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
    staged = [RepeatedValues(lf, {"k": pl.col("k")}), RepeatedValues(lf, {"v": pl.col("v"), "g": pl.col("g")})]
    for query in staged[0].first():
        assert "wide" not in query.explain()  # light: only the columns the statistic reads
    done, (rep, both) = collect_staged(plain, staged)
    assert done[0]["len"].to_list() == [2, 1] and done[1].item() == 3
    assert rep["k"].to_list() == ["x"] and both["v"].to_list() == [] and both["g"].to_list() == ["a"]
    assert both["v"].dtype == pl.Float64
