"""Pieces several detectors share: strata (``by:``), number text for messages, unit ids.

A stratum part is a field id, or ``{field: ..., prefix: n}`` to stratify by the first
``n`` characters of a code (e.g. the GB/T 4754 大类 is the first 2 digits of a 小类).

Examples
--------
>>> import polars as pl
>>> by = [Stratum.model_validate(s) for s in coerce_by(["size", {"field": "industry", "prefix": 2}])]
>>> df = pl.DataFrame({"size": ["1", "2", None], "industry": ["1311", "1320", "1311"]})
>>> df.select(stratum_expr(by)).to_series().to_list()
['1|13', '2|13', None]
>>> pl.DataFrame({"x": [1200.0, 1000.26, 0.000123]}).select(num_text(pl.col("x"))).to_series().to_list()
['1200', '1000.26', '0.000123']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from ..pack.model import Pack
from .base import GROUP, ROW, DetectorContext

__all__ = [
    "BY",
    "Stratum",
    "by_columns",
    "by_fields",
    "coerce_by",
    "field_labels",
    "num_text",
    "p_text",
    "scope_counts",
    "scope_name",
    "scopes",
    "stratum_expr",
    "stratum_text",
    "unit_id",
]


BY = "__by__"


class Stratum(BaseModel):
    """One part of a stratum: a field, optionally cut to its first ``prefix`` characters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(description="分层字段")
    prefix: int | None = Field(default=None, ge=1, description="只取代码的前几位（如行业代码前 2 位 = 大类）")


def coerce_by(value: Any) -> Any:
    """``by:`` accepts field ids and ``{field, prefix}`` mappings; turn ids into mappings."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [{"field": v} if isinstance(v, str) else v for v in value]
    return value


def by_fields(by: Sequence[Stratum]) -> list[str]:
    return [s.field for s in by]


def _part(s: Stratum, prefix: str = "") -> pl.Expr:
    text = pl.col(prefix + s.field).cast(pl.String).str.strip_chars()
    if s.prefix is not None:
        text = pl.when(text.str.len_chars() >= s.prefix).then(text.str.slice(0, s.prefix))
    return pl.when(text != "").then(text)


def stratum_expr(by: Sequence[Stratum]) -> pl.Expr:
    """The stratum of each record as text ('' without ``by``; null if a part is missing)."""
    if not by:
        return pl.lit("")
    return pl.concat_str([_part(s) for s in by], separator="|")


def by_columns(by: Sequence[Stratum], prefix: str = BY) -> list[pl.Expr]:
    """The stratum fields renamed with ``prefix`` (so they cannot clash with a detector's own columns)."""
    return [pl.col(f).alias(prefix + f) for f in dict.fromkeys(by_fields(by))]


def stratum_text(by: Sequence[Stratum], pack: Pack, prefix: str = "") -> pl.Expr:
    """The stratum in Chinese for messages, e.g. ``行业代码前2位为13``.

    ``prefix``: read the stratum fields from columns renamed by :func:`by_columns`.
    """
    if not by:
        return pl.lit("全部单位")
    pieces: list[pl.Expr] = []
    for i, s in enumerate(by):
        head = ("，" if i else "") + pack.label(s.field) + (f"前{s.prefix}位" if s.prefix else "") + "为"
        pieces += [pl.lit(head), _part(s, prefix)]
    return pl.concat_str(pieces)


def num_text(x: pl.Expr, digits: int = 2) -> pl.Expr:
    """A number as short text: integral values without '.0', others rounded."""
    as_int = pl.when(x.abs() < 1e15).then(x.round(0).cast(pl.Int64, strict=False)).cast(pl.String)
    return (
        pl.when(x.is_null()).then(pl.lit("空"))
        .when(x == x.round(0)).then(as_int)
        .when(x.abs() >= 1).then(x.round(digits).cast(pl.String))
        .otherwise(x.round_sig_figs(3).cast(pl.String))
    )


def p_text(p: pl.Expr) -> pl.Expr:
    """A p-value for messages, with its relation sign: ``=0.0123`` or ``<0.0001``."""
    return pl.when(p < 0.0001).then(pl.lit("<0.0001")).otherwise(pl.concat_str(pl.lit("="), p.round(4).cast(pl.String)))


def field_labels(pack: Pack, fields: Iterable[str]) -> str:
    """Chinese labels joined with 、."""
    return "、".join(pack.label(f) for f in fields)


def unit_id(pack: Pack) -> pl.Expr:
    """A unit's identity as text: its key joined with '/', or its row when the key is missing."""
    keys = [k for k in pack.key]
    row = pl.lit("#") + pl.col(ROW).cast(pl.String)
    if not keys:
        return row
    key = pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator="/")
    return pl.coalesce(key, row)


def scope_name(ctx: DetectorContext) -> pl.Expr:
    """The Chinese name of column ``group``: its code-list name or code; null means all."""
    groups = [g for g in ctx.frame[GROUP].unique().to_list() if g is not None]
    names = {g: ctx.pack.group_name(g) or g for g in groups}
    overall = "全部街镇" if ctx.pack.group is not None else "全部单位"
    return pl.when(pl.col("group").is_null()).then(pl.lit(overall)).otherwise(
        pl.col("group").replace_strict(names, default=pl.col("group"), return_dtype=pl.String))


def scopes(ctx: DetectorContext, *, per_group: bool) -> pl.DataFrame:
    """The scopes of a group-level test: ``group`` null (all records), then each group when ``per_group``."""
    overall = pl.DataFrame({"group": [None]}, schema={"group": pl.String})
    if not (per_group and ctx.pack.group is not None):
        return overall
    groups = ctx.frame.select(pl.col(GROUP).cast(pl.String).alias("group")).drop_nulls().unique().sort("group")
    return pl.concat([overall, groups])


def scope_counts(counts: pl.DataFrame, keys: list[str], sums: list[str], *, per_group: bool) -> pl.DataFrame:
    """Counts by ``group`` (and ``keys``) turned into counts by scope.

    The overall row (``group`` null) sums every record, including those without a group;
    with ``per_group`` each non-null group keeps its own counts.
    """
    if keys:
        overall = counts.group_by(keys).agg([pl.col(c).sum() for c in sums])
    else:
        overall = counts.select([pl.col(c).sum() for c in sums])
    overall = overall.select(pl.lit(None, dtype=pl.String).alias("group"), *keys, *sums)
    if not per_group:
        return overall
    own = counts.filter(pl.col("group").is_not_null()).select("group", *keys, *sums)
    return pl.concat([overall, own], how="vertical_relaxed")
