"""What a check returns: findings, per-rule and per-group summaries, skipped rules.

All tables are polars DataFrames; the rest are plain dataclasses. Reports are rendered
from a :class:`CheckResult` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from .io.log import ReadEvent

__all__ = ["FINDING_COLUMNS", "CheckResult", "InputInfo", "SkippedRule"]

#: Columns every findings table has, in this order, after the key columns.
FINDING_COLUMNS = (
    "row",
    "group",
    "rule_id",
    "level",
    "dimension",
    "message",
    "fields",
    "values",
    "imbalance",
)


@dataclass(frozen=True)
class SkippedRule:
    """A rule that could not run on this input, and why (in Chinese)."""

    rule_id: str
    reason: str


@dataclass(frozen=True)
class InputInfo:
    """One input as read: where from, its hash, rows read and skipped, and the reading
    log (``log`` as text lines, ``events`` as :class:`~source_check.io.log.ReadEvent`)."""

    path: str
    sha256: str | None = None
    rows_read: int = 0
    rows_skipped: int = 0
    sheet: str | None = None
    log: tuple[str, ...] = ()
    events: tuple[ReadEvent, ...] = ()
    #: the text encoding the reader chose (``"gb18030"``); None for workbooks and columnar files
    encoding: str | None = None


@dataclass
class CheckResult:
    """The outcome of running one pack over one submission.

    Attributes
    ----------
    findings
        One row per failing (row, rule): ``row`` (0-based position in the input), the
        key columns, ``group``, ``rule_id``, ``level``, ``dimension``, ``message``,
        ``fields`` (list of field ids read), ``values`` (JSON object of the values
        read), ``imbalance`` (signed, balance rules only) and, when the input came from
        files, ``source_file``, ``source_sheet``, ``source_row`` and ``source_column``
        (the Excel column letter of the finding's fields in workbooks and CSV files, the
        column name in parquet/Arrow files; several fields: ``D,E``).
    rules
        Per rule: ``rule_id, title, level, dimension, kind, items, passes, fails, na,
        skipped``; ``items = passes + fails + na``.
    groups
        Per group: ``group, name, units, units_error, units_warning, findings``.
    skipped
        Rules that could not run (history rules without previous data).
    inputs
        The files read for the current period (empty for in-memory frames).
    previous_inputs
        The files read for the previous period (``previous=``), with their own reading
        log; kept apart so that the current period's counts stay those of its files.
    """

    pack_id: str
    pack_title: str
    pack_version: str
    pack_sha256: str
    key: list[str]
    findings: pl.DataFrame
    rules: pl.DataFrame
    groups: pl.DataFrame
    skipped: list[SkippedRule] = field(default_factory=list)
    rows: int = 0
    inputs: list[InputInfo] = field(default_factory=list)
    previous_inputs: list[InputInfo] = field(default_factory=list)
    anomalies: pl.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when there is no error-level finding."""
        return self.count("error") == 0

    def count(self, level: str) -> int:
        """Number of failing (row, rule) pairs at ``level``, exact even when findings are capped."""
        if self.rules.is_empty():
            return 0
        return int(self.rules.filter(pl.col("level") == level)["fails"].sum())

    @property
    def by_level(self) -> dict[str, int]:
        return {lvl: self.count(lvl) for lvl in ("error", "warning", "info")}

    def __repr__(self) -> str:
        levels = ", ".join(f"{k}={v}" for k, v in self.by_level.items())
        return f"CheckResult(pack={self.pack_id!r}, rows={self.rows}, {levels}, ok={self.ok})"
