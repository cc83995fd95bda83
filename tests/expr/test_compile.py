"""Table-driven: each expression feature compiled to polars gives the SQL answer."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from source_check.expr.parse import Scope, parse_expression
from source_check.expr.polars_compile import PolarsCompiler

FRAME = pl.DataFrame(
    {
        "a": [1, 5, None, 0],
        "b": [2.0, 2.5, 1.0, 0.0],
        "s": ["91310107", "abc", None, " x "],
        "period": ["202406", "2024", "202412", None],
        "d": [dt.date(2024, 6, 30), dt.date(2025, 1, 1), None, dt.date(2020, 1, 1)],
    }
)
SCOPE = Scope(
    fields={"a": "int", "b": "float", "s": "str", "period": "str", "d": "date"},
    params={"k": 2, "label": "abc"},
    codelists=frozenset({"towns"}),
)


def evaluate(text: str) -> list[object]:
    compiler = PolarsCompiler(SCOPE, codelists={"towns": ["91310107", "310107005"]})
    expr = compiler.compile(parse_expression(text, SCOPE).ast)
    return FRAME.select(expr.alias("v")).to_series().to_list()


CASES = [
    ("a <= b", [True, False, None, True]),
    ("a * k", [2, 10, None, 0]),
    ("a / b", [0.5, 2.0, None, None]),  # x / 0 is null, not inf
    ("a % 2 = 1", [True, True, None, False]),
    ("a > 0 AND b > 2", [False, True, False, False]),  # NULL AND FALSE = FALSE
    ("a > 0 AND b > 0.5", [True, True, None, False]),
    ("a > 0 OR b > 0.5", [True, True, True, False]),  # three-valued: NULL OR TRUE = TRUE
    ("NOT a > 1", [True, False, None, True]),
    ("a BETWEEN 1 AND 4", [True, False, None, False]),
    ("a IN (1, 0)", [True, False, None, True]),
    ("s IN ('abc', 'x')", [False, True, None, False]),
    ("a IS NULL", [False, False, True, False]),
    ("s IS NOT NULL", [True, True, False, True]),
    ("CASE WHEN a > 3 THEN 'big' WHEN a > 0 THEN 'small' ELSE 'none' END", ["small", "big", "none", "none"]),
    ("CASE a WHEN 1 THEN 10 WHEN 5 THEN 50 END", [10, 50, None, None]),
    ("CAST(b AS INT)", [2, 2, 1, 0]),
    ("CAST(s AS INT)", [91310107, None, None, None]),
    ("abs(a - 3)", [2, 2, None, 3]),
    ("round(b / 3, 2)", [0.67, 0.83, 0.33, 0.0]),
    ("floor(b)", [2.0, 2.0, 1.0, 0.0]),
    ("ceil(b)", [2.0, 3.0, 1.0, 0.0]),
    ("coalesce(a, 0)", [1, 5, 0, 0]),
    ("nullif(a, 0)", [1, 5, None, None]),
    ("greatest(a, b)", [2.0, 5.0, 1.0, 0.0]),
    ("least(a, b)", [1.0, 2.5, 1.0, 0.0]),
    ("length(s)", [8, 3, None, 3]),
    ("substr(s, 2, 3)", ["131", "bc", None, "x "]),
    ("upper(s)", ["91310107", "ABC", None, " X "]),
    ("trim(s)", ["91310107", "abc", None, "x"]),
    ("regexp_like(s, '^[0-9]+$')", [True, False, None, False]),
    ("starts_with(s, '913')", [True, False, None, False]),
    ("in_codelist(s, 'towns')", [True, False, None, False]),
    ("s = label", [False, True, None, False]),
    ("months(period)", [6, 12, 12, None]),
    ("period_year(period)", [2024, 2024, 2024, None]),
    ("period_end(period)", [dt.date(2024, 6, 30), dt.date(2024, 12, 31), dt.date(2024, 12, 31), None]),
    ("d <= period_end(period)", [True, False, None, None]),
    ("log10(b * 40) > 1.9", [True, True, False, None]),
    ("sqrt(b) > 1.5", [False, True, False, False]),
    ("power(a, 2)", [1.0, 25.0, None, 0.0]),
    ("s || '!'", ["91310107!", "abc!", None, " x !"]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_expression_semantics(text, expected):
    got = evaluate(text)
    assert got == pytest.approx(expected) if any(isinstance(x, float) for x in expected) else got == expected


def test_uscc_valid_function():
    compiler = PolarsCompiler(Scope(fields={"c": "str"}))
    expr = compiler.compile(parse_expression("uscc_valid(c)", Scope(fields={"c": "str"})).ast)
    frame = pl.DataFrame({"c": ["91310107MA1G00000Q", "91310107MA1G00000X", "9131010", None]})
    assert frame.select(expr).to_series().to_list() == [True, False, False, None]
