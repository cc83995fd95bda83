"""A small version of benchmarks/bench_detect.py: runs in make test, in seconds."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import polars as pl
import pytest

from source_check.synth import KINDS
from source_check.synth.evaluate import KIND_RULES

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_detect.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_detect", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_detect"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def args():
    return argparse.Namespace(units=400, seeds=[5], anomalies=",".join(f"{k}=0.02" for k in KINDS), outliers=0.0,
                              rules=None, gen_units=1000, baselines=["robust_z"], tune=None, out=None,
                              no_write=True)


@pytest.fixture(scope="module")
def collected(bench, args):
    return bench.collect(args)


def test_every_kind_is_scored_for_every_method(collected):
    kinds, overall = collected.kinds, collected.overall
    assert set(kinds["method"]) == {"packs", "robust_z"}
    assert kinds.group_by("method").len()["len"].to_list() == [len(KINDS)] * 2
    assert set(KIND_RULES) == set(KINDS)
    assert overall.filter(method="packs")["planted"].item() > 50


def test_dedicated_rules_find_what_they_can_see(collected):
    ours = collected.kinds.filter(method="packs")
    for kind in ("invalid_code", "excel_code", "duplicate", "transposition", "balance"):
        row = ours.filter(kind=kind).row(0, named=True)
        assert row["tp_covered"] == row["covered"], row  # everything in a checked form is found
        assert row["fp"] == 0, row  # and no clean unit is blamed for it
    row = ours.filter(kind="unit_error").row(0, named=True)
    assert row["tp_covered"] == row["covered"], row


def test_packs_beat_the_generic_baseline(collected):
    scores = {}
    for r in collected.overall.iter_rows(named=True):
        p, rec = r["tp"] / max(r["tp"] + r["fp"], 1), r["tp"] / max(r["planted"], 1)
        scores[r["method"]] = (rec, 2 * p * rec / (p + rec) if p + rec else 0.0)
    assert scores["packs"][0] > scores["robust_z"][0]  # recall
    assert scores["packs"][1] > scores["robust_z"][1]  # F1


def test_report_has_every_section(bench, args, collected):
    text = bench.report(args, collected)
    assert "## Overall" in text and "| packs |" in text and "## Generator speed" in text
    assert "## False alarms by rule and detector" in text
    assert collected.clean_units > 0 and collected.sources.columns == ["source", "units", "clean", "planted"]
    for kind in KINDS:
        assert f"| {kind} |" in text
    assert pl.__version__ in text


def test_tuning_changes_detector_parameters(bench):
    from source_check import load_pack

    [pack] = bench.tune([load_pack("labor-102")], "hb.C=4; benford.tests=[first_two]; drop=D102-unit")
    kinds = {d.kind: d.model_extra for d in pack.detectors}
    assert "unit_error" not in kinds and kinds["hb"]["C"] == 4 and kinds["benford"]["tests"] == ["first_two"]
    assert not hasattr(bench, "TUNED")  # the shipped packs carry the calibrated parameters: no second report


def test_baselines_have_precision_and_recall_per_kind(bench, args, collected):
    text = bench.report(args, collected)
    header = next(line for line in text.splitlines() if line.startswith("| kind |"))
    assert "| robust_z F1 | robust_z P / R |" in header
    row = next(line for line in text.splitlines() if line.startswith("| invalid_code |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert len(cells) == len(header.strip("|").split("|"))
    p, r = (float(x) for x in cells[header.strip("|").split("|").index(" robust_z P / R ")].split(" / "))
    k = collected.kinds.filter(method="robust_z", kind="invalid_code").row(0, named=True)
    assert r == pytest.approx(k["tp"] / (k["tp"] + k["fn"]), abs=5e-4)
    assert p == pytest.approx(k["tp"] / (k["tp"] + k["fp"]), abs=5e-4)


def test_report_records_the_command_run(bench, args, collected, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["benchmarks/bench_detect.py", "--units", "400", "--seeds", "5"])
    monkeypatch.delenv("MAKELEVEL", raising=False)
    monkeypatch.setenv("PYTHONPATH", "src")
    text = bench.report(args, collected)
    assert "PYTHONPATH=src python benchmarks/bench_detect.py --units 400 --seeds 5\n" in text
    assert "make bench" not in text
    monkeypatch.setenv("MAKELEVEL", "1")
    assert "--seeds 5    # run by make" in bench.report(args, collected)


def test_results_go_between_the_detect_markers_of_results_md(bench, tmp_path):
    assert bench.RESULTS.name == "RESULTS.md"
    speed = "# Speed\n\n<!-- results:start -->\nspeed table\n<!-- results:end -->\n\nmore speed\n"
    path = tmp_path / "RESULTS.md"
    path.write_text(speed, encoding="utf-8")
    bench.write_section(path, "# Detection\n\nfirst")
    bench.write_section(path, "# Detection\n\nsecond")
    text = path.read_text(encoding="utf-8")
    assert text.startswith(speed) and text.count(bench.START) == 1 and text.count(bench.END) == 1
    assert "second" in text and "first" not in text


def test_committed_results_hold_both_benchmarks():
    text = (BENCH.parent / "RESULTS.md").read_text(encoding="utf-8")
    assert "<!-- results:start -->" in text and "<!-- detect:start -->" in text
    detect = text.split("<!-- detect:start -->", 1)[1].split("<!-- detect:end -->", 1)[0]
    assert "precision" in detect and "| packs |" in detect and "via: make bench" not in detect
