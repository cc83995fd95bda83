"""A pack as a ``pandera.polars.DataFrameSchema``.

For bureau systems that already validate with pandera. Field constraints become column
properties and column checks (``min`` → ``Check.ge``, ``max`` → ``Check.le``,
``codelist`` → ``Check.isin``, ``pattern`` → ``Check.str_matches``, ``required`` →
``nullable=False``, the type → the column dtype); ``format`` and ``unique`` and every
row rule are checks built from the very polars expressions source_check's own engine
runs (:class:`~source_check.engine.compile.PackPlan`), vectorised over the whole frame,
never element-wise. Every check is named by its rule id.

Semantics, compared with :func:`source_check.check`:

* pandera has no *not applicable*: a row where source_check's status is null (``when``
  false, an input null, ``x / 0``) is a **pass** in pandera. Failure counts per rule are
  therefore equal to source_check's ``fails``; ``na`` has no pandera counterpart.
* pandera has no levels: a ``warning`` or ``info`` rule fails validation like an
  ``error`` one. ``schema.metadata["source_check"]["levels"]`` maps rule ids to levels.
* The schema validates **typed** data. :func:`prepare` types a raw frame exactly as
  source_check does (text → numbers, ``—``/``无`` → null, missing fields → null
  columns). On raw text, a ``<field>.type`` failure is pandera's dtype (or coercion)
  failure for the whole column, not a count of bad values.
* History rules need the previous period, which a one-frame schema does not have; they
  are left out and listed in ``schema.metadata["source_check"]["skipped"]``.
* pandera evaluates and collects each check separately (one pass over the data per
  check) and materialises failure cases; source_check evaluates all rules in one pass.

Examples
--------
>>> import polars as pl
>>> from source_check import load_pack_text
>>> pack = load_pack_text('''
... pack: demo
... key: [id]
... fields:
...   id: {required: true}
...   total: {type: int, min: 0}
...   part: {type: int}
... rules:
...   - {id: R1, title: 部分不大于总数, check: part <= total}
... ''')
>>> schema = to_schema(pack)
>>> frame = prepare(pack, pl.DataFrame({"id": ["a", "b", "c"], "total": [5, 5, -1], "part": [3, 9, None]}))
>>> failure_counts(schema, frame)
{'total.min': 1, 'R1': 1}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

from ..engine.compile import PackPlan
from ..expr.polars_compile import POLARS_TYPES
from ..pack.model import Pack, Rule

__all__ = ["failure_counts", "failure_table", "prepare", "to_schema"]

#: Constraints a column check or a column property expresses directly.
_BUILTIN = ("min", "max", "codelist", "pattern")

CheckFn = Callable[[pa.PolarsData], pl.LazyFrame]


def _status_check(status: pl.Expr) -> CheckFn:
    """A pandera check function: the rule's status over the frame, not applicable as pass."""

    def check(data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(status.fill_null(True).alias("check_output"))

    return check


def _check_kwargs(rule: Rule, n_failure_cases: int | None) -> dict[str, Any]:
    return {
        "name": rule.id,
        "error": rule.id,
        "title": rule.title,
        "description": rule.source or rule.title,
        "n_failure_cases": n_failure_cases,
    }


def _column_check(plan: PackPlan, rule: Rule, n_failure_cases: int | None) -> pa.Check:
    spec = plan.pack.fields[rule.field or ""]
    kwargs = _check_kwargs(rule, n_failure_cases)
    if rule.constraint == "min" and spec.min is not None:
        return pa.Check.ge(spec.min, **kwargs)
    if rule.constraint == "max" and spec.max is not None:
        return pa.Check.le(spec.max, **kwargs)
    if rule.constraint == "codelist" and spec.codelist in plan.pack.codelists:
        return pa.Check.isin(list(plan.pack.codelists[spec.codelist].codes), **kwargs)
    if rule.constraint == "pattern" and spec.pattern is not None:
        return pa.Check.str_matches(f"^(?:{spec.pattern})$", **kwargs)
    return pa.Check(_status_check(plan.status_expr(rule)), **kwargs)


def to_schema(
    pack: Pack,
    *,
    coerce: bool = False,
    n_failure_cases: int | None = None,
    name: str | None = None,
) -> pa.DataFrameSchema:
    """Compile ``pack`` to a pandera polars schema.

    Parameters
    ----------
    pack
        A loaded pack.
    coerce
        Let pandera cast columns to the fields' types (``int`` → Int64, ``float`` →
        Float64, ``str`` → String, ``date`` → Date). Without it, validate the output of
        :func:`prepare`.
    n_failure_cases
        Keep at most this many failure cases per check (pandera's ``n_failure_cases``);
        ``None`` keeps them all.
    name
        Schema name (default: the pack id).

    Returns
    -------
    pandera.polars.DataFrameSchema
        Column checks for field constraints, dataframe checks for row rules, each named
        by its rule id; ``metadata["source_check"]`` holds the pack id, version, each
        rule's level and the skipped (history) rules with the reason.
    """
    plan = PackPlan(pack, has_previous=False)
    by_field: dict[str, list[Rule]] = {}
    frame_rules: list[Rule] = []
    for rule in plan.active:
        if rule.kind == "field" and rule.field in pack.fields:
            by_field.setdefault(rule.field or "", []).append(rule)
        else:
            frame_rules.append(rule)

    columns: dict[str, pa.Column] = {}
    for fid, spec in pack.fields.items():
        rules = by_field.get(fid, [])
        constraints = {r.constraint for r in rules}
        checks = [_column_check(plan, r, n_failure_cases) for r in rules if r.constraint not in ("required", "type")]
        columns[fid] = pa.Column(
            POLARS_TYPES[spec.type],
            checks=checks,
            nullable="required" not in constraints,
            required="required" in constraints,
            coerce=coerce,
            title=spec.label,
            description=f"{spec.label or fid}（{spec.unit}）" if spec.unit else spec.label,
        )
    checks = [pa.Check(_status_check(plan.status_expr(r)), **_check_kwargs(r, n_failure_cases)) for r in frame_rules]
    metadata = {
        "source_check": {
            "pack": pack.id,
            "version": pack.version,
            "levels": {r.id: r.level for r in pack.all_rules},
            "skipped": [(r.id, "历史比较规则需要上期数据，pandera 架构只校验单张表，未包含") for r in plan.skipped],
        }
    }
    return pa.DataFrameSchema(
        columns=columns,
        checks=checks,
        name=name or pack.id,
        title=pack.title,
        metadata=metadata,
        strict=False,
    )


def prepare(pack: Pack, data: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Type a raw frame as source_check does, for validation with :func:`to_schema`'s schema.

    Fields missing from ``data`` become null columns; other columns are kept.
    """
    lf = data.lazy()
    plan = PackPlan(pack, has_previous=False)
    return lf.with_columns(plan.typed_columns(lf.collect_schema(), keep_raw=False)).collect()


def failure_table(schema: pa.DataFrameSchema, data: pl.DataFrame) -> pl.DataFrame:
    """Validate ``data`` with ``lazy=True`` and return pandera's failure cases (empty if valid).

    Columns are pandera's (``failure_case, schema_context, column, check, check_number,
    index``) plus ``rule_id``.
    """
    try:
        schema.validate(data, lazy=True)
    except SchemaErrors as exc:
        return _with_rule_ids(schema, exc.failure_cases)
    return pl.DataFrame(
        schema={"failure_case": pl.String, "schema_context": pl.String, "column": pl.String, "check": pl.String,
                "check_number": pl.Int32, "index": pl.Int32, "rule_id": pl.String}
    )


def _with_rule_ids(schema: pa.DataFrameSchema, cases: pl.DataFrame) -> pl.DataFrame:
    """Attach the rule id to each failure case, from the check's position in the schema."""
    special = {"not_nullable": "required", "field_uniqueness": "unique"}
    keys = cases.select("schema_context", "column", "check", "check_number").unique()
    ids: list[dict[str, Any]] = []
    for ctx, column, check, number in keys.iter_rows():
        rule_id: str | None = None
        if ctx == "DataFrameSchema" and number is not None:
            rule_id = schema.checks[number].name
        elif ctx == "Column" and number is not None and column in schema.columns:
            rule_id = schema.columns[column].checks[number].name
        elif ctx == "Column" and check in special:
            rule_id = f"{column}.{special[check]}"
        elif ctx == "Column" and isinstance(check, str) and "dtype(" in check:
            rule_id = f"{column}.type"
        ids.append({"schema_context": ctx, "column": column, "check": check, "check_number": number,
                    "rule_id": rule_id})
    lookup = pl.DataFrame(ids, schema={"schema_context": pl.String, "column": pl.String, "check": pl.String,
                                       "check_number": pl.Int32, "rule_id": pl.String})
    on = ["schema_context", "column", "check", "check_number"]
    return cases.join(lookup, on=on, how="left", nulls_equal=True, maintain_order="left")


def failure_counts(schema: pa.DataFrameSchema, data: pl.DataFrame) -> dict[str, int]:
    """Failure cases per rule id (rules without failures are left out), in schema order.

    Comparable to ``check(data, pack).rules["fails"]`` when ``n_failure_cases`` is
    ``None`` and ``data`` is typed (see the module notes).
    """
    table = failure_table(schema, data)
    counted = dict(table.group_by("rule_id").len().iter_rows())
    order = [r for col in schema.columns.values() for r in _column_rule_ids(col)] + [c.name for c in schema.checks]
    out = {r: int(counted[r]) for r in order if r in counted}
    out.update({str(k): int(v) for k, v in counted.items() if k not in out})
    return out


def _column_rule_ids(column: pa.Column) -> list[str]:
    ids = [f"{column.name}.required", f"{column.name}.type"]
    return ids + [c.name for c in column.checks]
