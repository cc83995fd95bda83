"""Derive the forms (报表) from a population, and find the form a pack checks.

Every form is a selection of the population's columns, restricted to the units that
report it: 101, 102 and 五经普 for every unit; the 103 variant by industry (B103 工业,
C103 建筑业, E103 批发零售, S103 住宿餐饮, F103 other services); B204-1 for 大类 06–46;
E204 for 大类 51–52. Column names are the field ids every pack uses.

Examples
--------
>>> from source_check.synth.model import population
>>> f = forms(population(300, seed=2))
>>> sorted(f)
['101', '102', 'B103', 'B204-1', 'C103', 'E103', 'E204', 'F103', 'S103', 'census5']
>>> f["102"].columns
['credit_code', 'name', 'town_code', 'period', 'emp_end', 'emp_female', 'emp_dispatch', 'emp_avg', 'wages']
>>> sum(f[v].height for v in VARIANTS_103) == f["102"].height
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import polars as pl

from ..pack.model import Pack
from .model import MONEY_103, Population
from .vocab import FIELD_LABELS

__all__ = [
    "FORMS",
    "FORM_FIELDS",
    "UNIT_FIELDS",
    "VARIANTS_103",
    "form_frame",
    "forms",
    "frames_for_pack",
    "resolve_forms",
]

UNIT_FIELDS = ("credit_code", "name", "town_code", "period")
VARIANTS_103 = ("B103", "C103", "E103", "S103", "F103")

FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "101": (*UNIT_FIELDS, "legal_rep", "division_code", "address", "phone", "mobile", "industry_code",
            "main_activity", "reg_category", "org_type", "op_status", "open_date", "filler", "filler_phone",
            "revenue"),
    "102": (*UNIT_FIELDS, "emp_end", "emp_female", "emp_dispatch", "emp_avg", "wages"),
    **{v: (*UNIT_FIELDS, *MONEY_103) for v in VARIANTS_103},
    "B204-1": (*UNIT_FIELDS, "output_value", "sales_value", "export_value", "electricity"),
    "E204": (*UNIT_FIELDS, "sales_total", "wholesale", "retail", "online_retail", "stock_end"),
    "census5": ("credit_code", "name", "legal_rep", "division_code", "reg_division_code", "address", "phone",
                "industry_code", "main_activity", "org_type", "reg_category", "op_status", "emp_end",
                "emp_female", "op_income", "nonop_expense", "town_code", "period"),
}
FORMS = tuple(FORM_FIELDS)


def forms(
    pop: Population, *, previous: bool = False, which: tuple[str, ...] | None = None, keep_unit: bool = False
) -> dict[str, pl.DataFrame]:
    """Every form (or those in ``which``) for the current or previous period.

    ``keep_unit`` keeps the helper column ``_unit`` (the unit's number), which the
    anomaly planter uses to find rows; published frames never have it.
    """
    frame = pop.previous if previous else pop.current
    out: dict[str, pl.DataFrame] = {}
    extra = ["_unit"] if keep_unit else []
    for name in which or FORMS:
        cols = [*extra, *FORM_FIELDS[name]]
        family = {"B204-1": "B103", "E204": "E103"}.get(name, name if name in VARIANTS_103 else None)
        if family is None:
            sub = frame.select(cols)
        else:
            sub = frame.select(*cols, "_family").filter(pl.col("_family") == family).drop("_family")
        if name == "census5":  # the census is annual
            sub = sub.with_columns(pl.col("period").str.slice(0, 4))
        out[name] = sub
    return out


def form_frame(frames: Mapping[str, pl.DataFrame], name: str) -> pl.DataFrame | None:
    """One form by name, accepting the spellings packs use (``103`` = all variants, ``B204``…).

    Examples
    --------
    >>> from source_check.synth.model import population
    >>> f = forms(population(100, seed=1))
    >>> form_frame(f, "103").height, form_frame(f, "b204").height == f["B204-1"].height
    (100, True)
    >>> form_frame(f, "X999") is None
    True
    """
    key = _canonical(name)
    if key is None:
        return None
    if key == "103":
        parts = [frames[v] for v in VARIANTS_103 if v in frames]
        return pl.concat(parts, how="vertical_relaxed") if parts else None
    return frames.get(key)


_ALIASES = {
    "B204": "B204-1", "B2041": "B204-1", "CENSUS": "census5", "CENSUS5": "census5", "五经普": "census5",
    "清查": "census5", "LISTING": "census5", "UNIT": "101", "X103": "F103", "K103": "F103",
}


def _canonical(name: str) -> str | None:
    text = name.strip().upper().replace("_", "-")
    for form in (*FORMS, "103"):
        if text == form.upper():
            return form
    compact = text.replace("-", "")
    for alias, form in _ALIASES.items():
        if compact == alias.upper().replace("-", ""):
            return form
    return None


#: Tokens in a pack id that name its form, most specific first.
_ID_TOKENS = (
    (r"b204", "B204-1"), (r"e204", "E204"), (r"census|listing|qingcha", "census5"),
    *[(v.lower(), v) for v in VARIANTS_103], (r"103|finance", "103"), (r"102|labor", "102"), (r"101", "101"),
)


def resolve_forms(pack: Pack) -> list[str] | None:
    """The form names a pack checks: its ``forms:`` for a multi-form pack, else one guessed
    from its id (``finance-b103`` → ``B103``) or, failing that, from its fields.

    Returns ``None`` when no generated form carries the pack's fields.

    Examples
    --------
    >>> from source_check import load_pack
    >>> resolve_forms(load_pack("labor-102")), resolve_forms(load_pack("common-base"))
    (['102'], ['101'])
    """
    if pack.forms:
        names = [_canonical(f) for f in pack.forms]
        return None if any(n is None for n in names) else [n for n in names if n is not None]
    for pattern, form in _ID_TOKENS:
        if re.search(pattern, pack.id.lower()):
            return [form]
    fields = set(pack.fields)
    candidates = ["101", "102", "103", "B204-1", "E204", "census5"]
    columns = {**FORM_FIELDS, "103": FORM_FIELDS["B103"]}
    overlaps = [len(fields & set(columns[c])) for c in candidates]
    best = max(range(len(candidates)), key=lambda i: (overlaps[i], -i))
    return [candidates[best]] if overlaps[best] else None


def frames_for_pack(
    pack: Pack, frames: Mapping[str, pl.DataFrame]
) -> pl.DataFrame | dict[str, pl.DataFrame] | None:
    """The data to pass to :func:`source_check.check` for ``pack``: one frame, or one per
    form (keyed by the pack's own form names) for a multi-form pack; ``None`` if the
    generated forms do not cover it.
    """
    names = resolve_forms(pack)
    if names is None:
        return None
    if pack.forms:
        out: dict[str, pl.DataFrame] = {}
        for own, name in zip(pack.forms, names, strict=True):
            frame = form_frame(frames, name)
            if frame is None:
                return None
            out[own] = _as_pack_fields(pack, own, frame)
        return out
    return form_frame(frames, names[0])


def _as_pack_fields(pack: Pack, form: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with columns renamed to the ids a multi-form pack gives its fields of
    ``form``, where those differ from the generator's, matched by Chinese label as the
    reader matches a written file's header (cross-form-industry reads B103's 营业收入 as
    ``b103_revenue``, the generator calls it ``revenue``).

    Examples
    --------
    >>> from source_check import load_pack
    >>> from source_check.synth.model import population
    >>> pack = load_pack("cross-form-industry")
    >>> frames_for_pack(pack, forms(population(300, seed=2)))["B103"].columns[4:6]
    ['b103_assets', 'current_assets']
    """
    wanted = pack.form_fields(form)
    by_label: dict[str, list[str]] = {}
    for col in frame.columns:
        if col not in pack.key and col not in wanted and col in FIELD_LABELS:
            by_label.setdefault(FIELD_LABELS[col], []).append(col)
    renames: dict[str, str] = {}
    for fid in wanted:
        if fid in frame.columns:
            continue
        spec = pack.fields[fid]
        found = {c for name in (spec.label, *spec.aliases) if name for c in by_label.get(name, [])}
        if len(found) == 1 and (col := found.pop()) not in renames:
            renames[col] = fid
    return frame.rename(renames) if renames else frame
