"""Static types of rule expressions, inferred at load time.

Every node of a checked expression gets one of the types ``int``, ``float``, ``str``,
``date``, ``bool`` or ``null`` (the literal ``NULL``, which fits anything). A type error
(arithmetic on text, a text compared with a number, a date compared with a text that is
not a date) is an :class:`~source_check.expr.parse.ExpressionError` at the offset of the
offending operand, so the pack author gets file:line:column and the rule id instead of a
polars error during a run.

The inferred type of each node is kept in ``node.meta["sc_type"]`` for the compilers
(a date compared with ``'2024-01-01'`` reads the text as a date).

Examples
--------
>>> import sqlglot
>>> fields = {"a": "int", "s": "str", "d": "date"}
>>> infer(sqlglot.parse_one("a / 2 > 1"), fields, {})
'bool'
>>> infer(sqlglot.parse_one("d > '2024-01-01'"), fields, {})
'bool'
>>> infer(sqlglot.parse_one("s / 2"), fields, {})
Traceback (most recent call last):
...
source_check.expr.types.TypeProblem: 除法运算需要数值，'s' 是文本
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlglot import exp

__all__ = [
    "DATE_FORMATS",
    "FUNCTION_TYPES",
    "TYPE_NAMES_ZH",
    "TypeProblem",
    "infer",
    "parse_date_literal",
    "unwrap",
]

#: Text forms of a date accepted in data and in date constants.
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")

TYPE_NAMES_ZH = {"int": "整数", "float": "数值", "str": "文本", "date": "日期", "bool": "逻辑值", "null": "空值"}

NUMERIC = ("int", "float")

_ARITH_ZH: dict[type[exp.Expression], str] = {
    exp.Add: "加法", exp.Sub: "减法", exp.Mul: "乘法", exp.Div: "除法", exp.Mod: "取余",
}


class TypeProblem(Exception):
    """A type error at ``node`` (the operand to point at)."""

    def __init__(self, message: str, node: exp.Expression, hint: str | None = None) -> None:
        self.message = message
        self.node = node
        self.hint = hint
        super().__init__(message)


def parse_date_literal(text: str) -> dt.date | None:
    """The date a constant such as ``'2024-01-02'`` or ``'2024年1月2日'`` stands for.

    >>> parse_date_literal("2024/01/02"), parse_date_literal("2024-13-01")
    (datetime.date(2024, 1, 2), None)
    """
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _zh(t: str) -> str:
    return TYPE_NAMES_ZH.get(t, t)


def _what(node: exp.Expression, t: str) -> str:
    text = node.sql()
    if len(text) > 40:
        text = text[:37] + "..."
    return f"'{text}' 是{_zh(t)}"


def unwrap(node: exp.Expression) -> exp.Expression:
    """``node`` without the parentheses around it (``((x))`` → ``x``)."""
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _unify(types: list[tuple[exp.Expression, str]], what: str) -> str:
    """The common type of branch results (``int`` and ``float`` give ``float``)."""
    result = "null"
    for node, t in types:
        if t == "null" or t == result:
            continue
        if result == "null":
            result = t
        elif t in NUMERIC and result in NUMERIC:
            result = "float"
        else:
            raise TypeProblem(f"{what}的各个值类型不一致：{_zh(result)}与{_zh(t)}（{_what(node, t)}）", node)
    return result


#: Each allowed function: the kind each argument must be ("num", "text" — anything,
#: read as text —, "any", "same" — unified with the other "same" ones) and the result
#: ("int", "float", "str", "bool", "date", "arg0" — the first argument's type —,
#: "same" — the unified type).
FUNCTION_TYPES: dict[str, tuple[str, str]] = {
    "abs": ("num", "arg0"),
    "round": ("num", "float"),
    "floor": ("num", "float"),
    "ceil": ("num", "float"),
    "sqrt": ("num", "float"),
    "ln": ("num", "float"),
    "log": ("num", "float"),
    "power": ("num", "float"),
    "greatest": ("same", "same"),
    "least": ("same", "same"),
    "coalesce": ("same", "same"),
    "nullif": ("same", "arg0"),
    "length": ("text", "int"),
    "substr": ("text", "str"),
    "left": ("text", "str"),
    "right": ("text", "str"),
    "upper": ("text", "str"),
    "lower": ("text", "str"),
    "trim": ("text", "str"),
    "concat": ("text", "str"),
    "regexp_like": ("text", "bool"),
    "starts_with": ("text", "bool"),
    "prev": ("any", "arg0"),
    "uscc_valid": ("text", "bool"),
    "in_codelist": ("text", "bool"),
    "months": ("text", "int"),
    "period_year": ("text", "int"),
    "period_end": ("text", "date"),
    "orgcode_valid": ("text", "bool"),
    "format_valid": ("text", "bool"),
    "is_unique": ("any", "bool"),
}

#: Arguments that are constants of a fixed kind (digits, positions), not data.
_INT_ARGS = {"round": (1,), "substr": (1, 2), "left": (1,), "right": (1,)}


def _comparable(a: tuple[exp.Expression, str], b: tuple[exp.Expression, str], op: str) -> None:
    (na, ta), (nb, tb) = a, b
    if "null" in (ta, tb) or ta == tb or (ta in NUMERIC and tb in NUMERIC):
        return
    for (nd, td), (nt, tt) in ((a, b), (b, a)):
        if td == "date" and tt == "str":
            inner = unwrap(nt)
            if isinstance(inner, exp.Literal) and inner.is_string:
                if parse_date_literal(str(inner.this)) is None:
                    raise TypeProblem(f"'{inner.this}' 不是有效日期，不能与日期比较", nt,
                                      "日期常量写作 '2024-01-31' 或 DATE '2024-01-31'")
                return
            raise TypeProblem(f"{op}两边类型不一致：{_what(nd, td)}，{_what(nt, tt)}", nt,
                              f"把文本转为日期：CAST({nt.sql()} AS DATE)")
    raise TypeProblem(f"{op}两边类型不一致：{_what(na, ta)}，{_what(nb, tb)}", nb)


def infer(node: exp.Expression, fields: Mapping[str, str], params: Mapping[str, object]) -> str:
    """The type of an allow-listed expression; raises :class:`TypeProblem` on a type error."""
    from .functions import FUNCTIONS, function_name

    def args_of(name: str, call: exp.Expression) -> list[exp.Expression]:
        return FUNCTIONS[name].arguments(call)

    def need(n: exp.Expression, kinds: tuple[str, ...], what: str) -> str:
        t = go(n)
        if t != "null" and t not in kinds:
            want = "、".join(_zh(k) for k in dict.fromkeys("float" if k in NUMERIC else k for k in kinds))
            raise TypeProblem(f"{what}需要{want}，{_what(n, t)}", n)
        return t

    def go(n: exp.Expression) -> str:
        t = visit(n)
        n.meta["sc_type"] = t
        return t

    def visit(n: exp.Expression) -> str:
        fname = function_name(n)
        if fname is not None:
            return call(fname, n)
        if isinstance(n, exp.Column):
            if n.name in fields:
                return fields[n.name]
            value = params.get(n.name)
            if isinstance(value, bool):
                return "bool"
            if isinstance(value, int):
                return "int"
            if isinstance(value, float):
                return "float"
            return "str"
        if isinstance(n, exp.Literal):
            if n.is_string:
                return "str"
            text = str(n.this)
            return "int" if text.lstrip("-").isdigit() else "float"
        if isinstance(n, exp.Boolean):
            return "bool"
        if isinstance(n, exp.Null):
            return "null"
        if isinstance(n, exp.Paren):
            return go(n.this)
        if isinstance(n, exp.Neg):
            return need(n.this, NUMERIC, "负号")
        if isinstance(n, exp.Not):
            if isinstance(n.this, exp.Is):
                go(n.this)
                return "bool"
            need(n.this, ("bool",), "NOT")
            return "bool"
        if isinstance(n, (exp.And, exp.Or)):
            word = "AND" if isinstance(n, exp.And) else "OR"
            need(n.this, ("bool",), f"{word} 两边")
            need(n.expression, ("bool",), f"{word} 两边")
            return "bool"
        if isinstance(n, tuple(_ARITH_ZH)):
            what = _ARITH_ZH[type(n)]
            a = need(n.this, NUMERIC, f"{what}运算")
            b = need(n.expression, NUMERIC, f"{what}运算")
            if isinstance(n, exp.Div) or "float" in (a, b):
                return "float"
            return "int" if "int" in (a, b) else "null"
        if isinstance(n, exp.DPipe):
            go(n.this)
            go(n.expression)
            return "str"
        if isinstance(n, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            _comparable((n.this, go(n.this)), (n.expression, go(n.expression)), "比较")
            return "bool"
        if isinstance(n, exp.Between):
            x = (n.this, go(n.this))
            for key in ("low", "high"):
                bound = n.args[key]
                _comparable(x, (bound, go(bound)), "BETWEEN")
            return "bool"
        if isinstance(n, exp.In):
            x = (n.this, go(n.this))
            items = [(i, go(i)) for i in n.expressions]
            constants = all(isinstance(unwrap(i), exp.Literal) for i, _ in items)
            if constants and x[1] in ("str", *NUMERIC) and len({t for _, t in items}) == 1:
                return "bool"  # a list of codes: numbers and text are read alike
            for item in items:
                _comparable(x, item, "IN")
            return "bool"
        if isinstance(n, exp.Is):
            go(n.this)
            return "bool"
        if isinstance(n, exp.Case):
            subject = n.this
            subject_t = (subject, go(subject)) if subject is not None else None
            results: list[tuple[exp.Expression, str]] = []
            for branch in n.args.get("ifs") or []:
                if subject_t is not None:
                    _comparable(subject_t, (branch.this, go(branch.this)), "CASE")
                else:
                    need(branch.this, ("bool",), "CASE WHEN 的条件")
                results.append((branch.args["true"], go(branch.args["true"])))
            default = n.args.get("default")
            if default is not None:
                results.append((default, go(default)))
            return _unify(results, "CASE ")
        if isinstance(n, exp.If):
            need(n.this, ("bool",), "IF 的条件")
            results = [(n.args["true"], go(n.args["true"]))]
            other = n.args.get("false")
            if other is not None:
                results.append((other, go(other)))
            return _unify(results, "IF ")
        if isinstance(n, (exp.Cast, exp.TryCast)):
            from .parse import CAST_TYPES

            target = CAST_TYPES[n.to.this.name]
            source = go(n.this)
            if target == "date":
                inner = unwrap(n.this)
                if isinstance(inner, exp.Literal) and inner.is_string:
                    if parse_date_literal(str(inner.this)) is None:
                        raise TypeProblem(f"'{inner.this}' 不是有效日期", n.this,
                                          "日期常量写作 '2024-01-31'、'2024/01/31' 或 '20240131'")
                elif source not in ("str", "date", "null"):
                    raise TypeProblem(f"只有文本能转换为日期，{_what(n.this, source)}", n.this)
            elif target in NUMERIC and source == "date":
                raise TypeProblem(f"日期不能转换为数值，{_what(n.this, source)}", n.this)
            return target
        if isinstance(n, exp.DataType):
            return "null"
        return "null"  # nodes the allow-list accepts but that carry no value of their own

    def call(fname: str, n: exp.Expression) -> str:
        kind, result = FUNCTION_TYPES.get(fname, ("any", "null"))
        args = args_of(fname, n)
        fixed = _INT_ARGS.get(fname, ())
        types: list[tuple[exp.Expression, str]] = []
        for i, a in enumerate(args):
            if i in fixed:
                types.append((a, need(a, NUMERIC, f"函数 {fname} 的第 {i + 1} 个参数")))
            elif fname in ("in_codelist", "format_valid") and i == 1:
                types.append((a, go(a)))
            elif fname == "log" and len(args) == 2:
                types.append((a, need(a, NUMERIC, f"函数 {fname} ")))
            elif fname in ("regexp_like", "starts_with") and i >= 1:
                types.append((a, need(a, ("str",), f"函数 {fname} 的第 {i + 1} 个参数")))
            elif kind == "num":
                types.append((a, need(a, NUMERIC, f"函数 {fname} ")))
            elif fname == "prev":
                target = unwrap(a)
                t = fields.get(target.name, "null") if isinstance(target, exp.Column) else go(a)
                a.meta["sc_type"] = t
                types.append((a, t))
            else:
                types.append((a, go(a)))
        if kind == "same":
            unified = _unify(types, f"函数 {fname} ")
            if fname in ("greatest", "least") and unified == "bool":
                raise TypeProblem(f"函数 {fname} 不能比较逻辑值", n)
        else:
            unified = "null"
        if result == "same":
            return unified
        if result == "arg0":
            return types[0][1] if types else "null"
        return result

    return go(node)
