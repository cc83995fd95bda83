"""Scores for every 街镇, priorities for every unit, and explanation quality.

Group score (0–100)
-------------------
Every unit u gets a penalty ``p_u = min(1, Σ w_f)`` over its findings f, with weights
(pack ``scoring.weights``; defaults in :data:`DEFAULT_WEIGHTS`): an error 1.0, an
unexplained warning 0.4, an explained warning 0.0, an info 0.0, a unit-level statistical
anomaly 0.3 (0.0 once explained; an anomaly the pack sets to ``level: error`` weighs as
an error). A group's score is

    score = 100 · (1 − Σ_u p_u / units) − min(group_cap, group_anomaly · k)

where k is the number of distinct (detector, field) pairs with a flagged group-level
anomaly for the group (Benford, heaping: one heap or one nonconforming field counts
once, however many of its statistics flag it), each costing ``group_anomaly`` points
(default 5, at most ``group_cap`` = 20), and the result is clamped to [0, 100].
Dimension scores use the same formula with only that dimension's findings (anomalies
count as 合理性/plausibility). The score is bounded; adding a finding never raises it;
explaining a warning never lowers it; duplicating every unit with its findings leaves it
unchanged (it depends on rates, not counts); a group without findings scores 100. Grade:
A ≥ 90, B ≥ 80, C ≥ 60, else D (pack ``scoring.grades``); rank 1 is the best score
(ties: fewer units with errors, then code).

Priority (selective editing)
----------------------------
For each unit, over the pack's ``scoring.priority_fields`` f:
``priority = max_f |y_f − ŷ_f| / |T̂_f|`` with ŷ the previous-period value when previous
data is given (and the unit has one), else the stratum median of ``y_f / aux`` times the
unit's auxiliary field ``scoring.auxiliary`` (strata: ``scoring.strata``), else the
group's median of f, and T̂_f the group's total of f (its absolute value: a field such
as profit can sum to less than 0). This is the local score of the ONS selective-editing specification and ISTAT
SeleMix (``sel.edit``) with design weight 1 (a census): the follow-up list starts with
the units that move the 街镇 totals most.

Examples
--------
>>> explanation_ok_expr(pl.col("t"), DEFAULT_BOILERPLATE, 10).alias("ok").meta.output_name()
'ok'
>>> pl.select(explanation_ok_expr(pl.lit("核实无误"), DEFAULT_BOILERPLATE, 10)).item()
False
>>> pl.select(explanation_ok_expr(pl.lit("本年新增两家门店，营业收入随之增长约六成"), DEFAULT_BOILERPLATE, 10)).item()
True
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any, cast

import polars as pl

from .pack.model import Pack
from .pack.schema import ScoringSpec

__all__ = [
    "DEFAULT_BOILERPLATE",
    "DEFAULT_GRADES",
    "DEFAULT_WEIGHTS",
    "DIMENSIONS",
    "SCORE_NOTES",
    "ScoringConfig",
    "explanation_ok_expr",
    "finding_fingerprint_expr",
    "fingerprint",
    "fingerprint_expr",
    "fingerprint_text_expr",
    "priority_inputs",
    "priority_sinks",
    "score_groups",
    "with_priority",
]

DIMENSIONS = ("completeness", "validity", "consistency", "plausibility", "uniqueness")
DEFAULT_WEIGHTS = {
    "error": 1.0,
    "warning": 0.4,
    "explained_warning": 0.0,
    "info": 0.0,
    "anomaly": 0.3,
    "explained_anomaly": 0.0,
    "group_anomaly": 5.0,
    "group_cap": 20.0,
}
DEFAULT_GRADES = {"A": 90.0, "B": 80.0, "C": 60.0}
DEFAULT_BOILERPLATE = (
    "核实无误", "数据无误", "无误", "无", "正常", "情况属实", "属实", "数据真实", "真实", "已核实", "核实",
    "经核实", "确认无误", "数据正确", "正确", "没有问题", "无问题", "同上", "如实填报", "按实填报",
)
@dataclass(frozen=True)
class ScoringConfig:
    """Weights, grades and explanation rules, from a pack's ``scoring`` section and defaults."""

    weights: dict[str, float]
    grades: dict[str, float]
    boilerplate: tuple[str, ...]
    min_explanation_length: int

    @classmethod
    def from_spec(cls, spec: ScoringSpec | None) -> ScoringConfig:
        spec = spec or ScoringSpec()
        weights = {**DEFAULT_WEIGHTS, **spec.weights}
        grades = dict(DEFAULT_GRADES)
        if spec.grades:  # a change to A/B/C keeps the others; a scale of one's own replaces them
            grades = {**grades, **spec.grades} if set(spec.grades) <= set(DEFAULT_GRADES) else dict(spec.grades)
        boiler = tuple(spec.boilerplate) if spec.boilerplate is not None else DEFAULT_BOILERPLATE
        length = spec.min_explanation_length if spec.min_explanation_length is not None else 10
        return cls(weights, grades, boiler, length)

    def notes(self) -> list[str]:
        """The scoring method in Chinese, with this configuration's numbers (the 概览 sheet).

        >>> ScoringConfig.from_spec(None).notes()[2]
        '等级：A ≥ 90，B ≥ 80，C ≥ 60，其余为 D；排名按得分从高到低。'
        """
        w = self.weights
        grades = "，".join(f"{name} ≥ {_num(t)}" for name, t in sorted(self.grades.items(), key=lambda kv: -kv[1]))
        return [
            f"单位扣分 = min(1, Σ问题权重)：强制性问题 {_num(w['error'])}，未说明的核实性问题 {_num(w['warning'])}，"
            f"已合格说明的核实性问题 {_num(w['explained_warning'])}，提示性问题 {_num(w['info'])}，"
            f"单位级统计异常 {_num(w['anomaly'])}（已合格说明的 {_num(w['explained_anomaly'])}；"
            f"级别为强制性的异常按强制性问题计）。",
            f"街镇得分 = 100 ×（1 − 各单位扣分之和 ÷ 报送单位数）− 街镇级统计异常扣分（每个异常指标 "
            f"{_num(w['group_anomaly'])} 分，最多 {_num(w['group_cap'])} 分），限定在 0～100；"
            "各维度得分只计该维度的问题。",
            f"等级：{grades}，其余为 D；排名按得分从高到低。",
            "优先级 = 各重点指标 |本期值 − 预测值| ÷ |街镇该指标合计| 的最大值"
            "（预测值取上期值；无上期值的单位取同层中位比率 × 辅助指标，未设辅助指标时取街镇中位数），"
            "数值越大，对街镇合计影响越大，应优先核实。",
            f"说明合格：去掉首尾空白后至少 {self.min_explanation_length} 个字，且去掉标点和套话（如“核实无误”）后"
            "仍有至少 4 个字的实际内容；强制性问题不能以说明消除。",
        ]


def _num(x: float) -> str:
    """A weight as written: 1.0 → '1.0', 0.4 → '0.4', 90.0 → '90', 5.0 → '5'."""
    return f"{x:g}" if x != int(x) or abs(x) >= 2 else f"{x:.1f}" if x else "0"


SCORE_NOTES = tuple(ScoringConfig.from_spec(None).notes())


_PUNCT = r"[\s\p{P}\p{S}]"


def explanation_ok_expr(text: pl.Expr, boilerplate: tuple[str, ...], min_length: int) -> pl.Expr:
    """True when an explanation is substantive: long enough and not only boilerplate.

    The length counts every character but surrounding whitespace; then, with punctuation,
    spaces and every boilerplate phrase (核实无误, 情况属实, …) removed, at least 4
    characters of real content must remain.

    >>> pl.select(explanation_ok_expr(pl.lit("门店扩张,收入增长了"), DEFAULT_BOILERPLATE, 10)).item()
    True
    >>> pl.select(explanation_ok_expr(pl.lit("经核实，数据无误，情况属实。"), DEFAULT_BOILERPLATE, 10)).item()
    False
    """
    given = text.cast(pl.String).fill_null("").str.strip_chars()
    rest = given.str.replace_all(_PUNCT, "")
    for phrase in sorted(boilerplate, key=len, reverse=True):
        rest = rest.str.replace_all(phrase, "", literal=True)
    rest = rest.str.replace_all(r"[经已的了是均都]", "")
    return (given.str.len_chars() >= min_length) & (rest.str.len_chars() >= 4)


def fingerprint_text_expr(pack: Pack, rule_id: pl.Expr, period: pl.Expr | None = None) -> pl.Expr:
    """The readable identity of a finding: pack, rule, key values and period (not the row)."""
    parts: list[pl.Expr] = [pl.lit(pack.id), rule_id.cast(pl.String)]
    parts += [pl.col(k).cast(pl.String).fill_null("") for k in pack.key]
    parts.append(period.cast(pl.String).fill_null("") if period is not None else pl.lit(""))
    return pl.concat_str(parts, separator="|")


def fingerprint(text: str) -> str:
    """A finding's stable fingerprint: the first 16 hex digits of SHA-256 of its identity.

    Examples
    --------
    >>> fingerprint("labor-102|102-01|91310107MA1G00000Q|202412")
    '28a4279a5e84fe19'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@functools.cache
def _native_sha256() -> bool:
    """Whether polars-hash computes SHA-256 here, checked once against hashlib.

    The plugin is compiled against polars' plugin interface; should a future polars break
    it (or it be missing), fingerprints fall back to hashlib with the same values.
    """
    try:
        import polars_hash  # noqa: F401  (registers the ``chash`` namespace)

        probe = pl.select(cast(Any, pl.lit("源头数据|1")).chash.sha2_256()).item()
    except Exception:  # any failure of the plugin means: use hashlib
        return False
    return bool(probe == hashlib.sha256("源头数据|1".encode()).hexdigest())


def fingerprint_expr(identity: pl.Expr) -> pl.Expr:
    """The fingerprints of a column of identities, as :func:`fingerprint` gives them (null
    stays null), computed in Rust by polars-hash — about 3× faster than hashlib per text,
    and inside the query, in parallel.

    Examples
    --------
    >>> pl.select(fingerprint_expr(pl.lit("labor-102|102-01|91310107MA1G00000Q|202412"))).item()
    '28a4279a5e84fe19'
    """
    if _native_sha256():
        digest: pl.Expr = cast(Any, identity).chash.sha2_256()
        return digest.str.slice(0, 16)
    return identity.map_batches(_hashlib_column, return_dtype=pl.String)


def finding_fingerprint_expr(pack: Pack, rule_id: pl.Expr, period: pl.Expr | None = None) -> pl.Expr:
    """The fingerprint of each finding: :func:`fingerprint_expr` of its
    :func:`fingerprint_text_expr` (pack, rule, key values, period)."""
    return fingerprint_expr(fingerprint_text_expr(pack, rule_id, period))


def _hashlib_column(texts: pl.Series) -> pl.Series:
    return pl.Series(texts.name, [None if t is None else fingerprint(t) for t in texts.to_list()], dtype=pl.String)


_G = "__priority_group"


def _priority_fields(pack: Pack) -> list[str]:
    return [f for f in pack.scoring.priority_fields if f in pack.fields]


def _priority_aux(pack: Pack) -> str | None:
    aux = pack.scoring.auxiliary
    return aux if aux and aux in pack.fields else None


def _priority_strata(pack: Pack) -> list[str]:
    return [s for s in pack.scoring.strata if s in pack.fields]


def priority_inputs(pack: Pack, has_previous: bool) -> list[str]:
    """Columns a row needs to get its priority from :func:`with_priority`."""
    names = _priority_fields(pack)
    if not names:
        return []
    aux = _priority_aux(pack)
    prev = [f"__prev__{f}" for f in names] if has_previous else []
    return list(dict.fromkeys([*names, *prev, *([aux, *_priority_strata(pack)] if aux else [])]))


def priority_sinks(pack: Pack, has_previous: bool, frame: pl.LazyFrame, group: pl.Expr) -> list[pl.LazyFrame]:
    """The aggregates over all units that a unit's priority needs, as lazy queries.

    Per 街镇 the total ``Σy`` and the median ``y``; with an auxiliary, the median ratio
    ``y / x`` per stratum. They are small, so they are collected with the plan and the
    priority is then computed only for the rows that need one (failing rows, detector
    rows) — a window over every row (``.over(group)``) would hold the whole frame in
    memory. ``has_previous`` does not change them: a unit absent from the previous
    period is predicted as if there were none.
    """
    names = _priority_fields(pack)
    if not names:
        return []
    aux = _priority_aux(pack)
    aggs = [pl.col(f).cast(pl.Float64).sum().alias(f"__total__{f}") for f in names]
    aggs += [pl.col(f).cast(pl.Float64).median().alias(f"__median__{f}") for f in names]
    sinks = [frame.group_by(group.alias(_G)).agg(aggs)]
    if aux is not None:
        x = pl.col(aux).cast(pl.Float64)
        medians = [pl.when(x > 0).then(pl.col(f).cast(pl.Float64) / x).median().alias(f"__ratio__{f}")
                   for f in names]
        strata = _priority_strata(pack)
        sinks.append(frame.group_by(strata).agg(medians) if strata else frame.select(medians))
    return sinks


def with_priority(
    pack: Pack, has_previous: bool, rows: pl.DataFrame, group: pl.Expr, stats: list[pl.DataFrame], name: str
) -> pl.DataFrame:
    """``rows`` with a column ``name``: the unit's priority for follow-up, or null without priority fields.

    Priority is the largest, over the pack's ``scoring.priority_fields``, of
    ``|y − ŷ| / |T̂|`` with ``T̂ = Σy`` of the 街镇 (a field summing to 0 in a 街镇 gives
    no term), and ``ŷ`` the first available of: the previous period's value; the
    stratum's median ratio to the auxiliary times the unit's auxiliary; the 街镇's median
    (``stats``: the collected tables of :func:`priority_sinks`, each joined on its key
    columns — a table without keys holds overall values).
    """
    names = _priority_fields(pack)
    if not names:
        return rows.with_columns(pl.lit(None, dtype=pl.Float64).alias(name))
    out = rows.with_columns(group.alias(_G))
    for table in stats:
        keys = [c for c in table.columns if not c.startswith(("__total__", "__median__", "__ratio__"))]
        if keys:
            out = out.join(table, on=keys, how="left", nulls_equal=True, maintain_order="left")
        else:
            out = out.with_columns([pl.lit(table[c][0] if table.height else None, dtype=pl.Float64).alias(c)
                                    for c in table.columns])
    aux = _priority_aux(pack)
    terms: list[pl.Expr] = []
    for f in names:
        y = pl.col(f).cast(pl.Float64)
        guesses = [pl.col(f"__prev__{f}").cast(pl.Float64)] if has_previous else []
        if aux is not None:
            guesses.append(pl.col(f"__ratio__{f}") * pl.col(aux).cast(pl.Float64))
        guesses.append(pl.col(f"__median__{f}"))
        total = pl.col(f"__total__{f}").abs()
        terms.append(pl.when(total > 0).then((y - pl.coalesce(guesses)).abs() / total))
    added = [c for c in out.columns if c not in rows.columns]
    return out.with_columns(pl.max_horizontal(terms).fill_null(0.0).alias(name)).drop(added)


def _penalties(long: pl.DataFrame, cfg: ScoringConfig, by: list[str]) -> pl.DataFrame:
    """Per (group, row[, dimension]) penalty ``min(1, Σ weights)``."""
    w = cfg.weights
    weight = (
        pl.when(pl.col("level") == "error").then(w["error"])
        .when(pl.col("source") == "detector")
        .then(pl.when(pl.col("explained")).then(w["explained_anomaly"]).otherwise(w["anomaly"]))
        .when(pl.col("level") == "warning")
        .then(pl.when(pl.col("explained")).then(w["explained_warning"]).otherwise(w["warning"]))
        .otherwise(w["info"])
    )
    return long.group_by(by).agg(weight.sum().clip(0.0, 1.0).alias("penalty"))


def score_groups(
    groups: pl.DataFrame, long: pl.DataFrame, group_flags: pl.DataFrame, cfg: ScoringConfig
) -> pl.DataFrame:
    """Add scores to the per-group summary.

    Parameters
    ----------
    groups
        ``group, name, units, ...`` (one row per group).
    long
        Every finding, uncapped: ``group, row, level, dimension, explained, source``
        (``source`` is ``rule`` or ``detector``).
    group_flags
        ``group, flagged_anomalies``: flagged group-level anomalies per group.
    """
    w = cfg.weights
    unit_pen = _penalties(long, cfg, ["group", "row"]).group_by("group").agg(pl.col("penalty").sum().alias("p"))
    out = groups.join(unit_pen, on="group", how="left", nulls_equal=True)
    out = out.join(group_flags, on="group", how="left", nulls_equal=True)
    group_pen = (pl.col("flagged_anomalies").fill_null(0) * w["group_anomaly"]).clip(0.0, w["group_cap"])

    def score(p: pl.Expr) -> pl.Expr:
        base = pl.when(pl.col("units") > 0).then(100.0 * (1.0 - p.fill_null(0.0) / pl.col("units"))).otherwise(100.0)
        return base.clip(0.0, 100.0)

    out = out.with_columns((score(pl.col("p")) - group_pen).clip(0.0, 100.0).round(1).alias("score"))
    dim_pen = _penalties(long, cfg, ["group", "row", "dimension"]).group_by("group", "dimension").agg(
        pl.col("penalty").sum().alias("p")
    )
    for d in DIMENSIONS:
        part = dim_pen.filter(pl.col("dimension") == d).select("group", pl.col("p").alias(f"__p_{d}"))
        out = out.join(part, on="group", how="left", nulls_equal=True)
        pen = group_pen if d == "plausibility" else pl.lit(0.0)
        out = out.with_columns((score(pl.col(f"__p_{d}")) - pen).clip(0.0, 100.0).round(1).alias(f"score_{d}"))
    grade = pl.lit("D")
    for name, threshold in sorted(cfg.grades.items(), key=lambda kv: kv[1]):
        grade = pl.when(pl.col("score") >= threshold).then(pl.lit(name)).otherwise(grade)
    out = out.with_columns(grade.alias("grade"))
    ranked = out.sort(["score", "units_error", "group"], descending=[True, False, False], nulls_last=True)
    ranked = ranked.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"))
    return ranked.drop([c for c in ranked.columns if c.startswith("__p_")] + ["p", "flagged_anomalies"])
