"""``make demo`` on a small population: files per 街镇, a report per pack, exit 0."""

from __future__ import annotations

import json

import polars as pl

from source_check.demo import main

PACKS = ["labor-102", "unit-101", "cross-labor-finance"]  # make demo runs every form pack; three keep this quick


def test_demo_runs_the_packs(tmp_path, capsys):
    assert main([str(tmp_path), "--units", "200", "--seed", "3", "--packs", ",".join(PACKS)]) == 0
    out = capsys.readouterr().out
    assert "植入的异常与核查结果" in out
    for pack in PACKS:
        result = json.loads((tmp_path / pack / "result.json").read_text(encoding="utf-8"))
        assert result["summary"]["units"] > 0
        assert {p.name for p in (tmp_path / pack).iterdir()} >= {"report.xlsx", "result.json", "junit.xml",
                                                                 "summary.md"}
    current = sorted(p.name for p in (tmp_path / "input" / "current").iterdir() if p.name.startswith("102_"))
    assert len(current) == 10  # one file per 街镇
    truth = pl.read_csv(tmp_path / "input" / "truth.csv")
    assert truth.height > 0
