"""A small version of benchmarks/bench_detect.py: runs in make test, in seconds."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import polars as pl
import pytest

from source_check import load_pack
from source_check.pack.loader import shipped_rules_dir
from source_check.synth import KINDS, synthesize
from source_check.synth.evaluate import KIND_RULES, evaluate

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_detect.py"


@pytest.fixture(scope="module")
def packs():
    root = shipped_rules_dir()
    assert root is not None
    return [load_pack(p) for p in sorted(root.rglob("*.yaml")) if "codelists" not in p.parts]


@pytest.fixture(scope="module")
def evaluation(packs):
    s = synthesize(400, seed=5, anomalies={k: 0.02 for k in KINDS})
    return s, evaluate(s, packs, baselines=("robust_z",))


def test_every_kind_is_scored_for_every_method(evaluation):
    _, ev = evaluation
    assert set(ev.kinds["method"]) == {"packs", "robust_z"}
    assert ev.kinds.group_by("method").len()["len"].to_list() == [len(KINDS)] * 2
    assert set(KIND_RULES) == set(KINDS)
    assert ev.overall.filter(method="packs")["planted"].item() == evaluation[0].truth["credit_code"].n_unique()


def test_dedicated_rules_find_what_they_can_see(evaluation):
    _, ev = evaluation
    ours = ev.kinds.filter(method="packs")
    for kind in ("invalid_code", "excel_code", "duplicate", "unit_error"):
        row = ours.filter(kind=kind).row(0, named=True)
        if row["covered"]:
            assert row["recall_covered"] == 1.0, row
        assert row["fp"] == 0, row


def test_packs_are_precise_where_the_baseline_is_not(evaluation):
    # recall depends on which packs and detectors are shipped; precision on clean data must not
    _, ev = evaluation
    precision = dict(ev.overall.select("method", "precision").iter_rows())
    assert precision["packs"] is not None and precision["packs"] >= 0.9
    assert precision["robust_z"] is not None and precision["packs"] > precision["robust_z"]


def test_bench_script_runs_end_to_end():
    spec = importlib.util.spec_from_file_location("bench_detect", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = argparse.Namespace(units=200, seeds=[1], anomalies="default", outliers=0.02, rules=None, gen_units=1000,
                              baselines=["robust_z"], out=None, no_write=True)
    text = bench.run(args)
    assert "## Overall" in text and "| packs |" in text and "## Generator speed" in text
    for kind in KINDS:
        assert f"| {kind} |" in text
    assert pl.__version__ in text
