"""``benford``: first-digit and first-two-digit (and second-digit) tests per 街镇 and overall.

Values read: by default every positive value for the first-digit test, and positive
values ``≥ 10`` for the first-two-digit and second-digit tests (Nigrini leaves out values
below 10 there: a one-digit number has no second digit). With ``min_value`` set, every
test reads the values ``≥ min_value``. ``N`` (and the spread below) is counted per test,
so the first-digit row can have a larger ``N`` than the others. Digits come from
``x / 10^(⌊log10 x⌋ − 1)`` with a 1e-9 relative guard against floating error
(``0.3 / 0.01 = 29.999…``).

For each scope — every group (``per: group``) and all records together (``group``
null) — and each test (``first`` digits 1–9, ``first_two`` 10–99, ``second`` 0–9):

* expected ``p_d = log10(1 + 1/d)`` (first, first two); second digit
  ``p_d = Σ_{k=1..9} log10(1 + 1/(10k + d))``;
* ``MAD = mean_d |p_obs − p_exp|`` over **all** digits of the test (zero counts too);
* Nigrini's conformity classes by MAD — first 0.006 / 0.012 / 0.015, first two
  0.0012 / 0.0018 / 0.0022, second 0.008 / 0.010 / 0.012 — close / acceptable /
  marginal, above that nonconformity (class text ``接近符合（close）`` …
  ``不符合（nonconformity）``, see :data:`CLASSES`);
* per digit ``z = (|p_obs − p_exp| − 1/(2N)) / sqrt(p_exp (1 − p_exp) / N)`` as in
  METHODS (Nigrini's continuity correction ``1/(2N)`` always subtracted, so a digit
  closer to its expectation than ``1/(2N)`` has a slightly negative ``z``) and
  ``χ² = Σ (O − E)² / E`` with ``df = digits − 1`` and its p-value, in ``values``.

A scope is tested only when ``N ≥ min_n`` and the values span at least ``min_decades``
orders of magnitude between their 5th and 95th percentiles, ``log10(P95 / P5)``;
otherwise its row has ``applicable = false`` and the reason in the message. ``flagged``
is nonconformity (also marginal with ``flag_marginal: true``). The MAD, not χ², decides:
with a few thousand values χ² rejects almost any real data set (Nigrini). From marginal
on, the message names up to three digits with ``z > 1.96``, largest ``z`` first.

Parameters (YAML)
-----------------
fields : list of field ids (required)
per : ``group`` (each 街镇 and overall, default) or ``all`` (overall only)
tests : subset of ``[first, first_two, second]``, default ``[first, first_two]``
min_n : 300
min_decades : 2.0 (orders of magnitude between P5 and P95)
min_value : none (first digit: every positive value; first two / second digit: ``≥ 10``)
flag_marginal : false

Examples
--------
>>> import math, polars as pl
>>> from source_check.pack.loader import load_pack_text
>>> pack = load_pack_text("pack: t\\nkey: [k]\\nfields: {k: {}, rev: {label: 营业收入, type: float}}\\n")
>>> counts = {d: round(1000 * math.log10(1 + 1 / d)) for d in range(1, 10)}   # 301, 176, 125, ...
>>> x = [d * 10.0 ** (i % 4) for d, c in counts.items() for i in range(c)]   # 1, 10, 100, 1000, 2, …
>>> frame = pl.DataFrame({"__row": range(len(x)), "k": [str(i) for i in range(len(x))],
...                       "__group": ["g"] * len(x), "rev": x})
>>> out = benford(DetectorContext(pack, frame, False), BenfordParams(fields=["rev"], per="all", tests=["first"]))
>>> out.groups.select("statistic", "n", "class", "flagged").row(0)
('mad_first_digit', 1000, '接近符合（close）', False)
"""

from __future__ import annotations

import math
from typing import Literal

import polars as pl
from pydantic import Field

from .base import GROUP, DetectorContext, DetectorOutput, DetectorParams, detector, empty_groups
from .common import num_text, p_text, scope_counts, scope_name, scopes
from .stats import chi2_sf

__all__ = ["CLASSES", "BenfordParams", "benford", "expected", "first_two_digits"]

#: Nigrini's conformity classes, as written in the ``class`` column.
CLASSES = {
    "close": "接近符合（close）",
    "acceptable": "可接受（acceptable）",
    "marginal": "临界（marginal）",
    "nonconformity": "不符合（nonconformity）",
}

Test = Literal["first", "first_two", "second"]

#: Per test: statistic name, Chinese name, digit domain, MAD bounds (close, acceptable, marginal).
_TESTS: dict[str, tuple[str, str, list[int], tuple[float, float, float]]] = {
    "first": ("mad_first_digit", "首位数字", list(range(1, 10)), (0.006, 0.012, 0.015)),
    "first_two": ("mad_first_two_digits", "前两位数字", list(range(10, 100)), (0.0012, 0.0018, 0.0022)),
    "second": ("mad_second_digit", "第二位数字", list(range(10)), (0.008, 0.010, 0.012)),
}


def expected(test: str) -> dict[int, float]:
    """Benford's expected proportion of each digit for ``test``."""
    if test == "second":
        return {d: sum(math.log10(1 + 1 / (10 * k + d)) for k in range(1, 10)) for d in range(10)}
    return {d: math.log10(1 + 1 / d) for d in _TESTS[test][2]}


class BenfordParams(DetectorParams):
    """Parameters of ``benford`` (see the module docstring)."""

    fields: list[str] = Field(min_length=1, description="需做 Benford 检验的指标")
    per: Literal["group", "all"] = Field(default="group", description="group：各街镇及全部；all：仅全部")
    tests: list[Test] = Field(default=["first", "first_two"], min_length=1,
                              description="first 首位、first_two 前两位、second 第二位")
    min_n: int = Field(default=300, ge=10, description="至少多少个有效值才检验")
    min_decades: float = Field(default=2.0, ge=0, description="P5 与 P95 至少相差几个数量级")
    min_value: float | None = Field(
        default=None, gt=0,
        description="只检验不小于此值的正数（默认：首位数字检验用全部正数，前两位、第二位数字检验用不小于 10 的值）")
    flag_marginal: bool = Field(default=False, description="临界（marginal）也标记")


def first_two_digits(x: pl.Expr) -> pl.Expr:
    """The first two significant digits (10–99) of a positive number.

    >>> pl.DataFrame({"x": [1000.0, 0.3, 987.6, 12.0, 999.99999999999, 2.5e-310]}).select(
    ...     first_two_digits(pl.col("x"))).to_series().to_list()
    [10, 30, 98, 12, 10, 25]
    """
    e = x.log10().floor()
    tiny = e < -300                      # 10^(e − 1) would underflow to 0 (subnormal x): scale x up first
    x, e = pl.when(tiny).then(x * 1e300).otherwise(x), pl.when(tiny).then(e + 300).otherwise(e)
    m = x / pl.lit(10.0).pow(e - 1)
    m = pl.when(m < 10).then(m * 10).when(m >= 100).then(m / 10).otherwise(m)
    ft = (m * (1 + 1e-9)).floor().cast(pl.Int64)
    return pl.when(ft >= 100).then(pl.lit(10, dtype=pl.Int64)).otherwise(ft)


@detector(
    "benford",
    BenfordParams,
    title="首位数字分布偏离 Benford 定律",
    fields=lambda p, pack: list(p.fields),
)
def benford(ctx: DetectorContext, params: BenfordParams) -> DetectorOutput:
    """Benford tests per group and overall; group-level output only."""
    parts = [_one_field(ctx, params, name) for name in params.fields]
    out = pl.concat(parts, how="vertical") if parts else empty_groups()
    return DetectorOutput(groups=out, items=0)


def _floor(params: BenfordParams, test: str) -> float | None:
    """The smallest value ``test`` reads: ``min_value`` when set, else 10 except for the first digit (None: > 0)."""
    if params.min_value is not None:
        return params.min_value
    return None if test == "first" else 10.0


def _one_field(ctx: DetectorContext, params: BenfordParams, name: str) -> pl.DataFrame:
    label = ctx.pack.label(name)
    x = pl.col("x")
    positive = ctx.frame.select(pl.col(GROUP).alias("group"), pl.col(name).cast(pl.Float64).alias("x")).filter(x > 0)
    per_group = params.per == "group"
    # each distinct floor (at most two: every positive value, and ≥ 10) is one value set with its own N and spread
    sets = {floor: _value_set(ctx, positive if floor is None else positive.filter(x >= floor), per_group)
            for floor in dict.fromkeys(_floor(params, t) for t in params.tests)}
    rows = [_one_test(params, label, test, _floor(params, test), *sets[_floor(params, test)])
            for test in params.tests]
    order = {t: i for i, t in enumerate(params.tests)}
    out = pl.concat(rows, how="vertical").with_columns(pl.lit(name).alias("field"))
    return out.sort(["group", pl.col("__test").replace_strict(order, return_dtype=pl.Int64)],
                    nulls_last=False).select(list(empty_groups().columns))


def _value_set(ctx: DetectorContext, values: pl.DataFrame, per_group: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The counts of the first two digits per scope (``ft_counts``), and N, P5, P95 and decades (``summary``)."""
    values = values.with_columns(first_two_digits(pl.col("x")).alias("ft"))
    spread = [pl.len().cast(pl.Int64).alias("n"), pl.col("x").quantile(0.05, interpolation="linear").alias("p5"),
              pl.col("x").quantile(0.95, interpolation="linear").alias("p95")]
    overall = values.select(pl.lit(None, dtype=pl.String).alias("group"), *spread)
    by_group = values.filter(pl.col("group").is_not_null()).group_by("group").agg(spread) if per_group else None
    summary = scopes(ctx, per_group=per_group).join(
        pl.concat([overall, by_group]) if by_group is not None else overall,
        on="group", how="left", nulls_equal=True,
    ).with_columns(
        pl.col("n").fill_null(0).cast(pl.Int64),
        (pl.col("p95") / pl.col("p5")).log10().alias("decades"),
    ).with_columns(scope_name(ctx).alias("__scope"))
    # counts of the first two digits per group, once; each test and the overall row add them up
    ft_counts = scope_counts(values.group_by("group", "ft").agg(pl.len().cast(pl.Int64).alias("count")),
                             ["ft"], ["count"], per_group=per_group)
    return ft_counts, summary


def _one_test(params: BenfordParams, label: str, test: str, floor: float | None, ft_counts: pl.DataFrame,
              summary: pl.DataFrame) -> pl.DataFrame:
    """One test's row per scope, on the values ``≥ floor`` (None: every positive value)."""
    statistic, test_zh, digits, (close, acceptable, marginal) = _TESTS[test]
    exp = expected(test)
    digit = {"first": pl.col("ft") // 10, "first_two": pl.col("ft"), "second": pl.col("ft") % 10}[test]
    domain = pl.DataFrame({"digit": digits, "p_exp": [exp[d] for d in digits]},
                          schema={"digit": pl.Int64, "p_exp": pl.Float64})
    counts = ft_counts.group_by("group", digit.alias("digit")).agg(pl.col("count").sum())
    n = pl.col("n")
    per_digit = (
        summary.select("group", "n").join(domain, how="cross")
        .join(counts, on=["group", "digit"], how="left", nulls_equal=True)
        .with_columns(pl.col("count").fill_null(0).cast(pl.Int64))
        .with_columns(pl.when(n > 0).then(pl.col("count") / n).alias("p_obs"))
        .with_columns(
            # METHODS: z = (|p_o − p_e| − 1/(2N)) / sqrt(p_e (1 − p_e) / N), negative below 1/(2N)
            (((pl.col("p_obs") - pl.col("p_exp")).abs() - 0.5 / n)
             / (pl.col("p_exp") * (1 - pl.col("p_exp")) / n).sqrt()).alias("z"),
            ((pl.col("count") - n * pl.col("p_exp")) ** 2 / (n * pl.col("p_exp"))).alias("chi_part"),
            pl.concat_str(pl.col("digit").cast(pl.String), pl.lit("（实际 "), num_text(pl.col("p_obs") * 100, 1),
                          pl.lit("%，期望 "), num_text(pl.col("p_exp") * 100, 1), pl.lit("%）")).alias("__text"),
        )
    )
    sig = pl.col("z") > 1.96
    stats = per_digit.sort("group", "digit", nulls_last=False).group_by("group", maintain_order=True).agg(
        (pl.col("p_obs") - pl.col("p_exp")).abs().mean().alias("mad"),
        pl.col("chi_part").sum().alias("chi2"),
        pl.col("z").max().alias("z_max"),
        pl.col("__text").filter(sig).sort_by([pl.col("z").filter(sig), pl.col("digit").filter(sig)],
                                             descending=[True, False]).head(3).alias("__top"),
        pl.struct(pl.col("digit"), pl.col("count"), pl.col("p_obs").round(6).alias("observed"),
                  pl.col("p_exp").round(6).alias("expected"), pl.col("z").round(4)).alias("digits"),
    )
    df = len(digits) - 1
    mad = pl.col("mad")
    klass = (pl.when(mad <= close).then(pl.lit("close")).when(mad <= acceptable).then(pl.lit("acceptable"))
             .when(mad <= marginal).then(pl.lit("marginal")).otherwise(pl.lit("nonconformity")))
    bad = ["nonconformity", "marginal"] if params.flag_marginal else ["nonconformity"]
    enough_n = pl.col("n") >= params.min_n
    enough_span = pl.col("decades").fill_null(0.0) >= params.min_decades
    applicable = enough_n & enough_span
    reads = "" if floor is None else f"（不小于 {floor:g} 的值）"
    head = pl.concat_str(pl.col("__scope"), pl.lit(f"的{label}{test_zh}{reads}"))
    reason = (
        pl.when(~enough_n).then(pl.concat_str(
            head, pl.lit("：有效值 "), pl.col("n").cast(pl.String),
            pl.lit(f" 个，少于 {params.min_n} 个，不作 Benford 检验")))
        .otherwise(pl.concat_str(
            head, pl.lit("：数值 P5–P95 仅跨 "), num_text(pl.col("decades").round(2)),
            pl.lit(f" 个数量级（需至少 {params.min_decades:g} 个），不适用 Benford 检验")))
    )
    return summary.join(stats, on="group", how="left", nulls_equal=True).with_columns(
        klass.alias("__class"), applicable.alias("applicable"),
        chi2_sf(pl.col("chi2"), df).alias("p_chi2"),
    ).with_columns(
        pl.lit(test).alias("__test"),
        pl.lit(statistic).alias("statistic"),
        pl.when(pl.col("applicable")).then(mad).alias("value"),
        pl.when(pl.col("applicable")).then(
            pl.col("__class").replace_strict(CLASSES, return_dtype=pl.String)).alias("class"),
        (pl.col("applicable") & pl.col("__class").is_in(bad)).alias("flagged"),
        pl.when(pl.col("applicable")).then(pl.concat_str(
            head, pl.lit("：N="), pl.col("n").cast(pl.String), pl.lit("，MAD "), mad.round(5).cast(pl.String),
            pl.lit("，"), pl.col("__class").replace_strict(CLASSES, return_dtype=pl.String),
            pl.lit("；χ²="), num_text(pl.col("chi2").round(2)), pl.lit(f"（自由度 {df}，p"),
            p_text(pl.col("p_chi2")), pl.lit("）"),
            pl.when((pl.col("__top").list.len() > 0) & pl.col("__class").is_in(["marginal", "nonconformity"])).then(
                pl.concat_str(pl.lit("；偏离最大的数字："), pl.col("__top").list.join("、"))).otherwise(pl.lit("")),
        )).otherwise(reason).alias("message"),
        pl.struct(
            pl.lit(test).alias("test"), pl.lit(floor, dtype=pl.Float64).alias("min_value"), "n",
            pl.col("mad").round(6).alias("mad"),
            pl.col("chi2").round(4).alias("chi2"), pl.lit(df).alias("df"), pl.col("p_chi2").round(6).alias("p_chi2"),
            pl.col("z_max").round(4).alias("z_max"), pl.col("decades").round(4).alias("decades"),
            "p5", "p95", pl.lit([close, acceptable, marginal]).alias("mad_bounds"), "digits",
        ).struct.json_encode().alias("values"),
    )
