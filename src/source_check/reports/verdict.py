"""The verdict every report and the exit code share: findings at or above ``--fail-on``.

Examples
--------
>>> import polars as pl
>>> from source_check import check, load_pack
>>> r = check(pl.DataFrame({"credit_code": ["bad"], "town_code": ["310107005"]}), load_pack("common-base"))
>>> blocking(r), verdict(r)
(1, '未通过：存在强制性问题')
>>> r.meta["fail_on"] = "never"
>>> blocking(r), verdict(r)
(0, '不阻断（--fail-on never）：强制性问题 1 条')
"""

from __future__ import annotations

from ..result import CheckResult

__all__ = ["FAILING_LEVELS", "blocking", "fail_on", "passed", "verdict"]

#: The levels that fail a run for each ``--fail-on`` value.
FAILING_LEVELS: dict[str, tuple[str, ...]] = {"error": ("error",), "warning": ("error", "warning"), "never": ()}


def fail_on(result: CheckResult) -> str:
    """``result.meta["fail_on"]`` (``error`` when absent or unknown)."""
    value = str(result.meta.get("fail_on", "error"))
    return value if value in FAILING_LEVELS else "error"


def blocking(result: CheckResult) -> int:
    """How many findings are at or above ``--fail-on``."""
    return sum(result.count(level) for level in FAILING_LEVELS[fail_on(result)])


def passed(result: CheckResult) -> bool:
    """True when nothing is at or above ``--fail-on`` (the exit code is then 0)."""
    return blocking(result) == 0


def verdict(result: CheckResult) -> str:
    """The verdict in Chinese, following ``--fail-on`` as the exit code does."""
    threshold = fail_on(result)
    if threshold == "never":
        return f"不阻断（--fail-on never）：强制性问题 {result.count('error')} 条"
    if threshold == "warning":
        return "未通过：存在强制性或核实性问题" if not passed(result) else "通过强制性和核实性审核"
    return "未通过：存在强制性问题" if not passed(result) else "通过强制性审核"
