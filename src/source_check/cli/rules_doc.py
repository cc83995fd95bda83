"""The ``rules-doc`` command: write (or check) the rule catalogue ``rules/README.md``."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from ..pack.doc import build_rules_readme
from ..pack.loader import shipped_rules_dir
from .app import app, console, err_console


@app.command("rules-doc")
def rules_doc(
    directory: Path | None = typer.Argument(None, help="规则包目录（默认：内置规则包目录）"),
    check: bool = typer.Option(False, "--check", help="只检查 README.md 是否为最新，不写文件（过期时退出码 1）"),
) -> None:
    """由规则包生成规则目录 README.md（每个规则包及其规则的编号、标题、级别、表达式、依据）。"""
    root = directory if directory is not None else shipped_rules_dir()
    if root is None or not root.is_dir():
        raise InputError(f"规则包目录不存在：{root}")
    readme = root / "README.md"
    text = build_rules_readme(root)
    current = readme.read_text(encoding="utf-8") if readme.is_file() else None
    if check:
        if current != text:
            err_console.print(f"{readme} 不是最新的，请运行：source-check rules-doc {root}", markup=False)
            raise typer.Exit(1)
        console.print(f"{readme} 是最新的", markup=False)
        raise typer.Exit(0)
    if current == text:
        console.print(f"{readme} 已是最新，未改动", markup=False)
    else:
        readme.write_text(text, encoding="utf-8")
        console.print(f"已写入 {readme}", markup=False)
    raise typer.Exit(0)
