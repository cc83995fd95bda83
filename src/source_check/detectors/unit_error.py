"""``unit_error``: a value off by 10³ (元↔千元) or 10⁴ (元↔万元), either way.

For each field in ``fields`` and each record with a positive value:

1. **Against the previous period** (when previous data was given and the unit's
   previous value is positive): ``ratio = x_t / x_{t-1}``, tolerance ``band``.
2. **Otherwise against peers** (when ``auxiliary`` is set): ``ratio`` is the record's
   ``field / auxiliary`` divided by the median of that quotient in its stratum
   (``by:``), over strata with at least ``min_stratum`` usable records; tolerance
   ``peer_band`` (peer quotients vary more than a unit's own growth).

Each factor ``k`` in ``factors`` is tried both ways (value ``k`` times too large or too
small). The candidate whose ``log10`` is nearest ``log10(ratio)`` is chosen; the record is
flagged when that distance is at most the tolerance and ``ratio`` is at least
``min_ratio`` away from 1 (either way). The suggested value is ``x / k`` (or ``x · k``).

With ``recheck`` (default), every flagged value of a record is replaced by its
suggestion at once and the pack's balance and row/history rules that read the field
are evaluated again (with :meth:`source_check.engine.compile.PackPlan.status_expr`); the
values list ``rules_failed_before`` and ``rules_failed_after`` and the message says which
rules the correction makes pass, which still fail and which it makes fail. A correction
after which rules that failed pass, and none newly fails, is a strong sign it is the
right fix: the score, ``1 − distance / tolerance`` in (0, 1], gains 1 then.

Parameters (YAML)
-----------------
fields : list of field ids (required)
factors : list of numbers > 1, default ``[1000, 10000]``
band : log10 tolerance against the previous period, default 0.3 (ratio ∈ [501, 1995] for 10³)
peer_band : log10 tolerance against peers, default 0.5
min_ratio : never flag a ratio nearer 1 than this, default 100
auxiliary : field id of the peer denominator (e.g. ``emp_avg``), default none (no peer check)
by : strata for the peer check: field ids or ``{field, prefix}``, default none (all records)
min_stratum : least usable records for a peer median, default 5
recheck : re-evaluate the rules after the correction, default true

Examples
--------
>>> import polars as pl
>>> from source_check.pack.loader import load_pack_text
>>> pack = load_pack_text("pack: t\\nkey: [k]\\nfields: {k: {}, wages: {label: 工资总额, type: float, unit: 千元}}\\n")
>>> frame = pl.DataFrame({"__row": [0, 1, 2], "k": ["a", "b", "c"], "__group": ["x"] * 3,
...                       "wages": [1200360.0, 80.0, 90.0], "__prev__wages": [1200.0, 75.0, 30.0]})
>>> out = unit_error(DetectorContext(pack, frame, True), UnitErrorParams(fields=["wages"]))
>>> out.units["row"].to_list(), out.units["suggested"].to_list()
([0], [1200.36])
>>> out.units["message"][0]
'工资总额是上期的 1000.3 倍，疑似将千元填成元（建议值 1200.36）'
"""

from __future__ import annotations

import math
from typing import Annotated

import polars as pl
from pydantic import Field, field_validator

from ..expr.polars_compile import prev_name
from ..pack.model import Pack, Rule
from .base import ROW, DetectorContext, DetectorOutput, DetectorParams, detector
from .common import BY, Stratum, by_columns, by_fields, coerce_by, num_text, stratum_expr, stratum_text

__all__ = ["UnitErrorParams", "unit_error", "unit_phrase"]

#: Units of one kind and their decimal exponents, to name the unit a value seems to be in.
UNIT_FAMILIES: tuple[dict[str, int], ...] = (
    {"元": 0, "百元": 2, "千元": 3, "万元": 4, "百万元": 6, "千万元": 7, "亿元": 8},
    {"千瓦时": 0, "万千瓦时": 4, "亿千瓦时": 8},
    {"吨": 0, "千吨": 3, "万吨": 4},
)


class UnitErrorParams(DetectorParams):
    """Parameters of ``unit_error`` (see the module docstring)."""

    fields: list[str] = Field(min_length=1, description="需检查计量单位（元/千元/万元）的指标")
    factors: list[Annotated[float, Field(gt=1)]] = Field(default=[1000.0, 10000.0], min_length=1,
                                                          description="疑似错填的倍数（双向检查）")
    band: float = Field(default=0.3, gt=0, le=1, description="与上期比较时 log10 容差")
    peer_band: float = Field(default=0.5, gt=0, le=1, description="与同层比较时 log10 容差")
    min_ratio: float = Field(default=100.0, ge=1, description="比值至少偏离 1 多少倍才标记")
    auxiliary: str | None = Field(default=None, description="同层比较的分母指标（如从业人员平均人数）")
    by: list[Stratum] = Field(default_factory=list, description="同层比较的分层字段")
    min_stratum: int = Field(default=5, ge=3, description="同层至少多少个有效值才计算中位数")
    recheck: bool = Field(default=True, description="按建议值更正后重新核对相关审核关系")

    _by = field_validator("by", mode="before")(coerce_by)


def _recheck_rules(params: UnitErrorParams, pack: Pack) -> list[Rule]:
    if not params.recheck:
        return []
    targets = set(params.fields)
    return [r for r in pack.all_rules
            if r.constraint is None and (r.balance is not None or r.check is not None) and targets & set(r.fields_read)]


def _fields(params: UnitErrorParams, pack: Pack) -> list[str]:
    names = [*params.fields, *([params.auxiliary] if params.auxiliary else []), *by_fields(params.by)]
    for rule in _recheck_rules(params, pack):
        names += [*rule.fields_read, *rule.prev_fields_read]
    return list(dict.fromkeys(names))


def unit_phrase(unit: str | None, exponent: float, factor: float) -> str:
    """What a value ``factor`` (= 10**exponent) times too large seems to be, in Chinese.

    >>> unit_phrase("千元", 3, 1000), unit_phrase("千元", -1, 10), unit_phrase(None, 4, 10000)
    ('疑似将千元填成元', '疑似将千元填成万元', '疑似计量单位错误（相差约 10000 倍）')
    """
    if unit is not None and abs(exponent - round(exponent)) < 1e-9:
        for family in UNIT_FAMILIES:
            if unit in family:
                wanted = family[unit] - round(exponent)
                for name, e in family.items():
                    if e == wanted:
                        return f"疑似将{unit}填成{name}"
    return f"疑似计量单位错误（相差约 {factor:g} 倍）"


@detector(
    "unit_error",
    UnitErrorParams,
    title="计量单位错误（元/千元/万元错填）",
    fields=_fields,
)
def unit_error(ctx: DetectorContext, params: UnitErrorParams) -> DetectorOutput:
    """Flag values about ``k`` times their previous value or their peers' (see module)."""
    frame = ctx.frame
    parts: list[pl.DataFrame] = []
    na = 0
    for name in params.fields:
        part, untested = _one_field(ctx, params, name)
        na += untested
        if not part.is_empty():
            parts.append(part)
    items = frame.height * len(params.fields)
    if not parts:
        return DetectorOutput(items=items, na=na)
    flagged = pl.concat(parts, how="vertical")
    flagged = _with_recheck(ctx, params, flagged)
    units = flagged.select(
        pl.col("row").cast(pl.Int64),
        pl.col("field"),
        (pl.col("__score") + pl.when(pl.col("__fixed")).then(1.0).otherwise(0.0)).alias("score"),
        pl.concat_str(pl.col("__message"), pl.col("__suffix")).alias("message"),
        _values_json(flagged),
        pl.col("suggested"),
    )
    return DetectorOutput(units=units.sort("row", "field"), items=items, na=na)


def _values_json(flagged: pl.DataFrame) -> pl.Expr:
    """The per-field values object (JSON, keys differ by field) extended with the re-check lists."""
    lists = pl.struct(pl.col("rules_failed_before"), pl.col("rules_failed_after")).struct.json_encode()
    return pl.concat_str(pl.col("__values").str.strip_suffix("}"), pl.lit(","),
                         lists.str.strip_prefix("{")).alias("values")


def _one_field(ctx: DetectorContext, params: UnitErrorParams, name: str) -> tuple[pl.DataFrame, int]:
    pack, frame = ctx.pack, ctx.frame
    label = pack.label(name)
    spec = pack.fields.get(name)
    unit = spec.unit if spec is not None else None
    cur = pl.col(name).cast(pl.Float64)
    has_prev = ctx.has_previous and prev_name(name) in frame.columns
    prev = pl.col(prev_name(name)).cast(pl.Float64) if has_prev else pl.lit(None, dtype=pl.Float64)
    aux = pl.col(params.auxiliary).cast(pl.Float64) if params.auxiliary else pl.lit(None, dtype=pl.Float64)
    t = frame.select(
        pl.col(ROW).cast(pl.Int64).alias("row"), pl.col(name).alias("__orig"), cur.alias("__x"), prev.alias("__prev"),
        aux.alias("__aux"),
        (stratum_expr(params.by) if params.auxiliary else pl.lit(None, dtype=pl.String)).alias("__stratum"),
        *(by_columns(params.by) if params.auxiliary else []),
    )
    x, s = pl.col("__x"), pl.col("__stratum")
    lq = pl.col("__lq")
    t = t.with_columns(
        pl.when((x > 0) & (pl.col("__prev") > 0)).then((x / pl.col("__prev")).log10()).alias("__lr_prev"),
        pl.when((x > 0) & (pl.col("__aux") > 0)).then((x / pl.col("__aux")).log10()).alias("__lq"),
    ).with_columns(
        pl.when(s.is_not_null() & (lq.count().over(s) >= params.min_stratum)).then(lq.median().over(s))
        .alias("__med"),
    ).with_columns(
        pl.coalesce(pl.col("__lr_prev"), lq - pl.col("__med")).alias("__lr"),
        pl.when(pl.col("__lr_prev").is_not_null()).then(pl.lit("previous"))
        .when((lq - pl.col("__med")).is_not_null()).then(pl.lit("peers")).alias("__basis"),
    )
    untested = int(t["__lr"].null_count())
    tolerance = pl.when(pl.col("__basis") == "previous").then(params.band).otherwise(params.peer_band)
    # candidates: (signed log10, factor as a multiplier the value carries)
    candidates = sorted({(math.log10(k), k) for k in params.factors}
                        | {(-math.log10(k), 1 / k) for k in params.factors})
    dist = [(pl.col("__lr") - c).abs() for c, _ in candidates]
    best = pl.min_horizontal(dist)
    chosen = pl.lit(None, dtype=pl.Int64)
    for i, d in reversed(list(enumerate(dist))):
        chosen = pl.when(d == best).then(pl.lit(i, dtype=pl.Int64)).otherwise(chosen)
    hits = t.with_columns(best.alias("__dist"), tolerance.alias("__tol")).filter(
        pl.col("__lr").is_not_null()
        & (pl.col("__dist") <= pl.col("__tol"))
        & (pl.col("__lr").abs() >= math.log10(params.min_ratio))
    )
    hits = hits.with_columns(chosen.alias("__i")).with_columns(
        pl.col("__i").replace_strict({i: c for i, (c, _) in enumerate(candidates)}, return_dtype=pl.Float64)
        .alias("__clog"),
        pl.col("__i").replace_strict({i: k for i, (_, k) in enumerate(candidates)}, return_dtype=pl.Float64)
        .alias("__factor"),
        pl.col("__i").replace_strict({i: unit_phrase(unit, c, max(k, 1 / k)) for i, (c, k) in enumerate(candidates)},
                                     return_dtype=pl.String).alias("__phrase"),
        (stratum_text(params.by, pack, BY) if params.auxiliary else pl.lit(None, dtype=pl.String)).alias("__stext"),
        pl.when(pl.col("__basis") == "peers").then(pl.lit(10.0).pow(pl.col("__med"))).alias("__peer_median"),
    )
    if hits.is_empty():
        return pl.DataFrame(), untested
    big = pl.col("__factor") >= 1
    inverse = (1.0 / pl.col("__factor")).round(6)
    # 12 significant digits drop the float noise of x · 10^k without touching real digits
    suggested = (pl.when(big).then(pl.col("__x") / pl.col("__factor")).otherwise(pl.col("__x") * inverse)
                 .round_sig_figs(12))
    ratio = pl.when(pl.col("__basis") == "previous").then(pl.col("__x") / pl.col("__prev")).otherwise(
        pl.lit(10.0).pow(pl.col("__lr")))
    times = (pl.when(ratio >= 1).then(pl.concat_str(pl.lit("的 "), num_text(ratio.round(1), 1), pl.lit(" 倍")))
             .otherwise(pl.concat_str(pl.lit("的 1/"), num_text((1 / ratio).round(1), 1))))
    lead = pl.when(ratio >= 1).then(pl.lit("是")).otherwise(pl.lit("仅为"))
    against = pl.when(pl.col("__basis") == "previous").then(
        pl.concat_str(pl.lit(label), lead, pl.lit("上期"))
    ).otherwise(
        pl.concat_str(pl.lit(f"{label}与{pack.label(params.auxiliary or '')}之比"), lead,
                      pl.lit("同层（"), pl.col("__stext"), pl.lit("）中位数")))
    out = hits.with_columns(suggested.alias("suggested"), ratio.alias("__ratio")).select(
        "row",
        pl.lit(name).alias("field"),
        (1.0 - pl.col("__dist") / pl.col("__tol")).alias("__score"),
        pl.concat_str(against, times, pl.lit("，"), pl.col("__phrase"), pl.lit("（建议值 "),
                      num_text(pl.col("suggested")), pl.lit("）")).alias("__message"),
        pl.struct(
            pl.col("__orig").alias(name),
            pl.col("__prev").alias(f"prev({name})"),
            *([pl.col("__aux").alias(params.auxiliary)] if params.auxiliary else []),
            pl.col("__basis").alias("basis"),
            pl.col("__ratio").round(6).alias("ratio"),
            pl.col("__factor").alias("factor"),
            pl.col("suggested"),
            pl.when(pl.col("__basis") == "peers").then(pl.col("__stratum")).alias("stratum"),
            pl.col("__peer_median").alias("peer_median"),
        ).struct.json_encode().alias("__values"),
        "suggested",
    )
    return out, untested


def _with_recheck(ctx: DetectorContext, params: UnitErrorParams, flagged: pl.DataFrame) -> pl.DataFrame:
    """Add ``rules_failed_before/after`` (lists of rule ids), ``__fixed`` and a message suffix."""
    from ..engine.compile import PackPlan

    plan = PackPlan(ctx.pack, has_previous=ctx.has_previous)
    columns = set(ctx.frame.columns)
    active = {r.id for r in plan.active}
    rules = [r for r in _recheck_rules(params, ctx.pack)
             if r.id in active and all(c in columns for c in r.fields_read)
             and all(prev_name(c) in columns for c in r.prev_fields_read)]
    empty = pl.lit([], dtype=pl.List(pl.String))
    if not rules:
        return flagged.with_columns(empty.alias("rules_failed_before"), empty.alias("rules_failed_after"),
                                    pl.lit(False).alias("__fixed"), pl.lit("").alias("__suffix"))
    row_type = ctx.frame.schema[ROW]
    corrected = ctx.frame
    for name in params.fields:
        fix = flagged.filter(pl.col("field") == name).select(pl.col("row").cast(row_type).alias(ROW),
                                                           pl.col("suggested").alias("__fix"))
        if fix.is_empty():
            continue
        corrected = corrected.join(fix, on=ROW, how="left").with_columns(
            pl.coalesce(pl.col("__fix"), pl.col(name).cast(pl.Float64)).alias(name)
        ).drop("__fix")
    rows = flagged.select(pl.col("row").cast(row_type).alias(ROW)).unique()
    reads = pl.DataFrame(
        [(f, i) for i, r in enumerate(rules) for f in params.fields if f in r.fields_read],
        schema={"field": pl.String, "__rule": pl.Int64}, orient="row",
    )
    ids = pl.DataFrame({"__rule": list(range(len(rules))), "__id": [r.id for r in rules]},
                       schema={"__rule": pl.Int64, "__id": pl.String})

    def failing(df: pl.DataFrame, flag: str) -> pl.DataFrame:
        status = df.join(rows, on=ROW, how="semi").select(
            pl.col(ROW).cast(pl.Int64).alias("row"),
            *[plan.status_expr(r).alias(str(i)) for i, r in enumerate(rules)],
        )
        return (status.unpivot(index="row", variable_name="__rule", value_name="__ok")
                .filter(pl.col("__ok") == False)
                .select("row", pl.col("__rule").cast(pl.Int64), pl.lit(True).alias(flag)))

    pairs = (
        flagged.select("row", "field")
        .join(reads, on="field", how="inner")
        .join(failing(ctx.frame, "__before"), on=["row", "__rule"], how="left")
        .join(failing(corrected, "__after"), on=["row", "__rule"], how="left")
        .join(ids, on="__rule", how="left")
        .with_columns(pl.col("__before").fill_null(False), pl.col("__after").fill_null(False))
        .sort("row", "field", "__rule")
        .group_by("row", "field", maintain_order=True)
        .agg(pl.col("__id").filter(pl.col("__before")).alias("rules_failed_before"),
             pl.col("__id").filter(pl.col("__after")).alias("rules_failed_after"),
             pl.col("__id").filter(pl.col("__before") & ~pl.col("__after")).alias("__fixed_ids"),
             pl.col("__id").filter(pl.col("__before") & pl.col("__after")).alias("__still_ids"),
             pl.col("__id").filter(~pl.col("__before") & pl.col("__after")).alias("__new_ids"))
    )
    lists = ["rules_failed_before", "rules_failed_after", "__fixed_ids", "__still_ids", "__new_ids"]
    out = flagged.join(pairs, on=["row", "field"], how="left").with_columns([pl.col(c).fill_null(empty) for c in lists])
    before, after = pl.col("rules_failed_before"), pl.col("rules_failed_after")
    fixed, still, new = pl.col("__fixed_ids"), pl.col("__still_ids"), pl.col("__new_ids")

    def clause(items: pl.Expr, text: str) -> pl.Expr:
        return pl.when(items.list.len() > 0).then(pl.concat_str(items.list.join("、"), pl.lit(text)))

    parts = pl.concat_str([clause(fixed, " 通过"), clause(still, " 仍不通过"), clause(new, " 变为不通过")],
                          separator="，", ignore_nulls=True)
    return out.with_columns(
        ((fixed.list.len() > 0) & (new.list.len() == 0)).alias("__fixed"),
        pl.when(before.list.len() + after.list.len() > 0)
        .then(pl.concat_str(pl.lit("；按建议值更正后 "), parts))
        .otherwise(pl.lit(""))
        .alias("__suffix"),
    )
