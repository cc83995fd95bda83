"""Compile a checked expression AST (:mod:`source_check.expr.parse`) to a polars Expr.

The compiler walks the sqlglot tree itself; it never hands text to polars' SQL layer.
SQL semantics kept: three-valued logic (polars' Kleene AND/OR), ``x / 0`` and
``x % 0`` are null (so the rule is not applicable rather than failed), ``CAST`` is a
lenient cast (a value that does not convert becomes null).

Examples
--------
>>> import polars as pl
>>> from source_check.expr.parse import Scope, parse_expression
>>> scope = Scope(fields={"a": "int", "b": "int"}, params={"k": 2})
>>> e = PolarsCompiler(scope).compile(parse_expression("a * k <= b", scope).ast)
>>> pl.DataFrame({"a": [1, 3], "b": [2, 2]}).select(e).to_series().to_list()
[True, False]
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping

import polars as pl
from sqlglot import exp

from .functions import FUNCTIONS, function_name
from .parse import CAST_TYPES, Scope
from .types import DATE_FORMATS, infer, parse_date_literal, unwrap

__all__ = ["POLARS_TYPES", "PolarsCompiler", "date_from_text", "prev_name"]

POLARS_TYPES: dict[str, type[pl.DataType] | pl.DataType] = {
    "str": pl.String,
    "int": pl.Int64,
    "float": pl.Float64,
    "date": pl.Date,
}


def prev_name(field_id: str) -> str:
    """Column that holds a field's previous-period value after the history join."""
    return f"__prev__{field_id}"


def date_from_text(text: pl.Expr) -> pl.Expr:
    """Text read as a date in any of :data:`~source_check.expr.types.DATE_FORMATS`; null if none fits.

    >>> pl.select(date_from_text(pl.lit("2024年1月2日"))).item()
    datetime.date(2024, 1, 2)
    """
    return pl.coalesce([text.str.strptime(pl.Date, fmt, strict=False) for fmt in DATE_FORMATS])


def _date_constant(node: exp.Expression) -> pl.Expr | None:
    """A text constant read as a date (``'2024-01-02'``), or None if ``node`` is not one."""
    inner = unwrap(node)
    if isinstance(inner, exp.Literal) and inner.is_string:
        return pl.lit(parse_date_literal(str(inner.this)), dtype=pl.Date)
    return None


def _literal(node: exp.Literal) -> pl.Expr:
    text = str(node.this)
    if node.is_string:
        return pl.lit(text, dtype=pl.String)
    try:
        return pl.lit(int(text), dtype=pl.Int64)
    except ValueError:
        return pl.lit(float(text), dtype=pl.Float64)


def _param(value: int | float | str) -> pl.Expr:
    if isinstance(value, bool):
        return pl.lit(value)
    if isinstance(value, int):
        return pl.lit(value, dtype=pl.Int64)
    if isinstance(value, float):
        return pl.lit(value, dtype=pl.Float64)
    return pl.lit(value, dtype=pl.String)


_BINARY: dict[type[exp.Expression], Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    exp.Add: lambda a, b: a + b,
    exp.Sub: lambda a, b: a - b,
    exp.Mul: lambda a, b: a * b,
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
    exp.And: lambda a, b: a & b,
    exp.Or: lambda a, b: a | b,
    exp.Div: lambda a, b: pl.when(b != 0).then(a.cast(pl.Float64) / b),
    exp.Mod: lambda a, b: pl.when(b != 0).then(a % b),
    exp.DPipe: lambda a, b: pl.concat_str([a.cast(pl.String), b.cast(pl.String)]),
}


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


class PolarsCompiler:
    """Turns checked ASTs into polars expressions over a frame of typed fields.

    ``codelists`` maps a code-list name to its codes; ``column`` maps a field id to the
    frame column that holds it (identity by default); ``hoisted`` maps the SQL text of a
    call (``months(period)``) to a column that already holds its value, computed once
    for all the rules that make the call.
    """

    def __init__(
        self,
        scope: Scope,
        codelists: Mapping[str, list[str]] | None = None,
        column: Callable[[str], str] | None = None,
        hoisted: Mapping[str, str] | None = None,
    ) -> None:
        self.scope = scope
        self.codelists = dict(codelists or {})
        self._column = column or (lambda name: name)
        self.hoisted = dict(hoisted or {})
        #: SQL text of an ``is_unique`` argument → the values it takes more than once
        self.repeated: dict[str, pl.Series] = {}

    # The Compiler protocol used by function builders.
    def prev_column(self, field_id: str) -> pl.Expr:
        return pl.col(prev_name(field_id))

    def codelist_values(self, name: str) -> list[str]:
        return self.codelists.get(name, [])

    def repeated_values(self, node: exp.Expression) -> pl.Series | None:
        return self.repeated.get(node.sql())

    def compile(self, node: exp.Expression) -> pl.Expr:
        """Compile one (already allow-listed) node."""
        fname = function_name(node)
        if fname is not None:
            spec = FUNCTIONS[fname]
            if spec.shared and self.hoisted:
                column = self.hoisted.get(node.sql())
                if column is not None:
                    return pl.col(column)
            return spec.polars(self, spec.arguments(node))
        if isinstance(node, exp.Column):
            name = node.name
            if name in self.scope.fields:
                return pl.col(self._column(name))
            return _param(self.scope.params[name])
        if isinstance(node, exp.Literal):
            return _literal(node)
        if isinstance(node, exp.Boolean):
            return pl.lit(bool(node.this))
        if isinstance(node, exp.Null):
            return pl.lit(None)
        if isinstance(node, exp.Paren):
            return self.compile(node.this)
        if isinstance(node, exp.Neg):
            return -self.compile(node.this)
        if isinstance(node, exp.Not):
            inner = node.this
            if isinstance(inner, exp.Is):
                return self.compile(inner.this).is_not_null()
            return ~self.compile(inner)
        if isinstance(node, exp.Is):
            return self.compile(node.this).is_null()
        op = _BINARY.get(type(node))
        if op is not None:
            if isinstance(node, _COMPARISONS):
                return op(*self._operands(node.this, node.expression))
            return op(self.compile(node.this), self.compile(node.expression))
        if isinstance(node, exp.Between):
            x, low = self._operands(node.this, node.args["low"])
            _, high = self._operands(node.this, node.args["high"])
            return (x >= low) & (x <= high)
        if isinstance(node, exp.In):
            return self._in(node)
        if isinstance(node, exp.Case):
            return self._case(node)
        if isinstance(node, exp.If):
            cond = self.compile(node.this)
            then = self.compile(node.args["true"])
            other = node.args.get("false")
            return pl.when(cond).then(then).otherwise(
                self.compile(other) if other is not None else pl.lit(None)
            )
        if isinstance(node, (exp.Cast, exp.TryCast)):
            return self._cast(node)
        raise TypeError(f"node {type(node).__name__} passed the allow-list but cannot compile")

    def type_of(self, node: exp.Expression) -> str:
        """The node's inferred type (:mod:`source_check.expr.types`)."""
        known = (node.meta or {}).get("sc_type") if hasattr(node, "meta") else None
        if known is None:
            known = infer(node, self.scope.fields, self.scope.params)
        return str(known)

    def _operands(self, a: exp.Expression, b: exp.Expression) -> tuple[pl.Expr, pl.Expr]:
        """Both sides of a comparison; a text constant compared with a date is read as a date."""
        ta, tb = self.type_of(a), self.type_of(b)
        left = (_date_constant(a) if tb == "date" and ta == "str" else None)
        right = (_date_constant(b) if ta == "date" and tb == "str" else None)
        return (left if left is not None else self.compile(a),
                right if right is not None else self.compile(b))

    def _cast(self, node: exp.Cast | exp.TryCast) -> pl.Expr:
        target = CAST_TYPES[node.to.this.name]
        if target == "date":
            constant = _date_constant(node.this)
            if constant is not None:
                return constant
            source = self.type_of(node.this)
            x = self.compile(node.this)
            if source == "date":
                return x
            if source == "null":
                return pl.lit(None, dtype=pl.Date)
            return date_from_text(x.cast(pl.String).str.strip_chars())
        return self.compile(node.this).cast(POLARS_TYPES[target], strict=False)

    def _in(self, node: exp.In) -> pl.Expr:
        x = self.compile(node.this)
        items = node.expressions
        if self.type_of(node.this) == "date":
            result: pl.Expr | None = None
            for item in items:
                eq = operator.eq(*self._operands(node.this, item))
                result = eq if result is None else (result | eq)
            return result if result is not None else pl.lit(False)
        if all(isinstance(i, exp.Literal) for i in items):
            values = [i.this if i.is_string else float(i.this) for i in items]
            if all(isinstance(v, str) for v in values):
                return x.cast(pl.String).is_in([str(v) for v in values])
            if all(isinstance(v, float) for v in values):
                return x.cast(pl.Float64, strict=False).is_in([float(v) for v in values])
        result = None
        for item in items:
            eq = x == self.compile(item)
            result = eq if result is None else (result | eq)
        return result if result is not None else pl.lit(False)

    def _case(self, node: exp.Case) -> pl.Expr:
        subject = node.this
        default = node.args.get("default")
        result: pl.Expr = self.compile(default) if default is not None else pl.lit(None)
        # Build inside out so the first matching branch wins, as in SQL.
        for branch in reversed(node.args.get("ifs") or []):
            cond = self.compile(branch.this)
            if subject is not None:
                cond = self.compile(subject) == cond
            result = pl.when(cond).then(self.compile(branch.args["true"])).otherwise(result)
        return result
