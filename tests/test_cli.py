"""The CLI as a subprocess: exit codes and outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

GOOD = {"credit_code": ["91310107MA1G00000Q"], "town_code": ["310107005"], "period": ["202412"],
        "emp_end": [10], "emp_female": [3], "emp_avg": [10], "wages": [1200.0]}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "source_check.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "good.csv"
    pl.DataFrame(GOOD).write_csv(good)
    bad = tmp_path / "bad.csv"
    pl.DataFrame({**GOOD, "emp_female": [12]}).write_csv(bad)
    warn = tmp_path / "warn.csv"
    pl.DataFrame({**GOOD, "wages": [300.0]}).write_csv(warn)
    return good, bad, warn


def test_exit_0_when_clean(files, tmp_path):
    proc = run("check", str(files[0]), "--pack", "labor-102", "--out", str(tmp_path / "o"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "o" / "result.json").read_text(encoding="utf-8"))
    assert result["schema"] == "source-check/result/v1"
    assert result["summary"]["by_level"]["error"] == 0


def test_exit_1_on_error_findings_and_json_to_stdout(files):
    proc = run("check", str(files[1]), "--pack", "labor-102", "--format", "json", "--out", "-")
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    finding = result["findings"][0]
    assert finding["rule_id"] == "102-01"
    assert finding["key"] == {"credit_code": "91310107MA1G00000Q"}
    assert finding["source"]["row"] == 2


def test_fail_on_controls_warnings(files, tmp_path):
    out = str(tmp_path / "o")
    assert run("check", str(files[2]), "--pack", "labor-102", "--out", out, "-f", "json").returncode == 0
    assert run("check", str(files[2]), "--pack", "labor-102", "--out", out, "-f", "json",
               "--fail-on", "warning").returncode == 1
    assert run("check", str(files[1]), "--pack", "labor-102", "--out", out, "-f", "json",
               "--fail-on", "never").returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ["check", "missing.csv", "--pack", "labor-102"],
        ["check", "{good}", "--pack", "no-such-pack"],
        ["check", "{good}", "--pack", "labor-102", "--fail-on", "sometimes"],
        ["check", "{good}", "--pack", "labor-102", "--format", "pdf"],
        ["check", "{good}"],
        ["frobnicate"],
    ],
)
def test_exit_2_on_usage_input_or_pack_errors(files, args):
    proc = run(*[a.format(good=files[0]) for a in args])
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr


def test_exit_2_names_the_bad_pack_position(files, tmp_path):
    pack = tmp_path / "p.yaml"
    pack.write_text("pack: p\nfields: {a: {type: int}}\nrules:\n  - {id: R1, check: \"b > 0\"}\n", encoding="utf-8")
    proc = run("check", str(files[0]), "--pack", str(pack), "--format", "json")
    assert proc.returncode == 2
    assert "p.yaml:4" in proc.stderr and "R1" in proc.stderr


def test_test_pack_and_explain(tmp_path):
    assert run("test-pack", "labor-102").returncode == 0
    proc = run("explain", "labor-102", "102-01")
    assert proc.returncode == 0 and "emp_end >= emp_female" in proc.stdout
    assert run("explain", "labor-102", "NOPE").returncode == 2
    # the reader's rules that check() adds are explained too, and the rules they guard say so
    proc = run("explain", "labor-102", "credit_code.excel_damaged")
    assert proc.returncode == 0 and "读取检查" in proc.stdout and "regexp_like(credit_code" in proc.stdout
    proc = run("explain", "labor-102", "credit_code.format")
    assert "代码被 Excel 损坏时本规则不适用，由 credit_code.excel_damaged 报告" in proc.stdout
    proc = run("explain", "labor-102")
    assert "（含读取检查 2 条）" in proc.stdout and proc.stdout.count("credit_code.excel_damaged 报告") >= 2
    proc = run("schema")
    assert proc.returncode == 0 and json.loads(proc.stdout)["title"] == "source_check rule pack"


def test_all_formats_and_split_by_group(files, tmp_path):
    out = tmp_path / "o"
    proc = run("check", str(files[1]), str(files[2]), "--pack", "labor-102", "--out", str(out),
               "--format", "xlsx,json,junit,md", "--split-by-group", "--quiet")
    assert proc.returncode == 1, proc.stderr
    assert {p.name for p in out.iterdir()} == {"report.xlsx", "result.json", "junit.xml", "summary.md",
                                                "report_曹杨新村街道.xlsx"}


def test_exit_3_on_internal_error(files, tmp_path, monkeypatch):
    # a sitecustomize that breaks the engine makes an internal error reproducible in a subprocess
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import source_check.engine.polars_engine as e\n"
        "def boom(*a, **k):\n    raise RuntimeError('boom')\n"
        "e.run_check = boom\nimport source_check.api as api\napi.run_check = boom\n",
        encoding="utf-8",
    )
    import os

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(hook), os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.run([sys.executable, "-m", "source_check.cli", "check", str(files[0]), "--pack", "labor-102",
                           "--out", str(tmp_path / "o")], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "内部错误" in proc.stderr and "Traceback" not in proc.stderr
    crash = next(w for w in proc.stderr.split() if "source-check-crash-" in w)
    assert "RuntimeError: boom" in Path(crash).read_text(encoding="utf-8")
