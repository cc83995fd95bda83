"""Hypothesis strategies for a pack, for testing packs and the pipelines built on them.

Requires ``hypothesis`` (a test dependency, not a runtime one).

- :func:`field_rows`: records whose every field satisfies its own constraints.
- :func:`valid_submissions`: realistic units from the synthetic population
  (:mod:`source_check.synth`) that pass the pack, with their previous period.
- :func:`rule_violations`: a record that breaks exactly one rule of the pack.
- :func:`uscc_codes`: valid 统一社会信用代码.

Generating a submission runs the generator and the pack, so give such tests
``@settings(deadline=None)``.

Examples
--------
>>> from hypothesis import given, settings
>>> from source_check import load_pack, check
>>> import polars as pl
>>> pack = load_pack("labor-102")
>>> @settings(max_examples=5, deadline=None)
... @given(field_rows(pack, min_size=1, max_size=3))
... def test(rows):
...     result = check(pl.DataFrame(rows), pack)
...     assert result.rules.filter(pl.col("kind") == "field")["fails"].sum() == 0
>>> test()

A pipeline that must keep clean units clean and flag single-rule violations (the
pack's detectors judge a population, so compare rule findings only):

>>> rules = {r.id for r in pack.all_rules}
>>> @settings(max_examples=3, deadline=None)
... @given(valid_submissions(pack, max_units=5), rule_violations(pack))
... def test_pipeline(sub, bad):
...     assert check(sub.data, pack, previous=sub.previous).ok
...     failed = set(check(bad.data, pack, previous=bad.previous).findings["rule_id"]) & rules
...     assert failed == {bad.rule_id}
>>> test_pipeline()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from hypothesis import assume
from hypothesis import strategies as st

from .api import check
from .formats import USCC_ALPHABET, uscc_check_char
from .pack.model import Pack
from .pack.schema import FieldSpec
from .synth.violations import Frames, Violation, violation_pool

__all__ = [
    "Submission",
    "Violation",
    "field_rows",
    "field_values",
    "rule_violations",
    "uscc_codes",
    "valid_submissions",
]

_PATTERNS = {
    "phone": r"\A1[3-9][0-9]{9}\Z",
    "mobile": r"\A1[3-9][0-9]{9}\Z",
    "division12": r"\A[0-9]{12}\Z",
    "industry4": r"\A[0-9]{4}\Z",
    "period": r"\A20[0-9]{2}(0[1-9]|1[0-2])\Z",
}


@st.composite
def uscc_codes(draw: st.DrawFn) -> str:
    """Valid 统一社会信用代码: 17 random characters of the alphabet plus the check character."""
    body = draw(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
    return body + uscc_check_char(body)


def field_values(pack: Pack, field_id: str) -> st.SearchStrategy[Any]:
    """Values that satisfy one field's own constraints (type, range, format, code list)."""
    spec: FieldSpec = pack.fields[field_id]
    strategy: st.SearchStrategy[Any]
    if spec.codelist is not None and spec.codelist in pack.codelists:
        strategy = st.sampled_from(pack.codelists[spec.codelist].codes)
    elif spec.format == "uscc":
        strategy = uscc_codes()
    elif spec.format in _PATTERNS:
        strategy = st.from_regex(_PATTERNS[spec.format])
    elif spec.pattern is not None:
        strategy = st.from_regex(f"\\A(?:{spec.pattern})\\Z")
    elif spec.type == "int":
        lo = int(spec.min) if spec.min is not None else -(10**9)
        hi = int(spec.max) if spec.max is not None else 10**9
        strategy = st.integers(lo, hi)
    elif spec.type == "float":
        lo_f = spec.min if spec.min is not None else -1e9
        hi_f = spec.max if spec.max is not None else 1e9
        strategy = st.floats(lo_f, hi_f, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 3))
    elif spec.type == "date":
        strategy = st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))
    else:
        strategy = st.text(alphabet="甲乙丙丁ABC123", min_size=1, max_size=8)
    if not spec.required:
        strategy = st.one_of(st.none(), strategy)
    return strategy


def field_rows(pack: Pack, min_size: int = 1, max_size: int = 20) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Lists of records whose every field satisfies its own constraints (unique fields distinct)."""
    row = st.fixed_dictionaries({f: field_values(pack, f) for f in pack.fields})
    unique = [f for f, spec in pack.fields.items() if spec.unique]
    if unique:

        def distinct(f: str) -> Any:
            return lambda r: r[f] if r[f] is not None else id(r)

        return st.lists(row, min_size=min_size, max_size=max_size, unique_by=tuple(distinct(f) for f in unique))
    return st.lists(row, min_size=min_size, max_size=max_size)


@dataclass(frozen=True)
class Submission:
    """Data for :func:`source_check.check`: ``data`` and ``previous`` (a frame, or one per
    form for a multi-form pack), and the generator seed they came from."""

    data: Frames
    previous: Frames
    seed: int

    @property
    def units(self) -> int:
        frame = self.data if isinstance(self.data, pl.DataFrame) else next(iter(self.data.values()))
        return frame.height


def _restrict(frames: Frames, keys: pl.DataFrame) -> Frames:
    if isinstance(frames, pl.DataFrame):
        return frames.join(keys, on=keys.columns, how="semi", maintain_order="left")
    return {k: v.join(keys, on=keys.columns, how="semi", maintain_order="left") for k, v in frames.items()}


def _base(frames: Frames) -> pl.DataFrame:
    return frames if isinstance(frames, pl.DataFrame) else next(iter(frames.values()))


def valid_submissions(
    pack: Pack, *, min_units: int = 1, max_units: int = 20, strict: bool = True
) -> st.SearchStrategy[Submission]:
    """Realistic submissions for ``pack`` from the synthetic population, with last year's data.

    The generator's clean units satisfy the relations of FORMS.md; with ``strict`` (the
    default) units with an error or warning finding of a *rule* of this pack are also
    dropped, so a pack stricter than FORMS.md still gets passing data. (The pack's
    detectors judge the population and may flag some units of any sample.)
    """
    from .synth import synthesize

    @st.composite
    def build(draw: st.DrawFn) -> Submission:
        seed = draw(st.integers(0, 2**31 - 1))
        n = draw(st.integers(min_units, max_units))
        size = max(n, 8)
        for _ in range(5):
            data, previous = synthesize(size, seed=seed, anomalies="none").frames(pack)
            if _base(data).height >= n:
                break
            size *= 6
        keys = _base(data).select(pack.key).head(n)
        data, previous = _restrict(data, keys), _restrict(previous, keys)
        if strict:
            result = check(data, pack, previous=previous)
            rules = [r.id for r in pack.all_rules]
            bad = result.findings.filter(pl.col("level").is_in(["error", "warning"]) & pl.col("rule_id").is_in(rules))
            if not bad.is_empty():
                keep = keys.join(bad.select(pack.key).unique(), on=pack.key, how="anti")
                data, previous = _restrict(data, keep), _restrict(previous, keep)
        assume(_base(data).height >= min_units)
        return Submission(data, previous, seed)

    return build()


def rule_violations(
    pack: Pack, rules: Sequence[str] | None = None, *, seed: int = 0
) -> st.SearchStrategy[Violation]:
    """Records that break exactly one rule of ``pack`` (``rules``: only these).

    The examples are found once per pack by mutating clean generated units (see
    :func:`source_check.synth.violations.violation_pool`); a rule listed in ``rules``
    that no mutation breaks alone is a ``ValueError``.
    """
    pool = violation_pool(pack, seed=seed)
    wanted = sorted(pool) if rules is None else list(rules)
    missing = [r for r in wanted if r not in pool]
    if missing:
        raise ValueError(f"规则包 {pack.id} 中这些规则无法单独违反（或不存在）：{', '.join(missing)}")
    if not wanted:
        raise ValueError(f"规则包 {pack.id} 没有可单独违反的规则")
    return st.sampled_from(wanted).flatmap(lambda rid: st.sampled_from(pool[rid]))
