"""Compile a resolved pack to polars expressions: typing, rule status, messages, values.

A rule's *status* is a Boolean column: ``True`` pass, ``False`` fail, null not
applicable (``when`` false or null, or a strict input null, or the check itself null).

Examples
--------
>>> import polars as pl
>>> from source_check.pack.loader import load_pack_text
>>> pack = load_pack_text("pack: t\\nfields: {a: {type: int}, b: {type: int}}\\nrules: [{id: R, check: a <= b}]\\n")
>>> plan = PackPlan(pack, has_previous=False)
>>> df = pl.DataFrame({"a": ["1", "3", None], "b": [2, 2, 2]})
>>> typed = df.lazy().with_columns(plan.typed_columns(df.lazy().collect_schema()))
>>> typed.select(plan.status_exprs()[-1]).collect().to_series().to_list()
[True, False, None]
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

import polars as pl
from sqlglot import exp

from ..expr.functions import FUNCTIONS, function_name
from ..expr.polars_compile import POLARS_TYPES, PolarsCompiler, date_from_text, prev_name
from ..expr.template import Template
from ..io.values import null_if, strip_grouping
from ..pack.constraints import number_text
from ..pack.model import Pack, Rule

__all__ = ["PROVENANCE", "PackPlan", "format_values", "raw_name", "status_name"]

PROVENANCE = ("source_file", "source_sheet", "source_row")


def raw_name(field_id: str) -> str:
    """Column keeping a field's raw value (for ``<field>.type`` findings)."""
    return f"__raw__{field_id}"


def status_name(index: int) -> str:
    """Column holding rule ``index``'s status."""
    return f"__s{index}"


def _clean_text(x: pl.Expr, na_values: Iterable[str]) -> pl.Expr:
    """Text stripped of surrounding blanks; empty and "not applicable" markers become null."""
    return null_if(x.cast(pl.String).str.strip_chars(), list(na_values))


def _typed(field_type: str, x: pl.Expr, dtype: pl.DataType, na_values: tuple[str, ...]) -> pl.Expr:
    if dtype == pl.Null:
        return pl.lit(None, dtype=POLARS_TYPES[field_type])
    if field_type == "str":
        if dtype == pl.String:
            return _clean_text(x, na_values)
        return x.cast(pl.String)
    if field_type in ("int", "float"):
        if dtype.is_numeric():
            num = x.cast(pl.Float64) if field_type == "float" or dtype.is_float() else x
        elif dtype == pl.Boolean:
            num = x.cast(pl.Int64)
        else:
            text = strip_grouping(_clean_text(x, na_values))  # 1,234 → 1234; 1,5 stays (a type finding)
            num = text.cast(pl.Float64, strict=False)
        if field_type == "float":
            return num.cast(pl.Float64)
        if dtype.is_integer():
            return num.cast(pl.Int64)
        return pl.when(num == num.round(0)).then(num.cast(pl.Int64, strict=False))
    # date
    if dtype == pl.Date:
        return x
    if isinstance(dtype, pl.Datetime):
        return x.dt.date()
    text = _clean_text(x, na_values)
    return date_from_text(text)


def _lossless(field_type: str, dtype: pl.DataType) -> bool:
    """True when an input column of ``dtype`` always converts to ``field_type`` exactly."""
    if field_type == "float":
        return dtype.is_numeric()
    if field_type == "int":
        return dtype.is_integer()
    if field_type == "date":
        return dtype == pl.Date
    return False


def _render(x: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A value as text for a Chinese message: integral floats without '.0', null as 空."""
    if dtype.is_float():
        as_int = x.cast(pl.Int64, strict=False).cast(pl.String)
        text = pl.when((x == x.round(0)) & as_int.is_not_null()).then(as_int).otherwise(
            x.round(2).cast(pl.String)
        )
    elif dtype == pl.Boolean:
        text = pl.when(x).then(pl.lit("是")).otherwise(pl.lit("否"))
    else:
        text = x.cast(pl.String)
    return text.fill_null("空")


def format_values(df: pl.DataFrame, exprs: list[pl.Expr]) -> list[pl.Expr]:
    """Render ``exprs`` over ``df`` as text columns, choosing the format by result type."""
    if not exprs:
        return []
    schema = df.head(0).select([e.alias(f"__v{i}") for i, e in enumerate(exprs)]).schema
    return [_render(e, schema[f"__v{i}"]) for i, e in enumerate(exprs)]


def _calls(rules: list[Rule]) -> Iterator[tuple[str, exp.Expression]]:
    """Every function call in the rules' checks and conditions, with the function's name."""
    for rule in rules:
        for part in (rule.check, rule.when):
            if part is None:
                continue
            for node in part.ast.walk():
                if isinstance(node, exp.Expression) and (name := function_name(node)) is not None:
                    yield name, node


def _repeated_calls(rules: list[Rule]) -> dict[str, exp.Expression]:
    """Costly calls (``shared`` functions) that two or more rule conditions make, by SQL text.

    The streaming engine does not share repeated subexpressions, and a pack repeats
    calls: the ``<field>.excel_damaged`` condition guards four rules of the field, and
    ``months(period)`` appears in each wage rule.
    """
    seen: dict[str, exp.Expression] = {}
    counts: dict[str, int] = {}
    for name, node in _calls(rules):
        if FUNCTIONS[name].shared:
            key = node.sql()
            seen.setdefault(key, node)
            counts[key] = counts.get(key, 0) + 1
    return {k: n for k, n in seen.items() if counts[k] > 1}


class PackPlan:
    """The polars side of one pack: typed columns, rule statuses, messages and values."""

    def __init__(
        self, pack: Pack, *, has_previous: bool, hoist: bool = False, missing_forms: Collection[str] = ()
    ) -> None:
        self.pack = pack
        self.has_previous = has_previous
        #: why each rule that cannot run is skipped (no previous period; an optional form not given)
        self.skip_reasons: dict[str, str] = {}
        absent = {f: form for form in missing_forms for f in pack.form_fields(form)}
        for r in pack.all_rules:
            if r.kind == "history" and not has_previous:
                self.skip_reasons[r.id] = "未提供上期数据，历史比较规则未执行"
            elif gone := sorted({absent[f] for f in (*r.fields_read, *r.prev_fields_read) if f in absent}):
                self.skip_reasons[r.id] = f"未提供{'、'.join(gone)}表数据，涉及该表指标的规则未执行"
        self.active: list[Rule] = [r for r in pack.all_rules if r.id not in self.skip_reasons]
        self.skipped: list[Rule] = [r for r in pack.all_rules if r.id in self.skip_reasons]
        from ..detectors.runner import detector_fields

        #: fields whose input column already has the field's type (no raw text copy kept)
        self.typed_natively: set[str] = set()

        self.detector_fields: list[str] = detector_fields(pack)
        scope = pack.scope(allow_prev=True)
        codelists = {k: list(v.codes) for k, v in pack.codelists.items()}
        self.compiler = PolarsCompiler(scope, codelists=codelists)
        #: hidden column → a costly call made by several rules, computed once per row
        self.hoisted: dict[str, pl.Expr] = {}
        if hoist:
            columns: dict[str, str] = {}
            for i, (key, node) in enumerate(_repeated_calls(self.active).items()):
                columns[key] = f"__h{i}"
                self.hoisted[f"__h{i}"] = self.compiler.compile(node)
            self.compiler = PolarsCompiler(scope, codelists=codelists, hoisted=columns)

    # --- typing ---------------------------------------------------------------------

    def type_rule_fields(self) -> list[str]:
        return [r.field for r in self.active if r.constraint == "type" and r.field]

    def typed_columns(self, schema: pl.Schema, *, keep_raw: bool = True) -> list[pl.Expr]:
        """Expressions turning raw input columns into the pack's typed fields.

        Fields missing from the input become null columns; for fields with a type rule
        the raw value is kept in :func:`raw_name` so a bad value can be cited — unless
        the input column already holds the type losslessly (numbers for a float field,
        integers for an int field, dates for a date field), where the type rule cannot
        fail and the costly text copy is skipped.
        """
        out: list[pl.Expr] = []
        type_fields = set(self.type_rule_fields()) if keep_raw else set()
        for fid, spec in self.pack.fields.items():
            if fid not in schema:
                out.append(pl.lit(None, dtype=POLARS_TYPES[spec.type]).alias(fid))
                if fid in type_fields:
                    out.append(pl.lit(None, dtype=pl.String).alias(raw_name(fid)))
                continue
            dtype = schema[fid]
            out.append(_typed(spec.type, pl.col(fid), dtype, self.pack.na_values).alias(fid))
            if fid in type_fields and _lossless(spec.type, dtype):
                self.typed_natively.add(fid)
            elif fid in type_fields:
                raw = _clean_text(pl.col(fid), self.pack.na_values) if dtype != pl.Null else pl.lit(None, pl.String)
                out.append(raw.alias(raw_name(fid)))
        return out

    def unique_arguments(self) -> dict[str, pl.Expr]:
        """The arguments of the ``is_unique(x)`` calls the rules make, compiled, by SQL text.

        :func:`~source_check.engine.polars_engine.build_plan` collects the values each
        takes more than once before the plan (:meth:`settle_uniqueness`), turning
        ``is_unique`` into a row-wise ``is_in`` test: the plan then streams instead of
        holding every row to find duplicates.
        """
        out: dict[str, pl.Expr] = {}
        for name, node in _calls(self.active):
            if name == "is_unique":
                arg = FUNCTIONS["is_unique"].arguments(node)[0]
                out[arg.sql()] = self.compiler.compile(arg)
        return out

    def settle_uniqueness(self, repeated: dict[str, pl.Series]) -> None:
        """Use the repeated values of :meth:`unique_arguments` in the rules compiled from now on."""
        self.compiler.repeated.update(repeated)

    def hoisted_columns(self) -> list[pl.Expr]:
        """The shared calls as hidden columns: add them before :meth:`status_exprs`."""
        return [e.alias(name) for name, e in self.hoisted.items()]

    def prev_fields(self) -> list[str]:
        """Fields whose previous-period value the plan needs (history rules, detectors, priority)."""
        names: set[str] = set()
        for r in self.active:
            names.update(r.prev_fields_read)
        if self.has_previous:
            names.update(self.detector_fields)
            names.update(f for f in self.pack.scoring.priority_fields if f in self.pack.fields)
        return sorted(names)

    # --- statuses -------------------------------------------------------------------

    def imbalance(self, rule: Rule) -> pl.Expr:
        """``total − Σ parts`` (signed), for a balance rule."""
        assert rule.balance is not None
        zero = rule.balance.null_as_zero

        def term(name: str) -> pl.Expr:
            col = pl.col(name).cast(pl.Float64)
            return col.fill_null(0.0) if zero else col

        parts = [(-term(p[1:].strip()) if p.startswith("-") else term(p)) for p in rule.balance.parts]
        return pl.col(rule.balance.total).cast(pl.Float64) - pl.sum_horizontal(parts, ignore_nulls=False)

    def check_expr(self, rule: Rule) -> pl.Expr:
        if rule.balance is not None:
            return self.imbalance(rule).abs() <= rule.balance.tolerance + 1e-9
        if rule.check is not None:
            return self.compiler.compile(rule.check.ast).cast(pl.Boolean)
        if rule.constraint == "type" and rule.field:
            return pl.col(rule.field).is_not_null()
        raise ValueError(f"rule {rule.id} has nothing to check")

    def na_expr(self, rule: Rule) -> pl.Expr | None:
        cols = [pl.col(c) for c in sorted(rule.inputs)]
        if rule.constraint == "type" and rule.field:
            natively = rule.field in self.typed_natively
            cols = [pl.col(rule.field) if natively else pl.col(raw_name(rule.field))]
        cols += [pl.col(prev_name(c)) for c in sorted(rule.prev_inputs)]
        if not cols:
            return None
        return pl.any_horizontal([c.is_null() for c in cols])

    def status_expr(self, rule: Rule) -> pl.Expr:
        """The rule's status column: True pass, False fail, null not applicable."""
        not_applicable = self.na_expr(rule)
        if rule.when is not None:
            skip = ~self.compiler.compile(rule.when.ast).cast(pl.Boolean).fill_null(False)
            not_applicable = skip if not_applicable is None else (skip | not_applicable)
        check = self.check_expr(rule)
        if not_applicable is None:
            return check
        return pl.when(not_applicable).then(pl.lit(None, dtype=pl.Boolean)).otherwise(check)

    def status_exprs(self) -> list[pl.Expr]:
        return [self.status_expr(r).alias(status_name(i)) for i, r in enumerate(self.active)]

    # --- findings -------------------------------------------------------------------

    def message_expr(self, rule: Rule, frame: pl.DataFrame) -> pl.Expr:
        """The rule's Chinese message for each row of ``frame`` (failing rows)."""
        template: Template | None = rule.message
        pieces: list[pl.Expr] = []
        if template is not None:
            exprs = [self.compiler.compile(p.ast) for p in template.expressions]
            rendered = iter(format_values(frame, exprs))
            for piece in template.pieces:
                pieces.append(pl.lit(piece) if isinstance(piece, str) else next(rendered))
        else:
            names = rule.fields_read
            exprs = [pl.col(n) for n in names] + [pl.col(prev_name(n)) for n in rule.prev_fields_read]
            labels = [self.pack.label(n) for n in names] + [f"上期{self.pack.label(n)}" for n in rule.prev_fields_read]
            pieces.append(pl.lit(f"不符合“{rule.title}”："))
            for i, (label, text) in enumerate(zip(labels, format_values(frame, exprs), strict=True)):
                pieces += [pl.lit(("，" if i else "") + f"{label}为"), text]
        if rule.constraint == "type" and rule.field:
            pieces += [pl.lit("：“"), pl.col(raw_name(rule.field)).fill_null(""), pl.lit("”")]
        if rule.balance is not None:
            pieces += [pl.lit("（差额 "), _render(self.imbalance(rule).round(4), pl.Float64()),
                       pl.lit(f"，允许误差 {number_text(rule.balance.tolerance)}）")]
        return pl.concat_str(pieces) if pieces else pl.lit(rule.title)

    def values_expr(self, rule: Rule) -> pl.Expr:
        """The values the rule read, as a JSON object per row."""
        cols: list[pl.Expr] = [pl.col(n).alias(n) for n in rule.fields_read]
        cols += [pl.col(prev_name(n)).alias(f"prev({n})") for n in rule.prev_fields_read]
        if rule.constraint == "type" and rule.field:
            cols = [pl.col(raw_name(rule.field)).alias(rule.field)]
        if not cols:
            return pl.lit("{}")
        return pl.struct(cols).struct.json_encode()
