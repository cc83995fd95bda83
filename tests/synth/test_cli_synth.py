"""``source-check synth``: files, truth, exit codes."""

from __future__ import annotations

import polars as pl

from source_check.cli import main


def test_synth_writes_forms_of_the_pack(tmp_path, capsys):
    code = main(["synth", "labor-102", "--units", "400", "--seed", "1", "--out", str(tmp_path),
                 "--format", "parquet,xlsx", "--anomalies", "unit_error=0.02,copy=0.01"])
    assert code == 0
    out = capsys.readouterr().out
    assert "已生成 400 家单位" in out and "unit_error" in out
    assert sorted(p.name for p in (tmp_path / "current").iterdir()) == ["102.parquet", "102.xlsx"]
    truth = pl.read_parquet(tmp_path / "truth.parquet")
    assert set(truth["kind"]) == {"unit_error", "copy"} and set(truth["form"]) == {"102"}
    assert truth.filter(kind="unit_error").height == 8


def test_synth_all_and_same_seed_same_files(tmp_path):
    for sub in ("a", "b"):
        assert main(["synth", "all", "-n", "200", "-s", "4", "-o", str(tmp_path / sub)]) == 0
    names = sorted(p.name for p in (tmp_path / "a" / "current").iterdir())
    assert len(names) == 10
    for name in names:
        a = pl.read_parquet(tmp_path / "a" / "current" / name)
        assert a.equals(pl.read_parquet(tmp_path / "b" / "current" / name))


def test_synth_usage_errors_exit_2(tmp_path, capsys):
    assert main(["synth", "labor-102", "-o", str(tmp_path), "--anomalies", "typo=0.1"]) == 2
    assert "未知的异常类型" in capsys.readouterr().err
    assert main(["synth", "labor-102", "-o", str(tmp_path), "--format", "dbf"]) == 2
    assert main(["synth", "no-such-pack", "-o", str(tmp_path)]) == 2
    assert main(["synth", "labor-102", "-o", str(tmp_path), "--units", "0"]) == 2
