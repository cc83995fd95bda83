"""Type-check a pack at load time by compiling every rule over an empty typed frame.

A rule that compares text with a number, or calls a text function on a date, fails
here with its file:line and id, instead of during a run.
"""

from __future__ import annotations

import polars as pl

from ..errors import Issue
from ..expr.polars_compile import POLARS_TYPES, prev_name
from ..pack.model import Pack
from .compile import PackPlan, raw_name

__all__ = ["empty_typed_frame", "typecheck_pack"]


def empty_typed_frame(pack: Pack) -> pl.DataFrame:
    """A frame with no rows and every column a compiled pack may read."""
    schema: dict[str, pl.DataType | type[pl.DataType]] = {}
    for fid, spec in pack.fields.items():
        schema[fid] = POLARS_TYPES[spec.type]
        schema[prev_name(fid)] = POLARS_TYPES[spec.type]
        schema[raw_name(fid)] = pl.String
    return pl.DataFrame(schema=schema)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def typecheck_pack(pack: Pack) -> list[Issue]:
    """Issues for rules whose expressions polars cannot evaluate on the fields' types.

    All rules are compiled in one ``select`` (one polars plan for the whole pack: a pack
    of thousands of rules loads in a second, not one plan per rule); only when that
    fails is each rule tried alone, to name the ones at fault.
    """
    plan = PackPlan(pack, has_previous=True)
    frame = empty_typed_frame(pack)
    issues: list[Issue] = []
    try:
        exprs: list[pl.Expr] = []
        for i, rule in enumerate(plan.active):
            exprs += [plan.status_expr(rule).alias(f"s{i}"), plan.message_expr(rule, frame).alias(f"m{i}"),
                      plan.values_expr(rule).alias(f"v{i}")]
        frame.select(exprs)
        return issues
    except (pl.exceptions.PolarsError, TypeError, ValueError):
        pass  # find the rules at fault
    for rule in plan.active:
        try:
            frame.select(plan.status_expr(rule).alias("s"))
            frame.select(plan.message_expr(rule, frame).alias("m"), plan.values_expr(rule).alias("v"))
        except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:
            issues.append(Issue(f"表达式类型不匹配：{_short(exc)}", rule.position, rule.id))
    return issues
