"""Score how well packs and detectors find planted anomalies, against generic baselines.

Matching rule: a planted (unit, kind) is **detected** when any error or warning finding
(rule or unit-level detector; an info finding is a hint) for that unit's reported credit
code names a rule id or a
detector kind that :data:`KIND_RULES` maps to that kind. Group-level detector results
(Benford, heaping per 街镇) are scored at the level of the 街镇 for the kinds in
:data:`GROUP_KINDS`.

Per kind: ``tp`` planted units detected; ``fn`` planted units missed; ``fp`` *clean*
units flagged by that kind's rules (units carrying another planted kind count as
``other``, not as false positives: a rule cannot be blamed for firing on a real
anomaly of another kind); precision = tp / (tp + fp), recall = tp / (tp + fn).
Overall: a unit is predicted anomalous when it has any error or warning finding (from
any rule or detector), and compared with the set of units that carry any planted kind.

Baselines see the same current-period data: ``robust_z`` flags a record when any
numeric field's robust z-score (median/MAD of the signed log) exceeds 3.5;
``isolation_forest`` (scikit-learn, optional) scores the signed-log numeric fields of
each form and flags the top share equal to the planted rate (an oracle contamination
that favours the baseline).

Examples
--------
>>> from source_check.synth import synthesize
>>> from source_check import load_pack
>>> s = synthesize(300, seed=1, anomalies="invalid_code=0.02")
>>> ev = evaluate(s, [load_pack("labor-102"), load_pack("common-base")], baselines=("robust_z",))
>>> row = ev.kinds.filter(kind="invalid_code", method="packs").row(0, named=True)
>>> row["recall_covered"]
1.0
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ..api import check
from ..pack.model import Pack
from .anomalies import KINDS
from .formset import VARIANTS_103, frames_for_pack, resolve_forms

if TYPE_CHECKING:
    from . import Synthetic

__all__ = [
    "GROUP_KINDS",
    "KIND_RULES",
    "Evaluation",
    "evaluate",
    "isolation_forest_flags",
    "pack_flags",
    "robust_z_flags",
    "score",
]

#: Which rules (by id) and detectors (``detector:<kind>``) are meant to find each kind.
#: Rule ids follow FORMS.md's relation table as used by the shipped packs.
KIND_RULES: dict[str, tuple[str, ...]] = {
    "unit_error": ("102-05", "H102-02", "103-13", "HB204-03", "HE204-02", "X-01", "X-02", "X-03",
                   "detector:unit_error"),
    "transposition": ("103-01", "103-02", "103-02b", "103-03", "103-06", "103-07", "E204-01", "E204-02"),
    "balance": ("103-01", "103-06", "103-07", "E204-01"),
    "growth": ("103-12", "HB204-01", "HB204-02", "HE204-01", "H102-01", "X-02", "X-03", "detector:hb"),
    "inflated": ("103-10", "103-11", "103-12", "103-06", "103-07", "X-02", "X-03", "HB204-01", "HB204-02",
                 "detector:hb", "detector:peer_outlier", "detector:unit_error"),
    "round": ("detector:heaping", "detector:benford"),
    "copy": ("detector:duplicates",),
    "unchanged": ("Q-01", "detector:duplicates"),
    "duplicate": ("credit_code.unique", "name.unique", "detector:duplicates"),
    "invalid_code": ("credit_code.format",),
    "excel_code": ("credit_code.excel_damaged", "credit_code.format"),
    "shared_contact": ("detector:shared_contact",),
}

#: Kinds planted in one 街镇 and scored per 街镇 by group-level detectors.
GROUP_KINDS = {"round": ("detector:heaping", "detector:benford")}

_KEY = "credit_code"


@dataclass
class Evaluation:
    """Scores of one evaluation.

    Attributes
    ----------
    kinds
        Per method (``packs``, baselines) and kind: ``planted, covered, tp_covered, tp, fn,
        fp, other, precision, recall, f1, recall_covered`` (``covered``: planted units
        whose form some pack checks; ``recall_covered``: the recall among them).
    overall
        Per method: ``predicted, planted, tp, fp, fn, precision, recall, f1``.
    groups
        Per group-level kind: planted 街镇, 街镇 flagged (and by which detector), and
        whether the planted one was.
    flags
        The long table of (method, credit_code, source) that produced the scores.
    sources
        Per rule or detector of the packs: ``units`` flagged (error or warning), of which
        ``clean`` units (false alarms) and ``planted`` units — the calibration view.
    coverage
        Forms checked by at least one pack.
    notes
        Packs that could not run on generated data, and why.
    """

    kinds: pl.DataFrame
    overall: pl.DataFrame
    groups: pl.DataFrame
    flags: pl.DataFrame
    sources: pl.DataFrame
    coverage: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _codes(s: Synthetic) -> pl.Series:
    return pl.concat([f[_KEY] for f in s.current.values()]).drop_nulls().unique()


def pack_flags(s: Synthetic, packs: Iterable[Pack]) -> tuple[pl.DataFrame, pl.DataFrame, list[str], list[str]]:
    """Run every pack on its generated forms (with the previous period).

    Returns unit flags ``(credit_code, source, level, pack)`` where ``source`` is a rule
    id or ``detector:<kind>``, group flags ``(group, source, pack)``, the forms
    covered, and notes on packs that could not run.
    """
    units: list[pl.DataFrame] = []
    groups: list[pl.DataFrame] = []
    covered: set[str] = set()
    notes: list[str] = []
    for pack in packs:
        names = resolve_forms(pack)
        data = frames_for_pack(pack, s.current)
        prev = frames_for_pack(pack, s.previous)
        if names is None or data is None or prev is None:
            notes.append(f"{pack.id}：模拟数据中没有它核查的报表，未运行")
            continue
        base = names[0]
        covered.update(VARIANTS_103 if base == "103" else [base])
        result = check(data, pack, previous=prev)
        kinds = {d.id: d.kind for d in pack.detectors}
        f = result.findings
        if not f.is_empty() and _KEY in f.columns:
            units.append(f.select(
                pl.col(_KEY).cast(pl.String),
                pl.col("rule_id").replace_strict({k: f"detector:{v}" for k, v in kinds.items()},
                                                 default=pl.col("rule_id"), return_dtype=pl.String).alias("source"),
                pl.col("rule_id"),
                pl.col("level"),
                pl.lit(pack.id).alias("pack"),
            ))
        a = result.anomalies
        if a is not None and not a.is_empty():
            flagged = pl.col("flagged").fill_null(False) & pl.col("group").is_not_null()
            g = a.filter((pl.col("scope") == "group") & flagged)
            if not g.is_empty():
                groups.append(g.select("group", pl.format("detector:{}", "kind").alias("source"),
                                       pl.lit(pack.id).alias("pack")))
    unit_schema = {_KEY: pl.String, "source": pl.String, "rule_id": pl.String, "level": pl.String, "pack": pl.String}
    group_schema = {"group": pl.String, "source": pl.String, "pack": pl.String}
    u = pl.concat(units) if units else pl.DataFrame(schema=unit_schema)
    g = pl.concat(groups) if groups else pl.DataFrame(schema=group_schema)
    return u, g, sorted(covered), notes


def _signed_log(frame: pl.DataFrame) -> tuple[np.ndarray, list[str]]:
    cols = [c for c, t in frame.schema.items() if t.is_numeric()]
    if not cols:
        return np.empty((frame.height, 0)), cols
    x = frame.select([pl.col(c).cast(pl.Float64).fill_null(0.0) for c in cols]).to_numpy()
    return np.sign(x) * np.log1p(np.abs(x)), cols


def robust_z_flags(s: Synthetic, threshold: float = 3.5) -> pl.DataFrame:
    """Records with a numeric field whose robust z (of the signed log) exceeds ``threshold``."""
    parts: list[pl.DataFrame] = []
    for name, frame in s.current.items():
        x, cols = _signed_log(frame)
        if not cols or frame.height < 10:
            continue
        med = np.median(x, axis=0)
        mad = np.median(np.abs(x - med), axis=0)
        mad = np.where(mad > 0, mad, np.nan)
        z = 0.6745 * np.abs(x - med) / mad
        hit = np.nan_to_num(z, nan=0.0).max(axis=1) > threshold
        parts.append(frame.filter(pl.Series(hit)).select(pl.col(_KEY).cast(pl.String), pl.lit(name).alias("form")))
    return _flag_frame(parts, "robust_z")


def isolation_forest_flags(s: Synthetic, contamination: float, seed: int = 0) -> pl.DataFrame:
    """Records scored most isolated by scikit-learn's IsolationForest, per form.

    Needs ``scikit-learn`` (``pip install source-check[bench]``).
    """
    from sklearn.ensemble import IsolationForest

    parts: list[pl.DataFrame] = []
    share = float(min(max(contamination, 1e-4), 0.5))
    for name, frame in s.current.items():
        x, cols = _signed_log(frame)
        if not cols or frame.height < 20:
            continue
        model = IsolationForest(n_estimators=200, contamination=share, random_state=seed)
        hit = model.fit_predict(x) == -1
        parts.append(frame.filter(pl.Series(hit)).select(pl.col(_KEY).cast(pl.String), pl.lit(name).alias("form")))
    return _flag_frame(parts, "isolation_forest")


def _flag_frame(parts: list[pl.DataFrame], method: str) -> pl.DataFrame:
    if not parts:
        return pl.DataFrame(schema={_KEY: pl.String, "source": pl.String, "level": pl.String, "method": pl.String})
    return pl.concat(parts).select(
        _KEY, pl.lit(method).alias("source"), pl.lit("warning").alias("level"), pl.lit(method).alias("method")
    ).unique()


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None or p + r == 0:
        return None if p is None or r is None else 0.0
    return 2 * p * r / (p + r)


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def score(
    truth: pl.DataFrame,
    universe: pl.Series,
    flags: pl.DataFrame,
    *,
    method: str,
    mapped: bool,
    covered_forms: Sequence[str] | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Per-kind and overall scores of one method's ``flags`` (``credit_code, source, level``).

    With ``mapped`` the per-kind predictions use :data:`KIND_RULES`; without it (a
    baseline) every flag counts for every kind.
    """
    planted_codes = set(truth[_KEY].to_list())
    true_codes = set(truth["true_code"].to_list())
    all_codes = set(universe.to_list())
    clean = all_codes - planted_codes - true_codes
    serious = flags.filter(pl.col("level").is_in(["error", "warning"]))
    flagged_any = set(serious[_KEY].to_list())
    rows = []
    for kind in KINDS:
        t = truth.filter(pl.col("kind") == kind)
        t_codes = set(t[_KEY].to_list())
        if mapped:
            sources = set(KIND_RULES.get(kind, ()))
            # an info finding is a hint, not a flag to verify: as for the overall score
            predicted = set(serious.filter(pl.col("source").is_in(sorted(sources)))[_KEY].to_list())
        else:
            predicted = flagged_any
        tp = len(t_codes & predicted)
        fp = len(predicted & clean)
        other = len((predicted & planted_codes) - t_codes)
        covered = t_codes if covered_forms is None else set(
            t.filter(pl.col("form").is_in(list(covered_forms)))[_KEY].to_list())
        precision = _ratio(tp, tp + fp)
        recall = _ratio(tp, len(t_codes))
        rows.append({
            "method": method, "kind": kind, "planted": len(t_codes), "covered": len(covered),
            "tp_covered": len(covered & predicted), "tp": tp,
            "fn": len(t_codes) - tp, "fp": fp, "other": other, "precision": precision, "recall": recall,
            "f1": _f1(precision, recall), "recall_covered": _ratio(len(covered & predicted), len(covered)),
        })
    tp = len(flagged_any & planted_codes)
    fp = len(flagged_any & clean)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, len(planted_codes))
    overall = {"method": method, "predicted": len(flagged_any & (clean | planted_codes)), "planted": len(planted_codes),
               "tp": tp, "fp": fp, "fn": len(planted_codes) - tp, "precision": precision, "recall": recall,
               "f1": _f1(precision, recall)}
    return pl.DataFrame(rows, schema=_KIND_SCHEMA), overall


_KIND_SCHEMA = {
    "method": pl.String, "kind": pl.String, "planted": pl.Int64, "covered": pl.Int64, "tp_covered": pl.Int64,
    "tp": pl.Int64, "fn": pl.Int64,
    "fp": pl.Int64, "other": pl.Int64, "precision": pl.Float64, "recall": pl.Float64, "f1": pl.Float64,
    "recall_covered": pl.Float64,
}
_OVERALL_SCHEMA = {
    "method": pl.String, "predicted": pl.Int64, "planted": pl.Int64, "tp": pl.Int64, "fp": pl.Int64, "fn": pl.Int64,
    "precision": pl.Float64, "recall": pl.Float64, "f1": pl.Float64,
}


def _group_scores(truth: pl.DataFrame, groups: pl.DataFrame, towns: Sequence[str]) -> pl.DataFrame:
    rows = []
    for kind, sources in GROUP_KINDS.items():
        planted = sorted(set(truth.filter(pl.col("kind") == kind)["town_code"].to_list()))
        mine = groups.filter(pl.col("source").is_in(list(sources)))
        flagged = sorted(set(mine["group"].to_list()))
        by_source = ", ".join(f"{src}: {n}" for src, n in mine.group_by("source").agg(pl.col("group").n_unique())
                              .sort("source").iter_rows())
        tp = len(set(planted) & set(flagged))
        rows.append({"kind": kind, "planted_towns": ",".join(planted), "flagged_towns": ",".join(flagged),
                     "flagged_by": by_source, "tp": tp, "fp": len(set(flagged) - set(planted)),
                     "fn": len(set(planted) - set(flagged)), "towns": len(towns)})
    return pl.DataFrame(rows, schema={"kind": pl.String, "planted_towns": pl.String, "flagged_towns": pl.String,
                                      "flagged_by": pl.String, "tp": pl.Int64, "fp": pl.Int64, "fn": pl.Int64,
                                      "towns": pl.Int64})


def evaluate(
    s: Synthetic,
    packs: Iterable[Pack],
    *,
    baselines: Sequence[str] = ("robust_z", "isolation_forest"),
) -> Evaluation:
    """Run ``packs`` (and the baselines) on ``s`` and score them against ``s.truth``."""
    universe = _codes(s)
    unit_flags, group_flags, covered, notes = pack_flags(s, packs)
    kinds, overall = score(s.truth, universe, unit_flags, method="packs", mapped=True, covered_forms=covered)
    tables, overalls = [kinds], [overall]
    flag_tables = [unit_flags.select(_KEY, "source", "level", pl.lit("packs").alias("method"))]
    planted_share = s.truth[_KEY].n_unique() / max(universe.len(), 1)
    for name in baselines:
        if name == "robust_z":
            flags = robust_z_flags(s)
        elif name == "isolation_forest":
            try:
                flags = isolation_forest_flags(s, planted_share, seed=s.seed)
            except ImportError:
                notes.append("isolation_forest：未安装 scikit-learn（pip install source-check[bench]），跳过")
                continue
        else:
            raise ValueError(f"unknown baseline {name!r}")
        k, o = score(s.truth, universe, flags, method=name, mapped=False, covered_forms=None)
        tables.append(k)
        overalls.append(o)
        flag_tables.append(flags)
    towns = sorted(set(s.current["101"]["town_code"].drop_nulls().to_list()))
    bad = pl.concat([s.truth["credit_code"], s.truth["true_code"]]).unique().implode()
    planted = s.truth["credit_code"].unique().implode()
    sources = (
        unit_flags.filter(pl.col("level").is_in(["error", "warning"]))
        .group_by("source")
        .agg(
            pl.col(_KEY).n_unique().alias("units"),
            pl.col(_KEY).filter(~pl.col(_KEY).is_in(bad)).n_unique().alias("clean"),
            pl.col(_KEY).filter(pl.col(_KEY).is_in(planted)).n_unique().alias("planted"),
        )
        .with_columns(pl.col("units", "clean", "planted").cast(pl.Int64))
        .sort("clean", "source", descending=[True, False])
    )
    return Evaluation(
        kinds=pl.concat(tables),
        overall=pl.DataFrame(overalls, schema=_OVERALL_SCHEMA),
        groups=_group_scores(s.truth, group_flags, towns),
        flags=pl.concat(flag_tables, how="diagonal_relaxed"),
        sources=sources,
        coverage=covered,
        notes=notes,
    )
