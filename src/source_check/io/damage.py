"""Codes that Excel damaged, as named rules: ``<field>.excel_damaged``.

Excel stores a code typed into a "General" cell as a number: a 统一社会信用代码 of
digits shows (and is saved to CSV) as ``9.13101E+17``; an industry code ``0111``
becomes ``111``. Such a value is not a typo by the unit and must not be reported as a
generic invalid code: the fix is to format the column as text and type the code again.

:func:`with_read_checks` returns the pack with, for every code field (a ``str`` field
with a ``uscc``/``orgcode``/``division12``/``industry4`` format, a code list, or a row
rule checking it alone against a code list or pattern, like unit-101's 101-05), one
more field rule ``<field>.excel_damaged`` (level ``error``, dimension ``validity``),
placed before the field's format rule (only where the pack checks the field's format or
code list: a pack that disables those, such as a cross-form pack, gets none). It fails
for a value in scientific notation
(``9.13101E+17``, ``3.10107E+8``) and, for a ``industry4`` field or a code list of
digit codes some of which start with 0, for a value that lost its leading zeros
(``111`` for ``0111``). The field's generic ``format``, ``codelist``, ``pattern`` and
``unique`` rules, and those row rules, are not applicable to such a value (none of them can be valid), so
each damaged cell yields exactly one finding, with a message that says what happened.

A code that reaches the reader as a *number* (a number cell in a workbook, a float
column in parquet, a program's ``913101070000001024.0`` in CSV) with 16 or more digits
is read in scientific notation with the 15 digits Excel kept (``9.13101070000001E+17``,
see :func:`~.values.number_as_code`), so this rule names it. As *text*, a credit code
that looks saved as a number (``913101070000000000``) may also be a valid all-digit
code, so only the check character can tell them apart: it stays a ``<field>.format``
finding, whose message gains the hint "疑似被Excel当作数字保存…" (the check character is
not computed twice).

The rules are ordinary pack rules in the same SQL subset, so every engine runs them,
counts stay exact and ``max_findings_per_rule`` applies.

Examples
--------
>>> import polars as pl
>>> from source_check import check, load_pack
>>> pack = with_read_checks(load_pack("common-base"))
>>> codes = ["9.13101E+17", "91310107MA1G00000Q", "913101070000000000"]
>>> r = check(pl.DataFrame({"credit_code": codes, "town_code": ["310107005"] * 3}), pack)
>>> r.findings["rule_id"].to_list()
['credit_code.excel_damaged', 'credit_code.format']
>>> print(r.findings["message"][0])
统一社会信用代码“9.13101E+17”疑似被Excel科学计数法损坏，请将该列设为文本格式后重新填写
>>> print(r.findings["message"][1].split("；")[1])
疑似被Excel当作数字保存，第15位之后的数字已变成0，请将该列设为文本格式后重新填写
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, replace

from ..expr.parse import parse_expression
from ..expr.template import Template, parse_template
from ..pack.model import Pack, Rule

__all__ = ["DAMAGE_FORMATS", "Damage", "damage_for", "with_read_checks"]

#: Named formats whose values are codes that Excel may turn into numbers.
DAMAGE_FORMATS = frozenset({"uscc", "orgcode", "division12", "industry4"})
_GUARDED = ("format", "codelist", "pattern", "unique")
_SUFFIX = "excel_damaged"
_SCIENTIFIC = r"^(?:[0-9]([.][0-9]+)?[Ee][+][0-9]{1,2}|[0-9][.][0-9]+[Ee][0-9]{1,2})$"
_FIFTEEN_DIGITS = r"^[0-9]{15}0+$"
_FIX = "，请将该列设为文本格式后重新填写"
_CACHE: dict[int, tuple[weakref.ref[Pack], Pack]] = {}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _zero_padded(pack: Pack, codelist: str) -> bool:
    """Whether a code list's codes are digits and some start with 0 (``0111``)."""
    codes = pack.codelists[codelist].codes if codelist in pack.codelists else ()
    return bool(codes) and all(c.isdigit() for c in codes) and any(c.startswith("0") for c in codes)


def _code_row_rules(pack: Pack, field_id: str) -> list[Rule]:
    """Row rules that check one code field alone with a code list or a pattern, such as
    ``in_codelist(industry_code, 'industry_classes')``."""
    out = []
    for rule in pack.rules:
        if rule.kind != "row" or rule.check is None or rule.check.all_fields != {field_id}:
            continue
        if rule.when is not None and not rule.when.all_fields <= {field_id}:
            continue
        if "in_codelist(" in rule.check.text or "regexp_like(" in rule.check.text:
            out.append(rule)
    return out


def _codelists_of(pack: Pack, field_id: str) -> list[str]:
    spec = pack.fields[field_id]
    names = [spec.codelist] if spec.codelist else []
    for rule in _code_row_rules(pack, field_id):
        assert rule.check is not None
        names += re.findall(rf"in_codelist\(\s*{re.escape(field_id)}\s*,\s*'([^']+)'\s*\)", rule.check.text)
    return list(dict.fromkeys(n for n in names if n in pack.codelists))


@dataclass(frozen=True)
class Damage:
    """SQL (of the pack expression subset) describing Excel damage to one code field.

    ``condition`` is true for a damaged value (never for a valid one); ``reason`` is the
    Chinese explanation for a damaged value.
    """

    field: str
    condition: str
    reason: str


def damage_for(pack: Pack, field_id: str) -> Damage | None:
    """How Excel damage shows in a field, or ``None`` for fields that are not codes.

    A code field is a ``str`` field with a ``uscc``/``orgcode``/``division12``/``industry4``
    format, a code list, or a row rule that checks it alone against a code list or a
    pattern.

    Examples
    --------
    >>> from source_check import load_pack
    >>> pack = load_pack("unit-101")
    >>> damage_for(pack, "period") is None, damage_for(pack, "industry_code").field
    (True, 'industry_code')
    """
    spec = pack.fields[field_id]
    if spec.type != "str":
        return None
    if spec.format not in DAMAGE_FORMATS and spec.codelist is None and not _code_row_rules(pack, field_id):
        return None
    x = field_id
    scientific = f"regexp_like({x}, {_quote(_SCIENTIFIC)})"
    lost_zero: str | None = None
    padded: str | None = None
    padded_lists = [cl for cl in _codelists_of(pack, field_id) if _zero_padded(pack, cl)]
    if padded_lists:
        cl = _quote(padded_lists[0])
        lost_zero = (f"(regexp_like({x}, '^[0-9]+$') AND NOT in_codelist({x}, {cl}) AND "
                     f"(in_codelist('0' || {x}, {cl}) OR in_codelist('00' || {x}, {cl})))")
        padded = f"CASE WHEN in_codelist('0' || {x}, {cl}) THEN '0' || {x} ELSE '00' || {x} END"
    elif spec.format == "industry4":
        lost_zero = f"regexp_like({x}, '^[1-6][0-9][0-9]$')"
        padded = f"'0' || {x}"
    if lost_zero is None:
        return Damage(field_id, scientific, "'疑似被Excel科学计数法损坏'")
    reason = (f"CASE WHEN regexp_like({x}, '[Ee]') THEN '疑似被Excel科学计数法损坏' "
              f"ELSE '疑似被Excel去掉了开头的0（应为“' || {padded} || '”）' END")
    return Damage(field_id, f"{scientific} OR {lost_zero}", reason)


def _damage_rule(pack: Pack, damage: Damage) -> Rule:
    scope = pack.scope()
    fid = damage.field
    label = pack.label(fid).replace("{", "{{").replace("}", "}}")
    return Rule(
        id=f"{fid}.{_SUFFIX}",
        title=f"{pack.label(fid)}未被Excel损坏",
        level="error",
        dimension="validity",
        kind="field",
        check=parse_expression(f"NOT ({damage.condition})", scope),
        message=parse_template(f"{label}“{{{fid}}}”{{{damage.reason}}}{_FIX}", scope),
        source="读取检查：Excel 把代码当作数字保存（科学计数法、丢失开头的0）",
        field=fid,
        constraint=_SUFFIX,
    )


def _guarded(rule: Rule, damage: Damage, pack: Pack) -> Rule:
    text = f"NOT coalesce(({damage.condition}), FALSE)"
    if rule.when is not None:
        text += f" AND ({rule.when.text})"
    return replace(rule, when=parse_expression(text, pack.scope()))


def _with_fifteen_digit_hint(rule: Rule, pack: Pack) -> Rule:
    """A credit code's format message, plus a hint when it looks saved as a number."""
    if rule.message is None:
        return rule
    x = rule.field
    hint = (f"CASE WHEN regexp_like({x}, {_quote(_FIFTEEN_DIGITS)}) "
            f"THEN '；疑似被Excel当作数字保存，第15位之后的数字已变成0{_FIX}' ELSE '' END")
    parsed = parse_expression(hint, pack.scope())  # not parse_template: the pattern has braces
    message = Template(rule.message.text + "{" + hint + "}", (*rule.message.pieces, parsed))
    return replace(rule, message=message)


def with_read_checks(pack: Pack) -> Pack:
    """``pack`` with ``<field>.excel_damaged`` rules for its code fields.

    Idempotent, and cached per pack object (deriving parses a few expressions).
    """
    cached = _CACHE.get(id(pack))
    if cached is not None and cached[0]() is pack:
        return cached[1]
    existing = {r.id for r in pack.all_rules}
    rules = list(pack.rules)
    for fid in pack.fields:
        damage = damage_for(pack, fid)
        if damage is None or f"{fid}.{_SUFFIX}" in existing:
            continue
        own = [i for i, r in enumerate(rules) if r.field == fid and r.kind == "field"]
        guarded = [i for i in own if rules[i].constraint in _GUARDED]
        row_checks = {r.id for r in _code_row_rules(pack, fid)}
        if not row_checks and not any(rules[i].constraint in ("format", "codelist") for i in guarded):
            continue  # the pack does not check this code (e.g. disabled in a cross-form pack)
        for i, r in enumerate(rules):
            if r.id in row_checks:
                rules[i] = _guarded(r, damage, pack)
        for i in guarded:
            rules[i] = _guarded(rules[i], damage, pack)
            if rules[i].constraint == "format" and pack.fields[fid].format == "uscc":
                rules[i] = _with_fifteen_digit_hint(rules[i], pack)
        at = guarded[0] if guarded else (own[-1] + 1 if own else len(rules))
        rules.insert(at, _damage_rule(pack, damage))
    derived = replace(pack, rules=rules) if rules != pack.rules else pack
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[id(pack)] = (weakref.ref(pack), derived)
    _CACHE[id(derived)] = (weakref.ref(derived), derived)
    return derived
