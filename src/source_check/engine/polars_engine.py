"""Run a pack over a submission as one fused lazy polars plan.

One plan types the input, joins the previous period (if any) and evaluates every rule
as a Boolean status column. The rule sinks — per-rule counts and the rows with at least
one failure (and the detector rows) — are collected together with the streaming engine,
so the source is scanned once for the rules (``pl.explain_all`` shows one scan under a
shared cache). Before that, light passes read only a few columns: the small
aggregates (units per group, what priorities need) and a hash of every value an
``is_unique`` rule tests, to find the values repeated (:mod:`source_check.engine.staged`).
Only failing rows are materialised; the long findings table is built from them rule by
rule with vectorised expressions, never row by row.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from ..detectors import run_detectors
from ..detectors.base import GROUP
from ..errors import InputError, SourceCheckError
from ..expr.polars_compile import prev_name
from ..pack.model import Pack
from ..result import CheckResult, SkippedRule
from ..scoring import ScoringConfig, priority_inputs, priority_sinks, with_priority
from .assemble import (
    detector_findings,
    group_expr,
    group_summary,
    mark_explained,
    order_findings,
    rule_findings,
)
from .compile import PROVENANCE, PackPlan, status_name
from .staged import RepeatedValues, collect_staged

__all__ = ["build_plan", "combine_forms", "run_check"]

ROW = "__row"
PRIORITY = "__priority"


def _require_columns(pack: Pack, schema: pl.Schema, what: str) -> None:
    missing = [k for k in pack.key if k not in schema]
    if missing:
        labels = "、".join(f"{pack.label(k)}（{k}）" for k in missing)
        raise InputError(f"{what}缺少主键列：{labels}")


Frames = pl.LazyFrame | Mapping[str, pl.LazyFrame]


def combine_forms(pack: Pack, data: Frames, what: str = "本期数据") -> pl.LazyFrame:
    """One frame from the inputs of a multi-form pack, left-joined on the key from the first form.

    A single-form pack takes a LazyFrame (or a one-entry mapping).
    """
    if isinstance(data, pl.LazyFrame):
        if pack.forms and len(pack.forms) > 1:
            raise InputError(f"规则包 {pack.id} 需要多张报表的数据：{', '.join(pack.forms)}（请按报表分别提供）")
        return data
    if not pack.forms:
        if len(data) == 1:
            return next(iter(data.values()))
        raise InputError(f"规则包 {pack.id} 只核查一张报表，却提供了 {len(data)} 份数据：{', '.join(data)}")
    missing = [f for f in pack.forms if f not in data and f not in pack.optional_forms]
    unknown = [f for f in data if f not in pack.forms]
    if missing or unknown:
        raise InputError(
            f"{what}与规则包 {pack.id} 的报表不符：需要 {', '.join(pack.forms)}"
            + (f"，缺少 {', '.join(missing)}" if missing else "")
            + (f"，多出 {', '.join(unknown)}" if unknown else "")
        )
    base = data[pack.forms[0]]
    for form in pack.forms[1:]:
        if form not in data:  # an optional form left out: its fields are null, its rules skipped
            have = base.collect_schema()
            base = base.with_columns([pl.lit(None, dtype=pl.String).alias(f) for f in pack.form_fields(form)
                                      if f not in have])
            continue
        other = data[form]
        schema = other.collect_schema()
        _require_columns(pack, schema, f"{what}（{form}表）")
        wanted = [f for f in pack.form_fields(form) if f in schema]
        keys = [pl.col(k).cast(pl.String).str.strip_chars().alias(k) for k in pack.key]
        right = (
            other.select(*keys, *wanted)
            .filter(pl.all_horizontal([pl.col(k).is_not_null() for k in pack.key]))
            .unique(subset=pack.key, keep="first", maintain_order=True)
        )
        base_schema = base.collect_schema()
        _require_columns(pack, base_schema, f"{what}（{pack.forms[0]}表）")
        clash = [f for f in wanted if f in base_schema]
        base = base.drop(clash).with_columns(keys).join(right, on=pack.key, how="left", maintain_order="left")
    return base


def missing_forms(pack: Pack, data: Frames) -> list[str]:
    """The optional forms of a multi-form pack that ``data`` leaves out."""
    return [f for f in pack.optional_forms if isinstance(data, Mapping) and f not in data]


def _prepared(pack: Pack, plan: PackPlan, data: pl.LazyFrame, previous: pl.LazyFrame | None) -> pl.LazyFrame:
    schema = data.collect_schema()
    lf = data.with_row_index(ROW).with_columns(plan.typed_columns(schema))
    if previous is not None:
        prev_schema = previous.collect_schema()
        _require_columns(pack, prev_schema, "上期数据")
        _require_columns(pack, schema, "本期数据")
        wanted = plan.prev_fields()
        prev = (
            previous.with_columns(PackPlan(pack, has_previous=False).typed_columns(prev_schema, keep_raw=False))
            .select([*pack.key, *[pl.col(f).alias(prev_name(f)) for f in wanted if f not in pack.key]])
            .filter(pl.all_horizontal([pl.col(k).is_not_null() for k in pack.key]))
            .unique(subset=pack.key, keep="first", maintain_order=True)
        )
        lf = lf.join(prev, on=pack.key, how="left", maintain_order="left")
        for f in wanted:
            if f in pack.key:
                lf = lf.with_columns(pl.col(f).alias(prev_name(f)))
    return lf


def build_plan(
    pack: Pack, data: Frames, previous: Frames | None = None, *, settle_uniqueness: bool = True
) -> tuple[PackPlan, pl.LazyFrame, list[pl.LazyFrame], list[pl.DataFrame]]:
    """The fused plan, its sinks — counts, failing rows, then the detector rows when the
    pack has detectors — and the light aggregates, already collected: units per group
    first, then the tables priorities need (:func:`priority_sinks`).

    The aggregates come from two light streaming passes over a few columns
    (:func:`~source_check.engine.staged.collect_staged`) that also find, with
    ``settle_uniqueness`` (the default), the values ``is_unique`` rules see repeated: the
    rules then test each row with ``is_in`` and the plan streams instead of holding every
    row to find duplicates.
    """
    # an optional form missing from the previous period only leaves its prev() values null (not applicable)
    plan = PackPlan(pack, has_previous=previous is not None, hoist=True, missing_forms=missing_forms(pack, data))
    current = combine_forms(pack, data)
    prev = combine_forms(pack, previous, "上期数据") if previous is not None else None
    prepared = _prepared(pack, plan, current, prev)
    if plan.hoisted:
        prepared = prepared.with_columns(plan.hoisted_columns())
    group_col = group_expr(pack)
    units = prepared.group_by(group_col.alias("group")).agg(pl.len().alias("units"))
    arguments = plan.unique_arguments() if settle_uniqueness else {}
    aggregates, results = collect_staged([units, *priority_sinks(pack, previous is not None, prepared, group_col)],
                                         [RepeatedValues(prepared, arguments)] if arguments else [])
    if arguments:
        plan.settle_uniqueness(results[0])
    status = prepared.with_columns(plan.status_exprs())
    names = [status_name(i) for i in range(len(plan.active))]
    counts = status.select(
        pl.len().alias("__rows"),
        *[pl.col(n).sum().alias(f"{n}_pass") for n in names],
        *[(~pl.col(n)).sum().alias(f"{n}_fail") for n in names],
        *[pl.col(n).is_null().sum().alias(f"{n}_na") for n in names],
    )
    any_fail = pl.any_horizontal([(~pl.col(n)).fill_null(False) for n in names]) if names else pl.lit(False)
    sinks = [counts, status.filter(any_fail)]
    if pack.detectors:
        extra = [c for c in ("name", *PROVENANCE) if c in status.collect_schema() and c not in pack.key]
        prev_cols = [prev_name(f) for f in plan.detector_fields] if previous is not None else []
        period = [pack.period] if pack.period and pack.period not in (*plan.detector_fields, *pack.key) else []
        chosen = [*pack.key, *plan.detector_fields, *prev_cols, *extra, *period]
        for_priority = [c for c in priority_inputs(pack, previous is not None) if c not in chosen]
        sinks.append(status.select(
            ROW, *pack.key, group_col.alias(GROUP), *[f for f in plan.detector_fields if f not in extra],
            *prev_cols, *extra, *period, *for_priority,
        ))
    return plan, status, sinks, aggregates


def run_check(
    pack: Pack,
    data: Frames,
    previous: Frames | None = None,
    *,
    max_findings_per_rule: int | None = None,
    explanations: pl.DataFrame | None = None,
) -> CheckResult:
    """Evaluate ``pack`` over ``data`` (and ``previous``), score and summarise."""
    if max_findings_per_rule is not None and (
        isinstance(max_findings_per_rule, bool) or not isinstance(max_findings_per_rule, int)
        or max_findings_per_rule < 0
    ):
        raise InputError(f"max_findings_per_rule 必须是不小于 0 的整数（或 None 表示不限），实际为 "
                         f"{max_findings_per_rule!r}")
    try:
        plan, _, sinks, aggregates = build_plan(pack, data, previous)
        collected = pl.collect_all(sinks, engine="streaming")
    except pl.exceptions.ColumnNotFoundError as exc:
        raise InputError(f"输入缺少列：{str(exc).splitlines()[0]}") from None
    except pl.exceptions.PolarsError as exc:
        raise SourceCheckError(f"规则包 {pack.id} 执行失败：{str(exc).splitlines()[0]}") from None
    counts, failing, *detector_rows = collected
    del collected  # each frame is replaced by its copy with priorities: hold one, not both
    units, stats = aggregates[0], aggregates[1:]
    group_col = group_expr(pack)
    failing = with_priority(pack, previous is not None, failing, group_col, stats, PRIORITY)
    detector_frame = (with_priority(pack, previous is not None, detector_rows.pop(), pl.col(GROUP), stats, PRIORITY)
                      if pack.detectors else None)
    detected = run_detectors(pack, detector_frame, previous is not None) if detector_frame is not None else None
    cfg = ScoringConfig.from_spec(pack.scoring)

    n_rows = int(counts["__rows"][0])
    rule_rows = []
    for i, rule in enumerate(plan.active):
        n = status_name(i)
        rule_rows.append({
            "rule_id": rule.id, "title": rule.title, "level": rule.level, "dimension": rule.dimension,
            "kind": rule.kind, "items": n_rows, "passes": int(counts[f"{n}_pass"][0] or 0),
            "fails": int(counts[f"{n}_fail"][0] or 0), "na": int(counts[f"{n}_na"][0] or 0), "skipped": False,
        })
    for rule in plan.skipped:
        rule_rows.append({
            "rule_id": rule.id, "title": rule.title, "level": rule.level, "dimension": rule.dimension,
            "kind": rule.kind, "items": 0, "passes": 0, "fails": 0, "na": 0, "skipped": True,
        })
    if detected is not None:
        rule_rows.extend(detected.rule_rows)
    ids = [r.id for r in pack.all_rules] + [d.id for d in pack.detectors]
    order = {rid: i for i, rid in enumerate(ids)}
    rules = pl.DataFrame(rule_rows, schema={
        "rule_id": pl.String, "title": pl.String, "level": pl.String, "dimension": pl.String,
        "kind": pl.String, "items": pl.Int64, "passes": pl.Int64, "fails": pl.Int64, "na": pl.Int64,
        "skipped": pl.Boolean,
    }).sort(pl.col("rule_id").replace_strict(order, return_dtype=pl.Int64))

    fails = [int(counts[f"{status_name(i)}_fail"][0] or 0) for i in range(len(plan.active))]
    findings, pairs = rule_findings(pack, plan, failing, fails, max_findings_per_rule)
    del failing  # the findings hold what is needed of the failing rows
    if detected is not None and not detected.unit_findings.is_empty():
        assert detector_frame is not None
        unit, unit_pairs = detector_findings(pack, detected.unit_findings, detector_frame, max_findings_per_rule)
        wanted = [c for c in (*findings.columns, "score") if c in unit.columns]
        findings = pl.concat([findings, unit.select(list(dict.fromkeys(wanted)))], how="diagonal_relaxed")
        pairs = pl.concat([pairs, unit_pairs], how="vertical")
    findings = order_findings(mark_explained(findings, explanations, cfg), order)
    pairs = mark_explained(pairs, explanations, cfg)
    groups = group_summary(pack, units, pairs, detected.anomalies if detected else None, cfg)
    skipped = [SkippedRule(r.id, plan.skip_reasons[r.id]) for r in plan.skipped]
    if detected is not None:
        skipped += [
            SkippedRule(r["rule_id"], "未提供上期数据，该检测未执行") for r in detected.rule_rows if r["skipped"]
        ]
    return CheckResult(
        pack_id=pack.id, pack_title=pack.title, pack_version=pack.version, pack_sha256=pack.sha256,
        key=list(pack.key), findings=findings, rules=rules, groups=groups, skipped=skipped, rows=n_rows,
        anomalies=detected.anomalies if detected is not None else None,
        meta={"score_notes": cfg.notes(), "min_explanation_length": cfg.min_explanation_length,
              "labels": {k: pack.label(k) for k in pack.fields}},
    )
