"""Render a pack's checked rule ASTs as Spark SQL, for the distributed engine.

The same allow-listed AST that compiles to polars is rewritten with sqlglot: params
become literals, the project's functions (``prev``, ``in_codelist``, ``uscc_valid``,
``months``…) become plain Spark SQL, division becomes ``try_divide`` (null on a zero
divisor, as in the polars engine), and the tree is printed in the Spark dialect.
:func:`rule_status_sql` wraps a rule in the same not-applicable logic as the polars
engine: ``NULL`` when ``when`` is not true or a strict input is null.

Examples
--------
>>> from source_check.expr.parse import Scope, parse_expression
>>> scope = Scope(fields={"a": "int", "b": "int"}, params={"k": 2})
>>> to_spark_sql(parse_expression("a / b <= k", scope), scope)
'TRY_DIVIDE(a, b) <= 2'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import sqlglot
from sqlglot import exp

from ..formats import FORMATS, USCC_ALPHABET
from .functions import FUNCTIONS, MONTH_WORD, function_name, regex_with_flags
from .parse import ParsedExpr, Scope
from .types import parse_date_literal, unwrap

__all__ = ["SPARK_TEMPLATES", "to_spark_sql"]

_DIGITS = "regexp_replace(CAST({x} AS STRING), '[^0-9]', '')"
_WORDED = "regexp_extract(CAST({x} AS STRING), '" + MONTH_WORD.replace("{", "{{").replace("}", "}}") + "', 1)"
_MONTH_ANY = (f"CASE WHEN {_WORDED} <> '' THEN CAST({_WORDED} AS INT) "
              f"WHEN length({_DIGITS}) >= 6 THEN CAST(substr({_DIGITS}, 5, 2) AS INT) "
              f"WHEN length({_DIGITS}) = 5 THEN CAST(substr({_DIGITS}, 5, 1) AS INT) "
              f"WHEN length({_DIGITS}) = 4 THEN 12 END")
#: months(): as :func:`~source_check.expr.functions._period_parts`, null outside 1–12
_MONTH = f"CASE WHEN ({_MONTH_ANY}) BETWEEN 1 AND 12 THEN ({_MONTH_ANY}) END"
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _uscc_sql(x: str) -> str:
    weights = [pow(3, i, 31) for i in range(17)]
    total = " + ".join(f"(instr('{USCC_ALPHABET}', substr({x}, {i + 1}, 1)) - 1) * {w}" for i, w in enumerate(weights))
    return (
        f"({x} RLIKE '^[0-9A-HJ-NPQRTUWXY]{{18}}$' AND "
        f"substr('{USCC_ALPHABET}', pmod(31 - pmod({total}, 31), 31) + 1, 1) = substr({x}, 18, 1))"
    )


def _orgcode_sql(x: str) -> str:
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    total = " + ".join(f"(instr('{_ORG_ALPHABET}', substr({x}, {9 + i}, 1)) - 1) * {w}" for i, w in enumerate(weights))
    check = f"11 - pmod({total}, 11)"
    expected = f"CASE {check} WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE CAST({check} AS STRING) END"
    return f"(substr({x}, 9, 9) RLIKE '^[0-9A-Z]{{8}}[0-9X]$' AND {expected} = substr({x}, 17, 1))"


#: Spark SQL for the project's own functions, over the rendered first argument ``{x}``.
SPARK_TEMPLATES: dict[str, str] = {
    "months": _MONTH,
    "period_year": f"CAST(substr({_DIGITS}, 1, 4) AS INT)",
    "period_end": (f"CASE WHEN ({_MONTH}) IS NOT NULL AND length({_DIGITS}) >= 4 "
                   f"THEN last_day(make_date(CAST(substr({_DIGITS}, 1, 4) AS INT), {_MONTH}, 1)) END"),
    "is_unique": "CASE WHEN {x} IS NOT NULL THEN COUNT(1) OVER (PARTITION BY {x}) = 1 END",
}


def _literal(value: object) -> exp.Expression:
    if isinstance(value, str):
        return exp.Literal.string(value)
    return exp.Literal.number(value)


def _parse(text: str, read: str = "spark") -> exp.Expression:
    return cast(exp.Expression, sqlglot.parse_one(text, read=read))


def _spark(node: exp.Expression) -> str:
    return node.sql(dialect="spark")


def _iso_date(node: exp.Expression) -> exp.Expression | None:
    """``DATE 'yyyy-mm-dd'`` for a text constant read as a date (``'2024年1月2日'``)."""
    inner = unwrap(node)
    if isinstance(inner, exp.Literal) and inner.is_string:
        day = parse_date_literal(str(inner.this))
        if day is not None:
            return exp.Cast(this=exp.Literal.string(day.isoformat()), to=exp.DataType.build("DATE"))
    return None


def _iso_date_constants(node: exp.Expression) -> None:
    """Date constants in the forms the polars engine reads, written as Spark ``DATE`` literals."""
    def kind(n: exp.Expression | None) -> object:
        return (n.meta or {}).get("sc_type") if n is not None else None

    if isinstance(node, (exp.Cast, exp.TryCast)) and node.to.this == exp.DataType.Type.DATE:
        iso = _iso_date(node.this)
        if iso is not None:
            node.set("this", iso.this)
        return
    if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
        pairs = [("this", node.expression), ("expression", node.this)]
    elif isinstance(node, exp.Between):
        pairs = [("low", node.this), ("high", node.this)]
    elif isinstance(node, exp.In):
        if kind(node.this) == "date":
            node.set("expressions", [_iso_date(i) or i for i in node.expressions])
        return
    else:
        return
    for key, other in pairs:
        if kind(other) == "date":
            iso = _iso_date(node.args[key])
            if iso is not None:
                node.set(key, iso)


def to_spark_sql(parsed: ParsedExpr, scope: Scope, codelists: Mapping[str, list[str]] | None = None) -> str:
    """The Spark SQL text of one checked expression."""
    lists = dict(codelists or {})

    def rewrite(node: exp.Expression) -> exp.Expression:
        _iso_date_constants(node)
        if isinstance(node, exp.Column) and node.name not in scope.fields and node.name in scope.params:
            return _literal(scope.params[node.name])
        if isinstance(node, exp.Div):
            return exp.Anonymous(this="try_divide", expressions=[node.this, node.expression])
        name = function_name(node)
        if name is None or name not in FUNCTIONS:
            return node
        args = FUNCTIONS[name].arguments(node)
        if name == "prev":
            return exp.column(f"__prev__{args[0].name}")
        if name == "in_codelist":
            values = lists.get(str(args[1].name), [])
            return exp.In(this=exp.Cast(this=args[0], to=exp.DataType.build("STRING")),
                          expressions=[exp.Literal.string(v) for v in values] or [exp.Null()])
        if name in ("uscc_valid", "orgcode_valid"):
            x = f"CAST({_spark(args[0])} AS STRING)"
            text = _uscc_sql(x) if name == "uscc_valid" else _orgcode_sql(x)
            return _parse(text, read="spark")
        if name == "format_valid":
            spec = FORMATS.get(str(args[1].name))
            x = f"CAST({_spark(args[0])} AS STRING)"
            if spec is None:
                return exp.Null()
            if spec.name == "uscc":
                return _parse(_uscc_sql(x), read="spark")
            if spec.name == "orgcode":
                return _parse(_orgcode_sql(x), read="spark")
            return _parse(f"{x} RLIKE '{spec.regex}'", read="spark")
        if name == "regexp_like":
            flags = str(args[2].name) if len(args) > 2 else ""
            pattern = exp.Literal.string(regex_with_flags(str(args[1].name), flags))
            return exp.RegexpLike(this=args[0], expression=pattern)
        if name in SPARK_TEMPLATES:
            return _parse(SPARK_TEMPLATES[name].format(x=_spark(args[0])), read="spark")
        return node

    def bottom_up(node: exp.Expression) -> exp.Expression:
        # children first: a function's arguments (``months(prev(period))``, a call under a
        # division) are already Spark SQL when the function itself is rewritten
        for key, value in list(node.args.items()):
            if isinstance(value, exp.Expression):
                node.set(key, bottom_up(value))
            elif isinstance(value, list):
                node.set(key, [bottom_up(v) if isinstance(v, exp.Expression) else v for v in value])
        return rewrite(node)

    return _spark(bottom_up(parsed.ast.copy()))
