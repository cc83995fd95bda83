"""The Spark SQL a pack renders to gives, row by row, the statuses of the polars engine.

No Spark here: the Spark SQL is transpiled to DuckDB by sqlglot (Spark's ``pmod`` given
as a macro) and run over the same prepared table — raw text typed by the engine, the
previous period joined — for every shipped pack on generated data with planted errors.
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
import sqlglot

from source_check import load_pack
from source_check.engine.compile import PackPlan, status_name
from source_check.engine.polars_engine import _prepared, combine_forms
from source_check.engine.spark_sql import pack_status_sql
from source_check.expr.parse import Scope, parse_expression
from source_check.expr.polars_compile import PolarsCompiler
from source_check.expr.spark import to_spark_sql
from source_check.pack.loader import pack_files, shipped_rules_dir
from source_check.synth import synthesize

PACKS = pack_files(shipped_rules_dir())


@pytest.fixture(scope="module")
def synthetic():
    return synthesize(1500, seed=5)


def _as_text(data):
    """Every column as text, as a distributed job reads a CSV drop: the engine types it."""
    text = lambda f: f.lazy().with_columns(pl.all().cast(pl.String))  # noqa: E731
    return {k: text(v) for k, v in data.items()} if isinstance(data, dict) else text(data)


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.stem)
def test_spark_sql_statuses_equal_the_polars_engine(path, synthetic):
    pack = load_pack(path)
    try:
        data, previous = synthetic.frames(pack)
    except ValueError:
        pytest.skip(f"{pack.id}: no generated form carries its fields")
    plan = PackPlan(pack, has_previous=True)
    table = _prepared(pack, plan, combine_forms(pack, _as_text(data)),
                      combine_forms(pack, _as_text(previous), "上期数据")).collect().with_row_index("__i")
    ours = table.with_columns(plan.status_exprs()).select(
        "__i", *[pl.col(status_name(i)).alias(r.id) for i, r in enumerate(plan.active)])
    sql = pack_status_sql(pack)
    con = duckdb.connect()
    con.register("t", table.to_arrow())
    con.execute("CREATE MACRO pmod(a, b) AS ((a % b) + b) % b")  # Spark's positive modulo
    select = ", ".join(f'{sqlglot.transpile(sql[r.id], read="spark", write="duckdb")[0]} AS "{r.id}"'
                       for r in plan.active)
    theirs = pl.from_arrow(con.sql(f"SELECT __i, {select} FROM t ORDER BY __i").to_arrow_table())
    assert isinstance(theirs, pl.DataFrame)
    differ = [r.id for r in plan.active if not ours[r.id].equals(theirs[r.id].cast(pl.Boolean))]
    assert differ == []
    statuses = ours.drop("__i")
    assert statuses.height > 50
    if pack.id in ("labor-102", "finance-103", "unit-101"):  # not applicable and failing are compared too
        assert statuses.null_count().sum_horizontal().item() > 0
        assert sum(int((~statuses[c]).sum()) for c in statuses.columns) > 0


def test_functions_inside_functions_and_divisions_are_rendered():
    scope = Scope(fields={"a": "float", "period": "str"}, params={}, allow_prev=True)
    for text in ("months(prev(period)) = 12", "a / months(period) > 1", "period_year(prev(period)) = 2023"):
        out = to_spark_sql(parse_expression(text, scope), scope).lower()
        assert "prev(" not in out and "months(" not in out and "period_year(" not in out, out


PERIODS = ["202406", "2024", "2024-9", "2024年9月", "2024年1-9月", "2024年12月", "2024-09-30", "2024.3",
           "202413", "2024年13月", "abc", "", None]
#: months / period_year / period_end of each of PERIODS
PERIOD_EXPECTED = [
    (6, 2024, "2024-06-30"), (12, 2024, "2024-12-31"), (9, 2024, "2024-09-30"), (9, 2024, "2024-09-30"),
    (9, 2024, "2024-09-30"), (12, 2024, "2024-12-31"), (9, 2024, "2024-09-30"), (3, 2024, "2024-03-31"),
    (None, 2024, None), (None, 2024, None), (None, None, None), (None, None, None), (None, None, None),
]


def test_period_functions_read_written_periods_alike_in_polars_and_spark():
    scope = Scope(fields={"p": "str"}, params={})
    table = pl.DataFrame({"p": PERIODS}, schema={"p": pl.String})
    con = duckdb.connect()
    con.register("t", table.to_arrow())
    for i, name in enumerate(("months", "period_year", "period_end")):
        parsed = parse_expression(f"{name}(p)", scope)
        ours = table.select(PolarsCompiler(scope).compile(parsed.ast).alias("v"))["v"]
        sql = sqlglot.transpile(to_spark_sql(parsed, scope), read="spark", write="duckdb")[0]
        theirs = pl.from_arrow(con.sql(f"SELECT {sql} AS v FROM t").to_arrow_table())["v"]  # type: ignore[index]
        expected = [row[i] for row in PERIOD_EXPECTED]
        got = [str(v) if v is not None and name == "period_end" else v for v in ours.to_list()]
        assert got == expected, name
        assert [str(v) if v is not None and name == "period_end" else v for v in theirs.to_list()] == expected, name
