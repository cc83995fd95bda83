"""``duplicates``: the same unit twice, copied figures, figures unchanged from last period.

Three checks, each can be switched off:

* ``same_key`` — records whose key (all key columns non-null) occurs more than once;
  one anomaly per record, ``field`` = the key field(s) joined with ``+``, score = the
  number of occurrences.
* ``copies`` — records of **different** units whose values of ``fields`` are all exactly
  equal (null equals null), copy-paste between units (打捆重复报送).
* ``unchanged`` — records whose values of ``fields`` all equal the unit's previous-period
  values (only with previous data).

``copies`` and ``unchanged`` only look at records with at least ``min_nonzero`` non-null,
non-zero values among ``fields`` (default ``min(2, len(fields))``), so empty and all-zero
records (e.g. units not yet operating) are never "copies". Equality is exact: a record
that differs from another in one value by any amount is not a copy. The two findings of
one record are reported as one anomaly on the value vector (``field`` = the fields joined
with ``+``), score = number of other units with the same values (+1 if unchanged).
Unit-level output, dimension ``uniqueness``.

Parameters (YAML)
-----------------
fields : list of field ids (required): the value vector compared
same_key : true
copies : true
unchanged : true
min_nonzero : default ``min(2, len(fields))``

Examples
--------
>>> import polars as pl
>>> from source_check.pack.loader import load_pack_text
>>> pack = load_pack_text("pack: t\\nkey: [k]\\nfields: {k: {}, a: {label: 营业收入, type: float}, "
...                       "b: {label: 营业成本, type: float}}\\n")
>>> frame = pl.DataFrame({"__row": range(4), "k": ["u1", "u2", "u3", "u1"], "__group": ["x"] * 4,
...                       "a": [100.0, 100.0, 100.0, 7.0], "b": [80.0, 80.0, 80.5, 6.0]})
>>> out = duplicates(DetectorContext(pack, frame, False), DuplicatesParams(fields=["a", "b"]))
>>> out.units.select("row", "field").rows()
[(0, 'a+b'), (0, 'k'), (1, 'a+b'), (3, 'k')]
>>> out.units["message"][2]
'营业收入、营业成本与 1 家其他单位（u1）完全相同，疑似复制粘贴'
"""

from __future__ import annotations

import polars as pl
from pydantic import Field

from ..expr.polars_compile import prev_name
from .base import ROW, DetectorContext, DetectorOutput, DetectorParams, detector, empty_units
from .common import unit_id

__all__ = ["DuplicatesParams", "duplicates"]


class DuplicatesParams(DetectorParams):
    """Parameters of ``duplicates`` (see the module docstring)."""

    fields: list[str] = Field(min_length=1, description="比较的指标（数值向量）")
    same_key: bool = Field(default=True, description="检查同一主键重复出现")
    copies: bool = Field(default=True, description="检查不同单位数值完全相同")
    unchanged: bool = Field(default=True, description="检查与上期数值完全相同（需上期数据）")
    min_nonzero: int | None = Field(default=None, ge=1, description="至少几项非空非零才比较，默认 min(2, 指标数)")


@detector(
    "duplicates",
    DuplicatesParams,
    title="重复报送、数值雷同或照抄上期",
    fields=lambda p, pack: list(p.fields),
    dimension="uniqueness",
)
def duplicates(ctx: DetectorContext, params: DuplicatesParams) -> DetectorOutput:
    """Flag repeated keys, copies between units and values unchanged from last period."""
    parts: list[pl.DataFrame] = []
    keys = [k for k in ctx.pack.key if k in ctx.frame.columns]
    items, na = 0, 0
    if params.same_key and keys:
        items += ctx.frame.height
        parts.append(_same_key(ctx, keys))
    do_unchanged = params.unchanged and ctx.has_previous and all(prev_name(f) in ctx.frame.columns
                                                                 for f in params.fields)
    if params.copies or do_unchanged:
        vector, untested = _vector(ctx, params, do_unchanged)
        items += ctx.frame.height
        na += untested
        parts.append(vector)
    parts = [p for p in parts if not p.is_empty()]
    units = pl.concat(parts, how="vertical") if parts else empty_units()
    return DetectorOutput(units=units.sort("row", "field"), items=items, na=na)


def _same_key(ctx: DetectorContext, keys: list[str]) -> pl.DataFrame:
    pack = ctx.pack
    labels = "、".join(pack.label(k) for k in keys)
    frame = ctx.frame.select(pl.col(ROW).cast(pl.Int64).alias("row"), *keys).filter(
        pl.all_horizontal([pl.col(k).is_not_null() for k in keys]))
    frame = frame.filter(pl.len().over(keys) > 1)
    groups = frame.group_by(keys).agg(pl.col("row").sort().alias("__rows"), pl.len().alias("__n"))
    if groups.is_empty():
        return empty_units()
    key_text = pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator="/")
    return frame.join(groups, on=keys, how="inner").select(
        "row",
        pl.lit("+".join(keys)).alias("field"),
        pl.col("__n").cast(pl.Float64).alias("score"),
        pl.concat_str(pl.lit(f"{labels} "), key_text, pl.lit(" 重复出现 "), pl.col("__n").cast(pl.String),
                      pl.lit(" 次（第 "), (pl.col("__rows").list.eval(pl.element() + 1)
                                          .cast(pl.List(pl.String)).list.join("、")),
                      pl.lit(" 条记录），同一单位重复报送")).alias("message"),
        pl.struct(*keys, pl.col("__n").alias("count"), pl.col("__rows").alias("rows")).struct.json_encode()
        .alias("values"),
        pl.lit(None, dtype=pl.Float64).alias("suggested"),
    )


def _nonzero(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype.is_numeric():
        return col.is_not_null() & (col != 0)
    if dtype == pl.String:
        return col.is_not_null() & (col.str.strip_chars() != "")
    return col.is_not_null()


def _vector(ctx: DetectorContext, params: DuplicatesParams, do_unchanged: bool) -> tuple[pl.DataFrame, int]:
    pack, frame = ctx.pack, ctx.frame
    fields = params.fields
    min_nonzero = params.min_nonzero if params.min_nonzero is not None else min(2, len(fields))
    nonzero = pl.sum_horizontal([_nonzero(pl.col(f), frame.schema[f]).cast(pl.Int32) for f in fields])
    data = frame.select(
        pl.col(ROW).cast(pl.Int64).alias("row"), unit_id(pack).alias("__unit"), *fields,
        *[pl.col(prev_name(f)) for f in fields if do_unchanged],
    ).with_columns((nonzero >= min_nonzero).alias("__eligible"))
    untested = data.filter(~pl.col("__eligible")).height
    data = data.filter(pl.col("__eligible"))
    if params.copies:
        # only vectors that occur more than once get their list of units (a cheap window first)
        repeated = data.filter(pl.len().over(fields) > 1)
        groups = (repeated.group_by(fields).agg(pl.col("__unit").unique().sort().alias("__units"))
                  .filter(pl.col("__units").list.len() > 1))
        copies = repeated.join(groups, on=fields, how="inner", nulls_equal=True).select(
            "row",
            pl.col("__units").list.set_difference(pl.concat_list(pl.col("__unit"))).list.sort().alias("__others"),
        )
        data = data.join(copies, on="row", how="left").with_columns(
            pl.col("__others").fill_null(pl.lit([], dtype=pl.List(pl.String))))
    else:
        data = data.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("__others"))
    if do_unchanged:
        same = pl.all_horizontal([pl.col(f).eq_missing(pl.col(prev_name(f))) for f in fields])
        data = data.with_columns(same.alias("__unchanged"))
    else:
        data = data.with_columns(pl.lit(False).alias("__unchanged"))
    n_others = pl.col("__others").list.len()
    flagged = data.filter((n_others > 0) | pl.col("__unchanged"))
    if flagged.is_empty():
        return empty_units(), untested
    shown = [pack.label(f) for f in fields]
    lead = "、".join(shown) if len(shown) <= 3 else "、".join(shown[:3]) + f"等 {len(shown)} 项指标"
    others_text = pl.concat_str(
        pl.col("__others").list.head(3).list.join("、"),
        pl.when(n_others > 3).then(pl.lit(" 等")).otherwise(pl.lit("")),
    )
    copy_text = pl.when(n_others > 0).then(pl.concat_str(
        pl.lit("与 "), n_others.cast(pl.String), pl.lit(" 家其他单位（"), others_text,
        pl.lit("）完全相同，疑似复制粘贴")))
    prev_text = pl.when(pl.col("__unchanged")).then(pl.lit("与上期完全相同，疑似照抄上期数据"))
    units = flagged.select(
        "row",
        pl.lit("+".join(fields)).alias("field"),
        (n_others + pl.col("__unchanged").cast(pl.Int64)).cast(pl.Float64).alias("score"),
        pl.concat_str(pl.lit(lead), pl.concat_str([copy_text, prev_text], separator="；", ignore_nulls=True))
        .alias("message"),
        pl.struct(*fields, pl.col("__others").alias("same_as"), pl.col("__unchanged").alias("unchanged"))
        .struct.json_encode().alias("values"),
        pl.lit(None, dtype=pl.Float64).alias("suggested"),
    )
    return units, untested
