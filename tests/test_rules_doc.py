"""The rule catalogue rules/README.md is generated from the packs and kept up to date."""

from __future__ import annotations

import shutil
from pathlib import Path

from source_check.cli import main
from source_check.pack.doc import BEGIN, END, render_rules_doc, update_readme
from source_check.pack.loader import load_pack_text

RULES = Path(__file__).resolve().parents[1] / "rules"


def test_rules_readme_is_up_to_date(shipped_packs):
    current = (RULES / "README.md").read_text(encoding="utf-8")
    packs = [(path.relative_to(RULES).as_posix(), pack) for path, pack in shipped_packs.items()]
    assert current == update_readme(current, render_rules_doc(packs)), (
        "rules/README.md 已过期：请运行 source-check rules-doc rules（或 make rules-readme）"
    )


def test_readme_lists_every_pack_and_rule():
    text = (RULES / "README.md").read_text(encoding="utf-8")
    for pack_id in ("unit-101", "labor-102", "finance-103", "finance-c103", "industry-b204", "trade-e204",
                    "census5-listing", "cross-labor-finance", "cross-form-industry"):
        assert f"`{pack_id}`" in text
    for rule_id in ("| 101-03 |", "| 103-06 |", "| X-02 |", "| Q-02 |", "| B204-01 |", "| E204-02 |", "| Q-03 |"):
        assert rule_id in text


def test_render_shows_expression_level_and_source():
    pack = load_pack_text(
        "pack: t\ntitle: 测试\nfields: {a: {type: float}, b: {type: float}, c: {type: float}}\n"
        "rules:\n"
        "  - {id: R1, title: 甲不小于乙, level: warning, dimension: plausibility, when: b > 0, check: a >= b,"
        " source: 办法 R1}\n"
        "  - {id: R2, title: 平衡, balance: {total: a, parts: [b, -c], tolerance: 1, null_as_zero: true}}\n"
    )
    text = render_rules_doc([("t.yaml", pack)])
    assert "| R1 | 甲不小于乙 | 核实 | 合理性 | 当 `b > 0` 时：`a >= b` | 办法 R1 |" in text
    assert "`a = b − c`（允许误差 1，空项按 0 计）" in text


def test_update_readme_keeps_hand_written_text():
    first = update_readme("# 手写标题\n\n手写说明。\n", "生成一\n")
    assert first.startswith("# 手写标题\n\n手写说明。\n\n" + BEGIN)
    second = update_readme(first + "\n结尾手写。\n", "生成二\n")
    assert "生成一" not in second and "生成二" in second
    assert second.count(BEGIN) == 1 and second.count(END) == 1 and second.endswith("结尾手写。\n")
    assert update_readme(None, "x\n").startswith("# ")


def test_cli_rules_doc_writes_and_checks(tmp_path, capsys):
    root = tmp_path / "rules"
    (root / "common").mkdir(parents=True)
    shutil.copytree(RULES / "codelists", root / "codelists")
    shutil.copy(RULES / "common" / "base.yaml", root / "common" / "base.yaml")
    shutil.copy(RULES / "labor_102.yaml", root / "labor_102.yaml")

    assert main(["rules-doc", str(root), "--check"]) == 1  # no README yet
    assert main(["rules-doc", str(root)]) == 0
    text = (root / "README.md").read_text(encoding="utf-8")
    assert "`labor-102`" in text and "| 102-04 |" in text
    assert main(["rules-doc", str(root), "--check"]) == 0
    (root / "README.md").write_text(text.replace("102-04", "102-99"), encoding="utf-8")
    capsys.readouterr()
    assert main(["rules-doc", str(root), "--check"]) == 1
    assert "source-check rules-doc" in capsys.readouterr().err
    assert main(["rules-doc", str(tmp_path / "nope")]) == 2
