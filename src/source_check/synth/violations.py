"""Single-rule violations of a pack, found by mutating clean generated units.

For every rule a test author may want one record that breaks *that rule and no other*.
Rules are arbitrary SQL, so the records are searched for rather than solved for: clean
units from the generator get one mutation each (a field scaled, shifted, emptied, set
equal to another field, a part of a balance changed with its total, a code damaged or
set to one a rule's condition names, a row sent twice, last year's value changed, the
unit left out of one form of a multi-form pack as well…), on units of every set of
forms reported, the pack runs once per batch, and every mutation after which exactly one rule fails is
kept as an example of violating that rule.

Detectors are not rules: a violation may also make one of the pack's detectors flag the
unit (a wage ×1000 is a unit error for ``D102-unit`` as well as for ``102-05``), so
compare the findings of rules only.

Examples
--------
>>> from source_check import load_pack, check
>>> pack = load_pack("labor-102")
>>> pool = violation_pool(pack)
>>> v = pool["102-01"][0]
>>> v.rule_id, v.mutation.startswith("emp_")
('102-01', True)
>>> result = check(v.data, pack, previous=v.previous)
>>> rules = {r.id for r in pack.all_rules}
>>> sorted(set(result.findings["rule_id"]) & rules)
['102-01']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import polars as pl
from sqlglot import exp

from ..api import check
from ..pack.model import Pack
from . import formset

__all__ = ["Violation", "violation_pool"]

Frames = pl.DataFrame | dict[str, pl.DataFrame]


@dataclass(frozen=True)
class Violation:
    """One example that breaks exactly one rule.

    ``data`` and ``previous`` are what :func:`source_check.check` takes for the pack (a
    frame, or one per form for a multi-form pack); ``mutation`` says what was changed.
    """

    rule_id: str
    mutation: str
    data: Frames
    previous: Frames


Change = Callable[[pl.Expr, pl.Expr], pl.Expr]


@dataclass(frozen=True)
class _Mutation:
    text: str
    apply: Callable[[pl.Expr, pl.Expr], pl.Expr] | None  # (value, row) -> new value, or None
    field: str | None = None
    on_previous: bool = False
    duplicate_row: bool = False
    copy_to_previous: bool = False
    both: bool = False  # apply to the current and the previous period alike
    borrow: bool = False  # take the value of another (clean) unit
    append_lender: bool = False  # ... and send that unit's record too (breaks uniqueness)
    same_year: bool = False  # make the previous period an earlier month of the same year
    also: tuple[tuple[str, Change], ...] = ()  # other fields changed with it (a balance kept)
    leave_out: str | None = None  # and the unit does not report this form (of a multi-form pack)


_SCALES = (0.0, -1.0, 1000.0, 10000.0, 0.001, 0.3, 1.7, 3.0, 10.0)
_CACHE: dict[tuple[str, str, int], dict[str, list[Violation]]] = {}


def _wide(pack: Pack, frames: Frames) -> pl.DataFrame:
    """One row per unit of the pack's first form with every field of the pack.

    A multi-form pack's other forms are left-joined onto its first, the way the engine
    joins them (no unit reports every form: B204-1 and E204 never go together); a
    ``__in_<form>`` column says which units report the form, so :func:`_split` gives
    each form back only its own units.
    """
    if isinstance(frames, pl.DataFrame):
        return frames
    wide = frames[pack.forms[0]]
    for form in pack.forms[1:]:
        other = frames[form]
        cols = [c for c in pack.form_fields(form) if c in other.columns and c not in wide.columns]
        right = other.select(*pack.key, *cols).with_columns(pl.lit(True).alias(_present(form)))
        wide = wide.join(right, on=pack.key, how="left", maintain_order="left").with_columns(
            pl.col(_present(form)).fill_null(False))
    return wide


def _present(form: str) -> str:
    return f"__in_{form}"


def _interleave(wide: pl.DataFrame) -> pl.DataFrame:
    """Units taking turns by the set of forms they report (101 only, 101 and B204-1, …),
    so that the first few hundred, which are mutated, and the reserve that lends codes
    hold units of every set (an industry code changed matters only for a unit that
    reports B204-1; :func:`_batches` then tries every mutation on each set)."""
    present = [c for c in wide.columns if c.startswith("__in_")]
    if not present:
        return wide
    pattern = pl.concat_str([pl.col(c).cast(pl.Int8).cast(pl.String) for c in present])
    turn = pl.int_range(pl.len()).over(pattern)
    return wide.with_columns(__turn=turn, __pattern=pattern).sort("__turn", "__pattern", maintain_order=True).drop(
        "__turn", "__pattern")


def _groups(wide: pl.DataFrame, smallest: int = 5) -> list[list[int]]:
    """Row numbers of ``wide`` by the set of forms the unit reports (one group for a
    one-form pack); sets with fewer than ``smallest`` units are left out."""
    present = [c for c in wide.columns if c.startswith("__in_")]
    if not present:
        return [list(range(wide.height))]
    pattern = wide.select(pl.concat_str([pl.col(c).cast(pl.Int8).cast(pl.String) for c in present])).to_series()
    rows = (pl.DataFrame({"p": pattern, "i": pl.int_range(wide.height, eager=True)})
            .group_by("p", maintain_order=True).agg("i").sort("p"))
    return [r for r in rows["i"].to_list() if len(r) >= smallest]


def _batches(muts: list[_Mutation], groups: list[list[int]]) -> list[tuple[list[_Mutation], list[int]]]:
    """Every mutation once per group, in batches of distinct units: mutation j of a
    batch goes to row ``rows[j]`` (a unit of its group)."""
    out: list[tuple[list[_Mutation], list[int]]] = []
    batch: list[_Mutation] = []
    rows: list[int] = []
    used = [0] * len(groups)
    for m in muts:
        for g, members in enumerate(groups):
            if used[g] >= len(members):
                out.append((batch, rows))
                batch, rows, used = [], [], [0] * len(groups)
            batch.append(m)
            rows.append(members[used[g]])
            used[g] += 1
    if batch:
        out.append((batch, rows))
    return out


def _split(pack: Pack, wide: pl.DataFrame, like: Frames) -> Frames:
    if isinstance(like, pl.DataFrame):
        return wide.select(like.columns)
    out: dict[str, pl.DataFrame] = {}
    for form, frame in like.items():
        rows = wide.filter(_present(form)) if _present(form) in wide.columns else wide
        out[form] = rows.select([c for c in frame.columns if c in wide.columns])
    return out


def _const(value: str | None) -> Change:
    return lambda v, r: pl.lit(value, dtype=pl.String)


def _scaled(k: float, integral: bool) -> Change:
    def change(v: pl.Expr, r: pl.Expr) -> pl.Expr:
        x = v.cast(pl.Float64) * k
        return x.round(0) if integral else x

    return change


def _shifted(d: float) -> Change:
    return lambda v, r: v.cast(pl.Float64) + d


def _from_field(other: str, d: float) -> Change:
    return lambda v, r: pl.col(other).cast(pl.Float64) + d


def _text_change(how: str) -> Change:
    def change(v: pl.Expr, r: pl.Expr) -> pl.Expr:
        s = v.cast(pl.String)
        head = s.str.slice(0, s.str.len_chars() - 1)
        return {"short": head, "last": head + pl.lit("I"), "long": s + pl.lit("0"),
                "invalid": pl.format("X{}", r)}[how]

    return change


def _mutations(pack: Pack, columns: list[str]) -> list[_Mutation]:
    used: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    prev_used: set[str] = set()
    for rule in pack.all_rules:
        read = [f for f in rule.fields_read if f in columns]
        used.update(read)
        pairs.update((a, b) for a in read for b in read if a != b)
        prev_used.update(f for f in rule.prev_fields_read if f in columns)
    numeric = {f for f in used if f in pack.fields and pack.fields[f].type in ("int", "float")}
    integral = {f for f in numeric if pack.fields[f].type == "int"}
    literals = _compared_literals(pack)
    out: list[_Mutation] = []
    for f in sorted(used):
        spec = pack.fields.get(f)
        out.append(_Mutation(f"{f} 置空", _const(None), f))
        if f in numeric:
            out += [_Mutation(f"{f} ×{k:g}", _scaled(k, f in integral), f) for k in _SCALES]
            out += [_Mutation(f"{f} {d:+g}", _shifted(d), f) for d in (2.0, -2.0)]
            out.append(_Mutation(f"{f} 填成文字", _const("一百"), f))
        elif spec is not None and spec.type == "date":
            out.append(_Mutation(f"{f} 晚于报告期", _const("2099-01-01"), f))
            out.append(_Mutation(f"{f} 不是日期", _const("去年"), f))
        else:
            out += [_Mutation(f"{f} {label}", _text_change(how), f) for how, label in
                    (("short", "少一位"), ("last", "末位改写"), ("long", "多一位"), ("invalid", "填成无效值"))]
            out.append(_Mutation(f"{f} 填成 999", _const("999"), f))
        codes: list[str] = []
        if spec is not None and f != pack.period:
            lend = bool(spec.unique or f in pack.key)
            out.append(_Mutation(f"{f} 与另一单位相同", None, f, borrow=True, append_lender=lend))
            if spec.codelist is not None and spec.codelist in pack.codelists:
                codes = list(pack.codelists[spec.codelist].codes[:8])
        if f not in numeric:  # and the codes a rule's condition names (101-10: op_status IN ('2', …))
            codes += [c for c in literals.get(f, []) if c not in codes]
        out += [_Mutation(f"{f} 改为 {code}", _const(code), f) for code in codes]
    for a, b in sorted(pairs):
        if a in numeric and b in numeric:
            out += [_Mutation(f"{a} = {b} {d:+g}", _from_field(b, d), a) for d in (2.0, -2.0, 0.0)]
    for f in sorted(numeric):
        # the same change in both periods breaks level rules without tripping growth rules
        out += [_Mutation(f"{f} ×{k:g}（本期和上期）", _scaled(k, f in integral), f, both=True)
                for k in (0.2, 0.3, 5.0, 8.0, 30.0)]
    for f in sorted(prev_used & numeric):
        out += [_Mutation(f"上期 {f} ×{k:g}", _scaled(k, f in integral), f, on_previous=True)
                for k in (1000.0, 0.001, 0.3, 3.0, 10.0, 1.02)]
        out.append(_Mutation(f"上期 {f} 置空", _const(None), f, on_previous=True))
        if pack.period is not None:
            out.append(_Mutation(f"上期为本年6月且上期 {f} ×1.5", _scaled(1.5, f in integral), f, on_previous=True,
                                 same_year=True))
    out += _rebalanced(pack, numeric, integral)
    out.append(_Mutation("上期全部数值与本期相同", None, copy_to_previous=True))
    out.append(_Mutation("整行重复报送", None, duplicate_row=True))
    return out + _left_out(pack, out, columns)


def _left_out(pack: Pack, muts: list[_Mutation], columns: list[str]) -> list[_Mutation]:
    """For a multi-form pack, each mutation of a field that rules of another form also
    read, once more on a unit that does not report that form: units of the generator
    that report B204-1 all report B103 too, so a wrong 行业代码 breaks 101-06a and
    101-06e together, and alone only for a unit that reports one of the two.

    Examples
    --------
    >>> from source_check import load_pack
    >>> pack = load_pack("cross-form-industry")
    >>> texts = [m.text for m in _mutations(pack, sorted(pack.fields) + ["__in_B103"])]
    >>> "industry_code 填成 999，且未报 B103 表" in texts
    True
    """
    out: list[_Mutation] = []
    for form in pack.forms[1:]:
        if _present(form) not in columns:
            continue
        own = set(pack.form_fields(form))
        shared = {f for rule in pack.all_rules if own & set(rule.fields_read) for f in rule.fields_read} - own
        out += [replace(m, text=f"{m.text}，且未报 {form} 表", leave_out=form) for m in muts
                if m.field in shared and not m.on_previous]
    return out


def _compared_literals(pack: Pack) -> dict[str, list[str]]:
    """Text constants the pack's rules compare a field with (``op_status IN ('2', '4')``,
    ``org_type = '10'``), by field: a code that only a rule's condition names (no code
    list in the pack) is what a unit must be set to for that rule to apply — a cross
    pack's 营业状态, whose codes the 101 pack checks.

    Examples
    --------
    >>> from source_check import load_pack
    >>> _compared_literals(load_pack("cross-unit-finance"))["op_status"]
    ['2', '4', '5', '6', '7']
    """
    out: dict[str, list[str]] = {}
    for rule in pack.all_rules:
        for parsed in (rule.when, rule.check):
            if parsed is None:
                continue
            for node in parsed.ast.find_all(exp.EQ, exp.NEQ, exp.In):
                if isinstance(node, exp.In):
                    column, values = node.this, node.expressions
                else:
                    column, values = node.this, [node.expression]
                    if not isinstance(column, exp.Column):
                        column, values = node.expression, [node.this]
                if not isinstance(column, exp.Column) or column.name not in pack.fields:
                    continue
                seen = out.setdefault(column.name, [])
                for v in values:
                    if isinstance(v, exp.Literal) and v.is_string and v.this not in seen:
                        seen.append(v.this)
    return out


def _rebalanced(pack: Pack, numeric: set[str], integral: set[str]) -> list[_Mutation]:
    """A part of a balance changed (scaled, or filled with text) and the balance kept by
    moving the difference into its total or into another part: such a record breaks a
    plausibility rule (a debt ratio, a cost of zero) or a ``.type`` rule, not the balance.

    Examples
    --------
    >>> from source_check import load_pack
    >>> pack = load_pack("finance-103")
    >>> texts = [m.text for m in _mutations(pack, sorted(pack.fields))]
    >>> "total_liabilities ×3，owners_equity 随之调整（保持 103-01 平衡）" in texts
    True
    """
    out: list[_Mutation] = []
    for rule in pack.all_rules:
        b = rule.balance
        if b is None:
            continue
        signed = [(p.lstrip("-"), -1 if p.startswith("-") else 1) for p in b.parts]
        terms = [(b.total, -1), *signed]  # Σ sign·term = 0
        if not all(t in numeric for t, _ in terms):
            continue
        for j, (a, sa) in enumerate(terms):
            # the difference goes to the total, or to a neighbouring part (not to every part of a
            # fifteen-term profit balance: the pool would grow by the square)
            near = {0, j - 1, j + 1, len(terms) - 1} - {j} if j else {1, len(terms) - 1}
            for other, so in (terms[i] for i in sorted(near) if 0 <= i < len(terms)):
                for k in (0.0, 3.0, 10.0):
                    def scaled(v: pl.Expr, r: pl.Expr, a: str = a, k: float = k) -> pl.Expr:
                        x = pl.col(a).cast(pl.Float64).fill_null(0.0) * k
                        return x.round(0) if a in integral else x

                    def offset(v: pl.Expr, r: pl.Expr, a: str = a, sa: int = sa, so: int = so,
                               k: float = k) -> pl.Expr:
                        old = pl.col(a).cast(pl.Float64).fill_null(0.0)
                        new = (old * k).round(0) if a in integral else old * k
                        return v.cast(pl.Float64).fill_null(0.0) - sa * so * (new - old)

                    out.append(_Mutation(f"{a} ×{k:g}，{other} 随之调整（保持 {rule.id} 平衡）", scaled, a,
                                         also=((other, offset),)))

                def as_text(v: pl.Expr, r: pl.Expr) -> pl.Expr:
                    return pl.lit("一百", dtype=pl.String)

                def dropped(v: pl.Expr, r: pl.Expr, a: str = a, sa: int = sa, so: int = so) -> pl.Expr:
                    return v.cast(pl.Float64).fill_null(0.0) + sa * so * pl.col(a).cast(pl.Float64).fill_null(0.0)

                if b.null_as_zero:  # text is not a number: the balance counts the field as 0
                    out.append(_Mutation(f"{a} 填成文字，{other} 随之调整（保持 {rule.id} 平衡）", as_text, a,
                                         also=((other, dropped),)))
    return out


def _mutate(frame: pl.DataFrame, muts: list[_Mutation], *, previous: bool, pack: Pack,
            current: pl.DataFrame | None = None, reserve: pl.DataFrame | None = None,
            ) -> tuple[pl.DataFrame, list[int]]:
    """Apply mutation i to row i of ``frame`` (the current or the previous period).

    Returns the frame, with rows appended for mutations that need a second record (a
    row sent twice, a code borrowed from a unit of ``reserve``), and for each appended
    row the mutation it belongs to.
    """
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    exprs: dict[str, pl.Expr] = {}
    for i, m in enumerate(muts):
        if m.field is None or not (m.both or m.on_previous == previous):
            continue
        if m.borrow:
            if previous or reserve is None:
                continue
            value: pl.Expr = pl.lit(reserve[m.field].cast(pl.String)[i % reserve.height])
        elif m.apply is not None:
            value = m.apply(pl.col(m.field), row)
        else:
            continue
        for name, new in ((m.field, value), *((f, c(pl.col(f), row)) for f, c in m.also)):
            base = exprs.get(name, pl.col(name))
            exprs[name] = pl.when(row == i).then(new.cast(pl.String)).otherwise(base.cast(pl.String))
    for form in {m.leave_out for m in muts if m.leave_out is not None}:
        rows = [i for i, m in enumerate(muts) if m.leave_out == form]
        if _present(form) in frame.columns:  # both periods
            exprs[_present(form)] = pl.when(row.is_in(rows)).then(False).otherwise(pl.col(_present(form)))
    if previous and pack.period is not None and pack.period in frame.columns:
        same_year = [i for i, m in enumerate(muts) if m.same_year]
        if same_year:
            june = pl.col(pack.period).cast(pl.String).str.slice(0, 4).cast(pl.Int64) + 1
            exprs[pack.period] = pl.when(row.is_in(same_year)).then(pl.format("{}06", june)).otherwise(
                pl.col(pack.period))
    out = frame.with_columns(**exprs) if exprs else frame
    owners: list[int] = []
    if previous and current is not None:
        copies = [i for i, m in enumerate(muts) if m.copy_to_previous]
        if copies:
            cols = [c for c, t in current.schema.items() if t.is_numeric() and c in out.columns]
            mask = row.is_in(copies)
            out = out.with_columns(
                [pl.when(mask).then(current[c].head(out.height).cast(pl.String)).otherwise(
                    pl.col(c).cast(pl.String)).alias(c) for c in cols]
            )
    if not previous:
        extra: list[pl.DataFrame] = []
        dups = [i for i, m in enumerate(muts) if m.duplicate_row]
        if dups:
            extra.append(out[dups])
            owners.extend(dups)
        lent = [i for i, m in enumerate(muts) if m.borrow and m.append_lender]
        if lent and reserve is not None:
            extra.append(reserve[[i % reserve.height for i in lent]])
            owners.extend(lent)
        if extra:
            out = pl.concat([out, *extra], how="diagonal_relaxed")
    return out, owners


def violation_pool(pack: Pack, *, seed: int = 0, per_rule: int = 5, units: int = 600) -> dict[str, list[Violation]]:
    """Up to ``per_rule`` single-rule violations for every rule the mutations can break.

    Rules missing from the result could not be broken alone by any built-in mutation
    (for example a rule whose violation always breaks another one too). Cached per pack
    and seed.
    """
    cache_key = (pack.id, pack.sha256, seed)
    if cache_key in _CACHE:
        return _CACHE[cache_key]
    if formset.resolve_forms(pack) is None:
        raise ValueError(f"模拟数据中没有规则包 {pack.id} 所需的报表")
    from . import synthesize

    base = prev = None
    like: Frames | None = None
    like_prev: Frames | None = None
    n = units
    for _ in range(4):
        s = synthesize(n, seed=seed, anomalies="none")
        like, like_prev = s.frames(pack)
        wide, wide_prev = _wide(pack, like), _wide(pack, like_prev)
        keyed = wide.join(wide_prev.select(pack.key), on=pack.key, how="semi")
        if keyed.height >= 80:
            base = keyed
            prev = wide_prev.join(keyed.select(pack.key), on=pack.key, how="semi")
            break
        n *= 4
    if base is None or prev is None or like is None or like_prev is None:
        raise ValueError(f"规则包 {pack.id} 的报表在模拟数据中单位太少")
    # keep units with no finding at all, in the same order in both periods
    result = check(_split(pack, base, like), pack, previous=_split(pack, prev, like_prev))
    dirty = set(result.findings["row"].to_list()) if not result.findings.is_empty() else set()
    base = _interleave(base.with_row_index("__i").filter(~pl.col("__i").is_in(sorted(dirty))).drop("__i")).head(220)
    prev = base.select(pack.key).join(prev, on=pack.key, how="left")
    reserve, base, prev = base.tail(20), base.head(base.height - 20), prev.head(base.height - 20)
    rule_ids = sorted({r.id for r in pack.all_rules})
    muts = _mutations(pack, base.columns)
    pool: dict[str, list[Violation]] = {}
    for batch, picked_rows in _batches(muts, _groups(base)):
        rows, prev_rows = base[picked_rows], prev[picked_rows]
        cur, extra = _mutate(rows, batch, previous=False, pack=pack, reserve=reserve)
        old, _ = _mutate(prev_rows, batch, previous=True, pack=pack, current=rows)
        res = check(_split(pack, cur, like), pack, previous=_split(pack, old, like_prev))
        found = res.findings.filter(pl.col("rule_id").is_in(rule_ids))
        owners = pl.Series([*range(len(batch)), *extra], dtype=pl.Int64)  # appended rows belong to a mutation
        per = (found.select(owners.gather(found["row"]).alias("i"), "rule_id").unique()
               .group_by("i").agg(pl.col("rule_id")))
        for i, failed in per.sort("i").iter_rows():
            if len(failed) != 1 or len(pool.get(failed[0], [])) >= per_rule:
                continue
            picked = [i, *(len(batch) + j for j, owner in enumerate(extra) if owner == i)]
            data = _split(pack, cur[picked], like)
            previous = _split(pack, old[[i]], like_prev)
            pool.setdefault(failed[0], []).append(Violation(failed[0], batch[i].text, data, previous))
    _CACHE[cache_key] = pool
    return pool
