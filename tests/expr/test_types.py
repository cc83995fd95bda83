"""Static typing of expressions: date constants, text→date casts, load-time type errors."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

import source_check as sc
from source_check.expr.functions import FUNCTIONS
from source_check.expr.types import FUNCTION_TYPES

HEAD = "pack: t\nkey: [k]\nfields: {k: {type: str}, a: {type: int}, s: {type: str}, d: {type: date}}\nrules:\n"
DATA = pl.DataFrame({"k": ["x", "y", "z"], "a": [1, 2, 3], "s": ["2024-01-02", "abc", "2024/06/30"],
                     "d": [dt.date(2024, 1, 2), dt.date(2024, 5, 1), dt.date(2023, 12, 31)]})


def _counts(check: str) -> tuple[int, int, int]:
    pack = sc.load_pack_text(HEAD + f"  - id: R1\n    check: \"{check}\"\n")
    result = sc.check(DATA, pack)
    return result.rules.filter(pl.col("rule_id") == "R1").select("passes", "fails", "na").row(0)


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        ("d > '2024-01-01'", (2, 1, 0)),
        ("'2024-01-01' < d", (2, 1, 0)),
        ("d >= DATE '2024-01-02'", (2, 1, 0)),
        ("d > CAST('2024-01-01' AS DATE)", (2, 1, 0)),
        ("d between '2024-01-01' and '2024-12-31'", (2, 1, 0)),
        ("d in ('2024-01-02', '2024-05-01')", (2, 1, 0)),
        ("d = '2024年1月2日'", (1, 2, 0)),
        # text → date: a text that is no date is null, so the rule is not applicable there
        ("cast(s as date) = d", (1, 1, 1)),
        ("cast(s as date) is not null", (2, 1, 0)),
    ],
)
def test_date_constants_and_text_to_date(check, expected):
    assert _counts(check) == expected


TYPE_ERRORS = [
    # (check, column of the offending token, fragment)
    ("s", 12, "必须是条件"),
    ("a + 1", 12, "必须是条件"),
    ("length(s)", 12, "必须是条件"),
    ("s / 2 > 1", 12, "除法运算需要数值"),
    ("floor(s) > 0", 18, "函数 floor 需要数值"),
    ("round(s) > 0", 18, "函数 round 需要数值"),
    ("power(s, 2) > 1", 18, "函数 power 需要数值"),
    ("a > 1 and s", 22, "AND 两边需要逻辑值"),
    ("d > '2024-13-01'", 16, "不是有效日期"),
    ("d > s", 16, "CAST(s AS DATE)"),
    ("a = 'x'", 16, "类型不一致"),
]


@pytest.mark.parametrize(("check", "column", "fragment"), TYPE_ERRORS)
def test_type_errors_are_load_errors_with_position(check, column, fragment):
    with pytest.raises(sc.PackError) as info:
        sc.load_pack_text(HEAD + f"  - id: R1\n    check: {check}\n", "p.yaml")
    issue = info.value.issues[0]
    assert fragment in str(issue), str(issue)
    assert issue.rule_id == "R1"
    assert (issue.position.line, issue.position.column) == (6, column), str(issue)


def test_when_must_be_a_condition():
    with pytest.raises(sc.PackError, match="when: 必须是条件"):
        sc.load_pack_text(HEAD + "  - {id: R1, when: a, check: a > 0}\n")


def test_every_function_has_a_type_signature():
    assert set(FUNCTIONS) == set(FUNCTION_TYPES)


def test_spark_sql_writes_date_constants_as_iso_dates():
    from source_check.expr.parse import Scope, parse_expression
    from source_check.expr.spark import to_spark_sql

    scope = Scope(fields={"s": "str", "d": "date"})

    def sql(text: str) -> str:
        return to_spark_sql(parse_expression(text, scope), scope)

    assert sql("d > '2024/01/02'") == "d > CAST('2024-01-02' AS DATE)"
    assert sql("d = DATE '2024年1月2日'") == "d = CAST('2024-01-02' AS DATE)"
    assert sql("d between '2024-01-01' and '20241231'") == (
        "d BETWEEN CAST('2024-01-01' AS DATE) AND CAST('2024-12-31' AS DATE)")
    assert sql("s = '2024/01/02'") == "s = '2024/01/02'"
