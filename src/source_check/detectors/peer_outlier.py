"""``peer_outlier``: a ratio far from its peers' (robust z of its log, within strata).

For records with ``numerator > 0`` and ``denominator > 0``, ``y = ln(numerator /
denominator)``; within each stratum (``by:``) with at least ``min_stratum`` such records:

* ``m = median(y)``, ``MAD = median(|y − m|)``, scale ``σ = 1.4826 · MAD`` (consistent
  for the normal); when ``MAD = 0`` (over half the ratios equal) ``σ = 1.2533 · mean|y − m|``
  (Iglewicz & Hoaglin); a stratum where that is 0 too is not tested;
* ``z = (y − m) / σ``; flagged when ``|z| > threshold``; the score is ``|z|``.

The log makes the test symmetric in ratio terms (half and double the median are equally
far) and insensitive to the units of either field.

Parameters (YAML)
-----------------
numerator : field id (required), e.g. ``wages``
denominator : field id (required), e.g. ``emp_avg``
label : name of the ratio in messages, e.g. ``人均工资`` (default "numerator/denominator")
by : strata: field ids or ``{field, prefix}``, default none (all records)
min_stratum : 10 (least usable records in a stratum)
threshold : 3.5 (Iglewicz & Hoaglin's cut-off for the modified z)

Examples
--------
>>> import polars as pl
>>> from source_check.pack.loader import load_pack_text
>>> pack = load_pack_text("pack: t\\nkey: [k]\\nfields: {k: {}, w: {label: 工资总额, type: float}, "
...                       "e: {label: 平均人数, type: int}}\\n")
>>> frame = pl.DataFrame({"__row": range(12), "k": list("abcdefghijkl"), "__group": ["x"] * 12,
...                       "w": [100.0 + i for i in range(11)] + [2000.0], "e": [1] * 12})
>>> out = peer_outlier(DetectorContext(pack, frame, False), PeerOutlierParams(numerator="w", denominator="e"))
>>> out.units["row"].to_list(), round(out.units["score"][0], 1)
([11], 70.1)
"""

from __future__ import annotations

import polars as pl
from pydantic import Field, field_validator

from .base import ROW, DetectorContext, DetectorOutput, DetectorParams, detector, empty_units
from .common import BY, Stratum, by_columns, by_fields, coerce_by, num_text, stratum_expr, stratum_text

__all__ = ["PeerOutlierParams", "peer_outlier"]

MAD_SCALE = 1.4826
MEAN_AD_SCALE = 1.2533


class PeerOutlierParams(DetectorParams):
    """Parameters of ``peer_outlier`` (see the module docstring)."""

    numerator: str = Field(description="比值的分子指标")
    denominator: str = Field(description="比值的分母指标")
    label: str | None = Field(default=None, description="比值名称（如人均工资）")
    by: list[Stratum] = Field(default_factory=list, description="分层字段（如行业大类、规模）")
    min_stratum: int = Field(default=10, ge=3, description="每层至少多少个有效值才检验")
    threshold: float = Field(default=3.5, gt=0, description="稳健 z 值阈值")

    _by = field_validator("by", mode="before")(coerce_by)


@detector(
    "peer_outlier",
    PeerOutlierParams,
    title="比值明显偏离同层单位（稳健 z 值）",
    fields=lambda p, pack: [p.numerator, p.denominator, *by_fields(p.by)],
)
def peer_outlier(ctx: DetectorContext, params: PeerOutlierParams) -> DetectorOutput:
    """Flag records whose log ratio is more than ``threshold`` robust z from the stratum median."""
    pack = ctx.pack
    num, den = pl.col(params.numerator).cast(pl.Float64), pl.col(params.denominator).cast(pl.Float64)
    s = pl.col("stratum")
    y, m = pl.col("y"), pl.col("median")
    scored = (
        ctx.frame.select(
            pl.col(ROW).cast(pl.Int64).alias("row"), num.alias("num"), den.alias("den"),
            stratum_expr(params.by).alias("stratum"),
            *by_columns(params.by),
        )
        .filter((pl.col("num") > 0) & (pl.col("den") > 0) & s.is_not_null())
        .with_columns((pl.col("num") / pl.col("den")).alias("ratio"))
        .with_columns(pl.col("ratio").log().alias("y"), pl.len().over(s).alias("n"))
        .with_columns(y.median().over(s).alias("median"))
        .with_columns((y - m).abs().median().over(s).alias("mad"), (y - m).abs().mean().over(s).alias("mean_ad"))
        .with_columns(
            pl.when(pl.col("mad") > 0).then(MAD_SCALE * pl.col("mad"))
            .otherwise(MEAN_AD_SCALE * pl.col("mean_ad")).alias("sigma")
        )
        .with_columns(
            ((pl.col("n") >= params.min_stratum) & (pl.col("sigma") > 0)).alias("__tested"),
            ((y - m) / pl.col("sigma")).alias("z"),
        )
    )
    tested = scored.filter(pl.col("__tested")).height
    flagged = scored.filter(pl.col("__tested") & (pl.col("z").abs() > params.threshold))
    items = ctx.frame.height
    if flagged.is_empty():
        return DetectorOutput(units=empty_units(), items=items, na=items - tested)
    name = params.label or f"{pack.label(params.numerator)}/{pack.label(params.denominator)}"
    units = flagged.with_columns(stratum_text(params.by, pack, BY).alias("__stext")).select(
        "row",
        pl.lit(params.numerator).alias("field"),
        pl.col("z").abs().alias("score"),
        pl.concat_str(
            pl.lit(f"{name}为 "), num_text(pl.col("ratio")), pl.lit("，同层中位数 "),
            num_text(pl.col("median").exp()), pl.lit("，是中位数的 "), num_text((y - m).exp(), 2),
            pl.lit(" 倍；稳健 z 值 "), num_text(pl.col("z").round(2)), pl.lit(f"（阈值 ±{params.threshold:g}），明显"),
            pl.when(pl.col("z") > 0).then(pl.lit("偏高")).otherwise(pl.lit("偏低")),
            pl.lit("（同层：") , pl.col("__stext"), pl.lit("，"), pl.col("n").cast(pl.String), pl.lit(" 家）"),
        ).alias("message"),
        pl.struct(
            pl.col("num").alias(params.numerator), pl.col("den").alias(params.denominator), "ratio",
            pl.col("median").exp().alias("median_ratio"), pl.col("z"), pl.col("sigma"), "stratum", "n",
        ).struct.json_encode().alias("values"),
        pl.lit(None, dtype=pl.Float64).alias("suggested"),
    )
    return DetectorOutput(units=units.sort("row"), items=items, na=items - tested)
