"""Commands about packs: ``test-pack``, ``packs``, ``explain``, ``schema``.

``test-pack`` exits 0 when every pack loads and its tests pass (lints are warnings),
1 when a test fails (or, with ``--strict``, a lint warns), 2 when a pack cannot load.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ..errors import PackError
from ..io.damage import damage_for, with_read_checks
from ..pack.loader import load_pack, pack_files, shipped_rules_dir
from ..pack.model import DIMENSION_ZH, LEVEL_ZH, Pack, Rule
from ..pack.schema import DetectorSpec, pack_json_schema
from ..packlint import lint_pack
from ..packtests import run_pack_tests
from .app import app, console, err_console, plain


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
def test_pack(
    packs: list[str] = typer.Argument(..., help="规则包文件、目录或内置规则包名称"),
    strict: bool = typer.Option(
        False, "--strict", help="把检查提示（未测试的规则、未用到的参数、恒定的表达式）也算作失败"
    ),
) -> None:
    """运行规则包自带的 tests:（每个例子必须恰好触发它列出的规则），并检查常见疏漏：
    没有测试用例的规则、未用到的参数、不读取任何字段的核查表达式、重复的规则（只提示，--strict 时算失败）。"""
    failed = 0
    warned = 0
    errors: list[str] = []
    for target in _pack_files(packs):
        try:
            pack = load_pack(target)
        except PackError as exc:
            errors.append(str(exc))
            continue
        outcomes = run_pack_tests(pack)
        bad = [o for o in outcomes if not o.passed]
        lints = lint_pack(pack)
        failed += len(bad)
        warned += len(lints)
        status = plain("通过", "green") if not bad else plain(f"{len(bad)} 个未通过", "red")
        note = plain(f"，{len(lints)} 条提示", "yellow") if lints else plain("")
        console.print(plain(f"{pack.id}（{target}）：{len(outcomes)} 个测试，"), status, note, sep="")
        for o in bad:
            console.print(f"  {o.position} {o.describe()}", markup=False)
        for lint in lints:
            console.print(f"  提示 {lint}", markup=False, style="yellow")
    for text in errors:
        err_console.print(text, markup=False)
    if errors:
        raise typer.Exit(2)
    raise typer.Exit(1 if failed or (strict and warned) else 0)


@app.command("packs")
def packs() -> None:
    """列出内置规则包及其标题和规则数。"""
    root = shipped_rules_dir()
    table = Table()
    table.add_column("规则包", no_wrap=True)
    table.add_column("标题")
    table.add_column("版本", no_wrap=True)
    table.add_column("规则数", no_wrap=True)
    table.add_column("文件", no_wrap=True)
    if root is not None:
        for path in pack_files(root):
            try:
                pack = load_pack(path)
            except PackError as exc:
                table.add_row(plain(path.stem), plain(f"无法加载：{exc.issues[0]}", "red"), "", "",
                              plain(path.relative_to(root)))
                continue
            table.add_row(plain(pack.id), plain(pack.title), plain(pack.version), str(len(pack.all_rules)),
                          plain(path.relative_to(root)))
    console.print(table)
    raise typer.Exit(0)


def _with_reader_rules(pack: Pack) -> list[tuple[Rule, list[str]]]:
    """The rules ``check`` runs, in its order: the pack's own as written, each with the
    reader's ``<field>.excel_damaged`` rules that make it not applicable, and those rules."""
    derived = with_read_checks(pack)
    own = {r.id: r for r in pack.all_rules}
    conditions = {r.id: d.condition for r in derived.all_rules
                  if r.id not in own and r.field and (d := damage_for(pack, r.field)) is not None}
    out: list[tuple[Rule, list[str]]] = []
    for r in derived.all_rules:
        if r.id not in own:
            out.append((r, []))
            continue
        guarded = r.when is not None and r.when != own[r.id].when
        out.append((own[r.id], [d for d, c in conditions.items() if guarded and r.when and c in r.when.text]))
    return out


def _explain_rule(pack: Pack, rule: Rule, guards: list[str] | None = None) -> None:
    console.print(plain(rule.id, "bold"), plain(f" {rule.title}"), sep="")
    console.print(f"  级别：{LEVEL_ZH[rule.level]}（{rule.level}）  维度：{DIMENSION_ZH[rule.dimension]}", markup=False)
    if rule.when is not None:
        console.print(f"  适用条件：{rule.when.text}", markup=False)
    if guards:
        console.print(f"  读取检查：代码被 Excel 损坏时本规则不适用，由 {'、'.join(guards)} 报告", markup=False)
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


def _explain_detector(pack: Pack, spec: DetectorSpec) -> None:
    """A detector in Chinese: its kind, level, the fields it reads and its parameters."""
    from ..detectors import DETECTORS
    from ..detectors.runner import detector_params

    kind = DETECTORS.get(spec.kind)
    level = spec.level or "warning"
    console.print(plain(spec.id, "bold"), plain(f" {spec.title or (kind.title if kind else spec.kind)}"), sep="")
    if kind is None:
        console.print(f"  统计异常检测：未知类型 {spec.kind}", markup=False)
        return
    params = detector_params(spec)
    console.print(f"  统计异常检测：{kind.title}（{spec.kind}）", markup=False)
    console.print(f"  级别：{LEVEL_ZH[level]}（{level}）  维度：{DIMENSION_ZH.get(kind.dimension, kind.dimension)}",
                  markup=False)
    fields = [f"{pack.label(f)}（{f}）" for f in kind.fields(params, pack) if f in pack.fields]
    if fields:
        console.print("  涉及指标：" + "、".join(fields), markup=False)
    if kind.needs_previous:
        console.print("  需要上期数据：是（未提供 --previous 时不执行）", markup=False)
    given = set(spec.model_extra or {})
    values = params.model_dump()
    shown = [f"{k}={values[k]}" + ("" if k in given else "（默认）") for k in values if k != "fields"]
    if shown:
        console.print("  参数：" + "，".join(shown), markup=False)
    console.print("  结果：单位级异常作为问题列入问题清单，街镇级异常列入“统计异常”表", markup=False)


@app.command("explain")
def explain(pack: str = typer.Argument(..., help="规则包"),
            rule: str | None = typer.Argument(None, help="规则或统计异常检测器的编号（如 102-04、D102-hb）")) -> None:
    """用中文说明规则包中的一条（或全部）规则：表达式、指标和依据；含读取时自动增加的
    ``<字段>.excel_damaged`` 规则（代码被 Excel 存成数字）和统计异常检测器（类型、指标、参数、级别）。"""
    loaded = load_pack(pack)
    rules = _with_reader_rules(loaded)
    if rule is not None:
        found = [(r, g) for r, g in rules if r.id == rule]
        detectors = [d for d in loaded.detectors if d.id == rule]
        if found:
            _explain_rule(loaded, *found[0])
        elif detectors:
            _explain_detector(loaded, detectors[0])
        else:
            err_console.print(f"规则包 {loaded.id} 中没有规则或检测器 {rule}", markup=False)
            raise typer.Exit(2)
        raise typer.Exit(0)
    added = len(rules) - len(loaded.all_rules)
    detectors_note = f"，统计异常检测器 {len(loaded.detectors)} 个" if loaded.detectors else ""
    console.print(plain(loaded.title, "bold"), plain(
        f"（{loaded.id} {loaded.version}），共 {len(rules)} 条规则" + (f"（含读取检查 {added} 条）" if added else "")
        + detectors_note), sep="")
    for r, guards in rules:
        _explain_rule(loaded, r, guards)
    for spec in loaded.detectors:
        _explain_detector(loaded, spec)
    raise typer.Exit(0)


@app.command("schema")
def schema() -> None:
    """打印规则包的 JSON Schema（供编辑器校验和补全）。"""
    console.print_json(json.dumps(pack_json_schema(), ensure_ascii=False))
    raise typer.Exit(0)
