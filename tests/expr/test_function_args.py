"""Function arguments are used or refused, never silently dropped."""

from __future__ import annotations

import polars as pl
import pytest

from source_check.expr.parse import ExpressionError, Scope, parse_expression
from source_check.expr.polars_compile import PolarsCompiler
from source_check.expr.spark import to_spark_sql

SCOPE = Scope(fields={"s": "str", "a": "int"})
FRAME = pl.DataFrame({"s": ["xabcx", "ABC", None], "a": [1234, 1250, None]})


def _eval(text: str) -> list[object]:
    parsed = parse_expression(text, SCOPE)
    return FRAME.select(PolarsCompiler(SCOPE).compile(parsed.ast)).to_series().to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("trim(s, 'x')", ["abc", "ABC", None]),
        ("TRIM(BOTH 'x' FROM s)", ["abc", "ABC", None]),
        ("trim(s)", ["xabcx", "ABC", None]),
        ("regexp_like(s, 'abc', 'i')", [True, True, None]),
        ("regexp_like(s, 'abc')", [True, False, None]),
        ("regexp_like(s, 'abc', 'c')", [True, False, None]),
        ("regexp_like(s, 'abc', 'ic')", [True, False, None]),  # the last of i/c wins
        ("regexp_like(s, 'abc', 'ci')", [True, True, None]),
        ("regexp_like(s, '^\\p{Lu}+$')", [False, True, None]),  # the engine's regex dialect, not Python's
        ("round(a, -2)", [1200.0, 1300.0, None]),
        ("substr(s, -2)", ["cx", "BC", None]),
    ],
)
def test_arguments_are_used(text, expected):
    assert _eval(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment", "hint"),
    [
        ("format_valid(s, 'ussc')", "未知的格式名称 'ussc'", "是否想写 'uscc'"),
        ("format_valid(s, 'nope')", "未知的格式名称 'nope'", "可用"),
        ("regexp_like(s, 'a', 'z')", "匹配选项 'z' 无效", "不区分大小写"),
        ("regexp_like(s, '(')", "正则表达式无效", None),
        ("TRIM(LEADING 'x' FROM s) = 'a'", "只支持去掉两端", None),
        ("left(s, -1) = 'a'", "不能为负数", None),
    ],
)
def test_arguments_that_cannot_be_honoured_are_load_errors(text, fragment, hint):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, SCOPE)
    assert fragment in info.value.message
    if hint:
        assert hint in (info.value.hint or "")


def test_spark_keeps_regex_flags_and_trim_characters():
    def sql(text: str) -> str:
        return to_spark_sql(parse_expression(text, SCOPE), SCOPE)

    assert sql("regexp_like(s, 'ab', 'i')") == "s RLIKE '(?i)ab'"
    assert sql("trim(s, 'x') = 'a'") == "TRIM('x' FROM s) = 'a'"
