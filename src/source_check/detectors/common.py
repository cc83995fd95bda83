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
    "Stratum",
    "by_fields",
    "coerce_by",
    "field_labels",
    "num_text",
    "p_text",
    "pool_scopes",
    "scope_name",
    "stratum_expr",
    "stratum_text",
    "unit_id",
]


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


def _part(s: Stratum) -> pl.Expr:
    text = pl.col(s.field).cast(pl.String).str.strip_chars()
    if s.prefix is not None:
        text = pl.when(text.str.len_chars() >= s.prefix).then(text.str.slice(0, s.prefix))
    return pl.when(text != "").then(text)


def stratum_expr(by: Sequence[Stratum]) -> pl.Expr:
    """The stratum of each record as text ('' without ``by``; null if a part is missing)."""
    if not by:
        return pl.lit("")
    return pl.concat_str([_part(s) for s in by], separator="|")


def stratum_text(by: Sequence[Stratum], pack: Pack) -> pl.Expr:
    """The stratum in Chinese for messages, e.g. ``行业代码前2位为13``."""
    if not by:
        return pl.lit("全部单位")
    pieces: list[pl.Expr] = []
    for i, s in enumerate(by):
        head = ("，" if i else "") + pack.label(s.field) + (f"前{s.prefix}位" if s.prefix else "") + "为"
        pieces += [pl.lit(head), _part(s)]
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


def pool_scopes(ctx: DetectorContext, values: pl.DataFrame, *, per_group: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Scopes of a group-level test and the values pooled by scope.

    ``values`` has a ``group`` column. Returns every scope (``group`` null = all records,
    then each non-null group of the frame when ``per_group`` and the pack has a group)
    and ``values`` stacked once per scope it belongs to.
    """
    scopes = pl.DataFrame({"group": [None]}, schema={"group": pl.String})
    pooled = values.with_columns(pl.lit(None, dtype=pl.String).alias("group"))
    if per_group and ctx.pack.group is not None:
        groups = ctx.frame.select(pl.col(GROUP).cast(pl.String).alias("group")).drop_nulls().unique().sort("group")
        scopes = pl.concat([scopes, groups])
        pooled = pl.concat([pooled, values.filter(pl.col("group").is_not_null())])
    return scopes, pooled
