"""Light whole-column statistics before the plan, in two streaming passes.

Which values of a column repeat needs every value at once if computed directly
(``is_duplicated`` holds the column, and with it the whole plan). :class:`RepeatedValues`
gets the same exact answer from two light passes instead: the first collects a 64-bit
hash per row, the second only the values behind the hashes seen twice.
:func:`collect_staged` runs such statistics together with plain aggregate queries (units
per 街镇, what priorities need), so the source is read twice in all.

Examples
--------
>>> frame = pl.LazyFrame({"g": ["a", "a", "b"], "code": ["x", "y", "x"]})
>>> (units,), (repeated,) = collect_staged([frame.group_by("g").agg(pl.len()).sort("g")],
...                                        [RepeatedValues(frame, {"code": pl.col("code")})])
>>> units.rows(), repeated["code"].to_list()
([('a', 2), ('b', 1)], ['x'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import polars as pl

__all__ = ["RepeatedValues", "Staged", "collect_staged"]


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
    different speeds (1.2 GB instead of 0.67 GB for the light pass at 10M units, for
    5% less time).
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
