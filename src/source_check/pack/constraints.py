"""Field constraints (``required``, ``type``, ``min``…) as ordinary rules.

Each constraint becomes a rule with a generated id ``<field>.<constraint>``, a Chinese
title and message, a default level and dimension, and — except for ``type``, which
compares the raw and the typed value — a ``check`` in the same SQL subset as
hand-written rules, so every engine compiles them the same way. A pack changes a
generated rule's level, title or message by listing its id under ``rules:`` with just
those keys, or drops it with ``disable:``.

Examples
--------
>>> from source_check.pack.schema import FieldSpec
>>> [d.id for d in field_rule_drafts("emp", FieldSpec(label="人数", type="int", required=True, min=0))]
['emp.required', 'emp.type', 'emp.min']
"""

from __future__ import annotations

from dataclasses import dataclass

from ..formats import FORMATS
from .schema import FieldSpec

__all__ = ["TYPE_ZH", "RuleDraft", "field_rule_drafts", "number_text"]

TYPE_ZH = {"str": "文本", "int": "整数", "float": "数值", "date": "日期"}


@dataclass(frozen=True)
class RuleDraft:
    """A rule before its expressions are parsed."""

    id: str
    title: str
    level: str
    dimension: str
    check: str | None
    message: str
    field: str
    constraint: str


def number_text(value: float) -> str:
    """A number as a person writes it: ``0.0`` → ``0``, ``2.5`` → ``2.5``.

    Examples
    --------
    >>> number_text(0.0), number_text(2.5), number_text(12307)
    ('0', '2.5', '12307')
    """
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def field_rule_drafts(field_id: str, spec: FieldSpec) -> list[RuleDraft]:
    """The generated rules for one field, in a fixed order."""
    label = spec.label or field_id
    x = field_id
    out: list[RuleDraft] = []

    def add(constraint: str, title: str, dimension: str, check: str | None, message: str) -> None:
        out.append(
            RuleDraft(
                id=f"{field_id}.{constraint}",
                title=title,
                level="error",
                dimension=dimension,
                check=check,
                message=message,
                field=field_id,
                constraint=constraint,
            )
        )

    if spec.required:
        add("required", f"{label}必填", "completeness", f"{x} IS NOT NULL", f"{label}为空，必须填报")
    if spec.type != "str":
        add("type", f"{label}应为{TYPE_ZH[spec.type]}", "validity", None,
            f"{label}的值不是有效的{TYPE_ZH[spec.type]}")
    if spec.min is not None:
        m = number_text(spec.min)
        add("min", f"{label}不小于{m}", "validity", f"{x} >= {m}", f"{label}为{{{x}}}，小于下限{m}")
    if spec.max is not None:
        m = number_text(spec.max)
        add("max", f"{label}不大于{m}", "validity", f"{x} <= {m}", f"{label}为{{{x}}}，大于上限{m}")
    if spec.pattern is not None:
        pattern = f"^(?:{spec.pattern})$"
        add("pattern", f"{label}格式正确", "validity", f"regexp_like({x}, {_quote(pattern)})",
            f"{label}“{{{x}}}”格式不符（应匹配 {spec.pattern.replace('{', '{{').replace('}', '}}')}）")
    if spec.format is not None:
        fmt = FORMATS.get(spec.format)
        what = fmt.label if fmt else spec.format
        check = f"uscc_valid({x})" if spec.format == "uscc" else f"format_valid({x}, {_quote(spec.format)})"
        add("format", f"{label}格式有效", "validity", check, f"{label}“{{{x}}}”不是有效的{what}")
    if spec.codelist is not None:
        add("codelist", f"{label}在代码表 {spec.codelist} 中", "validity",
            f"in_codelist({x}, {_quote(spec.codelist)})", f"{label}“{{{x}}}”不在代码表 {spec.codelist} 中")
    if spec.unique:
        add("unique", f"{label}不重复", "uniqueness", f"is_unique({x})", f"{label}“{{{x}}}”重复出现")
    return out
