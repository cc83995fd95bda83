"""Run a pack's detectors over the detector frame and shape their output.

Unit-level anomalies become findings (rule id = detector id); all anomalies, unit and
group level, are kept in one ``anomalies`` table; each detector gets a row in the
per-rule summary (``kind = detector``) so counts by level stay consistent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from ..pack.model import Pack
from ..pack.schema import DetectorSpec
from .base import DETECTORS, GROUP, GROUP_SCHEMA, ROW, DetectorContext, DetectorOutput

__all__ = ["ANOMALY_SCHEMA", "DetectorRun", "detector_fields", "detector_params", "run_detectors"]

ANOMALY_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "detector_id": pl.String,
    "kind": pl.String,
    "level": pl.String,
    "scope": pl.String,
    "row": pl.Int64,
    "unit": pl.String,
    "score": pl.Float64,
    **{k: v for k, v in GROUP_SCHEMA.items()},
    "suggested": pl.Float64,
}


def detector_params(spec: DetectorSpec) -> Any:
    """The validated parameters of a detector spec (its keys besides id/kind/level/title)."""
    kind = DETECTORS[spec.kind]
    return kind.params.model_validate(spec.model_extra or {})


def detector_fields(pack: Pack) -> list[str]:
    """Every field any detector of the pack reads, in a stable order."""
    names: list[str] = []
    for spec in pack.detectors:
        if spec.kind in DETECTORS:
            names.extend(DETECTORS[spec.kind].fields(detector_params(spec), pack))
    for k in pack.key:
        if k in names:
            names.remove(k)
    return list(dict.fromkeys(n for n in names if n in pack.fields))


@dataclass
class DetectorRun:
    """What the detectors found, shaped for the result."""

    unit_findings: pl.DataFrame
    anomalies: pl.DataFrame
    rule_rows: list[dict[str, Any]]


def _unit_text(frame: pl.DataFrame, key: list[str]) -> pl.Expr:
    if not key:
        return pl.col(ROW).cast(pl.String)
    return pl.concat_str([pl.col(k).cast(pl.String).fill_null("") for k in key], separator="/")


def run_detectors(pack: Pack, frame: pl.DataFrame, has_previous: bool) -> DetectorRun:
    """Run every detector of ``pack`` over the collected detector frame."""
    ctx = DetectorContext(pack, frame, has_previous)
    keys = [k for k in pack.key if k in frame.columns]
    extra = [c for c in ("name", "source_file", "source_sheet", "source_row") if c in frame.columns and c not in keys]
    lookup = frame.select(pl.col(ROW).cast(pl.Int64).alias("row"), *keys, pl.col(GROUP).alias("group"), *extra,
                          _unit_text(frame, keys).alias("unit"))
    findings: list[pl.DataFrame] = []
    anomalies: list[pl.DataFrame] = []
    rule_rows: list[dict[str, Any]] = []
    for spec in pack.detectors:
        kind = DETECTORS[spec.kind]
        level = spec.level or "warning"
        skipped = kind.needs_previous and not has_previous
        out = DetectorOutput() if skipped else kind.run(ctx, detector_params(spec))
        units = out.units.join(lookup, on="row", how="left")
        findings.append(units.select(
            "row", *keys, "group", pl.lit(spec.id).alias("rule_id"), pl.lit(level).alias("level"),
            pl.lit(kind.dimension).alias("dimension"), "message",
            pl.concat_list([pl.col("field")]).alias("fields"), "values",
            pl.lit(None, dtype=pl.Float64).alias("imbalance"), *extra, pl.col("score").cast(pl.Float64),
        ))
        anomalies.append(units.select(
            pl.lit(spec.id).alias("detector_id"), pl.lit(spec.kind).alias("kind"), pl.lit(level).alias("level"),
            pl.lit("unit").alias("scope"), "group", "row", "unit", "field", "score",
            pl.lit(None, dtype=pl.String).alias("statistic"), pl.lit(None, dtype=pl.Float64).alias("value"),
            pl.lit(None, dtype=pl.Int64).alias("n"), pl.lit(None, dtype=pl.String).alias("class"),
            pl.lit(True).alias("applicable"), pl.lit(True).alias("flagged"), "message", "values", "suggested",
        ))
        anomalies.append(out.groups.select(
            pl.lit(spec.id).alias("detector_id"), pl.lit(spec.kind).alias("kind"), pl.lit(level).alias("level"),
            pl.lit("group").alias("scope"), "group", pl.lit(None, dtype=pl.Int64).alias("row"),
            pl.lit(None, dtype=pl.String).alias("unit"), "field", pl.lit(None, dtype=pl.Float64).alias("score"),
            "statistic", "value", "n", "class", "applicable", "flagged", "message",
            (pl.col("values") if "values" in out.groups.columns else pl.lit(None, dtype=pl.String)).alias("values"),
            pl.lit(None, dtype=pl.Float64).alias("suggested"),
        ))
        # items are (record, field) pairs, so passes + fails + na = items as for rules
        if skipped:
            items, na = 0, 0
        elif out.items is not None:
            items, na = out.items, out.na
        else:
            items, na = frame.height * max(len(kind.fields(detector_params(spec), pack)), 1), 0
        rule_rows.append({
            "rule_id": spec.id, "title": spec.title or kind.title, "level": level, "dimension": kind.dimension,
            "kind": "detector", "items": items, "passes": items - out.units.height - na, "fails": out.units.height,
            "na": na, "skipped": skipped,
        })
    unit_findings = pl.concat(findings, how="diagonal_relaxed") if findings else pl.DataFrame()
    schema = pl.Schema(ANOMALY_SCHEMA)
    table = (pl.concat([a.cast(schema) for a in anomalies], how="vertical") if anomalies
             else pl.DataFrame(schema=ANOMALY_SCHEMA))
    return DetectorRun(unit_findings, table, rule_rows)
