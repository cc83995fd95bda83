"""Assemble a result from the collected sinks: every failing pair, explanations, groups.

``all_pairs`` lists every failing (record, rule) pair and every unit-level anomaly,
uncapped, so scores and per-group counts stay exact when findings are capped.
"""

from __future__ import annotations

import polars as pl

from ..pack.model import Pack
from ..scoring import ScoringConfig, explanation_ok_expr, fingerprint_text_expr, hash_column, score_groups
from .compile import PackPlan, status_name

__all__ = ["LEVEL_ORDER", "PAIR_SCHEMA", "all_pairs", "annotate_findings", "group_summary", "mark_explained"]

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
    "identity": pl.String,
}


def _group(pack: Pack) -> pl.Expr:
    return pl.col(pack.group).cast(pl.String) if pack.group else pl.lit(None, dtype=pl.String)


def _period(pack: Pack, frame: pl.DataFrame) -> pl.Expr | None:
    return pl.col(pack.period) if pack.period and pack.period in frame.columns else None


def all_pairs(
    pack: Pack,
    plan: PackPlan,
    failing: pl.DataFrame,
    unit_findings: pl.DataFrame | None,
    detector_frame: pl.DataFrame | None,
) -> pl.DataFrame:
    """Every failing (row, rule) pair and unit-level anomaly, with its identity."""
    parts: list[pl.DataFrame] = []
    period = _period(pack, failing)
    for i, rule in enumerate(plan.active):
        sub = failing.filter(pl.col(status_name(i)) == False)
        if sub.is_empty():
            continue
        parts.append(sub.select(
            pl.col(ROW).cast(pl.Int64).alias("row"), _group(pack).alias("group"), pl.lit(rule.id).alias("rule_id"),
            pl.lit(rule.level).alias("level"), pl.lit(rule.dimension).alias("dimension"),
            pl.lit("rule").alias("source"), pl.lit("").alias("fkey"),
            fingerprint_text_expr(pack, pl.lit(rule.id), period).alias("identity"),
        ))
    if unit_findings is not None and not unit_findings.is_empty() and detector_frame is not None:
        frame_period = _period(pack, detector_frame)
        lookup = detector_frame.select(
            pl.col(ROW).cast(pl.Int64).alias("row"),
            (frame_period if frame_period is not None else pl.lit(None, dtype=pl.String)).cast(pl.String)
            .alias("__period"),
        )
        det = unit_findings.join(lookup, on="row", how="left").with_columns(
            pl.col("fields").list.first().fill_null("").alias("fkey")
        )
        parts.append(det.select(
            pl.col("row").cast(pl.Int64), pl.col("group").cast(pl.String), "rule_id", "level", "dimension",
            pl.lit("detector").alias("source"), "fkey",
            fingerprint_text_expr(pack, pl.concat_str([pl.col("rule_id"), pl.col("fkey")], separator=":"),
                                  pl.col("__period")).alias("identity"),
        ))
    if not parts:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    return pl.concat([p.cast(pl.Schema(PAIR_SCHEMA)) for p in parts], how="vertical")


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


def mark_explained(pairs: pl.DataFrame, explanations: pl.DataFrame | None, cfg: ScoringConfig) -> pl.DataFrame:
    """Add ``explanation`` and ``explained`` (a substantive 说明 for a non-error finding)."""
    if explanations is None or explanations.is_empty() or pairs.is_empty():
        return pairs.with_columns(
            pl.lit(None, dtype=pl.String).alias("fingerprint"),
            pl.lit(None, dtype=pl.String).alias("explanation"),
            pl.lit(False).alias("explained"),
        )
    table = normalise_explanations(explanations)
    out = pairs.with_columns(hash_column(pairs["identity"]).alias("fingerprint"))
    out = out.join(table.rename({"text": "explanation"}), on="fingerprint", how="left")
    ok = explanation_ok_expr(pl.col("explanation"), cfg.boilerplate, cfg.min_explanation_length)
    return out.with_columns((ok & (pl.col("level") != "error")).fill_null(False).alias("explained"))


def annotate_findings(
    findings: pl.DataFrame,
    pairs: pl.DataFrame,
    failing: pl.DataFrame,
    detector_frame: pl.DataFrame | None,
    order: dict[str, int],
) -> pl.DataFrame:
    """Give each finding its fingerprint, priority and explanation; order by level, then priority."""
    if findings.is_empty():
        return findings.with_columns(
            pl.lit(None, dtype=pl.String).alias("fingerprint"), pl.lit(None, dtype=pl.Float64).alias("priority"),
            pl.lit(False).alias("explained"), pl.lit(None, dtype=pl.String).alias("explanation"),
        )
    priorities = [failing.select(pl.col(ROW).cast(pl.Int64).alias("row"), pl.col(PRIORITY).alias("priority"))]
    if detector_frame is not None:
        priorities.append(detector_frame.select(pl.col(ROW).cast(pl.Int64).alias("row"),
                                                pl.col(PRIORITY).alias("priority")))
    priority = pl.concat(priorities).unique("row", keep="first")
    found = findings.with_columns(
        pl.when(pl.col("rule_id").is_in(pairs.filter(pl.col("source") == "detector")["rule_id"].unique().to_list()))
        .then(pl.col("fields").list.first()).otherwise(pl.lit("")).fill_null("").alias("fkey")
    )
    keep = ["row", "rule_id", "fkey", "identity", "explanation", "explained"]
    if "fingerprint" in pairs.columns:
        keep.append("fingerprint")
    out = found.join(pairs.select([c for c in keep if c in pairs.columns]), on=["row", "rule_id", "fkey"], how="left")
    if "fingerprint" not in out.columns or out["fingerprint"].null_count() == out.height:
        out = out.drop("fingerprint", strict=False).with_columns(hash_column(out["identity"]).alias("fingerprint"))
    out = out.join(priority, on="row", how="left").with_columns(pl.col("explained").fill_null(False))
    out = out.sort(
        [
            pl.col("level").replace_strict(LEVEL_ORDER, default=9, return_dtype=pl.Int64),
            pl.col("priority").fill_null(-1.0),
            "row",
            pl.col("rule_id").replace_strict(order, default=10**9, return_dtype=pl.Int64),
        ],
        descending=[False, True, False, False],
    )
    return out.drop("fkey", "identity")


def group_summary(
    pack: Pack, units: pl.DataFrame, pairs: pl.DataFrame, anomalies: pl.DataFrame | None, cfg: ScoringConfig
) -> pl.DataFrame:
    """Per 街镇: units, units with errors / warnings / unexplained warnings / anomalies, scores."""
    counts = pairs.group_by("group").agg(
        pl.col("row").filter(pl.col("level") == "error").n_unique().alias("units_error"),
        pl.col("row").filter((pl.col("level") == "warning") & (pl.col("source") == "rule")).n_unique()
        .alias("units_warning"),
        pl.col("row").filter((pl.col("level") == "warning") & ~pl.col("explained")).n_unique()
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
