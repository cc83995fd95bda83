"""``hb``: Hidiroglou–Berthelot growth outliers, current vs previous period, per stratum.

Within each stratum (``by:``; all records without it), over records with
``x_t > 0`` and ``x_{t-1} > 0``:

* ``r_i = x_t / x_{t-1}``, ``r_med`` the median of ``r``;
* ``s_i = 1 − r_med / r_i`` if ``r_i < r_med``, else ``r_i / r_med − 1``;
* ``E_i = s_i · max(x_t, x_{t-1})^U``;
* ``d_Q1 = max(E_med − E_Q1, |A·E_med|)``, ``d_Q3 = max(E_Q3 − E_med, |A·E_med|)``;
* outlier when ``E_i < E_med − C·d_Q1`` or ``E_i > E_med + C·d_Q3``.

Quartiles and medians interpolate linearly (R's default ``type = 7``, as in univOutl's
``HBmethod``). Strata with fewer than ``min_n`` usable records are not tested. As ``E``
changes sign at the median ratio, ``E_med`` is usually about 0 and ``A`` rarely matters;
when over a quarter of a stratum sits exactly at the median ratio (e.g. unchanged
headcounts) one of ``d_Q1``, ``d_Q3`` is 0 and that side borrows the other side's
distance — otherwise every unit on that side would be an outlier (univOutl) or none
could be. A stratum where both are 0 (e.g. all quartiles of ``E`` equal 0, where
univOutl stops) is not tested. ``borrow: false`` applies the formula as written instead
(METHODS.md; univOutl): a side with ``d = 0`` flags every unit beyond ``E_med`` on it.
``values`` report the distances used. The score is the distance from ``E_med`` in units
of ``d_Q1`` / ``d_Q3`` (flagged when above ``C``; null where that distance is 0). Needs
previous data.

Parameters (YAML)
-----------------
fields : list of field ids (required)
by : strata: field ids or ``{field, prefix}`` (e.g. ``{field: industry_code, prefix: 2}`` = 大类)
U : 0.5 (importance of size, 0…1)
A : 0.05 (guards against tiny quartile distances)
C : 4 (width of the bounds; 7 and up to ~20 are used in practice)
min_n : 10 (least usable records in a stratum)
borrow : true (a side whose quartile distance is 0 uses the other side's; false: as written)

Examples
--------
>>> import polars as pl
>>> from source_check.pack.loader import load_pack_text
>>> pack = load_pack_text("pack: t\\nkey: [k]\\nfields: {k: {}, rev: {label: 营业收入, type: float}}\\n")
>>> prev = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, 1000.0]
>>> cur = [105.0, 210.0, 312.0, 416.0, 525.0, 630.0, 721.0, 840.0, 936.0, 5000.0]
>>> frame = pl.DataFrame({"__row": range(10), "k": list("abcdefghij"), "__group": ["x"] * 10,
...                       "rev": cur, "__prev__rev": prev})
>>> out = hb(DetectorContext(pack, frame, True), HBParams(fields=["rev"]))
>>> out.units["row"].to_list()
[9]
"""

from __future__ import annotations

import polars as pl
from pydantic import Field, field_validator

from ..expr.polars_compile import prev_name
from .base import ROW, DetectorContext, DetectorOutput, DetectorParams, detector, empty_units
from .common import BY, Stratum, by_columns, by_fields, coerce_by, num_text, stratum_expr, stratum_text

__all__ = ["HBParams", "hb"]


class HBParams(DetectorParams):
    """Parameters of ``hb`` (see the module docstring)."""

    fields: list[str] = Field(min_length=1, description="需检查本期与上期变动的指标")
    by: list[Stratum] = Field(default_factory=list, description="分层字段（如行业大类）")
    U: float = Field(default=0.5, ge=0, le=1, description="规模权重指数 U")
    A: float = Field(default=0.05, ge=0, description="防止四分位距过小的系数 A")
    C: float = Field(default=4.0, gt=0, description="界限宽度 C")
    min_n: int = Field(default=10, ge=4, description="每层至少多少个有效单位才检验")
    borrow: bool = Field(default=True, description="一侧四分位距为 0 时借用另一侧（false：严格按公式）")

    _by = field_validator("by", mode="before")(coerce_by)


@detector(
    "hb",
    HBParams,
    title="本期与上期变动异常（Hidiroglou–Berthelot）",
    fields=lambda p, pack: [*p.fields, *by_fields(p.by)],
    needs_previous=True,
)
def hb(ctx: DetectorContext, params: HBParams) -> DetectorOutput:
    """Flag records whose HB score ``E_i`` lies outside its stratum's bounds."""
    parts: list[pl.DataFrame] = []
    tested = 0
    for name in params.fields:
        scored = _scores(ctx, params, name)
        tested += scored.filter(pl.col("__tested")).height
        outside = (pl.col("E") < pl.col("lower")) | (pl.col("E") > pl.col("upper"))
        flagged = scored.filter(pl.col("__tested") & outside)
        if not flagged.is_empty():
            parts.append(_shape(ctx, params, name, flagged))
    items = ctx.frame.height * len(params.fields)
    units = pl.concat(parts) if parts else empty_units()
    return DetectorOutput(units=units.sort("row", "field"), items=items, na=items - tested)


def _scores(ctx: DetectorContext, params: HBParams, name: str) -> pl.DataFrame:
    """Every usable record with its ratio, E score, stratum quartiles and bounds."""
    frame = ctx.frame
    if prev_name(name) not in frame.columns:
        return pl.DataFrame(schema={"__tested": pl.Boolean, "E": pl.Float64, "lower": pl.Float64,
                                    "upper": pl.Float64})
    x = pl.col(name).cast(pl.Float64)
    p = pl.col(prev_name(name)).cast(pl.Float64)
    s = pl.col("stratum")
    r, r_med = pl.col("ratio"), pl.col("median_ratio")
    e_med, e_q1, e_q3 = pl.col("E_median"), pl.col("E_q1"), pl.col("E_q3")
    a = params.A
    scored = (
        frame.select(pl.col(ROW).cast(pl.Int64).alias("row"), x.alias("x"), p.alias("prev"),
                     stratum_expr(params.by).alias("stratum"), *by_columns(params.by))
        .filter((pl.col("x") > 0) & (pl.col("prev") > 0) & s.is_not_null())
        .with_columns((pl.col("x") / pl.col("prev")).alias("ratio"))
        .with_columns(r.median().over(s).alias("median_ratio"), pl.len().over(s).alias("n"))
        .with_columns(
            (pl.when(r < r_med).then(1 - r_med / r).otherwise(r / r_med - 1)
             * pl.max_horizontal("x", "prev").pow(params.U)).alias("E")
        )
        .with_columns(
            pl.col("E").quantile(0.25, interpolation="linear").over(s).alias("E_q1"),
            pl.col("E").median().over(s).alias("E_median"),
            pl.col("E").quantile(0.75, interpolation="linear").over(s).alias("E_q3"),
        )
        .with_columns(
            pl.max_horizontal(e_med - e_q1, (a * e_med).abs()).alias("d_q1"),
            pl.max_horizontal(e_q3 - e_med, (a * e_med).abs()).alias("d_q3"),
        )
    )
    if params.borrow:  # a side without spread borrows the other side's distance
        scored = scored.with_columns(
            pl.when(pl.col("d_q1") > 0).then(pl.col("d_q1")).otherwise(pl.col("d_q3")).alias("d_q1"),
            pl.when(pl.col("d_q3") > 0).then(pl.col("d_q3")).otherwise(pl.col("d_q1")).alias("d_q3"),
        )
        tested = (pl.col("n") >= params.min_n) & (pl.col("d_q1") > 0)
    else:  # the formula as written: a side with d = 0 flags every unit beyond E_med on it
        tested = pl.col("n") >= params.min_n
    return scored.with_columns(
        (e_med - params.C * pl.col("d_q1")).alias("lower"),
        (e_med + params.C * pl.col("d_q3")).alias("upper"),
        tested.alias("__tested"),
    )


def _shape(ctx: DetectorContext, params: HBParams, name: str, flagged: pl.DataFrame) -> pl.DataFrame:
    label = ctx.pack.label(name)
    high = pl.col("E") > pl.col("upper")
    d = pl.when(high).then(pl.col("d_q3")).otherwise(pl.col("d_q1"))
    # in units of the side's quartile distance (null where it is 0, with ``borrow: false``)
    score = pl.when(d > 0).then((pl.col("E") - pl.col("E_median")).abs() / d)
    return flagged.with_columns(stratum_text(params.by, ctx.pack, BY).alias("__stext")).select(
        "row",
        pl.lit(name).alias("field"),
        score.alias("score"),
        pl.concat_str(
            pl.lit(f"{label}本期 "), num_text(pl.col("x")), pl.lit("，上期 "), num_text(pl.col("prev")),
            pl.lit("，是上期的 "), num_text(pl.col("ratio"), 3), pl.lit(" 倍（同层中位数 "),
            num_text(pl.col("median_ratio"), 3), pl.lit(" 倍）；HB 得分 "), num_text(pl.col("E")),
            pl.lit(" 超出界限 ["), num_text(pl.col("lower")), pl.lit(", "), num_text(pl.col("upper")),
            pl.lit("]，"), pl.when(high).then(pl.lit("增幅")).otherwise(pl.lit("降幅")),
            pl.lit("异常（同层：") , pl.col("__stext"), pl.lit("，"), pl.col("n").cast(pl.String), pl.lit(" 家）"),
        ).alias("message"),
        pl.struct(
            pl.col("x").alias(name), pl.col("prev").alias(f"prev({name})"), "ratio", "median_ratio", "E",
            "E_q1", "E_median", "E_q3", "d_q1", "d_q3", "lower", "upper", "stratum", "n",
        ).struct.json_encode().alias("values"),
        pl.lit(None, dtype=pl.Float64).alias("suggested"),
    )
