"""source_check: verify the quality of statistical source data (源头数据质量核查).

YAML rule packs compile into one fused polars plan that runs over a submission and
returns findings, per-rule and per-group summaries. :func:`read_submission` reads the
Excel, CSV and parquet files people really have (title rows, GB18030, 合计 rows).

Examples
--------
>>> import source_check
>>> "check" in source_check.__all__
True
"""

from __future__ import annotations

from .api import check
from .errors import InputError, Issue, PackError, Position, SourceCheckError
from .io import ReadEvent, Submission, read_submission
from .pack.loader import load_pack, load_pack_text
from .pack.model import Pack, Rule
from .pack.schema import pack_json_schema
from .packtests import TestOutcome, run_pack_tests
from .result import CheckResult, SkippedRule

__version__ = "0.1.0"

__all__ = [
    "CheckResult",
    "InputError",
    "Issue",
    "Pack",
    "PackError",
    "Position",
    "ReadEvent",
    "Rule",
    "SkippedRule",
    "SourceCheckError",
    "Submission",
    "TestOutcome",
    "__version__",
    "check",
    "load_pack",
    "load_pack_text",
    "pack_json_schema",
    "read_submission",
    "run_pack_tests",
]
