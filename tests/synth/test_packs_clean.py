"""A clean generated submission passes every rule of every shipped pack: no error,
(almost) no warning.

Runs over every pack in rules/, so packs added later are checked against the generator
as soon as they land; a failure names the rule and shows a few of its messages. The
packs' statistical detectors flag a share of any population by design (their false
alarm rate on clean units is measured by benchmarks/bench_detect.py), so only rules
are held to this.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from source_check import check, load_pack
from source_check.pack.loader import pack_files
from source_check.synth import resolve_forms, synthesize

RULES = Path(__file__).resolve().parents[2] / "rules"
PACKS = pack_files(RULES)


@pytest.fixture(scope="module")
def clean():
    return synthesize(2500, seed=13, anomalies="none")


@pytest.mark.parametrize("path", PACKS, ids=lambda p: str(p.relative_to(RULES)))
def test_clean_submission_passes_pack(path, clean):
    pack = load_pack(path)
    if resolve_forms(pack) is None:
        pytest.skip(f"{pack.id}: no generated form carries its fields")
    data, previous = clean.frames(pack)
    result = check(data, pack, previous=previous)
    failing = result.rules.filter((pl.col("fails") > 0) & (pl.col("kind") != "detector"))
    errors = failing.filter(level="error")
    detail = [
        (r, result.findings.filter(rule_id=r)["message"].head(3).to_list()) for r in failing["rule_id"].to_list()
    ]
    assert errors.is_empty(), detail
    warnings = int(failing.filter(level="warning")["fails"].sum())
    assert warnings <= 0.005 * result.rows, detail


def test_previous_period_is_clean_too(clean):
    pack = load_pack("labor-102")
    result = check(clean.previous["102"], pack)
    rules = result.rules.filter(pl.col("kind") != "detector")
    assert rules["fails"].sum() == 0, rules.filter(pl.col("fails") > 0)
