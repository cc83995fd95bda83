"""Parse rule expressions with sqlglot and hold them to an allow-list.

Rule expressions (``check``, ``when``, message placeholders) are untrusted text. They
are parsed by sqlglot into an AST and every node is checked against an allow-list of
node types and functions *before* anything else sees them. Nothing of an expression
ever reaches polars' SQL layer, ``eval``, the filesystem or the network: the polars
engine compiles the checked AST itself (:mod:`source_check.expr.polars_compile`).

Examples
--------
>>> scope = Scope(fields={"a": "int", "b": "int"})
>>> parsed = parse_expression("a <= b + 1", scope)
>>> sorted(parsed.columns)
['a', 'b']
>>> parse_expression("a <= (select 1)", scope)
Traceback (most recent call last):
...
source_check.expr.parse.ExpressionError: 不允许的语法：子查询 (Subquery)
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..formats import FORMATS
from .functions import FUNCTIONS, REGEX_FLAGS, function_name, regex_with_flags
from .types import TypeProblem, infer

__all__ = ["MAX_EXPR_CHARS", "ExpressionError", "ParsedExpr", "Scope", "parse_expression"]

MAX_EXPR_CHARS = 4000

#: Node types an expression may contain, besides calls of registered functions.
ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Neg,
    exp.Not,
    exp.And,
    exp.Or,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Between,
    exp.In,
    exp.Is,
    exp.Case,
    exp.If,
    exp.Cast,
    exp.TryCast,
    exp.DataType,
    exp.DPipe,
)

#: Cast targets allowed, by sqlglot type name, and the pack type they stand for.
CAST_TYPES: dict[str, str] = {
    "INT": "int",
    "BIGINT": "int",
    "SMALLINT": "int",
    "TINYINT": "int",
    "DOUBLE": "float",
    "FLOAT": "float",
    "DECIMAL": "float",
    "VARCHAR": "str",
    "TEXT": "str",
    "CHAR": "str",
    "DATE": "date",
}

_NODE_NAMES_ZH: dict[str, str] = {
    "Subquery": "子查询",
    "Select": "查询语句",
    "Table": "表引用",
    "Star": "星号 *",
    "Placeholder": "占位参数",
    "Parameter": "参数",
}


class ExpressionError(Exception):
    """A problem in one expression; ``offset`` is a 0-based character offset into it."""

    def __init__(self, message: str, offset: int = 0, hint: str | None = None) -> None:
        self.message = message
        self.offset = offset
        self.hint = hint
        super().__init__(message)


@dataclass(frozen=True)
class Scope:
    """What an expression may name: fields (id -> type), params, code lists, ``prev``."""

    fields: Mapping[str, str]
    params: Mapping[str, int | float | str] = field(default_factory=dict)
    codelists: frozenset[str] = frozenset()
    allow_prev: bool = False


@dataclass(frozen=True)
class ParsedExpr:
    """A checked expression.

    ``columns`` are fields whose null makes the rule not applicable; ``null_aware``
    fields are read only inside null-handling constructs (``coalesce``, ``IS NULL``);
    ``prev_fields`` are fields read through ``prev()``.
    """

    text: str
    ast: exp.Expression
    columns: frozenset[str]
    null_aware: frozenset[str]
    prev_fields: frozenset[str]
    prev_null_aware: frozenset[str]
    #: inferred result type: ``bool``, ``int``, ``float``, ``str``, ``date`` or ``null``
    type: str = "null"

    @property
    def uses_prev(self) -> bool:
        return bool(self.prev_fields or self.prev_null_aware)

    @property
    def all_fields(self) -> frozenset[str]:
        return self.columns | self.null_aware


def _describe(node: exp.Expression) -> str:
    name = type(node).__name__
    zh = _NODE_NAMES_ZH.get(name)
    if zh is None and isinstance(node, exp.Func):
        return f"函数 {node.sql_name() if hasattr(node, 'sql_name') else name}"
    return f"{zh} ({name})" if zh else name


def _offset(node: exp.Expression) -> int:
    for n in node.walk():
        meta = getattr(n, "meta", None) or {}
        if "start" in meta:
            return int(meta["start"])
    return 0


def _suggest(name: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"是否想写 '{close[0]}'？" if close else None


def _parse(text: str) -> exp.Expression:
    if len(text) > MAX_EXPR_CHARS:
        raise ExpressionError(f"表达式过长（{len(text)} 字符，上限 {MAX_EXPR_CHARS}）")
    try:
        statements = sqlglot.parse(text)
    except ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        col = int(err.get("col") or 1)
        line = int(err.get("line") or 1)
        lines = text.split("\n")
        offset = sum(len(x) + 1 for x in lines[: line - 1]) + max(col - 1, 0)
        raise ExpressionError(f"表达式语法错误：{err.get('description', exc)}", offset) from None
    except TokenError as exc:
        raise ExpressionError(f"表达式无法分词：{exc}") from None
    except RecursionError:
        raise ExpressionError("表达式嵌套过深") from None
    found = [s for s in statements if s is not None]
    if len(found) != 1:
        raise ExpressionError("只能写一个表达式，不能写多条语句")
    return cast(exp.Expression, found[0])


#: Constant arguments that may be negative: ``round(x, -2)``, ``substr(x, -2)``.
_NEGATIVE_OK = {("round", 1), ("substr", 1)}


def _check_constant_args(fname: str, node: exp.Expression, args: list[exp.Expression]) -> None:
    """Constant arguments a function would otherwise misread: format names, regex flags, TRIM sides."""
    if fname == "format_valid":
        name = str(args[1].name)
        if not (isinstance(args[1], exp.Literal) and args[1].is_string) or name not in FORMATS:
            raise ExpressionError(f"未知的格式名称 '{name}'", _offset(args[1]),
                                  _suggest(name, sorted(FORMATS)) or "可用：" + ", ".join(sorted(FORMATS)))
    elif fname == "regexp_like":
        if len(args) > 2:
            flags = str(args[2].name)
            bad = sorted(set(flags) - set(REGEX_FLAGS))
            if not (isinstance(args[2], exp.Literal) and args[2].is_string) or bad or not flags:
                raise ExpressionError(f"regexp_like 的匹配选项 '{flags}' 无效", _offset(args[2]),
                                      "可用：i 不区分大小写，m 多行，s 点号匹配换行，c 区分大小写")
        pattern = regex_with_flags(str(args[1].name), str(args[2].name) if len(args) > 2 else "")
        import polars as pl

        try:  # the engine's own regex dialect (Rust regex, as polars runs it; \p{Han} is valid)
            pl.select(pl.lit("").str.contains(pattern))
        except pl.exceptions.PolarsError as exc:
            why = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())[:200]
            raise ExpressionError(f"regexp_like 的正则表达式无效：{why}", _offset(args[1])) from None
    elif fname == "trim":
        side = node.args.get("position")
        if side and str(side).upper() != "BOTH":
            raise ExpressionError(f"TRIM 只支持去掉两端（BOTH），不支持 {side}", _offset(node))
        if len(args) > 1 and not (isinstance(args[1], exp.Literal) and args[1].is_string and args[1].name):
            raise ExpressionError("TRIM 要去掉的字符必须是非空的文本常量", _offset(args[1]))


def parse_expression(text: str, scope: Scope) -> ParsedExpr:
    """Parse ``text`` and check it against the allow-list and ``scope``.

    Raises :class:`ExpressionError` for anything not allowed: statements, subqueries,
    table functions, unknown functions, unknown identifiers, ``prev`` outside history
    rules, unknown code lists.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("表达式为空")
    tree = _parse(text)
    if isinstance(tree, (exp.Query, exp.Command)) or not isinstance(tree, exp.Expression):
        raise ExpressionError(f"不允许的语法：{_describe(tree)}")

    columns: set[str] = set()
    null_aware: set[str] = set()
    prev_fields: set[str] = set()
    prev_null_aware: set[str] = set()
    field_names = sorted(scope.fields)

    def visit(node: exp.Expression, in_null_aware: bool, depth: int) -> None:
        if depth > 200:
            raise ExpressionError("表达式嵌套过深", _offset(node))
        fname = function_name(node)
        if fname is not None:
            spec = FUNCTIONS.get(fname)
            if spec is None:
                raise ExpressionError(
                    f"未知或不允许的函数 '{fname}'",
                    _offset(node),
                    _suggest(fname, sorted(FUNCTIONS)),
                )
            args = spec.arguments(node)
            if not spec.min_args <= len(args) <= spec.max_args:
                want = (
                    str(spec.min_args)
                    if spec.min_args == spec.max_args
                    else f"{spec.min_args}–{spec.max_args}"
                )
                raise ExpressionError(
                    f"函数 {fname} 需要 {want} 个参数，写了 {len(args)} 个", _offset(node)
                )
            if fname == "prev":
                if not scope.allow_prev:
                    raise ExpressionError(
                        "prev() 只能用在 history 规则中", _offset(node)
                    )
                target = args[0]
                if not isinstance(target, exp.Column) or target.table:
                    raise ExpressionError("prev() 的参数必须是一个字段名", _offset(node))
                name = target.name
                if name not in scope.fields:
                    raise ExpressionError(
                        f"未知字段 '{name}'", _offset(target), _suggest(name, field_names)
                    )
                (prev_null_aware if in_null_aware else prev_fields).add(name)
                return
            if fname == "in_codelist":
                ref = args[1]
                if not (isinstance(ref, exp.Literal) and ref.is_string):
                    raise ExpressionError(
                        "in_codelist() 的第二个参数必须是代码表名称字符串", _offset(node)
                    )
                if ref.this not in scope.codelists:
                    raise ExpressionError(
                        f"未定义的代码表 '{ref.this}'",
                        _offset(ref),
                        _suggest(ref.this, sorted(scope.codelists)),
                    )
                visit(args[0], in_null_aware, depth + 1)
                return
            for pos in spec.literal_args:
                if pos >= len(args):
                    continue
                arg = args[pos]
                negative = isinstance(arg, exp.Neg) and isinstance(arg.this, exp.Literal) and not arg.this.is_string
                if negative and (fname, pos) not in _NEGATIVE_OK:
                    raise ExpressionError(f"函数 {fname} 的第 {pos + 1} 个参数不能为负数", _offset(arg))
                if not (isinstance(arg, exp.Literal) or negative):
                    raise ExpressionError(
                        f"函数 {fname} 的第 {pos + 1} 个参数必须是常量", _offset(arg)
                    )
            _check_constant_args(fname, node, args)
            for arg in args:
                visit(arg, in_null_aware or spec.null_aware, depth + 1)
            return
        if not isinstance(node, ALLOWED_NODES):
            raise ExpressionError(f"不允许的语法：{_describe(node)}", _offset(node))
        if isinstance(node, exp.Column):
            if node.table or isinstance(node.this, exp.Star):
                raise ExpressionError("不允许带表名的列引用", _offset(node))
            name = node.name
            if name in scope.fields:
                (null_aware if in_null_aware else columns).add(name)
            elif name not in scope.params:
                raise ExpressionError(
                    f"未知字段或参数 '{name}'",
                    _offset(node),
                    _suggest(name, field_names + sorted(scope.params)),
                )
            return
        if isinstance(node, exp.In) and any(node.args.get(k) for k in ("query", "unnest", "field")):
            raise ExpressionError("IN 只能跟常量列表，不允许子查询", _offset(node))
        if isinstance(node, exp.DataType):
            if node.this.name not in CAST_TYPES:
                raise ExpressionError(
                    f"不支持转换为类型 {node.sql()}", _offset(node),
                    "可用：" + ", ".join(sorted(CAST_TYPES)),
                )
            return
        child_null_aware = in_null_aware or isinstance(node, exp.Is)
        for child in node.iter_expressions():
            visit(child, child_null_aware, depth + 1)

    visit(tree, False, 0)
    try:
        result_type = infer(tree, scope.fields, scope.params)
    except TypeProblem as exc:
        raise ExpressionError(f"类型不匹配：{exc.message}", _offset(exc.node), exc.hint) from None
    return ParsedExpr(
        text=text,
        ast=tree,
        columns=frozenset(columns),
        null_aware=frozenset(null_aware - columns),
        prev_fields=frozenset(prev_fields),
        prev_null_aware=frozenset(prev_null_aware - prev_fields),
        type=result_type,
    )
