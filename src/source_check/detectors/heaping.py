"""``heaping``: too many round values, or uneven last digits, in a 街镇 (估报、编造整数).

Values read: ``|x|`` for non-null, non-zero values. For each scope — every group
(``per: group``) and all records together (``group`` null):

* **Round values**, for each base ``b`` in ``bases``: among values ``≥ b`` (smaller
  ones cannot be multiples), the share ``k / n`` of whole multiples of ``b``. For a group
  the reference share is that of **all other groups** together, ``k_o / n_o``, smoothed
  by one value each way: ``(k_o + 1) / (n_o + 2)`` (Laplace's rule of succession). It is
  never 0 — peers without a single round value (千元 data with decimals) still give a
  finite ratio and a p-value that needs several round values, not one — and it differs
  from ``k_o / n_o`` only when the others have few values. No floor at ``1/b``: data with
  decimals have far fewer whole multiples than ``1/b``, and it is the excess over the
  peers that matters. A group whose peers have no values ``≥ b`` (a single 街镇), and the
  overall scope, are compared with ``1/b``, the share of multiples among integers with
  uniform trailing digits (so in data with decimals the overall row is rarely flagged);
  the message names which reference was used. The p-value is the exact binomial tail
  ``P(X ≥ k)`` with ``X ~ Bin(n, reference)``. Flagged when ``p < alpha`` and the share is
  at least ``min_excess`` times the reference. Bases are nested (a multiple of 1000 is
  one of 100 and of 10), so one heap can show in several rows.
* **Last digit** (``last_digit: true``): the units digit of the integer part of values
  ``≥ 100`` (there it is at least the third significant digit, close to uniform);
  chi-square (``df = 9``) against a reference distribution: for a group, per digit the
  median share over the groups with at least ``min_n`` such values, floored at 0.001 and
  renormalised — a median, so that a few heaping 街镇 do not shift the reference of the
  others (a pooled reference would make honest groups look "non-uniform" next to them);
  uniform when fewer than 3 groups qualify, and for the overall scope. Flagged when
  ``p < alpha``.
* **Last two digits** (``last_two_digits: true``): the integer part modulo 100 of values
  ``≥ 1000`` (the tens digit is then at least the third significant digit, so the 100
  endings are close to uniform); chi-square (``df = 99``) against a reference built the
  same way as for the last digit, with two stricter conditions because 100 cells are
  sparse: a group enters the median only with at least ``max(min_n, 500)`` such values
  (5 expected per cell, the usual χ² rule; the last digit's default ``min_n`` 50 is the
  same rule for 10 cells), and the median needs at least 10 such groups — otherwise the
  reference is uniform (METHODS: last-two-digit uniformity). A per-cell median over a
  few groups is as noisy as the group tested: simulated with honest uniform endings, one
  heaping 街镇 among 3–5 groups of 600 values made 4–40 % of the honest ones
  "non-uniform" at ``alpha`` 0.001; with 10 groups of ≥ 500 and up to 2 heaping ones,
  under 2 %. This test catches invented endings that leave the last digit uniform (e.g.
  values ending only in 10, 21, 32, …). With few values per cell (``n`` near ``min_n``)
  the χ² tail is approximate. Flagged when ``p < alpha``.

A test with fewer than ``min_n`` eligible values in a scope is not applicable (with the
reason). Group-level output only; ``statistic`` is ``round_<b>_share`` (value = share),
``last_digit_chi2`` or ``last_two_digits_chi2`` (value = χ²); details (counts,
reference, p) in ``values``.

Parameters (YAML)
-----------------
fields : list of field ids (required)
bases : ``[10, 100, 1000]``
last_digit : true
last_two_digits : true
per : ``group`` (each 街镇 and overall, default) or ``all``
min_n : 50
alpha : 0.001
min_excess : 1.5

Examples
--------
>>> import polars as pl
>>> from source_check.pack.loader import load_pack_text
>>> pack = load_pack_text("pack: t\\nkey: [k]\\ngroup: g\\n"
...                       "fields: {k: {}, g: {}, w: {label: 工资总额, type: float}}\\n")
>>> a = [1000.0 + 7 * i for i in range(200)]             # smooth
>>> b = [1000.0 + 100 * (i % 30) for i in range(100)]     # every value a multiple of 100
>>> frame = pl.DataFrame({"__row": range(300), "k": [str(i) for i in range(300)],
...                       "__group": ["a"] * 200 + ["b"] * 100, "w": a + b})
>>> params = HeapingParams(fields=["w"], bases=[100], last_digit=False, last_two_digits=False)
>>> out = heaping(DetectorContext(pack, frame, False), params)
>>> out.groups.filter(pl.col("flagged")).select("group", "statistic", "value").rows()
[(None, 'round_100_share', 0.34), ('b', 'round_100_share', 1.0)]
"""

from __future__ import annotations

from typing import Annotated, Literal

import polars as pl
from pydantic import Field

from .base import GROUP, DetectorContext, DetectorOutput, DetectorParams, detector, empty_groups
from .common import num_text, p_text, scope_counts, scope_name, scopes
from .stats import binomial_sf, chi2_sf

__all__ = ["CLASSES", "HeapingParams", "heaping"]

#: Classes written in the ``class`` column.
CLASSES = {
    "excess": "整数偏多（excess）",
    "normal": "正常（normal）",
    "nonuniform": "尾数不均匀（non-uniform）",
    "uniform": "尾数均匀（uniform）",
}


class HeapingParams(DetectorParams):
    """Parameters of ``heaping`` (see the module docstring)."""

    fields: list[str] = Field(min_length=1, description="需检查整数堆积的指标")
    bases: list[Annotated[int, Field(ge=2)]] = Field(default=[10, 100, 1000], description="整倍数的基数")
    last_digit: bool = Field(default=True, description="检验个位数字分布")
    last_two_digits: bool = Field(default=True, description="检验末两位数字分布（不小于 1000 的值）")
    per: Literal["group", "all"] = Field(default="group", description="group：各街镇及全部；all：仅全部")
    min_n: int = Field(default=50, ge=10, description="至少多少个有效值才检验")
    alpha: float = Field(default=0.001, gt=0, lt=1, description="显著性水平")
    min_excess: float = Field(default=1.5, ge=1, description="整倍数占比至少是参照的几倍才标记")


@detector(
    "heaping",
    HeapingParams,
    title="整数值堆积与尾数分布异常",
    fields=lambda p, pack: list(p.fields),
)
def heaping(ctx: DetectorContext, params: HeapingParams) -> DetectorOutput:
    """Round-number, last-digit and last-two-digit tests per group and overall; group-level output only."""
    parts: list[pl.DataFrame] = []
    columns = list(empty_groups().columns)
    for name in params.fields:
        values = ctx.frame.select(pl.col(GROUP).cast(pl.String).alias("group"),
                                  pl.col(name).cast(pl.Float64).abs().alias("x")).filter(pl.col("x") > 0)
        per_group = params.per == "group"
        targets = scopes(ctx, per_group=per_group).with_columns(scope_name(ctx).alias("__scope"))
        label = ctx.pack.label(name)
        # one pass: per group and base, values ≥ b (n) and whole multiples of b (k); the overall row sums them
        x = pl.col("x")
        counts = [c for b in params.bases for c in (
            (x >= b).sum().cast(pl.Int64).alias(f"n{b}"),
            ((x >= b) & (x == x.round(0)) & (x % b == 0)).sum().cast(pl.Int64).alias(f"k{b}"))]
        shares = (scope_counts(values.group_by("group").agg(counts), [], [c.meta.output_name() for c in counts],
                               per_group=per_group) if counts else None)
        tests = [_round_share(params, label, b, targets, shares.select("group", pl.col(f"n{b}").alias("n"),
                                                                       pl.col(f"k{b}").alias("k")))
                 for b in params.bases if shares is not None]
        for width in [w for w, on in ((1, params.last_digit), (2, params.last_two_digits)) if on]:
            cells = 10**width
            digits = values.filter(x >= 10 * cells).group_by(
                "group", (x.floor() % cells).cast(pl.Int64).alias("digit")).agg(pl.len().cast(pl.Int64).alias("c"))
            tests.append(_trailing_digits(params, label, width, targets,
                                          scope_counts(digits, ["digit"], ["c"], per_group=per_group)))
        if tests:
            one = pl.concat([t.with_columns(pl.lit(name).alias("field")).select(columns) for t in tests])
            parts.append(one.sort("group", nulls_last=False, maintain_order=True))
    out = pl.concat(parts, how="vertical") if parts else empty_groups()
    return DetectorOutput(groups=out, items=0)


def _others(scopes: pl.DataFrame, per_scope: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """Per scope, ``cols`` summed over all *other* groups (null for the overall scope)."""
    totals = per_scope.filter(pl.col("group").is_null()).select(cols)
    if totals.is_empty():
        totals = pl.DataFrame({c: [0] for c in cols}, schema={c: pl.Int64 for c in cols})
    own = scopes.select("group", "__scope").join(per_scope, on="group", how="left", nulls_equal=True).with_columns(
        [pl.col(c).fill_null(0) for c in cols])
    return own.join(totals.rename({c: f"__all_{c}" for c in cols}), how="cross").with_columns(
        [pl.when(pl.col("group").is_not_null()).then(pl.col(f"__all_{c}") - pl.col(c)).alias(f"other_{c}")
         for c in cols]
    )


def _round_share(params: HeapingParams, label: str, base: int, scopes: pl.DataFrame,
                 per_scope: pl.DataFrame) -> pl.DataFrame:
    """Share of whole multiples of ``base`` per scope against the other groups' (smoothed) or ``1/base``."""
    peers = pl.col("other_n") > 0
    ok, on = pl.col("other_k").cast(pl.String), pl.col("other_n").cast(pl.String)
    rows = _others(scopes, per_scope, ["n", "k"]).with_columns(
        # Laplace's rule of succession: never 0, ≈ other_k / other_n when the other groups have many values
        pl.when(peers).then((pl.col("other_k") + 1) / (pl.col("other_n") + 2)).otherwise(1.0 / base)
        .alias("reference"),
        pl.when(peers).then(pl.lit("其他街镇")).otherwise(pl.lit(f"理论值 1/{base}")).alias("__ref"),
        pl.when(peers).then(pl.concat_str(
            pl.lit("其他街镇 "), on, pl.lit(" 个值中 "), ok, pl.lit(" 个，按 ("), ok, pl.lit("+1)/("), on,
            pl.lit("+2) 计"),
        )).otherwise(pl.lit(f"理论值 1/{base}，即尾数均匀的整数中 {base} 的整倍数所占比例")).alias("__ref_text"),
        pl.when(pl.col("n") > 0).then(pl.col("k") / pl.col("n")).alias("share"),
    )
    rows = rows.with_columns(binomial_sf(rows, "k", "n", "reference").alias("p"))
    applicable = pl.col("n") >= params.min_n
    excess = pl.col("share") / pl.col("reference")
    flagged = applicable & (pl.col("p") < params.alpha) & (excess >= params.min_excess)
    head = pl.concat_str(pl.col("__scope"), pl.lit(f"的{label}"))
    return rows.with_columns(
        pl.lit(f"round_{base}_share").alias("statistic"),
        pl.when(applicable).then(pl.col("share")).alias("value"),
        applicable.alias("applicable"),
        flagged.alias("flagged"),
        pl.when(applicable).then(
            pl.when(flagged).then(pl.lit(CLASSES["excess"])).otherwise(pl.lit(CLASSES["normal"]))).alias("class"),
        pl.when(applicable).then(pl.concat_str(
            head, pl.lit(f"：{base} 及以上的 "), pl.col("n").cast(pl.String), pl.lit(f" 个值中，{base} 的整倍数 "),
            pl.col("k").cast(pl.String), pl.lit(" 个，占 "), num_text(pl.col("share") * 100, 1), pl.lit("%，是参照值 "),
            num_text(pl.col("reference") * 100, 2), pl.lit("%（"), pl.col("__ref_text"), pl.lit("）的 "),
            num_text(excess.round(2)), pl.lit(" 倍（p"), p_text(pl.col("p")), pl.lit("）"),
            pl.when(flagged).then(pl.lit("，整数值明显偏多，疑似估报或编造")).otherwise(pl.lit("")),
        )).otherwise(pl.concat_str(
            head, pl.lit(f"：{base} 及以上的值仅 "), pl.col("n").cast(pl.String),
            pl.lit(f" 个，少于 {params.min_n} 个，不作 {base} 整倍数检验"))).alias("message"),
        pl.struct(
            pl.lit(base).alias("base"), "n", "k", pl.col("share").round(6).alias("share"),
            pl.col("reference").round(6).alias("reference"), pl.col("__ref").alias("reference_from"),
            pl.col("other_n"), pl.col("other_k"), pl.col("p").round(8).alias("p"),
        ).struct.json_encode().alias("values"),
    )


def _trailing_digits(params: HeapingParams, label: str, width: int, scopes: pl.DataFrame,
                     counts: pl.DataFrame) -> pl.DataFrame:
    """χ² of the last ``width`` digits (1: units, 2: integer part mod 100) per scope against the reference."""
    cells = 10**width
    df = cells - 1
    smallest = 10 * cells                      # 100 or 1000: the trailing digits are ≥ the third significant one
    # groups entering the median: enough values (5 per cell), and enough of them (see the module docstring)
    ref_min, ref_groups = (params.min_n, 3) if width == 1 else (max(params.min_n, 5 * cells), 10)
    statistic = "last_digit_chi2" if width == 1 else "last_two_digits_chi2"
    what = "个位数字" if width == 1 else "末两位数字"
    digits = pl.DataFrame({"digit": list(range(cells))}, schema={"digit": pl.Int64})
    grid = (
        scopes.select("group").join(digits, how="cross")
        .join(counts, on=["group", "digit"], how="left", nulls_equal=True)
        .with_columns(pl.col("c").fill_null(0))
        .with_columns(pl.col("c").sum().over("group").alias("n"))
    )
    # reference: per digit the median share over groups with enough values (robust to a few heaping 街镇),
    # floored at 0.001 and renormalised; uniform for the overall row and with fewer than ref_groups such groups
    qualifying = grid.filter(pl.col("group").is_not_null() & (pl.col("n") >= ref_min))
    n_groups = qualifying.select(pl.col("group").n_unique()).item()
    if n_groups >= ref_groups:
        median = qualifying.group_by("digit").agg((pl.col("c") / pl.col("n")).median().clip(0.001).alias("__m"))
        reference = median.with_columns((pl.col("__m") / pl.col("__m").sum()).alias("__q")).select("digit", "__q")
        grid = grid.join(reference, on="digit", how="left").with_columns(
            pl.when(pl.col("group").is_not_null()).then(pl.col("__q")).otherwise(1.0 / cells).alias("q"),
            pl.col("group").is_not_null().alias("__others"),
        )
    else:
        grid = grid.with_columns(pl.lit(1.0 / cells).alias("q"), pl.lit(False).alias("__others"))
    grid = grid.with_columns((pl.col("n") * pl.col("q")).alias("e")).with_columns(
        pl.when(pl.col("n") > 0).then((pl.col("c") - pl.col("e")) ** 2 / pl.col("e")).alias("chi_part"),
        ((pl.col("c") - pl.col("e")) / pl.col("e").sqrt()).alias("resid"),
        pl.concat_str(pl.col("digit").cast(pl.String).str.zfill(width), pl.lit("（实际 "),
                      num_text(pl.col("c") / pl.col("n") * 100, 1), pl.lit("%，参照 "),
                      num_text(pl.col("q") * 100, 1), pl.lit("%）")).alias("__text"),
    )
    over = pl.col("resid") > 2
    stats = grid.sort("group", "digit", nulls_last=False).group_by("group", maintain_order=True).agg(
        pl.col("n").first(), pl.col("__others").first(),
        pl.when(pl.col("n").first() > 0).then(pl.col("chi_part").sum()).alias("chi2"),
        pl.col("__text").filter(over).sort_by([pl.col("resid").filter(over), pl.col("digit").filter(over)],
                                              descending=[True, False]).head(3).alias("__top"),
        pl.struct("digit", pl.col("c").alias("count"), pl.col("q").round(6).alias("reference")).alias("digits"),
    )
    rows = scopes.join(stats, on="group", how="left", nulls_equal=True).with_columns(
        chi2_sf(pl.col("chi2"), df).alias("p"),
        pl.when(pl.col("__others")).then(pl.lit("各街镇中位分布")).otherwise(pl.lit("均匀分布")).alias("__ref"),
    )
    applicable = pl.col("n") >= params.min_n
    flagged = applicable & (pl.col("p") < params.alpha)
    head = pl.concat_str(pl.col("__scope"), pl.lit(f"的{label}{what}"))
    return rows.with_columns(
        pl.lit(statistic).alias("statistic"),
        pl.when(applicable).then(pl.col("chi2")).alias("value"),
        applicable.alias("applicable"),
        flagged.alias("flagged"),
        pl.when(applicable).then(pl.when(flagged).then(pl.lit(CLASSES["nonuniform"]))
                                 .otherwise(pl.lit(CLASSES["uniform"]))).alias("class"),
        pl.when(applicable).then(pl.concat_str(
            head, pl.lit("（"), pl.col("n").cast(pl.String), pl.lit(f" 个不小于 {smallest} 的值）与"), pl.col("__ref"),
            pl.lit("相比 χ²="), num_text(pl.col("chi2").round(2)), pl.lit(f"（自由度 {df}，p"), p_text(pl.col("p")),
            pl.lit("）"),
            pl.when(flagged).then(pl.concat_str(
                pl.lit("，分布明显不均匀"),
                pl.when(pl.col("__top").list.len() > 0).then(
                    pl.concat_str(pl.lit(f"；偏多的{'数字' if width == 1 else '末两位'}："),
                                  pl.col("__top").list.join("、"))).otherwise(pl.lit("")),
            )).otherwise(pl.lit("")),
        )).otherwise(pl.concat_str(
            head, pl.lit(f"：不小于 {smallest} 的值仅 "), pl.col("n").cast(pl.String),
            pl.lit(f" 个，少于 {params.min_n} 个，不作尾数检验"))).alias("message"),
        pl.struct(
            "n", pl.col("chi2").round(4).alias("chi2"), pl.lit(df).alias("df"), pl.col("p").round(8).alias("p"),
            pl.col("__ref").alias("reference_from"), "digits",
        ).struct.json_encode().alias("values"),
    )
