"""The ``source-check`` command line.

Exit codes: 0 nothing at or above ``--fail-on``; 1 such findings exist; 2 usage, input
or pack error (one readable message, no traceback); 3 internal error (short message,
traceback written to a file whose path is printed).
"""

from __future__ import annotations

import sys
import tempfile
import traceback

from rich.text import Text

from ..errors import SourceCheckError

# Command modules register themselves on ``app`` when imported.
from . import check_cmd, pack_cmds, rules_doc, synth_cmd  # noqa: F401
from .app import app, err_console

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script exits with it)."""
    try:
        app(args=argv, prog_name="source-check")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    except SourceCheckError as exc:
        # the message names files and regexes such as `102[final].csv` or `[/_](\d{9})`: never markup
        err_console.print(Text.assemble(("错误", "bold red"), f"：{exc}"), highlight=False)
        return 2
    except KeyboardInterrupt:
        err_console.print("已中止 (aborted)", markup=False)
        return 2
    except Exception as exc:  # the last line of defence: exit 3, never a raw traceback
        with tempfile.NamedTemporaryFile("w", prefix="source-check-crash-", suffix=".txt", delete=False) as fh:
            traceback.print_exc(file=fh)
        err_console.print(
            Text.assemble(("内部错误", "bold red"), f"（internal error）：{type(exc).__name__}: {exc}\n"
                          f"详细信息已写入 {fh.name}\n请把该文件发给维护者。"),
            highlight=False,
        )
        return 3
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
