"""Shared data for the engine-export tests: the benchmark pack and its data generator."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

from source_check import Pack, load_pack

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="session")
def bench_pack() -> Pack:
    return load_pack(BENCH / "bench_pack.yaml")


@pytest.fixture(scope="session")
def bench_data() -> pl.DataFrame:
    sys.path.insert(0, str(BENCH))
    try:
        import datagen
    finally:
        sys.path.remove(str(BENCH))
    return datagen.generate(20_000, seed=7)


def _fails_by_rule(result) -> dict[str, int]:
    rules = result.rules.filter(pl.col("kind") != "detector")  # detectors are source_check's own
    return {rule_id: n for rule_id, n in rules.select("rule_id", "fails").iter_rows() if n}


@pytest.fixture(scope="session")
def fails_by_rule():
    """source_check's failure counts per rule (detectors and rules without failures left out)."""
    return _fails_by_rule
