"""result.json: the versioned contract other systems read (``source-check/result/v1``).

The JSON Schema is published in ``docs/result.schema.json``; the same input and pack
give byte-identical JSON apart from the ``run`` timestamps.

Examples
--------
>>> import polars as pl
>>> from source_check import check, load_pack
>>> r = check(pl.DataFrame({"credit_code": ["bad"], "town_code": ["310107005"]}), load_pack("common-base"))
>>> d = result_to_dict(r)
>>> d["schema"], d["summary"]["by_level"]["error"], d["findings"][0]["rule_id"]
('source-check/result/v1', 1, 'credit_code.format')
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import IO, Any

import polars as pl

from ..result import CheckResult, InputInfo
from .verdict import blocking

__all__ = ["RESULT_SCHEMA_ID", "dumps", "result_to_dict", "write_json"]

RESULT_SCHEMA_ID = "source-check/result/v1"
_FINDING_EXTRA = ("fingerprint", "priority", "explained", "explanation", "dimension", "imbalance", "score", "row")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _findings(result: CheckResult) -> list[dict[str, Any]]:
    df = result.findings
    out: list[dict[str, Any]] = []
    has = set(df.columns)
    for row in df.iter_rows(named=True):
        item: dict[str, Any] = {
            "rule_id": row["rule_id"],
            "level": row["level"],
            "key": {k: _clean(row[k]) for k in result.key if k in has},
            "group": row["group"],
            "source": {
                "file": row.get("source_file"),
                "sheet": row.get("source_sheet"),
                "row": row.get("source_row"),
                "column": row.get("source_column"),
            },
            "message": row["message"],
            "values": json.loads(row["values"]) if row["values"] else {},
        }
        for extra in _FINDING_EXTRA:
            if extra in has:
                item[extra] = _clean(row[extra])
        out.append(item)
    return out


def _records(df: pl.DataFrame | None) -> list[dict[str, Any]]:
    if df is None:
        return []
    return [{k: _clean(v) for k, v in r.items()} for r in df.iter_rows(named=True)]


def _anomalies(df: pl.DataFrame | None) -> list[dict[str, Any]]:
    """Anomalies with ``values`` as an object, as in ``findings[]``."""
    out = _records(df)
    for record in out:
        if isinstance(record.get("values"), str):
            with contextlib.suppress(ValueError):
                record["values"] = json.loads(record["values"])
    return out


def _input(info: InputInfo) -> dict[str, Any]:
    """One input: path, hash, counts, the sheet and encoding read, and the reading log."""
    if info.events:
        log = [{"kind": e.kind, "level": e.level, "message": e.message, "sheet": e.sheet,
                "rows": [list(r) for r in e.ranges], "columns": list(e.columns)} for e in info.events]
    else:  # an InputInfo built without events: its log lines as messages
        log = [{"kind": None, "level": "info", "message": line, "sheet": info.sheet, "rows": [], "columns": []}
               for line in info.log]
    return {"path": info.path, "sha256": info.sha256, "rows_read": info.rows_read,
            "rows_skipped": info.rows_skipped, "sheet": info.sheet, "encoding": info.encoding, "log": log}


def _groups(df: pl.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in _records(df):
        dims = {k.removeprefix("score_"): record.pop(k) for k in list(record) if k.startswith("score_")}
        if dims:
            record["dimension_scores"] = dims
        out.append(record)
    return out


def result_to_dict(result: CheckResult) -> dict[str, Any]:
    """The result as plain JSON-ready data, keys in contract order."""
    from .. import __version__

    meta = result.meta
    by_level = result.by_level
    rules = result.rules.select(
        pl.col("rule_id").alias("id"), "title", "level", "dimension", "items", "passes", "fails", "na", "skipped"
    )
    return {
        "schema": RESULT_SCHEMA_ID,
        "tool": {"name": "source-check", "version": __version__},
        "run": {
            "started": meta.get("started"),
            "finished": meta.get("finished"),
            "duration_s": meta.get("duration_s"),
        },
        "pack": {
            "id": result.pack_id,
            "title": result.pack_title,
            "version": result.pack_version,
            "sha256": result.pack_sha256,
        },
        "inputs": [_input(i) for i in result.inputs],
        "previous_inputs": [_input(i) for i in result.previous_inputs],
        "summary": {
            "units": result.rows,
            "findings": int(result.rules["fails"].sum() or 0) if not result.rules.is_empty() else 0,
            "by_level": by_level,
            "blocking": blocking(result),
        },
        "rules": _records(rules),
        "groups": _groups(result.groups),
        "findings": _findings(result),
        "skipped": [{"rule_id": s.rule_id, "reason": s.reason} for s in result.skipped],
        "anomalies": _anomalies(result.anomalies),
    }


def dumps(result: CheckResult) -> str:
    """result.json text: UTF-8 (Chinese kept readable), two-space indent."""
    return json.dumps(result_to_dict(result), ensure_ascii=False, indent=2)


def write_json(result: CheckResult, target: str | Path | IO[str]) -> None:
    """Write result.json to a path or an open text stream."""
    text = dumps(result)
    if isinstance(target, (str, Path)):
        Path(target).write_text(text + "\n", encoding="utf-8")
    else:
        target.write(text + "\n")
