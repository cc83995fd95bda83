"""The CLI on files as people have them: Excel rows cited, unreadable files exit 2."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "source_check.cli", *args], capture_output=True, text=True,
                          timeout=120)


def test_findings_cite_the_excel_row_of_a_titled_sheet(xlsx, form_102):
    path = xlsx({"102表": form_102}, name="102_曹杨.xlsx")
    proc = run("check", str(path), "--pack", "labor-102", "--format", "json", "--out", "-")
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    (finding,) = result["findings"]
    assert finding["rule_id"] == "102-01"
    assert finding["source"] == {"file": str(path), "sheet": "102表", "row": 7, "column": "D,E"}
    assert result["inputs"][0]["rows_read"] == 2 and result["inputs"][0]["rows_skipped"] == 3


def test_reading_log_is_printed(xlsx, form_102, tmp_path):
    path = xlsx({"102表": form_102})
    proc = run("check", str(path), "--pack", "labor-102", "--format", "json", "--out", str(tmp_path / "o"))
    assert proc.returncode == 1, proc.stderr
    assert f"读取 {path}［102表］：2 条记录，跳过 3 行" in proc.stdout
    assert "跳过合计行（合计、总计、小计）：第 9 行" in proc.stdout


def test_a_password_protected_workbook_exits_2_with_one_line(tmp_path):
    path = tmp_path / "加密.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 64 + "EncryptedPackage".encode("utf-16-le"))
    proc = run("check", str(path), "--pack", "labor-102", "--format", "json", "--out", "-")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and str(path) in lines[0]
    assert "工作簿设有打开密码" in lines[0] and "password-protected" in lines[0]
