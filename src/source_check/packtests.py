"""Run a pack's own ``tests:`` — each example must fail exactly the rules it names.

Examples
--------
>>> from source_check.pack.loader import load_pack_text
>>> pack = load_pack_text('''
... pack: t
... fields: {a: {type: int, min: 0}}
... tests:
...   - {name: 负数, row: {a: -1}, fails: [a.min]}
...   - {name: 正常, row: {a: 1}}
... ''')
>>> [o.passed for o in run_pack_tests(pack)]
[True, True]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from .engine.polars_engine import run_check
from .pack.model import Pack, PackTest

__all__ = ["TestOutcome", "records_frame", "run_pack_tests"]


@dataclass(frozen=True)
class TestOutcome:
    """The outcome of one pack test."""

    name: str
    passed: bool
    expected: tuple[str, ...]
    actual: tuple[str, ...]
    position: str = ""
    #: Rules that were applicable and passed for at least one record of the example.
    passing: tuple[str, ...] = ()

    @property
    def missing(self) -> tuple[str, ...]:
        """Rules expected to fail that did not."""
        return tuple(r for r in self.expected if r not in self.actual)

    @property
    def unexpected(self) -> tuple[str, ...]:
        """Rules that failed without being expected to."""
        return tuple(r for r in self.actual if r not in self.expected)

    def describe(self) -> str:
        """A one-line Chinese description of a failure."""
        if self.passed:
            return f"通过：{self.name}"
        parts = []
        if self.missing:
            parts.append("应失败但未失败：" + ", ".join(self.missing))
        if self.unexpected:
            parts.append("不应失败却失败：" + ", ".join(self.unexpected))
        return f"未通过：{self.name}（{'；'.join(parts)}）"


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def records_frame(pack: Pack, records: list[dict[str, object]]) -> pl.DataFrame:
    """Records written in YAML as a frame of text columns, one per pack field.

    Values are kept as text so that the engine types them as it types a real file.
    """
    columns = {f: [_text(r.get(f)) for r in records] for f in pack.fields}
    return pl.DataFrame(columns, schema={f: pl.String for f in pack.fields})


def _per_form(pack: Pack, frame: pl.DataFrame) -> pl.LazyFrame | dict[str, pl.LazyFrame]:
    """Split a test's records into one frame per form for a multi-form pack."""
    if not pack.forms:
        return frame.lazy()
    return {form: frame.select(*pack.key, *pack.form_fields(form)).lazy() for form in pack.forms}


def run_one(pack: Pack, test: PackTest) -> TestOutcome:
    """Run one pack test."""
    data = _per_form(pack, records_frame(pack, test.rows))
    previous = _per_form(pack, records_frame(pack, test.previous)) if test.previous else None
    result = run_check(pack, data, previous)
    failed = result.rules.filter(pl.col("fails") > 0)["rule_id"].to_list()
    passing = result.rules.filter(pl.col("passes") > 0)["rule_id"].to_list()
    expected = tuple(dict.fromkeys(test.fails))
    actual = tuple(failed)
    return TestOutcome(test.name, set(expected) == set(actual), expected, actual,
                       str(test.position) if test.position else "", tuple(passing))


def run_pack_tests(pack: Pack) -> list[TestOutcome]:
    """Run every example in the pack's ``tests:`` section."""
    return [run_one(pack, t) for t in pack.tests]
