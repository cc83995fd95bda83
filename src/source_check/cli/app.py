"""The typer application object and the shared consoles."""

from __future__ import annotations

import typer
from rich.console import Console

__all__ = ["app", "console", "err_console"]

app = typer.Typer(
    name="source-check",
    help="源头数据质量核查：用 YAML 规则包核查统计源头数据（Excel/CSV/parquet），输出问题清单与评分。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
