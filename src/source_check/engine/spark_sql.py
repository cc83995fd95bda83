"""A pack's rules as Spark SQL status expressions (the distributed engine's input).

Each rule becomes ``CASE WHEN <not applicable> THEN NULL ELSE <check> END`` with the
same null semantics as the polars engine (:mod:`source_check.engine.compile`).

Examples
--------
>>> from source_check import load_pack
>>> sql = rule_status_sql(load_pack("labor-102"), load_pack("labor-102").rule("102-01"))
>>> sql
'CASE WHEN emp_end IS NULL OR emp_female IS NULL THEN NULL ELSE emp_end >= emp_female END'
"""

from __future__ import annotations

from ..expr.polars_compile import prev_name
from ..expr.spark import to_spark_sql
from ..pack.constraints import number_text
from ..pack.model import Pack, Rule
from .compile import raw_name

__all__ = ["pack_status_sql", "rule_status_sql"]


def _check_sql(pack: Pack, rule: Rule) -> str:
    scope = pack.scope(allow_prev=True)
    lists = {k: list(v.codes) for k, v in pack.codelists.items()}
    if rule.balance is not None:
        b = rule.balance

        def term(name: str) -> str:
            return f"coalesce({name}, 0)" if b.null_as_zero else name

        parts = " ".join(
            (f"- {term(p[1:].strip())}" if p.startswith("-") else f"+ {term(p)}") for p in b.parts
        ).lstrip("+ ")
        return f"abs({b.total} - ({parts})) <= {number_text(b.tolerance)}"
    if rule.check is not None:
        return to_spark_sql(rule.check, scope, lists)
    if rule.constraint == "type" and rule.field:
        return f"{rule.field} IS NOT NULL"
    raise ValueError(f"rule {rule.id} has nothing to check")


def rule_status_sql(pack: Pack, rule: Rule) -> str:
    """``TRUE`` pass, ``FALSE`` fail, ``NULL`` not applicable — as Spark SQL."""
    scope = pack.scope(allow_prev=True)
    lists = {k: list(v.codes) for k, v in pack.codelists.items()}
    conditions: list[str] = []
    if rule.when is not None:
        conditions.append(f"NOT coalesce({to_spark_sql(rule.when, scope, lists)}, FALSE)")
    inputs = sorted(rule.inputs)
    if rule.constraint == "type" and rule.field:
        inputs = [raw_name(rule.field)]
    inputs += [prev_name(f) for f in sorted(rule.prev_inputs)]
    conditions += [f"{name} IS NULL" for name in inputs]
    check = _check_sql(pack, rule)
    if not conditions:
        return check
    return f"CASE WHEN {' OR '.join(conditions)} THEN NULL ELSE {check} END"


def pack_status_sql(pack: Pack, *, with_history: bool = True) -> dict[str, str]:
    """Every rule's status expression, by rule id."""
    rules = pack.all_rules if with_history else pack.rules
    return {r.id: rule_status_sql(pack, r) for r in rules}
