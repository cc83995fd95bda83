"""Hypothesis strategies for a pack, for testing packs and the pipelines built on them.

Requires ``hypothesis`` (a test dependency, not a runtime one).

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
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from .formats import USCC_ALPHABET, uscc_check_char
from .pack.model import Pack
from .pack.schema import FieldSpec

__all__ = ["field_rows", "field_values", "uscc_codes"]

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
