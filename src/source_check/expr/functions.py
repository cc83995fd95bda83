"""The registry of functions a rule expression may call.

A plain dict filled by a decorator: each entry says how many arguments the function
takes, which must be constants, whether it handles nulls itself, and how it compiles
to polars and to Spark SQL. The allow-list (:mod:`source_check.expr.parse`) accepts a
function only if it is registered here, and a parity test checks every entry has
every engine.

Examples
--------
>>> FUNCTIONS["abs"].min_args, FUNCTIONS["abs"].max_args
(1, 1)
>>> "read_csv" in FUNCTIONS
False
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import polars as pl
from sqlglot import exp

from ..formats import FORMATS, orgcode_valid_expr, uscc_valid_expr

__all__ = ["FUNCTIONS", "REGEX_FLAGS", "Compiler", "FunctionSpec", "function_name", "regex_with_flags"]


class Compiler(Protocol):
    """What a function builder may ask of the compiler that calls it."""

    def compile(self, node: exp.Expression) -> pl.Expr: ...

    def prev_column(self, field_id: str) -> pl.Expr: ...

    def codelist_values(self, name: str) -> list[str]: ...

    def repeated_values(self, node: exp.Expression) -> pl.Series | None: ...


Builder = Callable[[Compiler, list[exp.Expression]], pl.Expr]


@dataclass(frozen=True)
class FunctionSpec:
    """One allowed function.

    ``spark`` is the Spark SQL rendering: a format string over the rendered arguments
    (``{0}``, ``{1}``…), or ``None`` when the Spark engine rewrites the call itself
    (``prev``, ``in_codelist``, ``uscc_valid``).

    ``shared`` marks a row-wise call costly enough (text scanning) that the engine
    computes it once per row when several rules of a pack make the same call
    (:class:`~source_check.engine.compile.PackPlan` with ``hoist=True``).
    """

    name: str
    min_args: int
    max_args: int
    polars: Builder
    node: type[exp.Expression] | None = None
    null_aware: bool = False
    literal_args: tuple[int, ...] = ()
    spark: str | None = None
    doc: str = ""
    arg_keys: tuple[str, ...] = field(default=())
    shared: bool = False

    def arguments(self, node: exp.Expression) -> list[exp.Expression]:
        """The call's arguments in order, whatever sqlglot class holds them."""
        if isinstance(node, exp.Anonymous):
            return list(node.expressions)
        out: list[exp.Expression] = []
        keys = self.arg_keys or tuple(node.arg_types)
        for key in keys:
            value = node.args.get(key)
            if value is None:
                continue
            if isinstance(value, list):
                out.extend(v for v in value if isinstance(v, exp.Expression))
            elif isinstance(value, exp.Expression):
                out.append(value)
        return out


FUNCTIONS: dict[str, FunctionSpec] = {}
_BY_NODE: dict[type[exp.Expression], str] = {}

#: sqlglot classes that are ``Func`` subclasses but handled as syntax, not calls.
_STRUCTURAL: tuple[type, ...] = (exp.Cast, exp.TryCast, exp.If, exp.Case, exp.Connector)


def function(
    name: str,
    min_args: int,
    max_args: int | None = None,
    *,
    node: type[exp.Expression] | None = None,
    null_aware: bool = False,
    literal_args: tuple[int, ...] = (),
    spark: str | None = None,
    arg_keys: tuple[str, ...] = (),
    shared: bool = False,
) -> Callable[[Builder], Builder]:
    """Register a function builder under ``name`` (decorator)."""

    def register(builder: Builder) -> Builder:
        FUNCTIONS[name] = FunctionSpec(
            name=name,
            min_args=min_args,
            max_args=min_args if max_args is None else max_args,
            polars=builder,
            node=node,
            null_aware=null_aware,
            literal_args=literal_args,
            spark=spark,
            shared=shared,
            doc=(builder.__doc__ or "").strip(),
            arg_keys=arg_keys,
        )
        if node is not None:
            _BY_NODE[node] = name
        return builder

    return register


def function_name(node: exp.Expression) -> str | None:
    """The registry name of a function call node, or ``None`` if it is not a call."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    name = _BY_NODE.get(type(node))
    if name is not None:
        return name
    if isinstance(node, exp.Func) and not isinstance(node, _STRUCTURAL):
        return str(node.sql_name()).lower()
    return None


def _literal_int(node: exp.Expression) -> int:
    if isinstance(node, exp.Neg):
        return -_literal_int(node.this)
    return int(float(node.name))


def _c(c: Compiler, args: list[exp.Expression], i: int) -> pl.Expr:
    return c.compile(args[i])


# --- numbers -------------------------------------------------------------------------


@function("abs", 1, node=exp.Abs, spark="abs({0})")
def _abs(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Absolute value."""
    return _c(c, a, 0).abs()


@function("round", 1, 2, node=exp.Round, literal_args=(1,), spark="round({0}, {1})")
def _round(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Round half away from zero to n decimals (default 0; ``round(x, -2)`` to hundreds)."""
    digits = _literal_int(a[1]) if len(a) > 1 else 0
    x = _c(c, a, 0).cast(pl.Float64)
    if digits < 0:
        scale = float(10 ** -digits)
        return (x / scale).round(0, mode="half_away_from_zero") * scale
    return x.round(digits, mode="half_away_from_zero")


@function("floor", 1, node=exp.Floor, spark="floor({0})")
def _floor(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Largest integer not above x."""
    return _c(c, a, 0).cast(pl.Float64).floor()


@function("ceil", 1, node=exp.Ceil, spark="ceil({0})")
def _ceil(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Smallest integer not below x."""
    return _c(c, a, 0).cast(pl.Float64).ceil()


@function("sqrt", 1, node=exp.Sqrt, spark="sqrt({0})")
def _sqrt(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Square root (null for negative x)."""
    x = _c(c, a, 0).cast(pl.Float64)
    return pl.when(x >= 0).then(x.sqrt())


@function("ln", 1, node=exp.Ln, spark="ln({0})")
def _ln(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Natural logarithm (null for x <= 0)."""
    x = _c(c, a, 0).cast(pl.Float64)
    return pl.when(x > 0).then(x.log())


@function("log", 1, 2, node=exp.Log, spark="log({0}, {1})", arg_keys=("this", "expression"))
def _log(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """``log(base, x)``; ``log10(x)`` is read as ``log(10, x)`` (null for x <= 0)."""
    if len(a) == 1:
        x = _c(c, a, 0).cast(pl.Float64)
        return pl.when(x > 0).then(x.log10())
    base = _literal_int(a[0]) if isinstance(a[0], exp.Literal) else None
    x = _c(c, a, 1).cast(pl.Float64)
    if base is None:
        return pl.when(x > 0).then(x.log() / _c(c, a, 0).cast(pl.Float64).log())
    return pl.when(x > 0).then(x.log(base))


@function("power", 2, node=exp.Pow, spark="power({0}, {1})")
def _power(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """x raised to y."""
    return _c(c, a, 0).cast(pl.Float64).pow(_c(c, a, 1))


@function("greatest", 1, 64, node=exp.Greatest, spark="greatest({args})")
def _greatest(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Largest of the arguments."""
    return pl.max_horizontal([c.compile(x) for x in a])


@function("least", 1, 64, node=exp.Least, spark="least({args})")
def _least(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Smallest of the arguments."""
    return pl.min_horizontal([c.compile(x) for x in a])


# --- nulls ---------------------------------------------------------------------------


@function("coalesce", 1, 64, node=exp.Coalesce, null_aware=True, spark="coalesce({args})")
def _coalesce(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """First non-null argument; fields read inside do not make a rule not applicable."""
    return pl.coalesce([c.compile(x) for x in a])


@function("nullif", 2, node=exp.Nullif, spark="nullif({0}, {1})")
def _nullif(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Null when x = y, else x."""
    x = _c(c, a, 0)
    return pl.when(x == _c(c, a, 1)).then(None).otherwise(x)


# --- text ----------------------------------------------------------------------------


def _text(c: Compiler, a: list[exp.Expression], i: int) -> pl.Expr:
    return _c(c, a, i).cast(pl.String)


@function("length", 1, node=exp.Length, spark="char_length({0})")
def _length(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Number of characters."""
    return _text(c, a, 0).str.len_chars().cast(pl.Int64)


@function("substr", 2, 3, node=exp.Substring, literal_args=(1, 2), spark="substr({args})")
def _substr(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """``substr(x, start, length)``, 1-based like SQL; a negative start counts from the end."""
    first = _literal_int(a[1])
    start = first if first < 0 else max(first - 1, 0)
    length = _literal_int(a[2]) if len(a) > 2 else None
    return _text(c, a, 0).str.slice(start, length)


@function("left", 2, node=exp.Left, literal_args=(1,), spark="left({0}, {1})")
def _left(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """First n characters."""
    return _text(c, a, 0).str.head(_literal_int(a[1]))


@function("right", 2, node=exp.Right, literal_args=(1,), spark="right({0}, {1})")
def _right(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Last n characters."""
    return _text(c, a, 0).str.tail(_literal_int(a[1]))


@function("upper", 1, node=exp.Upper, spark="upper({0})")
def _upper(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Upper case."""
    return _text(c, a, 0).str.to_uppercase()


@function("lower", 1, node=exp.Lower, spark="lower({0})")
def _lower(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Lower case."""
    return _text(c, a, 0).str.to_lowercase()


@function("trim", 1, 2, node=exp.Trim, literal_args=(1,), spark="trim({0})", arg_keys=("this", "expression"))
def _trim(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Strip surrounding whitespace, or the given characters: ``trim(x, 'x')``, ``TRIM(BOTH 'x' FROM x)``."""
    if len(a) > 1:
        return _text(c, a, 0).str.strip_chars(str(a[1].name))
    return _text(c, a, 0).str.strip_chars()


@function("concat", 1, 64, node=exp.Concat, spark="concat({args})")
def _concat(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Join texts (null if any is null)."""
    return pl.concat_str([c.compile(x).cast(pl.String) for x in a])


#: ``regexp_like`` flags: i ignore case, m ^/$ at line ends, s . matches a newline, c case-sensitive.
REGEX_FLAGS = "imsc"


def regex_with_flags(pattern: str, flags: str) -> str:
    """The pattern with ``flags`` as an inline group (``(?i)``), understood by polars and Spark.

    ``c`` (case-sensitive) undoes an ``i`` before it: the last of the two wins.

    >>> regex_with_flags("abc", "ic")
    'abc'
    >>> regex_with_flags("abc", "cim")
    '(?im)abc'
    """
    if "c" in flags and "i" in flags and flags.rindex("c") > flags.rindex("i"):
        flags = flags.replace("i", "")
    inline = "".join(dict.fromkeys(f for f in flags if f in "ims"))
    return f"(?{inline}){pattern}" if inline else pattern


@function("regexp_like", 2, 3, node=exp.RegexpLike, literal_args=(1, 2), spark="{0} rlike {1}",
          arg_keys=("this", "expression", "flag"), shared=True)
def _regexp_like(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """True if the regex matches anywhere in x (anchor with ^…$ for a whole match);
    ``regexp_like(x, pattern, 'i')`` ignores case (flags i, m, s, c)."""
    pattern = regex_with_flags(str(a[1].name), str(a[2].name) if len(a) > 2 else "")
    return _text(c, a, 0).str.contains(pattern)


@function("starts_with", 2, node=exp.StartsWith, spark="startswith({0}, {1})",
          arg_keys=("this", "expression"), shared=True)
def _starts_with(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """True if x starts with the prefix."""
    return _text(c, a, 0).str.starts_with(_text(c, a, 1))


# --- the project's own ---------------------------------------------------------------


@function("prev", 1)
def _prev(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """The same unit's value of a field in the previous-period data (history rules)."""
    return c.prev_column(str(a[0].name))


@function("uscc_valid", 1, shared=True)
def _uscc_valid(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """统一社会信用代码 (GB 32100-2015) length, alphabet and check character."""
    return uscc_valid_expr(_text(c, a, 0))


@function("in_codelist", 2, literal_args=(1,), shared=True)
def _in_codelist(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """True if x is a code of the named code list."""
    values = c.codelist_values(str(a[1].name))
    return _text(c, a, 0).is_in(list(values))


#: A month written out: the number before the last 月 (``2025年9月`` → 9, ``2025年1-9月`` → 9).
MONTH_WORD = r"([0-9]{1,2}) *月[^月]*$"


def _period_parts(x: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Year and month of a period written ``202409``, ``2024-9``, ``2024年9月``, ``2024年1-9月`` or ``2024``.

    A year alone is the whole year (month 12); a month outside 1–12 is null.
    """
    text = x.cast(pl.String)
    digits = text.str.replace_all(r"[^0-9]", "")
    year = digits.str.slice(0, 4).cast(pl.Int32, strict=False)
    n = digits.str.len_chars()
    month = (
        pl.when(text.str.contains(MONTH_WORD))
        .then(text.str.extract(MONTH_WORD, 1).cast(pl.Int8, strict=False))
        .when(n >= 6)
        .then(digits.str.slice(4, 2).cast(pl.Int8, strict=False))
        .when(n == 5)
        .then(digits.str.slice(4, 1).cast(pl.Int8, strict=False))
        .when(n == 4)
        .then(pl.lit(12, dtype=pl.Int8))
    )
    return year, pl.when(month.is_between(1, 12)).then(month)


@function("months", 1, spark="months_in_period({0})", shared=True)
def _months(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Months covered by a cumulative period: 202406 → 6, 2024年1-9月 → 9, 2024 → 12."""
    _, month = _period_parts(_c(c, a, 0))
    return month.cast(pl.Int64)


@function("period_year", 1, spark="cast(substr({0}, 1, 4) as int)", shared=True)
def _period_year(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """The year of a period: 202406 → 2024."""
    year, _ = _period_parts(_c(c, a, 0))
    return year.cast(pl.Int64)


@function("period_end", 1, spark="last_day(to_date({0}, 'yyyyMM'))", shared=True)
def _period_end(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Last day of a period as a date: 202402 → 2024-02-29, 2024 → 2024-12-31."""
    year, month = _period_parts(_c(c, a, 0))
    ok = month.is_not_null() & year.is_not_null()
    start = pl.date(year.fill_null(1970), month.fill_null(1), 1)
    return pl.when(ok).then(start.dt.month_end())


@function("orgcode_valid", 1, shared=True)
def _orgcode_valid(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """Positions 9–17 of a credit code form a valid GB 11714 organisation code."""
    return orgcode_valid_expr(_text(c, a, 0))


@function("format_valid", 2, literal_args=(1,), shared=True)
def _format_valid(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """True if x has the named format (``uscc``, ``phone``, ``division12``…)."""
    name = str(a[1].name)
    spec = FORMATS.get(name)
    if spec is None:  # the parser refuses unknown formats; keep the compiler total
        return pl.lit(None, dtype=pl.Boolean)
    return spec.check(_text(c, a, 0))


@function("is_unique", 1)
def _is_unique(c: Compiler, a: list[exp.Expression]) -> pl.Expr:
    """True if no other record has the same non-null value (over the whole input)."""
    x = _c(c, a, 0)
    repeated = c.repeated_values(a[0])
    if repeated is not None:  # settled by a first pass: a row-wise test that streams
        return pl.when(x.is_not_null()).then(~x.is_in(repeated.implode()))
    return pl.when(x.is_not_null()).then(~x.is_duplicated())
