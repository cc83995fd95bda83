"""``test-pack`` lints, ``explain`` of detectors, ``packs`` — as subprocesses."""

from __future__ import annotations

import textwrap

from tests.cli.test_check_cmd import run

LINTME = """\
pack: lintme
title: 需要提示的规则包
version: "1"
key: [credit_code]
params: {unused_param: 5}
fields:
  credit_code: {label: 统一社会信用代码, type: str}
  x: {label: X, type: int}
rules:
  - {id: R1, title: X 为正, check: x > 0}
  - {id: R2, title: X 为正, check: x > 0}
  - {id: R3, title: 永真, check: 1 = 1}
  - {id: R4, title: "X [不大于] 100", check: x <= 100}
tests:
  - {name: ok, row: {credit_code: "91310107MA1G00000Q", x: 1}}
  - {name: 太大, row: {credit_code: "91310107MA1G00000Q", x: 101}, fails: [R4]}
"""


def test_test_pack_lints_are_warnings_unless_strict(tmp_path):
    pack = tmp_path / "lintme.yaml"
    pack.write_text(textwrap.dedent(LINTME), encoding="utf-8")
    proc = run("test-pack", str(pack))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "2 个测试，通过" in out and "条提示" in out
    assert "R1：没有让它不通过的测试用例" in out and "R4：没有" not in out
    assert "R3：核查表达式 1 = 1 不读取任何字段" in out
    assert "R2：与规则 R1" in out
    assert "unused_param：参数没有被任何规则" in out
    assert run("test-pack", "--strict", str(pack)).returncode == 1
    # the shipped packs have no lints, so --strict passes on them
    proc = run("test-pack", "--strict", "labor-102")
    assert proc.returncode == 0 and "提示" not in proc.stdout


def test_explain_knows_detectors():
    proc = run("explain", "labor-102", "D102-hb")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "D102-hb" in out and "（hb）" in out and "级别：核实（warning）" in out
    assert "从业人员工资总额（wages）" in out and "C=20" in out and "需要上期数据：是" in out
    proc = run("explain", "labor-102")
    assert proc.returncode == 0 and "统计异常检测器" in proc.stdout and "D102-benford" in proc.stdout
    proc = run("explain", "labor-102", "D-nope")
    assert proc.returncode == 2 and "D-nope" in proc.stderr
