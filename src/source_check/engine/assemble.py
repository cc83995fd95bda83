"""Assemble a result from the collected sinks: findings, every failing pair, explanations, groups.

:func:`rule_findings` and :func:`detector_findings` give the findings (capped per rule
when asked) and the *pairs*: every failing (record, rule) pair and every unit-level
anomaly, uncapped, so scores and per-group counts stay exact when findings are capped.
"""

from __future__ import annotations

import polars as pl

from ..pack.model import Pack
from ..scoring import ScoringConfig, explanation_ok_expr, finding_fingerprint_expr, score_groups
from .compile import PROVENANCE, PackPlan, status_name

__all__ = [
    "FINDINGS_COLUMNS", "LEVEL_ORDER", "PAIR_SCHEMA", "detector_findings", "empty_findings", "group_expr",
    "group_summary", "mark_explained", "order_findings", "rule_findings",
]

#: Columns the findings (and the detectors' unit tables) add next to the key fields: a
#: key field may not take one of these names (the loader refuses it with its position).
FINDINGS_COLUMNS = (
    "row", "group", "rule_id", "level", "dimension", "message", "fields", "values", "imbalance", "score",
    "fingerprint", "priority", "fkey", "explanation", "explained", "source", "unit", "field", "suggested",
    "source_file", "source_sheet", "source_row", "source_column",
)

ROW = "__row"
PRIORITY = "__priority"
LEVEL_ORDER = {"error": 0, "warning": 1, "info": 2}
PAIR_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "row": pl.Int64,
    "group": pl.String,
    "rule_id": pl.String,
    "level": pl.String,
    "dimension": pl.String,
    "source": pl.String,
    "fkey": pl.String,
    "fingerprint": pl.String,
}


def group_expr(pack: Pack) -> pl.Expr:
    """A unit's 街镇 as text (null for a pack without a group field)."""
    return pl.col(pack.group).cast(pl.String) if pack.group else pl.lit(None, dtype=pl.String)


def _period(pack: Pack, frame: pl.DataFrame) -> pl.Expr | None:
    return pl.col(pack.period) if pack.period and pack.period in frame.columns else None


def _provenance(pack: Pack, failing: pl.DataFrame) -> list[str]:
    prov = [c for c in PROVENANCE if c in failing.columns]
    if "name" in pack.fields and "name" not in pack.key and "name" in failing.columns:
        prov.insert(0, "name")
    return prov


def empty_findings(pack: Pack, schema: pl.Schema, prov_cols: list[str]) -> pl.DataFrame:
    """A findings table with no rows (and the columns of one with rows)."""
    cols: dict[str, pl.DataType | type[pl.DataType]] = {"row": pl.Int64}
    for k in pack.key:
        cols[k] = schema.get(k, pl.String)
    cols.update({
        "group": pl.String, "rule_id": pl.String, "level": pl.String, "dimension": pl.String,
        "message": pl.String, "fields": pl.List(pl.String), "values": pl.String, "imbalance": pl.Float64,
    })
    for c in prov_cols:
        cols[c] = schema.get(c, pl.String)
    cols.update({"score": pl.Float64, "fingerprint": pl.String, "priority": pl.Float64, "fkey": pl.String})
    return pl.DataFrame(schema=cols)


def rule_findings(
    pack: Pack, plan: PackPlan, failing: pl.DataFrame, fails: list[int], cap: int | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The row rules' findings (at most ``cap`` per rule) and every failing pair.

    One lazy query per failing rule over the collected failing rows (each reads only
    the columns its message and values need), all collected together in parallel.
    The pairs are the findings themselves unless a rule was capped.
    """
    frame = failing.lazy()
    period = _period(pack, failing)
    keys = [pl.col(k) for k in pack.key]
    group = group_expr(pack).alias("group")
    prov = [pl.col(c) for c in _provenance(pack, failing)]
    found: list[pl.LazyFrame] = []
    cut: list[pl.LazyFrame] = []
    for i, rule in enumerate(plan.active):
        if not fails[i]:
            continue
        sub = frame.filter(~pl.col(status_name(i)))
        head = [
            pl.col(ROW).cast(pl.Int64).alias("row"), *keys, group, pl.lit(rule.id, pl.String).alias("rule_id"),
            pl.lit(rule.level, pl.String).alias("level"), pl.lit(rule.dimension, pl.String).alias("dimension"),
        ]
        finger = finding_fingerprint_expr(pack, pl.lit(rule.id), period).alias("fingerprint")
        imbalance = plan.imbalance(rule) if rule.balance is not None else pl.lit(None, dtype=pl.Float64)
        found.append((sub.head(cap) if cap is not None else sub).select(
            *head,
            plan.message_expr(rule, failing).cast(pl.String).alias("message"),
            pl.lit(pl.Series([rule.fields_read], dtype=pl.List(pl.String))).first().alias("fields"),
            plan.values_expr(rule).alias("values"),
            imbalance.cast(pl.Float64).alias("imbalance"),
            *prov, finger,
            pl.col(PRIORITY).cast(pl.Float64).alias("priority"),
            pl.lit("", pl.String).alias("fkey"),
        ))
        if cap is not None and fails[i] > cap:
            cut.append(sub.select(*head, finger))
    if not found:
        findings = empty_findings(pack, failing.schema, _provenance(pack, failing))
        return findings, pl.DataFrame(schema=PAIR_SCHEMA)
    collected = pl.collect_all([pl.concat(found, how="vertical_relaxed"), *([pl.concat(cut)] if cut else [])])
    findings = collected[0]
    pair_cols = [pl.col("row"), "group", "rule_id", "level", "dimension",
                 pl.lit("rule").alias("source"), pl.lit("").alias("fkey"), "fingerprint"]
    pairs = [findings.select(pair_cols)]
    if cut:
        capped = set(collected[1]["rule_id"].unique().to_list())
        pairs = [findings.filter(~pl.col("rule_id").is_in(capped)).select(pair_cols), collected[1].select(pair_cols)]
    return findings, pl.concat([p.cast(pl.Schema(PAIR_SCHEMA)) for p in pairs], how="vertical")


def detector_findings(
    pack: Pack, unit_findings: pl.DataFrame, detector_frame: pl.DataFrame, cap: int | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Unit-level anomalies as findings (at most ``cap`` per detector) and as pairs (all)."""
    period = _period(pack, detector_frame)
    lookup = detector_frame.select(
        pl.col(ROW).cast(pl.Int64).alias("row"),
        (period if period is not None else pl.lit(None, dtype=pl.String)).cast(pl.String).alias("__period"),
        pl.col(PRIORITY).cast(pl.Float64).alias("priority"),
    )
    det = unit_findings.join(lookup, on="row", how="left").with_columns(
        pl.col("fields").list.first().fill_null("").alias("fkey")
    ).with_columns(
        finding_fingerprint_expr(pack, pl.concat_str([pl.col("rule_id"), pl.col("fkey")], separator=":"),
                                 pl.col("__period")).alias("fingerprint"),
    ).drop("__period")
    pairs = det.select(
        pl.col("row").cast(pl.Int64), pl.col("group").cast(pl.String), "rule_id", "level", "dimension",
        pl.lit("detector").alias("source"), "fkey", "fingerprint",
    ).cast(pl.Schema(PAIR_SCHEMA))
    if cap is not None:
        det = det.group_by("rule_id", maintain_order=True).head(cap)
    return det, pairs


def normalise_explanations(explanations: pl.DataFrame) -> pl.DataFrame:
    """Explanations with columns ``fingerprint, text[, who, when]`` (Chinese headers 指纹/说明 accepted)."""
    rename = {"指纹": "fingerprint", "说明": "text", "填写人": "who", "填写时间": "when"}
    df = explanations.rename({k: v for k, v in rename.items() if k in explanations.columns})
    if "fingerprint" not in df.columns or "text" not in df.columns:
        from ..errors import InputError

        raise InputError("说明表必须有“指纹”（fingerprint）和“说明”（text）两列")
    return (
        df.select(pl.col("fingerprint").cast(pl.String).str.strip_chars(), pl.col("text").cast(pl.String))
        .filter(pl.col("fingerprint").is_not_null() & pl.col("text").is_not_null())
        .unique("fingerprint", keep="last", maintain_order=True)
    )


def mark_explained(frame: pl.DataFrame, explanations: pl.DataFrame | None, cfg: ScoringConfig) -> pl.DataFrame:
    """Add ``explanation`` (the 说明 given for the finding's ``fingerprint``) and
    ``explained`` (a substantive 说明 for a non-error finding)."""
    given = explanations is not None and not explanations.is_empty() and not frame.is_empty()
    if not given:
        return frame.with_columns(
            pl.lit(None, dtype=pl.String).alias("explanation"),
            pl.lit(False).alias("explained"),
        )
    assert explanations is not None
    table = normalise_explanations(explanations)
    out = frame.join(table.rename({"text": "explanation"}), on="fingerprint", how="left", maintain_order="left")
    ok = explanation_ok_expr(pl.col("explanation"), cfg.boilerplate, cfg.min_explanation_length)
    return out.with_columns((ok & (pl.col("level") != "error")).fill_null(False).alias("explained"))


def order_findings(findings: pl.DataFrame, order: dict[str, int]) -> pl.DataFrame:
    """Findings by level, then priority (highest first), row and rule order; working columns dropped.

    ``score`` is a detector's score for its anomaly (null for a rule's finding)."""
    if "score" not in findings.columns:
        findings = findings.with_columns(pl.lit(None, dtype=pl.Float64).alias("score"))
    tail = ["score", "explanation", "explained", "fingerprint", "priority"]
    head = [c for c in findings.columns if c not in (*tail, "fkey")]
    out = findings.sort(
        [
            pl.col("level").replace_strict(LEVEL_ORDER, default=9, return_dtype=pl.Int64),
            pl.col("priority").fill_null(-1.0),
            "row",
            pl.col("rule_id").replace_strict(order, default=10**9, return_dtype=pl.Int64),
        ],
        descending=[False, True, False, False],
    )
    return out.select(*head, *tail)


def group_summary(
    pack: Pack, units: pl.DataFrame, pairs: pl.DataFrame, anomalies: pl.DataFrame | None, cfg: ScoringConfig
) -> pl.DataFrame:
    """Per 街镇: units, units with errors / warnings / unexplained warnings / anomalies, scores."""
    counts = pairs.group_by("group").agg(
        pl.col("row").filter(pl.col("level") == "error").n_unique().alias("units_error"),
        pl.col("row").filter((pl.col("level") == "warning") & (pl.col("source") == "rule")).n_unique()
        .alias("units_warning"),
        pl.col("row").filter((pl.col("level") == "warning") & (pl.col("source") == "rule") & ~pl.col("explained"))
        .n_unique()
        .alias("units_unexplained"),
        pl.col("row").filter(pl.col("source") == "detector").n_unique().alias("units_anomaly"),
        pl.len().alias("findings"),
    )
    out = units.join(counts, on="group", how="left", nulls_equal=True).with_columns(
        pl.col("units").cast(pl.Int64),
        *[pl.col(c).fill_null(0).cast(pl.Int64) for c in
          ("units_error", "units_warning", "units_unexplained", "units_anomaly", "findings")],
    )
    names = {g: pack.group_name(g) for g in out["group"].to_list()}
    out = out.with_columns(pl.col("group").replace_strict(names, default=None, return_dtype=pl.String).alias("name"))
    if anomalies is not None and not anomalies.is_empty():
        flags = (anomalies.filter((pl.col("scope") == "group") & pl.col("flagged") & pl.col("group").is_not_null())
                 .group_by("group").agg(pl.struct("detector_id", "field").n_unique().cast(pl.Float64)
                                        .alias("flagged_anomalies")))
    else:
        flags = pl.DataFrame(schema={"group": pl.String, "flagged_anomalies": pl.Float64})
    columns = ["group", "name", "units", "units_error", "units_warning", "units_unexplained", "units_anomaly",
               "findings"]
    scored = score_groups(out.select(columns), pairs, flags, cfg)
    return scored.select([*columns, "score", "grade", "rank", *[c for c in scored.columns if c.startswith("score_")]])
