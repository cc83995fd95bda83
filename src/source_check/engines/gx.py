"""A pack as a Great Expectations suite, for what GX can express.

Needs the optional extra: ``pip install source-check[gx]`` (great-expectations ≥ 1.0
and pyarrow). :mod:`source_check` never imports this module by itself.

Each rule becomes at most one expectation, so GX's ``unexpected_count`` is that rule's
failure count; ``meta`` carries the rule id, level, title and dimension, and the level
becomes GX's ``severity`` (error → critical, warning → warning, info → info).

=============================  ===================================================
rule                           expectation
=============================  ===================================================
``<f>.required``               ``ExpectColumnValuesToNotBeNull``
``<f>.min`` / ``.max``         ``ExpectColumnValuesToBeBetween``
``<f>.pattern``, regex formats ``ExpectColumnValuesToMatchRegex``
``<f>.codelist``               ``ExpectColumnValuesToBeInSet``
``<f>.unique``                 ``ExpectColumnValuesToBeUnique``
``x op 常量`` (also params)     ``…ToBeBetween`` (strict bounds), ``…InSet``, ``…NotInSet``
``a op b`` (two fields)        ``ExpectColumnPairValuesAToBeGreaterThanB`` / ``…ToBeEqual``
``x BETWEEN l AND h``          ``ExpectColumnValuesToBeBetween``
``x IN (…)``, ``NOT x IN (…)`` ``ExpectColumnValuesToBeInSet`` / ``…NotInSet``
``x IS [NOT] NULL``            ``ExpectColumnValuesToBeNull`` / ``…NotBeNull``
``regexp_like``, ``in_codelist``, ``format_valid`` with a regex format
``when:``                      ``row_condition``, if it is ``field op 常量`` joined by AND
=============================  ===================================================

Everything else — arithmetic (``wages * 1000 / emp_avg``), functions, ``OR``, ``CASE``,
balances, the credit-code check character, the per-value type rule, history rules — is
returned in :attr:`GxSuite.unsupported` with the reason, never dropped silently.

Null semantics. source_check counts a rule as not applicable where an input is null;
GX's column expectations count nulls as ``missing``, not ``unexpected``, so those agree.
GX's **column-pair** expectations by default (``ignore_row_if="both_values_are_missing"``)
count a row where only one of the two values is null as a *failure*. ``to_suite`` sets
``ignore_row_if="either_value_is_missing"`` so counts equal source_check's; pass
``pair_nulls="gx"`` to keep GX's default (then such rows are failures).

Examples
--------
>>> import polars as pl
>>> from source_check import load_pack_text
>>> pack = load_pack_text('''
... pack: demo
... fields:
...   total: {type: int, min: 0}
...   part: {type: int}
... rules:
...   - {id: R1, check: part <= total}
...   - {id: R2, check: part * 2 <= total + 1}
... ''')
>>> gs = to_suite(pack)
>>> [e.meta["rule_id"] for e in gs.suite.expectations]
['total.min', 'R1']
>>> [rule_id for rule_id, _ in gs.unsupported]
['total.type', 'part.type', 'R2']
>>> counts = run_suite(gs, pl.DataFrame({"total": [5, 5, -1], "part": [3, 9, None]}))
>>> dict(counts.select("rule_id", "unexpected_count").iter_rows())
{'total.min': 1, 'R1': 1}
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import great_expectations as gx
import polars as pl
from great_expectations.expectations import row_conditions as rc
from sqlglot import exp

from ..engine.compile import PackPlan
from ..expr.functions import function_name
from ..formats import FORMATS
from ..pack.model import Pack, Rule

__all__ = ["GxSuite", "run_suite", "to_pandas", "to_suite"]

E = gx.expectations
SEVERITY = {"error": "critical", "warning": "warning", "info": "info"}
PairNulls = Literal["not_applicable", "gx"]


class Unsupported(Exception):
    """A rule (or a part of it) that GX cannot express; the message says why, in Chinese."""


@dataclass(frozen=True)
class GxSuite:
    """A GX suite for a pack, and the rules it could not express.

    Attributes
    ----------
    suite
        The ``great_expectations.ExpectationSuite``; each expectation's ``meta`` holds
        ``rule_id``, ``level``, ``title`` and ``dimension``.
    rules
        Rule id → expectation type, for the rules in the suite, in pack order.
    unsupported
        ``(rule_id, reason)`` for every rule of the pack that is not in the suite.
    """

    suite: Any
    rules: dict[str, str] = field(default_factory=dict)
    unsupported: list[tuple[str, str]] = field(default_factory=list)


# --- reading the AST ------------------------------------------------------------------

_FLIP: dict[type[exp.Expression], type[exp.Expression]] = {
    exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE, exp.EQ: exp.EQ, exp.NEQ: exp.NEQ,
}
_OPS: dict[type[exp.Expression], Callable[[Any, Any], Any]] = {
    exp.GT: operator.gt, exp.GTE: operator.ge, exp.LT: operator.lt, exp.LTE: operator.le,
    exp.EQ: operator.eq, exp.NEQ: operator.ne,
}


def _strip(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


class _Reader:
    """Recognises the expression shapes that map onto expectations."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack

    def field(self, node: exp.Expression) -> str | None:
        node = _strip(node)
        if isinstance(node, exp.Column) and node.name in self.pack.fields:
            return str(node.name)
        return None

    def constant(self, node: exp.Expression) -> int | float | str:
        node = _strip(node)
        if isinstance(node, exp.Neg):
            value = self.constant(node.this)
            if isinstance(value, str):
                raise Unsupported("字符串不能取负")
            return -value
        if isinstance(node, exp.Literal):
            text = str(node.this)
            if node.is_string:
                return text
            try:
                return int(text)
            except ValueError:
                return float(text)
        if isinstance(node, exp.Column) and node.name in self.pack.params:
            return self.pack.params[node.name]
        raise Unsupported(f"“{node.sql()}”含运算或函数，GX 只能把字段与常量或另一字段比较")

    def comparison(self, node: exp.Expression) -> tuple[str, type[exp.Expression], str | int | float, bool]:
        """``field op value`` → (field, op, value, value_is_field), with the field on the left."""
        node = _strip(node)
        if type(node) not in _FLIP:
            raise Unsupported(f"不是比较：{node.sql()}")
        left, right = node.this, node.expression
        lf, rf = self.field(left), self.field(right)
        op: type[exp.Expression] = type(node)
        if lf is not None and rf is not None:
            return lf, op, rf, True
        if lf is not None:
            return lf, op, self.constant(right), False
        if rf is not None:
            return rf, _FLIP[op], self.constant(left), False
        raise Unsupported(f"比较的两边都含运算或函数，GX 只能把字段与常量或另一字段比较：{node.sql()}")


# --- expectations ---------------------------------------------------------------------


def _compare(column: str, op: type[exp.Expression], value: int | float | str, **kw: Any) -> Any:
    if op is exp.EQ:
        return E.ExpectColumnValuesToBeInSet(column=column, value_set=[value], **kw)
    if op is exp.NEQ:
        return E.ExpectColumnValuesToNotBeInSet(column=column, value_set=[value], **kw)
    if isinstance(value, str):
        raise Unsupported("GX 的范围期望不比较字符串大小")
    if op in (exp.GT, exp.GTE):
        return E.ExpectColumnValuesToBeBetween(column=column, min_value=value, strict_min=op is exp.GT, **kw)
    return E.ExpectColumnValuesToBeBetween(column=column, max_value=value, strict_max=op is exp.LT, **kw)


def _pair(a: str, op: type[exp.Expression], b: str, ignore_row_if: str, **kw: Any) -> Any:
    if op is exp.EQ:
        return E.ExpectColumnPairValuesToBeEqual(column_A=a, column_B=b, ignore_row_if=ignore_row_if, **kw)
    if op is exp.NEQ:
        raise Unsupported("GX 没有“两列不相等”的期望")
    if op in (exp.LT, exp.LTE):
        a, b = b, a
    return E.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=a, column_B=b, or_equal=op in (exp.GTE, exp.LTE), ignore_row_if=ignore_row_if, **kw
    )


def _regex_of_format(name: str) -> str:
    spec = FORMATS.get(name)
    if spec is None or spec.regex is None:
        what = spec.label if spec is not None else name
        raise Unsupported(f"{what}需要计算校验位，不能写成正则表达式")
    return spec.regex


class _Translator:
    def __init__(self, pack: Pack, pair_nulls: PairNulls) -> None:
        self.pack = pack
        self.read = _Reader(pack)
        self.ignore_row_if = "either_value_is_missing" if pair_nulls == "not_applicable" else "both_values_are_missing"

    def rule(self, rule: Rule) -> Any:
        if rule.kind == "history":
            raise Unsupported("历史比较规则需要上期数据（按主键关联），GX 的单表期望无法表达")
        if rule.balance is not None:
            raise Unsupported("平衡关系（带减项和允许误差的多列求和）GX 没有对应的期望")
        kw: dict[str, Any] = {
            "meta": {"rule_id": rule.id, "level": rule.level, "title": rule.title, "dimension": rule.dimension},
            "notes": rule.source or rule.title,
            "severity": SEVERITY.get(rule.level, "critical"),
        }
        if rule.when is not None:
            kw["row_condition"] = self.condition(rule.when.ast)
        if rule.kind == "field" and rule.constraint is not None:
            return self.constraint(rule, kw)
        if rule.check is None:
            raise Unsupported("规则没有可翻译的表达式")
        return self.check(rule.check.ast, kw)

    def constraint(self, rule: Rule, kw: dict[str, Any]) -> Any:
        fid = rule.field or ""
        spec = self.pack.fields[fid]
        c = rule.constraint
        if c == "required":
            return E.ExpectColumnValuesToNotBeNull(column=fid, **kw)
        if c == "type":
            raise Unsupported("GX 只能检查整列的数据类型，不能逐个判断文本能否转换为数值或日期")
        if c == "min" and spec.min is not None:
            return E.ExpectColumnValuesToBeBetween(column=fid, min_value=spec.min, **kw)
        if c == "max" and spec.max is not None:
            return E.ExpectColumnValuesToBeBetween(column=fid, max_value=spec.max, **kw)
        if c == "pattern" and spec.pattern is not None:
            return E.ExpectColumnValuesToMatchRegex(column=fid, regex=f"^(?:{spec.pattern})$", **kw)
        if c == "format" and spec.format is not None:
            return E.ExpectColumnValuesToMatchRegex(column=fid, regex=_regex_of_format(spec.format), **kw)
        if c == "codelist" and spec.codelist in self.pack.codelists:
            codes = list(self.pack.codelists[spec.codelist].codes)
            return E.ExpectColumnValuesToBeInSet(column=fid, value_set=codes, **kw)
        if c == "unique":
            return E.ExpectColumnValuesToBeUnique(column=fid, **kw)
        raise Unsupported(f"字段约束 {c} 没有对应的 GX 期望")

    def check(self, node: exp.Expression, kw: dict[str, Any]) -> Any:
        node = _strip(node)
        name = function_name(node)
        if name is not None:
            return self.function(name, node, kw)
        if type(node) in _FLIP:
            left, op, value, is_field = self.read.comparison(node)
            if is_field:
                return _pair(left, op, str(value), self.ignore_row_if, **kw)
            return _compare(left, op, value, **kw)
        if isinstance(node, exp.Between):
            subject = self.read.field(node.this)
            if subject is None:
                raise Unsupported(f"BETWEEN 左边不是字段：{node.this.sql()}")
            low, high = self.read.constant(node.args["low"]), self.read.constant(node.args["high"])
            return E.ExpectColumnValuesToBeBetween(column=subject, min_value=low, max_value=high, **kw)
        if isinstance(node, exp.In):
            return E.ExpectColumnValuesToBeInSet(column=self._in_field(node), value_set=self._in_values(node), **kw)
        if isinstance(node, exp.Not):
            inner = _strip(node.this)
            if isinstance(inner, exp.In):
                return E.ExpectColumnValuesToNotBeInSet(
                    column=self._in_field(inner), value_set=self._in_values(inner), **kw
                )
            column = self.read.field(inner.this) if isinstance(inner, exp.Is) else None
            if column is not None:
                return E.ExpectColumnValuesToNotBeNull(column=column, **kw)
        column = self.read.field(node.this) if isinstance(node, exp.Is) else None
        if column is not None:
            return E.ExpectColumnValuesToBeNull(column=column, **kw)
        if isinstance(node, (exp.And, exp.Or)):
            raise Unsupported("AND/OR 组合条件需要多个期望，GX 无法按一条规则计数")
        raise Unsupported(f"表达式含运算或函数，GX 没有对应的期望：{node.sql()}")

    def _in_field(self, node: exp.In) -> str:
        column = self.read.field(node.this)
        if column is None:
            raise Unsupported(f"IN 左边不是字段：{node.this.sql()}")
        return column

    def _in_values(self, node: exp.In) -> list[int | float | str]:
        return [self.read.constant(v) for v in node.expressions]

    def function(self, name: str, node: exp.Expression, kw: dict[str, Any]) -> Any:
        from ..expr.functions import FUNCTIONS

        args = FUNCTIONS[name].arguments(node)
        column = self.read.field(args[0]) if args else None
        if column is not None and name == "regexp_like":
            return E.ExpectColumnValuesToMatchRegex(column=column, regex=str(args[1].name), **kw)
        if column is not None and name == "in_codelist":
            codes = list(self.pack.codelists[str(args[1].name)].codes)
            return E.ExpectColumnValuesToBeInSet(column=column, value_set=codes, **kw)
        if column is not None and name == "format_valid":
            return E.ExpectColumnValuesToMatchRegex(column=column, regex=_regex_of_format(str(args[1].name)), **kw)
        raise Unsupported(f"函数 {name}() 没有对应的 GX 期望")

    def condition(self, node: exp.Expression) -> Any:
        """A ``when`` as a GX row condition: ``field op constant`` terms joined by AND."""
        node = _strip(node)
        if isinstance(node, exp.And):
            return self.condition(node.this) & self.condition(node.expression)
        if isinstance(node, exp.Not) and isinstance(_strip(node.this), exp.Is):
            column = self.read.field(_strip(node.this).this)
            if column is not None:
                return rc.Column(column).is_not_null()
        try:
            column, op, value, is_field = self.read.comparison(node)
        except Unsupported:
            raise Unsupported(f"适用条件 when 不能写成 GX 行条件：{node.sql()}") from None
        if is_field:
            raise Unsupported(f"适用条件 when 比较两个字段，GX 行条件不支持：{node.sql()}")
        return _OPS[op](rc.Column(column), value)


def to_suite(pack: Pack, *, name: str | None = None, pair_nulls: PairNulls = "not_applicable") -> GxSuite:
    """Compile ``pack`` to a GX ``ExpectationSuite`` plus the rules GX cannot express.

    Parameters
    ----------
    pack
        A loaded pack.
    name
        Suite name (default: the pack id).
    pair_nulls
        ``"not_applicable"`` (default): a column-pair comparison skips rows where either
        value is null, as source_check does. ``"gx"``: GX's default, which counts a row
        with one null as unexpected.
    """
    translator = _Translator(pack, pair_nulls)
    expectations: list[Any] = []
    rules: dict[str, str] = {}
    unsupported: list[tuple[str, str]] = []
    for rule in pack.all_rules:
        try:
            expectation = translator.rule(rule)
        except Unsupported as exc:
            unsupported.append((rule.id, str(exc)))
            continue
        expectations.append(expectation)
        rules[rule.id] = str(expectation.expectation_type)
    meta = {"source_check": {"pack": pack.id, "version": pack.version, "unsupported": [list(u) for u in unsupported]}}
    suite = gx.ExpectationSuite(name=name or pack.id, expectations=expectations, meta=meta)
    return GxSuite(suite=suite, rules=rules, unsupported=unsupported)


def to_pandas(pack: Pack, data: pl.DataFrame | pl.LazyFrame) -> Any:
    """Type ``data`` as source_check does and convert it to a pandas DataFrame for GX."""
    lf = data.lazy()
    typed = lf.with_columns(PackPlan(pack, has_previous=False).typed_columns(lf.collect_schema(), keep_raw=False))
    return typed.collect().to_pandas()


def run_suite(gx_suite: GxSuite, data: Any, *, result_format: str = "SUMMARY") -> pl.DataFrame:
    """Validate a pandas (or polars, converted) DataFrame with GX; one row per expectation.

    Columns: ``rule_id, level, expectation, success, element_count, unexpected_count,
    missing_count``. Runs in an ephemeral GX context with progress bars off.
    """
    from great_expectations.data_context.types.base import ProgressBarsConfig

    if isinstance(data, (pl.DataFrame, pl.LazyFrame)):
        data = data.lazy().collect().to_pandas()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("source_check")
        .add_dataframe_asset("submission")
        .add_batch_definition_whole_dataframe("all")
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": data})
    with warnings.catch_warnings():
        # pandas warns that format regexes have groups; GX only asks whether they match
        warnings.filterwarnings("ignore", "This pattern is interpreted as a regular expression", UserWarning)
        result = batch.validate(gx_suite.suite, result_format=result_format)
    rows = []
    for r in result.results:
        config = r.expectation_config
        if r.exception_info and r.exception_info.get("raised_exception"):
            message = r.exception_info["exception_message"]
            raise RuntimeError(f"GX 执行规则 {config.meta.get('rule_id')} 出错：{message}")
        rows.append({
            "rule_id": config.meta.get("rule_id"),
            "level": config.meta.get("level"),
            "expectation": config.type,
            "success": bool(r.success),
            "element_count": r.result.get("element_count"),
            "unexpected_count": r.result.get("unexpected_count"),
            "missing_count": r.result.get("missing_count"),
        })
    order = {rule_id: i for i, rule_id in enumerate(gx_suite.rules)}
    schema = {"rule_id": pl.String, "level": pl.String, "expectation": pl.String, "success": pl.Boolean,
              "element_count": pl.Int64, "unexpected_count": pl.Int64, "missing_count": pl.Int64}
    return pl.DataFrame(rows, schema=schema).sort(pl.col("rule_id").replace_strict(order, default=None))
