"""The closed-form tails against tabulated values and exact sums."""

from __future__ import annotations

import math

import polars as pl
import pytest

from source_check.detectors.stats import binomial_sf, chi2_sf, normal_sf


@pytest.mark.parametrize(
    ("x", "df", "p"),
    [
        (3.841459, 1, 0.05), (6.634897, 1, 0.01), (15.507313, 8, 0.05), (26.124482, 8, 0.001),
        (16.918978, 9, 0.05), (27.877165, 9, 0.001), (112.022, 89, 0.05), (122.942, 89, 0.01),
        (123.225, 99, 0.05), (148.230, 99, 0.001),
    ],
)
def test_chi2_upper_tail_matches_tables(x, df, p):
    assert pl.select(chi2_sf(pl.lit(x), df)).item() == pytest.approx(p, rel=2e-4)


def test_chi2_edges():
    out = pl.DataFrame({"x": [None, 0.0, -1.0, 1e5]}, schema={"x": pl.Float64}).select(chi2_sf(pl.col("x"), 9))
    assert out.to_series().to_list() == [None, 1.0, 1.0, 0.0]
    with pytest.raises(ValueError):
        chi2_sf(pl.lit(1.0), 0)


@pytest.mark.parametrize(("z", "p"), [(0.0, 0.5), (1.959964, 0.025), (3.090232, 0.001), (-1.644854, 0.95)])
def test_normal_upper_tail(z, p):
    assert pl.select(normal_sf(pl.lit(z))).item() == pytest.approx(p, rel=1e-5)


def test_binomial_tail_is_exact():
    cases = [(0, 10, 0.3), (1, 10, 0.3), (4, 300, 0.001), (30, 150, 0.1), (150, 150, 0.5), (7, 5, 0.5), (2, 9, 0.0),
             (3, 9, 1.0)]
    df = pl.DataFrame(cases, schema={"k": pl.Int64, "n": pl.Int64, "p": pl.Float64}, orient="row")
    got = binomial_sf(df, "k", "n", "p").to_list()
    for (k, n, p), value in zip(cases, got, strict=True):
        want = 1 - sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(min(k, n + 1)))
        assert value == pytest.approx(max(want, 0.0), abs=1e-12), (k, n, p)
