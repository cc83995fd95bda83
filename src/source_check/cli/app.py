"""The typer application object and the shared consoles.

Outside a terminal (a pipe, CI, a subprocess) rich would wrap tables at 80 columns and
cut pack ids and 街镇 codes; there the consoles are wide (``COLUMNS`` still wins), and
the id and code columns never wrap.
"""

from __future__ import annotations

import os

import typer
from rich.console import Console
from rich.text import Text

__all__ = ["WIDE", "app", "console", "err_console", "plain"]

#: The width of a console that is not a terminal (and has no ``COLUMNS``).
WIDE = 200

app = typer.Typer(
    name="source-check",
    help="源头数据质量核查：用 YAML 规则包核查统计源头数据（Excel/CSV/parquet），输出问题清单与评分。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _console(*, stderr: bool = False) -> Console:
    out = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not out.is_terminal and not os.environ.get("COLUMNS"):
        out.width = WIDE
    return out


console = _console()
err_console = _console(stderr=True)


def plain(value: object, style: str = "") -> Text:
    """User or data text for a rich table cell or print: never parsed as markup."""
    return Text("" if value is None else str(value), style=style)
