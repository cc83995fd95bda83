"""Reports rendered from a :class:`~source_check.result.CheckResult` alone.

``WRITERS`` maps an output format name to a function writing it into a directory and
returning the path written; ``TEXT_FORMATS`` maps the formats that are text (and can go
to standard output) to a function returning that text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..result import CheckResult
from .json_report import RESULT_SCHEMA_ID, dumps, result_to_dict, write_json
from .junit_report import junit_document, write_junit
from .markdown_report import markdown, write_markdown
from .xlsx_report import write_xlsx

__all__ = ["RESULT_SCHEMA_ID", "TEXT_FORMATS", "WRITERS", "result_to_dict", "write_json"]


def _json(result: CheckResult, out_dir: Path) -> Path:
    path = out_dir / "result.json"
    write_json(result, path)
    return path


WRITERS: dict[str, Callable[[CheckResult, Path], Path]] = {
    "json": _json,
    "xlsx": write_xlsx,
    "junit": write_junit,
    "md": write_markdown,
}


TEXT_FORMATS: dict[str, Callable[[CheckResult], str]] = {
    "json": lambda result: dumps(result) + "\n",
    "junit": junit_document,
    "md": markdown,
}
