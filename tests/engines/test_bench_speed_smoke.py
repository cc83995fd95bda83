"""A small run of benchmarks/bench_speed.py: every contender runs and agrees on the counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_speed.py"


def test_speed_benchmark_runs_and_the_contenders_agree(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--sizes", "20000", "--repeat", "1", "--no-write", "--data-dir", str(tmp_path),
         "--contenders", "source_check", "source_check_path", "baseline", "pandera_uncapped"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| 20,000 |")]
    assert len(rows) == 7  # memory: source_check, baseline, pandera; parquet: those and source_check_path
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[-1] == "yes", row  # failure counts per rule equal source_check's
        assert float(cells[4]) > 0 and float(cells[8]) > 0  # wall seconds, peak RSS
