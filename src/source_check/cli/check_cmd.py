"""``source-check check``: read files, run a pack, print a summary, write reports."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..api import check as run
from ..errors import InputError
from ..io.explanations import read_explanations
from ..pack.model import LEVEL_ZH
from ..reports import WRITERS
from ..reports.json_report import write_json
from ..result import CheckResult
from .app import app, console, err_console

FAIL_ON = ("error", "warning", "never")


def exit_code(result: CheckResult, fail_on: str) -> int:
    """0 when nothing at or above ``fail_on`` was found, else 1."""
    levels = {"error": ("error",), "warning": ("error", "warning"), "never": ()}[fail_on]
    return 1 if any(result.count(level) for level in levels) else 0


def print_summary(result: CheckResult) -> None:
    by = result.by_level
    console.print(
        f"[bold]{result.pack_title}[/]（{result.pack_id} {result.pack_version}）："
        f"{result.rows} 条记录，强制性问题 [red]{by['error']}[/]，核实性问题 [yellow]{by['warning']}[/]，"
        f"提示 {by['info']}"
    )
    if not result.groups.is_empty() and result.groups["group"].null_count() < result.groups.height:
        table = Table("街镇", "名称", "单位数", "有强制性问题", "有核实性问题", "问题数", title="各街镇情况")
        extra = [c for c in ("score", "grade", "rank") if c in result.groups.columns]
        for c in extra:
            table.add_column({"score": "得分", "grade": "等级", "rank": "排名"}[c])
        for g in result.groups.iter_rows(named=True):
            table.add_row(str(g["group"]), g["name"] or "", str(g["units"]), str(g["units_error"]),
                          str(g["units_warning"]), str(g["findings"]), *[str(g[c]) for c in extra])
        console.print(table)
    top = result.rules.filter(result.rules["fails"] > 0).sort("fails", descending=True).head(10)
    if not top.is_empty():
        table = Table("规则", "名称", "级别", "不通过", title="不通过最多的规则")
        for r in top.iter_rows(named=True):
            table.add_row(r["rule_id"], r["title"], LEVEL_ZH[r["level"]], str(r["fails"]))
        console.print(table)
    for s in result.skipped[:5]:
        console.print(f"[dim]未执行 {s.rule_id}：{s.reason}[/]")


def print_reading_log(result: CheckResult) -> None:
    """What the reader did with each file: rows read and skipped, and why (never silent)."""
    for info in result.inputs:
        sheet = f"［{info.sheet}］" if info.sheet else ""
        console.print(f"读取 {info.path}{sheet}：{info.rows_read} 条记录，跳过 {info.rows_skipped} 行", markup=False)
        for line in info.log:
            console.print(f"  {line}", markup=False, style="dim")


def _inputs(files: list[Path]) -> list[Path] | dict[str, list[Path]]:
    """Plain paths, or ``FORM=PATH`` arguments grouped by form for a multi-form pack."""
    tagged = [str(f) for f in files if "=" in str(f) and not Path(str(f)).exists()]
    if not tagged:
        return list(files)
    if len(tagged) != len(files):
        raise InputError("多表核查时每个文件都要写成 报表=路径（如 103=财务.xlsx 102=从业.xlsx）")
    out: dict[str, list[Path]] = {}
    for item in tagged:
        form, _, path = item.partition("=")
        out.setdefault(form.strip(), []).append(Path(path))
    return out


@app.command("check")
def check_cmd(
    files: list[Path] = typer.Argument(
        ..., help="要核查的 Excel/CSV/parquet 文件；多表规则包写成 报表=路径（如 103=财务.xlsx）"
    ),
    pack: str = typer.Option(..., "--pack", "-p", help="规则包文件路径或内置规则包名称（如 labor-102）"),
    previous: list[Path] | None = typer.Option(None, "--previous", help="上期数据文件（用于历史比较规则）"),
    group: str | None = typer.Option(None, "--group", help="文件中没有街镇列时，指定街镇代码"),
    group_from_filename: str | None = typer.Option(
        None, "--group-from-filename", help="从文件名提取街镇代码的正则（第一个捕获组）"
    ),
    sheet: str | None = typer.Option(None, "--sheet", help="Excel 工作表名称"),
    encoding: str | None = typer.Option(None, "--encoding", help="CSV 编码（默认自动识别 UTF-8/GB18030）"),
    out: str = typer.Option("source-check-out", "--out", "-o", help="报告输出目录；'-' 表示 JSON 写到标准输出"),
    formats: str = typer.Option("xlsx,json", "--format", "-f", help="输出格式，逗号分隔：json,xlsx,junit,md,html"),
    fail_on: str = typer.Option("error", "--fail-on", help="达到哪一级问题时退出码为 1：error|warning|never"),
    split_by_group: bool = typer.Option(False, "--split-by-group", help="另为每个街镇单独输出一份 Excel 报告"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="只输出摘要"),
    explanations: Path | None = typer.Option(
        None, "--explanations", "-e", help="已填写“说明”列的问题清单（report.xlsx）或 CSV（指纹,说明）"
    ),
) -> None:
    """核查报送文件：读取、运行规则包、打印摘要并写出报告。"""
    if fail_on not in FAIL_ON:
        raise InputError(f"--fail-on 只能是 {'|'.join(FAIL_ON)}，而不是 {fail_on!r}")
    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in WRITERS]
    if unknown:
        raise InputError(f"不支持的输出格式：{', '.join(unknown)}（可用：{', '.join(sorted(WRITERS))}）")
    given = {"group": group, "group_from_filename": group_from_filename, "sheet": sheet, "encoding": encoding}
    options: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    notes = read_explanations(explanations) if explanations is not None else None
    show = not quiet and out != "-" and err_console.is_terminal
    with err_console.status("正在读取并核查…（reading and checking）") if show else nullcontext():
        result = run(_inputs(files), pack, previous=_inputs(previous) if previous else None, explanations=notes,
                     **options)
    result.meta["fail_on"] = fail_on
    if out == "-":
        write_json(result, sys.stdout)
        raise typer.Exit(exit_code(result, fail_on))
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [WRITERS[f](result, out_dir) for f in wanted]
    if split_by_group and "xlsx" in WRITERS:
        from ..reports.xlsx_report import write_split_by_group

        written.extend(write_split_by_group(result, out_dir))
    print_summary(result)
    if not quiet:
        print_reading_log(result)
        for path in written:
            console.print(f"已写出 {path}", markup=False)
    raise typer.Exit(exit_code(result, fail_on))
