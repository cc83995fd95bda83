"""The allow-list: what a rule expression may and may not contain."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import polars as pl
import pytest

from source_check import PackError, load_pack_text
from source_check.expr.functions import FUNCTIONS
from source_check.expr.parse import ExpressionError, Scope, parse_expression

SCOPE = Scope(
    fields={"a": "int", "b": "float", "s": "str", "d": "date", "period": "str"},
    params={"k": 2, "name": "x"},
    codelists=frozenset({"towns"}),
)
HISTORY = Scope(fields=SCOPE.fields, params=SCOPE.params, codelists=SCOPE.codelists, allow_prev=True)

ACCEPTED = [
    "a <= b",
    "a + b * 2 - 1 > k",
    "a / b >= 0.5 AND NOT (a = 0 OR b <> 1)",
    "a BETWEEN 1 AND 10",
    "s IN ('1', '2')",
    "a IS NULL OR s IS NOT NULL",
    "CASE WHEN a > 1 THEN 1 WHEN a > 0 THEN 2 ELSE 3 END = 1",
    "CAST(s AS INT) > 0",
    "abs(a - b) <= 1",
    "round(b, 2) = floor(b) OR ceil(b) > 0",
    "coalesce(a, 0) + coalesce(b, 0) >= 0",
    "nullif(a, 0) > 0",
    "greatest(a, b) >= least(a, b)",
    "length(s) = 18 AND substr(s, 1, 2) = '91' AND upper(s) = s AND lower(s) <> s",
    "trim(s) = s",
    "regexp_like(s, '^1[3-9][0-9]{9}$')",
    "starts_with(s, '91')",
    "uscc_valid(s)",
    "in_codelist(substr(s, 1, 9), 'towns')",
    "months(period) = 12",
    "period_end(period) >= d",
    "log10(b) > 2 AND ln(b) > 0 AND sqrt(b) > 0 AND power(b, 2) > 0",
    "s || 'x' = 'ax'",
    "a % 2 = 0",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted(text):
    parsed = parse_expression(text, SCOPE)
    assert parsed.ast is not None


REJECTED = [
    ("a in (select 1)", "子查询"),
    ("(select max(a) from t) > 1", "不允许"),
    ("read_csv('/etc/passwd') is null", "read_csv"),
    ("a > 1; drop table x", "多条语句"),
    ("drop table x", "不允许"),
    ("exists(select 1)", "不允许"),
    ("t.a > 1", "带表名"),
    ("system('ls') = 0", "未知或不允许的函数 'system'"),
    ("pg_read_file('x') = ''", "不允许的函数"),
    ("sleep(10) = 0", "不允许的函数"),
    ("perod > 1", "是否想写 'period'"),
    ("prev(a) > 1", "history"),
    ("in_codelist(s, 'nope')", "未定义的代码表"),
    ("in_codelist(s, s)", "代码表名称"),
    ("regexp_like(s, s)", "常量"),
    ("abs(a, b) > 1", "语法错误"),
    ("uscc_valid(s, s)", "需要 1 个参数"),
    ("a >", "语法错误"),
    ("'unclosed", "分词"),
    ("", "为空"),
    ("a > ?", "不允许"),
    ("cast(a as blob) > 1", "不支持转换"),
    ("a" + " + a" * 3000, "过长"),
]


@pytest.mark.parametrize(("text", "fragment"), REJECTED)
def test_rejected(text, fragment):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, SCOPE)
    assert fragment in info.value.message + (info.value.hint or "")


def test_prev_is_allowed_in_history_scope():
    parsed = parse_expression("abs(a / prev(a) - 1) <= 0.5 AND coalesce(prev(b), 0) >= 0", HISTORY)
    assert parsed.prev_fields == {"a"}
    assert parsed.prev_null_aware == {"b"}


def test_null_aware_fields_are_tracked():
    parsed = parse_expression("coalesce(a, 0) >= 0 AND s IS NULL OR b > 1", SCOPE)
    assert parsed.columns == {"b"}
    assert parsed.null_aware == {"a", "s"}


def test_error_offset_points_at_the_misspelt_field():
    with pytest.raises(ExpressionError) as info:
        parse_expression("a <= bb + 1", SCOPE)
    assert info.value.offset == 5


def test_every_registered_function_compiles_in_polars():
    # Parity: every function of the registry has a polars builder, and every one that
    # the Spark engine renders itself is marked.
    for name, spec in FUNCTIONS.items():
        assert callable(spec.polars), name
        assert spec.min_args <= spec.max_args, name


@pytest.mark.parametrize(
    "expression",
    [
        "a in (select * from read_csv('{path}'))",
        "(select count(*) from read_csv('{path}')) > 0",
        "a > (select 1 from '{path}')",
        "read_csv('{path}') is not null",
        "a > 0; select * from read_csv('{path}')",
    ],
)
def test_forbidden_constructs_never_touch_the_file(tmp_path: Path, expression: str):
    """A FIFO blocks whoever opens it for reading: if anything opened it, load would hang."""
    sentinel = tmp_path / "sentinel.csv"
    os.mkfifo(sentinel)
    text = (
        "pack: sec\nfields: {a: {type: int}}\nrules:\n"
        f"  - id: R1\n    check: \"{expression.format(path=sentinel)}\"\n"
    )
    outcome: dict[str, object] = {}

    def attempt() -> None:
        try:
            load_pack_text(text, "sec.yaml", tmp_path)
        except PackError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the reader so the test process can exit
        fd = os.open(sentinel, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("the sentinel file was opened")
    assert isinstance(outcome.get("error"), PackError)
    assert "sec.yaml:5" in str(outcome["error"])
    assert "[R1]" in str(outcome["error"])


def test_polars_sql_layer_is_never_used(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("polars SQL must not be used")

    monkeypatch.setattr(pl, "sql_expr", boom)
    monkeypatch.setattr(pl, "SQLContext", boom)
    pack = load_pack_text("pack: t\nfields: {a: {type: int}}\nrules: [{id: R, check: a > 1}]\n")
    from source_check import check

    assert check(pl.DataFrame({"a": [0, 2]}), pack).rules.filter(pl.col("rule_id") == "R")["fails"][0] == 1
