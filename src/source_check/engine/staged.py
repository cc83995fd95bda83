"""Light whole-column statistics in two streaming passes of bounded memory.

Some facts about a whole column — which values repeat, what its median is — need every
value at once if computed directly: polars keeps the column (a median of 10M values
held 670 MB). :class:`RepeatedValues` and :class:`ExactMedians` get the same exact
answers from two light passes instead: the first collects something small per row or
per bucket (a 64-bit hash; a histogram), the second only the few values that decide the
answer. :func:`collect_staged` runs any number of them (and plain aggregate queries)
together, so the source is read twice in all, not twice per statistic.

Examples
--------
>>> frame = pl.LazyFrame({"g": ["a", "a", "a", "b", "b"], "v": [3.0, 1.0, 2.0, 5.0, None]})
>>> plain, (medians,) = collect_staged([], [ExactMedians(frame, ["g"], {"m": pl.col("v")})])
>>> medians.sort("g").rows()
[('a', 2.0), ('b', 5.0)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import polars as pl

__all__ = ["ExactMedians", "RepeatedValues", "Staged", "collect_staged"]

_V = "__value"
_B = "__bucket"
_PER_OCTAVE = 256  # histogram buckets per factor of two: the median's bucket holds few values


class Staged(Protocol):
    """A statistic computed in two streaming passes."""

    def first(self) -> list[pl.LazyFrame]:
        """The queries of the first pass (small results)."""
        ...

    def second(self, first: list[pl.DataFrame]) -> list[pl.LazyFrame]:
        """The queries of the second pass, given the first pass's results (may be none)."""
        ...

    def result(self, first: list[pl.DataFrame], second: list[pl.DataFrame]) -> Any:
        """The statistic."""
        ...


def collect_staged(
    plain: Sequence[pl.LazyFrame], staged: Sequence[Staged]
) -> tuple[list[pl.DataFrame], list[Any]]:
    """Collect ``plain`` queries and the ``staged`` statistics in two streaming passes.

    Returns the plain queries' frames and each statistic's result, in order. The queries
    do not share one scan of the source: each reads its few columns itself. Sharing saves
    little reading here but makes polars buffer rows between consumers that go at
    different speeds (936 MB instead of 222 MB for the light pass at 10M units).
    """
    firsts = [s.first() for s in staged]
    flat = _collect([*plain, *[q for f in firsts for q in f]])
    done, rest = list(flat[:len(plain)]), flat[len(plain):]
    got1: list[list[pl.DataFrame]] = []
    for f in firsts:
        got1.append(list(rest[:len(f)]))
        rest = rest[len(f):]
    seconds = [s.second(g) for s, g in zip(staged, got1, strict=True)]
    flat2 = _collect([q for f in seconds for q in f]) if any(seconds) else []
    results = []
    for s, g, f in zip(staged, got1, seconds, strict=True):
        results.append(s.result(g, list(flat2[:len(f)])))
        flat2 = flat2[len(f):]
    return done, results


def _collect(queries: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    return pl.collect_all(queries, engine="streaming", optimizations=pl.QueryOptFlags(comm_subplan_elim=False))


class RepeatedValues:
    """For each expression, the non-null values it takes more than once in ``frame``.

    First pass: a 64-bit hash per non-null value (8 bytes a row, not the texts); the
    hashes seen more than once are found by sorting. Second pass, only when there are
    any: the values behind those hashes, counted exactly — a hash collision between two
    different values cannot make either a duplicate.

    >>> lf = pl.LazyFrame({"code": ["a", "b", "a", None, None]})
    >>> _, (found,) = collect_staged([], [RepeatedValues(lf, {"code": pl.col("code")})])
    >>> found["code"].to_list()
    ['a']
    """

    def __init__(self, frame: pl.LazyFrame, exprs: Mapping[str, pl.Expr]) -> None:
        self.values = {k: frame.select(e.alias("value")).drop_nulls() for k, e in exprs.items()}
        self._asked: list[str] = []

    def first(self) -> list[pl.LazyFrame]:
        return [v.select(pl.col("value").hash().alias("h")) for v in self.values.values()]

    def second(self, first: list[pl.DataFrame]) -> list[pl.LazyFrame]:
        out = []
        self._asked = []
        for (k, v), h in zip(self.values.items(), first, strict=True):
            seen = h.to_series().sort()
            twice = seen.filter(seen == seen.shift(1)).unique()
            if not twice.is_empty():
                self._asked.append(k)
                out.append(v.filter(pl.col("value").hash().is_in(twice.implode()))
                           .group_by("value").agg(pl.len().alias("n")).filter(pl.col("n") > 1).select("value"))
        return out

    def result(self, first: list[pl.DataFrame], second: list[pl.DataFrame]) -> dict[str, pl.Series]:
        found = {k: df.to_series() for k, df in zip(self._asked, second, strict=True)}
        return {k: found[k] if k in found else pl.Series("value", [], dtype=v.collect_schema()["value"])
                for k, v in self.values.items()}


def _bucket(v: pl.Expr) -> pl.Expr:
    """A histogram bucket that never decreases as ``v`` grows: 0 for zero, then the
    binary logarithm of ``|v|`` in steps of 1/256, mirrored for negative values."""
    mag = (v.abs().log(2) * _PER_OCTAVE).floor()
    step = pl.when(v.is_infinite()).then(pl.lit(1_000_000.0)).otherwise(mag + 400_000.0)
    return (pl.when(v > 0).then(step).when(v < 0).then(-step).otherwise(0.0)).cast(pl.Int64)


def _holds(rank: pl.Expr) -> pl.Expr:
    """Whether the bucket holds the value of this rank (0-based, in value order)."""
    return (pl.col("before") <= rank) & (rank < pl.col("before") + pl.col("n"))


class ExactMedians:
    """Exact medians of Float64 expressions per stratum (``by``: column names; none: overall).

    Nulls and NaNs are left out (as polars' ``median`` leaves out nulls). First pass: per
    stratum a histogram of the values — count, least and largest value per bucket of
    1/256 of a factor of two. The ranks of the median, ``⌊(n−1)/2⌋`` and ``⌊n/2⌋``, fall
    in one or two buckets; the second pass counts the distinct values in only those
    buckets (a tie of millions of units at one value is one row) and the median is read
    off the running counts, interpolated as polars does. Should the buckets' value ranges
    ever overlap (they cannot: buckets follow the values' order), the medians are
    computed directly instead.

    The result has the ``by`` columns and one column per name.
    """

    def __init__(self, frame: pl.LazyFrame, by: Sequence[str], values: Mapping[str, pl.Expr]) -> None:
        self.frame, self.by, self.values = frame, list(by), dict(values)
        self._direct: set[str] = set()

    def _valid(self, name: str) -> pl.LazyFrame:
        v = pl.col(_V)
        return (self.frame.select(*self.by, self.values[name].cast(pl.Float64).alias(_V))
                .filter(v.is_not_null() & v.is_not_nan()).with_columns(_bucket(v).alias(_B)))

    def _over(self, e: pl.Expr) -> pl.Expr:
        return e.over(self.by) if self.by else e

    def first(self) -> list[pl.LazyFrame]:
        return [self._valid(n).group_by([*self.by, _B]).agg(
            pl.len().alias("n"), pl.col(_V).min().alias("lo"), pl.col(_V).max().alias("hi"))
            for n in self.values]

    def _ranked(self, hist: pl.DataFrame) -> pl.DataFrame:
        """Buckets in value order per stratum, with the count before each and the ranks wanted."""
        ranked = hist.sort([*self.by, _B]).with_columns(
            (self._over(pl.col("n").cum_sum()) - pl.col("n")).alias("before"),
            self._over(pl.col("n").sum()).alias("total"),
            self._over(pl.col("lo").shift(-1)).alias("next_lo"),
        )
        return ranked.with_columns(((pl.col("total") - 1) // 2).alias("r_lo"), (pl.col("total") // 2).alias("r_hi"))

    def second(self, first: list[pl.DataFrame]) -> list[pl.LazyFrame]:
        out = []
        self._direct = set()
        for name, hist in zip(self.values, first, strict=True):
            ranked = self._ranked(hist)
            if ranked.filter(pl.col("hi") >= pl.col("next_lo")).height:  # never, by construction
                self._direct.add(name)
                med = self.values[name].cast(pl.Float64).median().alias(name)
                out.append(self.frame.group_by(self.by).agg(med) if self.by else self.frame.select(med))
                continue
            wanted = ranked.filter(_holds(pl.col("r_lo")) | _holds(pl.col("r_hi"))).select(*self.by, _B, "before")
            valid = self._valid(name)
            candidates = (valid.join(wanted.lazy(), on=[*self.by, _B], how="inner", nulls_equal=True) if self.by
                          else valid.filter(pl.col(_B).is_in(wanted[_B].implode())).join(wanted.lazy(), on=_B))
            out.append(candidates.group_by([*self.by, _B, "before", _V]).agg(pl.len().alias("k")))
        return out

    def result(self, first: list[pl.DataFrame], second: list[pl.DataFrame]) -> pl.DataFrame:
        tables: list[pl.DataFrame] = []
        for name, hist, counted in zip(self.values, first, second, strict=True):
            if name in self._direct:
                tables.append(counted)
                continue
            ranks = self._ranked(hist).select(*self.by, "r_lo", "r_hi").unique(self.by or None)
            keyed = [*self.by, _B]
            # each distinct value covers the ranks [start, start + k)
            spans = counted.sort([*keyed, _V]).with_columns(
                (pl.col("before") + pl.col("k").cum_sum().over(keyed) - pl.col("k")).alias("start"))
            spans = (spans.join(ranks, on=self.by, how="left", nulls_equal=True) if self.by
                     else spans.join(ranks, how="cross"))

            def at(rank: str) -> pl.Expr:
                return pl.col(_V).filter((pl.col("start") <= pl.col(rank))
                                         & (pl.col(rank) < pl.col("start") + pl.col("k"))).first()

            lo, hi = at("r_lo"), at("r_hi")
            # as polars interpolates, for the same float rounding (and an infinite median)
            agg = [pl.when(lo == hi).then(lo).otherwise(lo + (hi - lo) * 0.5).alias(name)]
            tables.append(spans.group_by(self.by, maintain_order=True).agg(agg) if self.by else spans.select(agg))
        if not self.by:
            return pl.concat(tables, how="horizontal")
        out = tables[0]
        for t in tables[1:]:
            out = out.join(t, on=self.by, how="full", coalesce=True, nulls_equal=True)
        return out
