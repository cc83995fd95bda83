"""Lints for a loaded pack: things that load and run but are probably mistakes.

``source-check test-pack`` prints them as warnings (failures only with ``--strict``):
a rule of the pack's own file that no test makes fail, a param no expression reads, a
check that reads no field (so its result is the same for every record, ``1 = 1``), and
two rules of the pack's own file with the same check and condition.

Examples
--------
>>> from source_check.pack.loader import load_pack_text
>>> pack = load_pack_text('''
... pack: t
... params: {limit: 5, unused: 1}
... fields: {a: {type: int}}
... rules:
...   - {id: R1, check: a < limit}
...   - {id: R2, check: 1 = 1}
... tests:
...   - {name: 太大, row: {a: 9}, fails: [R1]}
... ''')
>>> for lint in lint_pack(pack):
...     print(lint.code, lint.subject)
untested R2
constant R2
unused_param unused
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from .pack.model import Pack, Rule

__all__ = ["PackLint", "lint_pack"]


@dataclass(frozen=True)
class PackLint:
    """One lint: a code, the rule or param it is about, a Chinese message, where."""

    code: str
    subject: str
    message: str
    position: str = ""

    def __str__(self) -> str:
        where = f"{self.position} " if self.position else ""
        return f"{where}{self.subject}：{self.message}"


def _own(pack: Pack, rule: Rule) -> bool:
    """Whether the rule is written in the pack's own file (not inherited, not generated)."""
    if rule.position is None or not pack.path:
        return False
    return Path(rule.position.file).resolve() == Path(pack.path).resolve()


def _names(rule: Rule) -> set[str]:
    """Every identifier the rule's expressions name (fields and params)."""
    exprs = [e for e in (rule.check, rule.when) if e is not None]
    if rule.message is not None:
        exprs += rule.message.expressions
    return {col.name for e in exprs for col in e.ast.find_all(exp.Column)}


def lint_pack(pack: Pack) -> list[PackLint]:
    """The lints of ``pack``, rules first (in pack order), then params."""
    out: list[PackLint] = []
    failing = {rule_id for test in pack.tests for rule_id in test.fails}
    own = [r for r in pack.all_rules if r.kind != "field" and _own(pack, r)]
    seen: dict[tuple[str, str, str], str] = {}
    for rule in own:
        where = str(rule.position or "")
        if rule.id not in failing:
            out.append(PackLint("untested", rule.id,
                                "没有让它不通过的测试用例（tests: 中没有一个例子的 fails 含这条规则）", where))
        if rule.check is not None and not rule.check.all_fields and not rule.check.uses_prev:
            out.append(PackLint("constant", rule.id,
                                f"核查表达式 {rule.check.text} 不读取任何字段，对每条记录结果都相同", where))
        if rule.check is not None:
            same = (rule.check.text.strip(), rule.when.text.strip() if rule.when else "", rule.level)
            if same in seen:
                out.append(PackLint("duplicate", rule.id,
                                    f"与规则 {seen[same]} 的核查表达式、适用条件和级别相同", where))
            else:
                seen[same] = rule.id
    used = set().union(*(_names(r) for r in pack.all_rules)) if pack.all_rules else set()
    for name in pack.params:
        if name not in used:
            out.append(PackLint("unused_param", name, "参数没有被任何规则的表达式或提示信息用到", pack.path))
    return out
