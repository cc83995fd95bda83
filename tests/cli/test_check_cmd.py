"""``source-check check`` as a subprocess: messages, --out, --format, --group options, stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

GOOD = {"credit_code": ["91310107MA1G00000Q"], "town_code": ["310107005"], "period": ["202412"],
        "emp_end": [10], "emp_female": [3], "emp_avg": [10], "wages": [1200.0]}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "source_check.cli", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=120, env={**os.environ, **(env or {})})


@pytest.fixture
def warn(tmp_path: Path) -> Path:
    path = tmp_path / "warn.csv"
    pl.DataFrame({**GOOD, "wages": [300.0]}).write_csv(path)
    return path


def test_messages_are_not_rich_markup(tmp_path, warn):
    proc = run("check", str(tmp_path / "102[final].csv"), "--pack", "labor-102", "-q")
    assert proc.returncode == 2 and "102[final].csv" in proc.stderr, proc.stderr
    no_town = tmp_path / "102_caoyang.csv"
    no_town.write_text("统一社会信用代码,从业人员期末人数\n91310107MA1G00000Q,3\n", encoding="utf-8")
    proc = run("check", str(no_town), "--pack", "labor-102", "-q", "--out", str(tmp_path / "o"),
               "--group-from-filename", r"[/_](\d{9})")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and r"[/_](\d{9})" in proc.stderr


def test_out_that_is_a_file_or_cannot_be_created_exits_2_before_checking(tmp_path, warn):
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    for out in (str(afile), str(afile / "sub"), "/proc/source-check-nope"):
        proc = run("check", str(warn), "--pack", "labor-102", "--out", out, "-q")
        assert proc.returncode == 2, (out, proc.stderr)
        assert "Traceback" not in proc.stderr and "内部错误" not in proc.stderr
    # refused before reading: a missing input file is not even looked at
    proc = run("check", str(tmp_path / "missing.csv"), "--pack", "labor-102", "--out", str(afile), "-q")
    assert proc.returncode == 2 and "--out" in proc.stderr


def test_out_dash_writes_the_requested_text_format(tmp_path, warn):
    proc = run("check", str(warn), "--pack", "labor-102", "--out", "-", "--format", "junit", "--fail-on", "warning")
    assert proc.returncode == 1
    assert ET.fromstring(proc.stdout.split("\n", 1)[1]).tag == "testsuites"
    proc = run("check", str(warn), "--pack", "labor-102", "--out", "-", "--format", "md")
    assert proc.returncode == 0 and proc.stdout.startswith("# 源头数据质量核查")
    # the reading log goes to stderr, the document alone to stdout
    proc = run("check", str(warn), "--pack", "labor-102", "--out", "-")
    assert proc.returncode == 0 and json.loads(proc.stdout)["schema"] == "source-check/result/v1"
    assert "读取" in proc.stderr and "编码" in proc.stderr


@pytest.mark.parametrize("args", [
    ["--out", "-", "--format", "xlsx"],
    ["--out", "-", "--format", "json,md"],
    ["--out", "-", "--split-by-group"],
    ["--format", ""],
    ["--format", " , "],
    ["--format", "html"],
    ["--group", "310107005", "--group-from-filename", r"_(\d{9})"],
    ["--previous-sheet", "2023年"],  # without --previous
])
def test_refused_combinations_exit_2(tmp_path, warn, args):
    proc = run("check", str(warn), "--pack", "labor-102", "--out", str(tmp_path / "o"), *args)
    if "-" in args:
        proc = run("check", str(warn), "--pack", "labor-102", *args)
    assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_help_lists_only_the_formats_that_exist():
    proc = run("check", "--help")
    assert proc.returncode == 0 and "html" not in proc.stdout and "json,xlsx,junit,md" in proc.stdout


def test_out_dash_writes_utf8_whatever_the_locale(warn):
    proc = subprocess.run([sys.executable, "-m", "source_check.cli", "check", str(warn), "--pack", "labor-102",
                           "--out", "-"], capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "latin-1"})
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert json.loads(proc.stdout.decode("utf-8"))["pack"]["title"].startswith("从业人员")


def test_markdown_verdict_follows_fail_on(tmp_path, warn):
    proc = run("check", str(warn), "--pack", "labor-102", "--out", str(tmp_path / "o"), "--format", "md",
               "--fail-on", "warning", "-q")
    assert proc.returncode == 1
    text = (tmp_path / "o" / "summary.md").read_text(encoding="utf-8")
    assert "❌" in text and "✅" not in text


def test_tables_are_not_cut_outside_a_terminal(tmp_path):
    proc = run("packs", env={"COLUMNS": ""})
    assert proc.returncode == 0 and "cross-form-industry" in proc.stdout.replace("\n", "") and "…" not in proc.stdout
    frame = pl.DataFrame({**GOOD, "emp_female": [12]})
    bad = tmp_path / "bad.csv"
    frame.write_csv(bad)
    proc = run("check", str(bad), "--pack", "labor-102", "--out", str(tmp_path / "o"), "-f", "json", "-q",
               env={"COLUMNS": ""})
    assert proc.returncode == 1 and "310107005" in proc.stdout and "…" not in proc.stdout


def test_previous_sheet_and_its_reading_log(tmp_path):
    """--previous-sheet reads last year's workbook from its own sheet; its reading log is printed and written."""
    import xlsxwriter

    def workbook(path: Path, sheet: str, wages: float) -> None:
        wb = xlsxwriter.Workbook(str(path))
        ws = wb.add_worksheet(sheet)
        ws.write_row(0, 0, ["统一社会信用代码", "街镇代码", "报告期", "从业人员期末人数", "其中：女性",
                            "从业人员平均人数", "从业人员工资总额"])
        ws.write_row(1, 0, ["91310107MA1G00000Q", "310107005", "202412", 10, 3, 10, wages])
        ws.write_row(2, 0, ["合计", "", "", 10, 3, 10, wages])
        wb.close()

    current, previous = tmp_path / "102.xlsx", tmp_path / "102_2023.xlsx"
    workbook(current, "2024年", 300.0)  # 2500 元/月: below the minimum wage (102-04)
    workbook(previous, "2023年", 900.0)
    out = tmp_path / "out"
    proc = run("check", str(current), "--pack", "labor-102", "--sheet", "2024年", "--previous", str(previous),
               "--previous-sheet", "2023年", "--out", str(out), "--format", "json,xlsx", "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    assert "读取上期" in proc.stdout and "2023年" in proc.stdout, proc.stdout
    data = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert [i["sheet"] for i in data["previous_inputs"]] == ["2023年"]
    assert any(e["kind"] == "skip_total" for e in data["previous_inputs"][0]["log"])
    wage = next(f for f in data["findings"] if f["rule_id"] == "102-04")
    assert wage["source"]["row"] == 2 and wage["source"]["column"]  # the Excel column letters of its fields
    log = pl.read_excel(out / "report.xlsx", sheet_name="读取记录", infer_schema_length=0)
    assert any(str(f).startswith("（上期）") for f in log["文件"].to_list())
    listed = pl.read_excel(out / "report.xlsx", sheet_name="问题清单", infer_schema_length=0)
    assert listed.filter(pl.col("规则编号") == "102-04")["列"][0] == wage["source"]["column"]
