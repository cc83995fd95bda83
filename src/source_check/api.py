"""The library entry points: :func:`check` and its input coercion.

Examples
--------
>>> import polars as pl
>>> from source_check import check, load_pack_text
>>> pack = load_pack_text('''
... pack: demo
... key: [id]
... fields:
...   id: {required: true}
...   total: {type: int}
...   part: {type: int}
... rules:
...   - {id: R1, title: 部分不大于总数, check: part <= total, message: "部分{part}大于总数{total}"}
... ''')
>>> result = check(pl.DataFrame({"id": ["a", "b"], "total": [5, 5], "part": [3, 9]}), pack)
>>> result.findings.select("id", "rule_id", "message").rows()
[('b', 'R1', '部分9大于总数5')]
>>> result.ok
False
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from .engine.polars_engine import run_check
from .errors import InputError
from .io.assemble import with_source_columns
from .io.damage import with_read_checks
from .io.reader import Submission, read_submission
from .pack.loader import load_pack
from .pack.model import Pack
from .result import CheckResult

__all__ = ["as_lazyframe", "check"]

DataLike = Any


def as_lazyframe(data: DataLike, what: str = "输入数据") -> pl.LazyFrame:
    """A LazyFrame from a polars DataFrame/LazyFrame or a pandas DataFrame."""
    if isinstance(data, pl.LazyFrame):
        return data
    if isinstance(data, pl.DataFrame):
        return data.lazy()
    module = type(data).__module__
    if module.startswith("pandas"):
        return pl.from_pandas(data).lazy()
    raise InputError(f"{what}的类型不受支持：{type(data).__name__}（需要 polars 或 pandas 的 DataFrame）")


def _is_paths(data: object) -> bool:
    if isinstance(data, (str, Path)):
        return True
    return isinstance(data, (list, tuple)) and bool(data) and all(isinstance(d, (str, Path)) for d in data)


def _frame(
    pack: Pack, data: DataLike, what: str, read: Submission, options: dict[str, Any], opened: ExitStack,
    form: str | None = None, main: bool = True,
) -> pl.LazyFrame:
    if _is_paths(data):
        # only the current period's main form must have data: an empty file of another form
        # (or of last year) leaves its rules not applicable, with a no_rows note in the log
        need_rows = main and (form is None or not pack.forms or form == pack.forms[0])
        # a submission read from non-UTF-8 text scans a temporary copy: closed after the run
        submission = opened.enter_context(read_submission(data, pack, form=form, need_rows=need_rows, **options))
        read.inputs.extend(submission.inputs)
        read.columns.extend(submission.columns)
        return submission.frame
    return as_lazyframe(data, what)


def _frames(
    pack: Pack, data: DataLike, what: str, read: Submission, options: dict[str, Any], opened: ExitStack,
    main: bool = True,
) -> pl.LazyFrame | dict[str, pl.LazyFrame]:
    """One LazyFrame, or one per form (``{"103": ..., "102": ...}``) for a multi-form pack;
    the files' inputs and column maps are added to ``read`` (``main``: the current period)."""
    if isinstance(data, Mapping):
        return {str(form): _frame(pack, d, f"{what}（{form}表）", read, options, opened, str(form), main)
                for form, d in data.items()}
    return _frame(pack, data, what, read, options, opened, main=main)


def check(
    data: DataLike,
    pack: Pack | str | Path,
    previous: DataLike | None = None,
    *,
    max_findings_per_rule: int | None = None,
    explanations: pl.DataFrame | None = None,
    previous_sheet: str | int | None = None,
    **read_options: Any,
) -> CheckResult:
    """Run a rule pack over a submission.

    Parameters
    ----------
    data
        The submission: a polars DataFrame or LazyFrame (a LazyFrame over files is
        collected with the streaming engine), a pandas DataFrame, or a path (or list
        of paths) to Excel/CSV/parquet files read with
        :func:`~source_check.io.read_submission` (``read_options`` go to it:
        ``group``, ``group_from_filename``, ``sheet``, ``encoding``). For a multi-form
        pack (``forms:``), a mapping from form name to any of these.
    pack
        A loaded :class:`~source_check.pack.model.Pack`, a path to a pack YAML file, or
        the name of a shipped pack (``"labor-102"``).
    previous
        The previous period's data, for ``history`` rules (joined on the pack's key).
        Without it history rules are skipped and listed in ``result.skipped``.
    max_findings_per_rule
        Keep at most this many findings per rule; counts in ``result.rules`` and scores
        stay exact.
    explanations
        说明 for findings: a table with ``fingerprint`` and ``text`` (or the report's
        ``指纹``/``说明`` columns). A warning whose text passes the explanation-quality
        rule counts as explained; an error is never explained away.
    previous_sheet
        The sheet to read in the previous period's workbooks (name or 1-based position);
        by default the ``sheet`` read option, which applies to both periods. The files
        read for ``previous`` are listed, with their reading log, in
        ``result.previous_inputs``.

    Codes that Excel turned into numbers (``9.13101E+17``, an industry code without its
    leading 0) are reported by the rules ``<field>.excel_damaged`` that
    :func:`~source_check.io.with_read_checks` adds to the pack, instead of by the
    field's generic format or code-list rule.
    """
    started = datetime.now(UTC)
    clock = time.perf_counter()
    if not isinstance(pack, Pack):
        pack = load_pack(pack)
    pack = with_read_checks(pack)  # <field>.excel_damaged: codes Excel turned into numbers
    read, read_previous = Submission(pl.LazyFrame()), Submission(pl.LazyFrame())
    previous_options = dict(read_options)
    if previous_sheet is not None:
        previous_options["sheet"] = previous_sheet
    with ExitStack() as opened:
        current = _frames(pack, data, "输入数据", read, read_options, opened)
        prev = None
        if previous is not None:
            prev = _frames(pack, previous, "上期数据", read_previous, previous_options, opened, main=False)
        result = run_check(pack, current, prev, max_findings_per_rule=max_findings_per_rule,
                           explanations=explanations)
    result.inputs = read.inputs
    result.previous_inputs = read_previous.inputs
    if read.columns:
        result.findings = with_source_columns(result.findings, read.columns)
    result.meta.update(
        started=started.isoformat(timespec="seconds"),
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_s=round(time.perf_counter() - clock, 3),
    )
    return result
