"""Parity: every registered function renders to Spark SQL, and whole packs do."""

from __future__ import annotations

import sqlglot

from source_check import load_pack
from source_check.engine.spark_sql import pack_status_sql
from source_check.expr.functions import FUNCTIONS
from source_check.expr.parse import Scope, parse_expression
from source_check.expr.spark import SPARK_TEMPLATES, to_spark_sql

SCOPE = Scope(fields={"a": "int", "b": "float", "s": "str", "period": "str"}, params={"k": 2},
              codelists=frozenset({"towns"}), allow_prev=True)
EXAMPLES = {
    "abs": "abs(a) > 0", "round": "round(b, 1) > 0", "floor": "floor(b) > 0", "ceil": "ceil(b) > 0",
    "sqrt": "sqrt(b) > 0", "ln": "ln(b) > 0", "log": "log10(b) > 0", "power": "power(b, 2) > 0",
    "greatest": "greatest(a, b) > 0", "least": "least(a, b) > 0", "coalesce": "coalesce(a, 0) > 0",
    "nullif": "nullif(a, 0) > 0", "length": "length(s) = 18", "substr": "substr(s, 1, 2) = '91'",
    "left": "left(s, 2) = '91'", "right": "right(s, 1) = 'X'", "upper": "upper(s) = s", "lower": "lower(s) = s",
    "trim": "trim(s) = s", "concat": "concat(s, 'x') = s", "regexp_like": "regexp_like(s, '^9')",
    "starts_with": "starts_with(s, '9')", "prev": "prev(a) > 0", "uscc_valid": "uscc_valid(s)",
    "orgcode_valid": "orgcode_valid(s)", "in_codelist": "in_codelist(s, 'towns')",
    "format_valid": "format_valid(s, 'phone')", "is_unique": "is_unique(s)", "months": "months(period) = 12",
    "period_year": "period_year(period) = 2024", "period_end": "period_end(period) IS NOT NULL",
}


def test_every_registered_function_has_a_spark_rendering():
    special = {"prev", "in_codelist", "uscc_valid", "orgcode_valid", "format_valid"}
    assert set(EXAMPLES) == set(FUNCTIONS)
    for name, spec in FUNCTIONS.items():
        assert spec.spark is not None or name in special or name in SPARK_TEMPLATES, name
        out = to_spark_sql(parse_expression(EXAMPLES[name], SCOPE), SCOPE, {"towns": ["310107005"]})
        assert sqlglot.parse_one(out, read="spark") is not None, (name, out)
        assert "prev(" not in out.lower() and "uscc_valid" not in out.lower(), out


def test_division_is_null_safe_and_params_are_inlined():
    assert to_spark_sql(parse_expression("a / b <= k", SCOPE), SCOPE) == "TRY_DIVIDE(a, b) <= 2"


def test_a_whole_pack_renders():
    pack = load_pack("labor-102")
    sql = pack_status_sql(pack)
    assert set(sql) == {r.id for r in pack.all_rules}
    for rule_id, text in sql.items():
        assert sqlglot.parse_one(text, read="spark") is not None, rule_id
    assert "__prev__wages" in sql["H102-01"]
