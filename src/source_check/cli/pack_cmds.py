"""Commands about packs: ``test-pack``, ``packs``, ``explain``, ``schema``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ..errors import PackError
from ..pack.loader import load_pack, pack_files, shipped_rules_dir
from ..pack.model import DIMENSION_ZH, LEVEL_ZH, Pack, Rule
from ..pack.schema import pack_json_schema
from ..packtests import run_pack_tests
from .app import app, console, err_console


def _pack_files(targets: list[str]) -> list[Path | str]:
    out: list[Path | str] = []
    for target in targets:
        path = Path(target)
        if path.is_dir():
            out.extend(pack_files(path))
        else:
            out.append(target)
    return out


@app.command("test-pack")
def test_pack(packs: list[str] = typer.Argument(..., help="规则包文件、目录或内置规则包名称")) -> None:
    """运行规则包自带的 tests:（每个例子必须恰好触发它列出的规则）。"""
    failed = 0
    errors: list[str] = []
    for target in _pack_files(packs):
        try:
            pack = load_pack(target)
        except PackError as exc:
            errors.append(str(exc))
            continue
        outcomes = run_pack_tests(pack)
        bad = [o for o in outcomes if not o.passed]
        failed += len(bad)
        status = "[green]通过[/]" if not bad else f"[red]{len(bad)} 个未通过[/]"
        console.print(f"{pack.id}（{target}）：{len(outcomes)} 个测试，{status}")
        for o in bad:
            console.print(f"  {o.position} {o.describe()}", markup=False)
    for text in errors:
        err_console.print(text, markup=False)
    if errors:
        raise typer.Exit(2)
    raise typer.Exit(1 if failed else 0)


@app.command("packs")
def packs() -> None:
    """列出内置规则包及其标题和规则数。"""
    root = shipped_rules_dir()
    table = Table("规则包", "标题", "版本", "规则数", "文件")
    if root is not None:
        for path in pack_files(root):
            try:
                pack = load_pack(path)
            except PackError as exc:
                table.add_row(path.stem, f"[red]无法加载：{exc.issues[0]}[/]", "", "", str(path.relative_to(root)))
                continue
            table.add_row(pack.id, pack.title, pack.version, str(len(pack.all_rules)), str(path.relative_to(root)))
    console.print(table)
    raise typer.Exit(0)


def _explain_rule(pack: Pack, rule: Rule) -> None:
    console.print(f"[bold]{rule.id}[/] {rule.title}")
    console.print(f"  级别：{LEVEL_ZH[rule.level]}（{rule.level}）  维度：{DIMENSION_ZH[rule.dimension]}", markup=False)
    if rule.when is not None:
        console.print(f"  适用条件：{rule.when.text}", markup=False)
    if rule.check is not None:
        console.print(f"  核查表达式：{rule.check.text}", markup=False)
    if rule.balance is not None:
        b = rule.balance
        console.print(f"  平衡关系：{b.total} = {' + '.join(b.parts)}（允许误差 {b.tolerance}）", markup=False)
    if rule.constraint == "type":
        console.print(f"  核查：值能转换为字段类型 {pack.fields[rule.field or ''].type}", markup=False)
    fields = [f"{pack.label(f)}（{f}）" for f in rule.fields_read]
    if fields:
        console.print("  涉及指标：" + "、".join(fields), markup=False)
    if rule.message is not None:
        console.print(f"  提示信息：{rule.message.text}", markup=False)
    if rule.source:
        console.print(f"  依据：{rule.source}", markup=False)
    if rule.position:
        console.print(f"  定义位置：{rule.position}", markup=False)


@app.command("explain")
def explain(pack: str = typer.Argument(..., help="规则包"), rule: str | None = typer.Argument(None)) -> None:
    """用中文说明规则包中的一条（或全部）规则：表达式、指标和依据。"""
    loaded = load_pack(pack)
    if rule is not None:
        try:
            _explain_rule(loaded, loaded.rule(rule))
        except KeyError:
            err_console.print(f"规则包 {loaded.id} 中没有规则 {rule}", markup=False)
            raise typer.Exit(2) from None
        raise typer.Exit(0)
    console.print(f"[bold]{loaded.title}[/]（{loaded.id} {loaded.version}），共 {len(loaded.all_rules)} 条规则")
    for r in loaded.all_rules:
        _explain_rule(loaded, r)
    raise typer.Exit(0)


@app.command("schema")
def schema() -> None:
    """打印规则包的 JSON Schema（供编辑器校验和补全）。"""
    console.print_json(json.dumps(pack_json_schema(), ensure_ascii=False))
    raise typer.Exit(0)
