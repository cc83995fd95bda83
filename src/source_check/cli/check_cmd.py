"""``source-check check``: read files, run a pack, print a summary, write reports."""

from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from ..api import check as run
from ..errors import InputError
from ..io.explanations import read_explanations
from ..pack.model import LEVEL_ZH
from ..reports import TEXT_FORMATS, WRITERS
from ..reports.verdict import FAILING_LEVELS, passed
from ..result import CheckResult
from .app import app, console, err_console, plain

FAIL_ON = tuple(FAILING_LEVELS)
DEFAULT_FORMATS = "xlsx,json"


def exit_code(result: CheckResult, fail_on: str) -> int:
    """0 when nothing at or above ``fail_on`` was found, else 1 (the reports' verdict)."""
    result.meta["fail_on"] = fail_on
    return 0 if passed(result) else 1


def print_summary(result: CheckResult) -> None:
    by = result.by_level
    console.print(plain(f"{result.pack_title}", "bold"), plain(
        f"（{result.pack_id} {result.pack_version}）：{result.rows} 条记录，强制性问题 {by['error']}，"
        f"核实性问题 {by['warning']}，提示 {by['info']}"), sep="")
    if not result.groups.is_empty() and result.groups["group"].null_count() < result.groups.height:
        table = Table(title="各街镇情况")
        table.add_column("街镇", no_wrap=True)
        for header in ("名称", "单位数", "有强制性问题", "有核实性问题", "问题数"):
            table.add_column(header)
        extra = [c for c in ("score", "grade", "rank") if c in result.groups.columns]
        for c in extra:
            table.add_column({"score": "得分", "grade": "等级", "rank": "排名"}[c])
        for g in result.groups.iter_rows(named=True):
            table.add_row(*[plain(v) for v in (g["group"], g["name"] or "", g["units"], g["units_error"],
                                                g["units_warning"], g["findings"], *[g[c] for c in extra])])
        console.print(table)
    top = result.rules.filter(result.rules["fails"] > 0).sort("fails", descending=True).head(10)
    if not top.is_empty():
        table = Table(title="不通过最多的规则")
        table.add_column("规则", no_wrap=True)
        for header in ("名称", "级别", "不通过"):
            table.add_column(header)
        for r in top.iter_rows(named=True):
            table.add_row(plain(r["rule_id"]), plain(r["title"]), LEVEL_ZH[r["level"]], str(r["fails"]))
        console.print(table)
    for s in result.skipped[:5]:
        console.print(f"未执行 {s.rule_id}：{s.reason}", markup=False, style="dim")


def print_reading_log(result: CheckResult, to: Console | None = None) -> None:
    """What the reader did with each file: rows read and skipped, and why (never silent)."""
    out = to or console
    for what, info in [("读取", i) for i in result.inputs] + [("读取上期", i) for i in result.previous_inputs]:
        sheet = f"［{info.sheet}］" if info.sheet else ""
        out.print(f"{what} {info.path}{sheet}：{info.rows_read} 条记录，跳过 {info.rows_skipped} 行", markup=False)
        for line in info.log:
            out.print(f"  {line}", markup=False, style="dim")


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


def _formats(formats: str | None, out: str) -> list[str]:
    """The formats asked for, checked against ``--out`` before anything is read."""
    text = (DEFAULT_FORMATS if out != "-" else "json") if formats is None else formats
    wanted = list(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    available = ", ".join(WRITERS)
    if not wanted:
        raise InputError(f"--format 不能为空（可用：{available}）")
    unknown = [f for f in wanted if f not in WRITERS]
    if unknown:
        raise InputError(f"不支持的输出格式：{', '.join(unknown)}（可用：{available}）")
    if out == "-" and (len(wanted) != 1 or wanted[0] not in TEXT_FORMATS):
        raise InputError(f"--out - 只能把一种文本格式写到标准输出（{', '.join(TEXT_FORMATS)} 之一），"
                         f"而不是 {','.join(wanted)}；Excel 等多个文件请用 --out 目录")
    return wanted


def _make_out_dir(out_dir: Path) -> bool:
    """Create ``--out`` before the check runs (exit 2, not 3, when it is a file or cannot
    be created); True when it was created here."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} 是一个已存在的文件，不是目录；请指定报告输出目录")
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"无法创建输出目录 {out_dir}：{exc.strerror or exc}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise InputError(f"没有写入输出目录 {out_dir} 的权限")
    return created


def _to_stdout(text: str) -> None:
    """UTF-8 bytes on standard output, whatever its locale encoding (PYTHONIOENCODING=latin-1)."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
    else:
        buffer.write(text.encode("utf-8"))
        buffer.flush()


@app.command("check")
def check_cmd(
    files: list[Path] = typer.Argument(
        ..., help="要核查的 Excel/CSV/parquet 文件；多表规则包写成 报表=路径（如 103=财务.xlsx）"
    ),
    pack: str = typer.Option(..., "--pack", "-p", help="规则包文件路径或内置规则包名称（如 labor-102）"),
    previous: list[Path] | None = typer.Option(None, "--previous", help="上期数据文件（用于历史比较规则）"),
    group: str | None = typer.Option(
        None, "--group", help="文件中没有街镇列时，指定街镇代码（不能与 --group-from-filename 同用）"
    ),
    group_from_filename: str | None = typer.Option(
        None, "--group-from-filename", help="从文件名提取街镇代码的正则（第一个捕获组；不能与 --group 同用）"
    ),
    sheet: str | None = typer.Option(None, "--sheet", help="Excel 工作表名称"),
    previous_sheet: str | None = typer.Option(
        None, "--previous-sheet", help="上期 Excel 文件的工作表名称（默认同 --sheet）"
    ),
    encoding: str | None = typer.Option(None, "--encoding", help="CSV 编码（默认自动识别 UTF-8/GB18030）"),
    out: str = typer.Option(
        "source-check-out", "--out", "-o",
        help="报告输出目录；'-' 表示把一种文本格式（json、junit 或 md）写到标准输出，读取记录写到标准错误",
    ),
    formats: str | None = typer.Option(
        None, "--format", "-f",
        help=f"输出格式，逗号分隔：{','.join(WRITERS)}（默认 {DEFAULT_FORMATS}；--out - 时默认 json，且只能一种）",
    ),
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
    if group is not None and group_from_filename is not None:
        raise InputError("--group 和 --group-from-filename 只能用其中一个"
                         "（前者给所有文件同一个街镇，后者从文件名提取）")
    if previous_sheet is not None and not previous:
        raise InputError("--previous-sheet 只用于 --previous 给出的上期文件，请同时给出 --previous")
    wanted = _formats(formats, out)
    if out == "-" and split_by_group:
        raise InputError("--split-by-group 要为每个街镇写 Excel 文件，不能与 --out - 同用；请用 --out 目录")
    out_dir = None if out == "-" else Path(out)
    created = out_dir is not None and _make_out_dir(out_dir)
    given = {"group": group, "group_from_filename": group_from_filename, "sheet": sheet, "encoding": encoding,
             "previous_sheet": previous_sheet}
    options: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    show = not quiet and out_dir is not None and err_console.is_terminal
    try:
        notes = read_explanations(explanations) if explanations is not None else None
        with err_console.status("正在读取并核查…（reading and checking）") if show else nullcontext():
            result = run(_inputs(files), pack, previous=_inputs(previous) if previous else None,
                         explanations=notes, **options)
    except BaseException:
        if created and out_dir is not None and not any(out_dir.iterdir()):
            out_dir.rmdir()  # leave no empty directory behind a failed check
        raise
    code = exit_code(result, fail_on)
    if out_dir is None:
        if not quiet:
            print_reading_log(result, to=err_console)
        _to_stdout(TEXT_FORMATS[wanted[0]](result))
        raise typer.Exit(code)
    try:
        written = [WRITERS[f](result, out_dir) for f in wanted]
        if split_by_group:
            from ..reports.xlsx_report import write_split_by_group

            written.extend(write_split_by_group(result, out_dir))
    except OSError as exc:
        raise InputError(f"无法写出报告到 {out_dir}：{exc.strerror or exc}") from None
    print_summary(result)
    if not quiet:
        print_reading_log(result)
        for path in written:
            console.print(f"已写出 {path}", markup=False)
    raise typer.Exit(code)
