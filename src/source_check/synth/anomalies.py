"""Plant labelled anomalies in generated forms, with a ground-truth table.

Each kind imitates an error or a fraud pattern from FORMS.md and is planted in a
disjoint set of units (one kind per unit), drawn with per-街镇 propensities so that some
街镇 are sloppier than others. The truth table has a row for every (form, unit, field)
an anomaly changed, in whichever form: the planted field with what was done, and each
figure changed with it (a total kept in balance, the same revenue in 101 and 五经普, the
102 wages of a unit whose 103 was rounded…) with ``old→new（同一异常连带改动）``. So a
planted unit usually has several rows; count units with ``true_code``:

=============== ====================================================================
column          meaning
=============== ====================================================================
credit_code     the unit's code *as it appears in the data* (damaged for code kinds)
true_code       the unit's real code
town_code       the 街镇 the unit reports to
form            the form planted in (``102``, ``B103``, ``B204-1``, ``101``…)
field           the field changed (``*``: every figure of the record, for ``unchanged``)
kind            one of :data:`KINDS`
detail          what was done, in words (``×1000``, ``12345→21345``…)
=============== ====================================================================

Examples
--------
>>> parse_anomalies("unit_error=0.02,copy=0.01")
{'unit_error': 0.02, 'copy': 0.01}
>>> parse_anomalies("default")["unit_error"]
0.01
>>> parse_anomalies("none")
{}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from .codes import excel_damage
from .model import MONEY_103, Population

__all__ = ["DEFAULT_RATES", "KINDS", "KIND_ZH", "TRUTH_SCHEMA", "parse_anomalies", "plant"]

#: Anomaly kinds, in planting order.
KINDS = (
    "unit_error", "transposition", "balance", "growth", "inflated", "round", "copy", "unchanged",
    "duplicate", "invalid_code", "excel_code", "shared_contact",
)

KIND_ZH = {
    "unit_error": "计量单位错误（元/万元当千元，×1000 或 ×10000）",
    "transposition": "数字位置颠倒（相邻两位互换）",
    "balance": "平衡关系不成立（合计数与分项不符）",
    "growth": "虚报增长（营业收入等按目标增速放大 1.5–3 倍）",
    "inflated": "虚增营业收入（放大 5–50 倍）",
    "round": "编造整数（集中在一个街镇）",
    "copy": "不同单位数据雷同（照抄他单位）",
    "unchanged": "与上期数据完全相同",
    "duplicate": "统一社会信用代码重复",
    "invalid_code": "统一社会信用代码无效（校验位、非法字符、位数）",
    "excel_code": "统一社会信用代码被 Excel 改成数字（如 9.13101E+17）",
    "shared_contact": "同一填表人/电话对应多家单位（代填代报）",
}

#: Rates (share of units) used by ``--anomalies default``.
DEFAULT_RATES: dict[str, float] = {
    "unit_error": 0.01, "transposition": 0.005, "balance": 0.005, "growth": 0.005, "inflated": 0.003,
    "round": 0.01, "copy": 0.004, "unchanged": 0.005, "duplicate": 0.003, "invalid_code": 0.002,
    "excel_code": 0.002, "shared_contact": 0.01,
}

TRUTH_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "credit_code": pl.String, "true_code": pl.String, "town_code": pl.String, "form": pl.String,
    "field": pl.String, "kind": pl.String, "detail": pl.String,
}


def parse_anomalies(spec: str | Mapping[str, float] | None) -> dict[str, float]:
    """Rates by kind from ``"kind=rate,..."``; ``default`` (optionally followed by
    overrides, ``"default,copy=0"``), ``none`` or an empty text for none.

    Raises ``ValueError`` naming the valid kinds for an unknown kind or a bad rate.
    """
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        items = list(spec.items())
    else:
        items = []
        for part in (p.strip() for p in spec.split(",")):
            if not part or part == "none":
                continue
            if part == "default":
                items.extend(DEFAULT_RATES.items())
                continue
            kind, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"异常设置应写成 类型=比例（如 unit_error=0.01），而不是 {part!r}")
            try:
                rate = float(value)
            except ValueError:
                raise ValueError(f"{kind.strip()} 的比例不是数字：{value!r}") from None
            items.append((kind.strip(), rate))
    rates: dict[str, float] = {}
    for kind, rate in items:
        if kind not in KINDS:
            raise ValueError(f"未知的异常类型 {kind!r}；可用：{', '.join(KINDS)}")
        if not 0 <= float(rate) <= 0.5:
            raise ValueError(f"{kind} 的比例应在 0 到 0.5 之间，而不是 {rate}")
        rates[kind] = float(rate)
    return {k: v for k, v in rates.items() if v > 0}


# --- the planter ----------------------------------------------------------------------

_TRANSPOSE_103 = ("total_assets", "total_liabilities", "owners_equity", "revenue", "cost", "selling_exp",
                  "admin_exp", "op_profit", "total_profit")
_MONEY_102 = ("emp_end", "emp_female", "emp_dispatch", "emp_avg", "wages")
_MONEY_B204 = ("output_value", "sales_value", "export_value")
_MONEY_E204 = ("sales_total", "wholesale", "retail", "online_retail", "stock_end")
_FAMILIES = ("B103", "C103", "E103", "S103", "F103")


@dataclass
class _Planter:
    pop: Population
    cur: dict[str, pl.DataFrame]
    prev: dict[str, pl.DataFrame]
    rng: np.random.Generator
    allowed: frozenset[str] | None = None
    num: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    text: dict[tuple[str, str], list[tuple[np.ndarray, pl.Series]]] = field(default_factory=dict)
    twice: dict[str, list[np.ndarray]] = field(default_factory=dict)
    truth: list[pl.DataFrame] = field(default_factory=list)
    kind: str = ""  # the kind being planted

    def __post_init__(self) -> None:
        c = self.pop.current
        self.n = c.height
        self.owner = np.full(self.n, -1, dtype=np.int8)  # the kind (index in KINDS) that took each unit
        self.unit = c["_unit"].to_numpy()
        self.code = c["credit_code"]
        self.town = c["town_code"]
        self.family = c["_family"].replace_strict({f: i for i, f in enumerate(_FAMILIES)},
                                                   return_dtype=pl.Int8).to_numpy()
        prev_units = self.pop.previous["_unit"].to_numpy()
        self.has_prev = np.isin(self.unit, prev_units)
        self.free = ~c["_genuine"].to_numpy()  # genuine outliers stay true
        towns = sorted(set(self.town.to_list()))
        mult = dict(zip(towns, np.exp(self.rng.normal(0, 0.5, len(towns))), strict=True))
        self.weight = self.town.replace_strict(mult, return_dtype=pl.Float64).to_numpy()

    # which forms may carry anomalies
    def reports(self, form: str) -> np.ndarray:
        """Units that report ``form`` (``103`` = their own variant), if anomalies may go there."""
        if form == "103":
            ok = np.array([self.allowed is None or f in self.allowed for f in _FAMILIES])
            return np.asarray(ok[self.family])
        if self.allowed is not None and form not in self.allowed:
            return np.zeros(self.n, dtype=bool)
        if form in _FAMILIES:
            return np.asarray(self.family == _FAMILIES.index(form))
        if form == "B204-1":
            return np.asarray(self.family == 0)
        if form == "E204":
            return np.asarray(self.family == 2)
        return np.ones(self.n, dtype=bool)

    def any_form(self) -> np.ndarray:
        """Units that report at least one form anomalies may go in."""
        return self.eligible([(f, 1.0) for f in ("101", "102", "103", "B204-1", "E204", "census5")])

    def choose(self, idx: np.ndarray, options: Sequence[tuple[str, float]]) -> np.ndarray:
        """One form per unit among ``options`` (weighted; ``103`` = the unit's variant),
        only forms the unit reports and anomalies may go in; ``""`` if none."""
        w = np.stack([self.reports(f)[idx] * wt for f, wt in options], axis=1).astype(float)
        total = w.sum(axis=1)
        cum = np.cumsum(w, axis=1)
        pick = np.argmax(self.rng.random(idx.size)[:, None] * total[:, None] < cum, axis=1)
        names = np.array([f for f, _ in options], dtype="<U8")[pick]
        names = np.where(names == "103", self.form_of(idx), names)
        return np.where(total > 0, names, "")

    def eligible(self, options: Sequence[tuple[str, float]]) -> np.ndarray:
        """Units that report at least one of the forms in ``options``."""
        return np.asarray(np.logical_or.reduce([self.reports(f) for f, _ in options]), dtype=bool)

    # where things are
    def form_of(self, idx: np.ndarray) -> np.ndarray:
        """The 103 variant name of each unit."""
        return np.asarray(np.array(_FAMILIES)[self.family[idx]])

    def rows(self, form: str, idx: np.ndarray) -> np.ndarray:
        units = self.cur[form]["_unit"].to_numpy()
        pos = np.searchsorted(units, self.unit[idx])
        if not np.array_equal(units[np.minimum(pos, units.size - 1)], self.unit[idx]):
            raise AssertionError(f"units not in form {form}")
        return np.asarray(pos, dtype=np.int64)

    def col(self, form: str, name: str) -> np.ndarray:
        key = (form, name)
        if key not in self.num:
            self.num[key] = np.array(self.cur[form][name].to_numpy(), copy=True)
        arr: np.ndarray = self.num[key]
        return arr

    def prev_values(self, form: str, name: str, idx: np.ndarray) -> np.ndarray:
        frame = self.prev[form]
        units = frame["_unit"].to_numpy()
        pos = np.searchsorted(units, self.unit[idx])
        return np.asarray(frame[name].to_numpy()[pos])

    def set_text(self, form: str, name: str, rows: np.ndarray, values: pl.Series) -> None:
        self.text.setdefault((form, name), []).append((rows, values))

    # choosing units
    def take(self, k: int, eligible: np.ndarray | None = None) -> np.ndarray:
        """``k`` free eligible units, weighted by their 街镇's propensity (Gumbel top-k)."""
        ok = self.free if eligible is None else self.free & eligible
        cand = np.flatnonzero(ok)
        k = min(k, cand.size)
        if k <= 0:
            return np.empty(0, dtype=np.int64)
        keys = np.log(self.weight[cand]) + self.rng.gumbel(size=cand.size)
        chosen = np.sort(cand[np.argpartition(-keys, k - 1)[:k]])
        self.free[chosen] = False
        self.owner[chosen] = KINDS.index(self.kind)
        return chosen

    def record(self, idx: np.ndarray, form: str | np.ndarray, fld: str | np.ndarray, kind: str,
               detail: pl.Series | str, reported: pl.Series | None = None) -> None:
        m = idx.size
        if m == 0:
            return
        code = self.code.gather(idx)

        def series(value: str | np.ndarray | pl.Series, name: str) -> pl.Series:
            if isinstance(value, pl.Series):
                return value.alias(name).cast(pl.String)
            if isinstance(value, str):
                return pl.repeat(value, m, eager=True, dtype=pl.String).alias(name)
            return pl.Series(name, value.astype(str))

        self.truth.append(pl.DataFrame([
            (reported if reported is not None else code).alias("credit_code"),
            code.alias("true_code"),
            self.town.gather(idx).alias("town_code"),
            series(form, "form"),
            series(fld, "field"),
            pl.repeat(kind, m, eager=True, dtype=pl.String).alias("kind"),
            series(detail, "detail"),
        ]))

    def finish(self) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
        out: dict[str, pl.DataFrame] = {}
        knock_on: list[pl.DataFrame] = []
        for form, frame in self.cur.items():
            edits = [pl.Series(name, arr, dtype=frame.schema[name]) for (f, name), arr in self.num.items()
                     if f == form]
            clean = frame
            if edits:
                frame = frame.with_columns(edits)
            for (f, name), changes in self.text.items():
                if f != form:
                    continue
                s = frame[name].clone()
                for rows, values in changes:
                    s = s.scatter(rows, values)
                frame = frame.with_columns(s)
            knock_on.append(self._changed(form, clean, frame))
            if form in self.twice:
                twice = np.concatenate(self.twice[form])
                order = np.sort(np.concatenate([np.arange(frame.height), twice]), kind="stable")
                frame = frame[order]
            out[form] = frame.drop("_unit")
        truth = (pl.concat(self.truth) if self.truth else pl.DataFrame(schema=TRUTH_SCHEMA))
        truth = truth.cast(pl.Schema(TRUTH_SCHEMA))
        # every other cell a planted anomaly changed (营业利润 kept in balance, the same revenue in
        # 101 and 五经普, 102's wages of a unit with round 103 figures…) gets its own row
        extra = (pl.concat(knock_on).join(truth, on=["true_code", "form", "field"], how="anti")
                 .join(truth.filter(field="*"), on=["true_code", "form"], how="anti"))
        return out, pl.concat([truth, extra.select(list(TRUTH_SCHEMA))]).sort("kind", "credit_code", "form", "field")

    def _changed(self, form: str, clean: pl.DataFrame, dirty: pl.DataFrame) -> pl.DataFrame:
        """Truth rows for the cells of ``form`` the planters changed (one per unit and field)."""
        names = sorted({n for f, n in (*self.num, *self.text) if f == form})
        if not names:
            return pl.DataFrame(schema=TRUTH_SCHEMA)
        parts = []
        for n in names:
            at = pl.Series(np.flatnonzero(dirty[n].ne_missing(clean[n]).to_numpy()), dtype=pl.Int64)
            parts.append(pl.DataFrame({"row": at, "field": pl.repeat(n, at.len(), eager=True, dtype=pl.String),
                                       "old": clean[n].gather(at).cast(pl.String),
                                       "new": dirty[n].gather(at).cast(pl.String)}))
        changed = pl.concat(parts)
        rows = changed["row"].to_numpy()
        idx = np.searchsorted(self.unit, clean["_unit"].to_numpy()[rows])
        kind = self.owner[idx]
        if (kind < 0).any():
            raise AssertionError(f"{form}: values changed in units no planter took")
        return pl.DataFrame({
            "credit_code": dirty["credit_code"].gather(rows),
            "true_code": self.code.gather(idx),
            "town_code": self.town.gather(idx),
            "form": pl.repeat(form, rows.size, eager=True, dtype=pl.String),
            "field": changed["field"],
            "kind": pl.Series(np.array(KINDS)[kind], dtype=pl.String),
            "detail": changed.select(pl.format("{}→{}（同一异常连带改动）", "old", "new")).to_series(),
        }, schema=TRUTH_SCHEMA)


def _fmt(values: np.ndarray, template: str = "{}") -> pl.Series:
    return pl.select(pl.format(template, pl.lit(pl.Series(values)))).to_series()


def _arrow(old: np.ndarray, new: np.ndarray) -> pl.Series:
    return pl.select(pl.format("{}→{}", pl.lit(pl.Series(old)), pl.lit(pl.Series(new)))).to_series()


def _family_groups(p: _Planter, idx: np.ndarray) -> list[tuple[str, np.ndarray]]:
    forms = p.form_of(idx)
    return [(f, idx[forms == f]) for f in _FAMILIES if np.any(forms == f)]


def _scale(p: _Planter, form: str, rows: np.ndarray, names: tuple[str, ...], factor: np.ndarray) -> None:
    for name in names:
        arr = p.col(form, name)
        arr[rows] = np.rint(arr[rows] * factor).astype(arr.dtype)


# --- the kinds --------------------------------------------------------------------------

_UNIT_ERROR_FORMS = (("102", 0.4), ("103", 0.4), ("B204-1", 0.2), ("E204", 0.2))
_CODE_FORMS = (("102", 0.5), ("103", 0.3), ("101", 0.2), ("B204-1", 0.1), ("E204", 0.1), ("census5", 0.1))
_VALUE_FORMS = (("102", 0.35), ("103", 0.65))


def _unit_error(p: _Planter, k: int) -> None:
    idx = p.take(k, p.eligible(_UNIT_ERROR_FORMS))
    factor = p.rng.choice(np.array([1000, 10000]), idx.size, p=[0.7, 0.3])
    target = p.choose(idx, _UNIT_ERROR_FORMS)
    for form, names, main, note in (("102", ("wages",), "wages", "×{}"),
                                    ("B204-1", _MONEY_B204, "output_value", "×{}（产值、销售产值、出口交货值）"),
                                    ("E204", _MONEY_E204, "sales_total", "×{}（整张表）"),
                                    *[(f, MONEY_103, "revenue", "×{}（整张表）") for f in _FAMILIES]):
        sel = target == form
        if sel.any():
            _scale(p, form, p.rows(form, idx[sel]), names, factor[sel])
            p.record(idx[sel], form, main, "unit_error", _fmt(factor[sel], note))


def transpose_digits(values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Swap two adjacent, different digits of each value (sign kept).

    Returns the new values and whether a swap was possible (values with fewer than two
    digits or no two different adjacent digits stay as they are). A leading digit is
    never swapped with a zero.

    Examples
    --------
    >>> new, ok = transpose_digits(np.array([12, 7, -4521, 1000, 1020]), np.random.default_rng(0))
    >>> ok.tolist()
    [True, False, True, False, True]
    >>> int(new[0]), int(new[1]), sorted(str(abs(int(new[2])))) == sorted("4521")
    (21, 7, True)
    """
    v = np.abs(values.astype(np.int64))
    nd = np.where(v > 0, np.floor(np.log10(np.maximum(v, 1))).astype(np.int64) + 1, 1)
    positions = 18
    ks = np.arange(positions - 1)[None, :]
    hi_pow = nd[:, None] - 1 - ks  # power of ten of the left digit of the pair
    valid = hi_pow >= 1
    p_hi = np.power(10, np.maximum(hi_pow, 0), dtype=np.int64)
    p_lo = np.power(10, np.maximum(hi_pow - 1, 0), dtype=np.int64)
    a = (v[:, None] // p_hi) % 10
    b = (v[:, None] // p_lo) % 10
    valid &= (a != b) & ~((ks == 0) & (b == 0))
    score = np.where(valid, rng.random(valid.shape), -1.0)
    k = np.argmax(score, axis=1)
    ok = valid[np.arange(v.size), k]
    r = np.arange(v.size)
    swapped = v + (b[r, k] - a[r, k]) * p_hi[r, k] + (a[r, k] - b[r, k]) * p_lo[r, k]
    new = np.where(ok, np.sign(values) * swapped, values)
    return new.astype(values.dtype), ok


def _transposition(p: _Planter, k: int) -> None:
    idx = p.take(k, p.reports("103"))
    for fam_name, sub in _family_groups(p, idx):
        rows = p.rows(fam_name, sub)
        mats = np.stack([p.col(fam_name, f)[rows] for f in _TRANSPOSE_103], axis=1)
        new = np.empty_like(mats)
        ok = np.empty(mats.shape, dtype=bool)
        for j in range(mats.shape[1]):
            new[:, j], ok[:, j] = transpose_digits(mats[:, j], p.rng)
        pick = np.argmax(np.where(ok, p.rng.random(ok.shape), -1.0), axis=1)
        good = ok[np.arange(sub.size), pick]
        p.free[sub[~good]] = True  # nothing to transpose: give the unit back
        for j, name in enumerate(_TRANSPOSE_103):
            sel = good & (pick == j)
            if sel.any():
                p.col(fam_name, name)[rows[sel]] = new[sel, j]
                p.record(sub[sel], fam_name, name, "transposition", _arrow(mats[sel, j], new[sel, j]))


def _balance(p: _Planter, k: int) -> None:
    options = (("103", 0.85), ("E204", 0.15))
    idx = p.take(k, p.eligible(options))
    target = p.choose(idx, options)
    totals_103 = ("total_assets", "owners_equity", "op_profit", "total_profit")
    field_of = np.where(target == "E204", "sales_total",
                        np.array(totals_103)[p.rng.integers(0, len(totals_103), idx.size)])
    sign = np.where(p.rng.random(idx.size) < 0.5, -1, 1)
    share = p.rng.uniform(0.03, 0.3, idx.size)
    for form in ("E204", *_FAMILIES):
        for name in ("sales_total",) if form == "E204" else totals_103:
            sel = (target == form) & (field_of == name)
            if not sel.any():
                continue
            rows = p.rows(form, idx[sel])
            arr = p.col(form, name)
            old = arr[rows].copy()
            delta = sign[sel] * np.maximum(2, np.rint(np.abs(old) * share[sel])).astype(np.int64)
            arr[rows] = old + delta
            p.record(idx[sel], form, name, "balance", _arrow(old, arr[rows]))


def _revenue_scale(p: _Planter, idx: np.ndarray, factor: np.ndarray, keep_balance: np.ndarray,
                   with_cost: bool) -> None:
    """Scale revenue (and cost) of 103; keep 营业利润/利润总额 consistent where asked."""
    for fam_name, sub in _family_groups(p, idx):
        where = np.searchsorted(idx, sub)
        f = factor[where]
        rows = p.rows(fam_name, sub)
        rev, cost = p.col(fam_name, "revenue"), p.col(fam_name, "cost")
        old_rev, old_cost = rev[rows].copy(), cost[rows].copy()
        names = ("revenue", "main_revenue", "cost", "main_cost") if with_cost else ("revenue", "main_revenue")
        _scale(p, fam_name, rows, names, f)
        delta = (rev[rows] - old_rev) - (cost[rows] - old_cost)
        keep = keep_balance[where]
        for name in ("op_profit", "total_profit"):
            arr = p.col(fam_name, name)
            arr[rows] = np.where(keep, arr[rows] + delta, arr[rows])


def _growth(p: _Planter, k: int) -> None:
    """Revenue, cost and output scaled together by a target growth; headcount, wages, power stay."""
    idx = p.take(k, p.has_prev & p.reports("103"))
    factor = p.rng.uniform(1.5, 3.0, idx.size)
    _revenue_scale(p, idx, factor, np.ones(idx.size, dtype=bool), with_cost=True)
    fam = p.form_of(idx)
    for form, fam_name, names in (("B204-1", "B103", ("output_value", "sales_value", "export_value")),
                                  ("E204", "E103", _MONEY_E204)):
        sel = fam == fam_name
        if sel.any():
            _scale(p, form, p.rows(form, idx[sel]), names, factor[sel])
    for form, name in (("101", "revenue"), ("census5", "op_income")):
        _scale(p, form, p.rows(form, idx), (name,), factor)
    p.record(idx, fam, "revenue", "growth", _fmt(np.round(factor, 2), "×{}（收入、成本、产值同步放大）"))


def _inflated(p: _Planter, k: int) -> None:
    idx = p.take(k, p.reports("103"))
    factor = np.exp(p.rng.uniform(np.log(5), np.log(50), idx.size))
    keep = p.rng.random(idx.size) < 0.5
    _revenue_scale(p, idx, factor, keep, with_cost=False)
    fam = p.form_of(idx)
    sel = (fam == "B103") & (p.rng.random(idx.size) < 0.5)
    if sel.any():
        _scale(p, "B204-1", p.rows("B204-1", idx[sel]), ("output_value", "sales_value"), factor[sel])
    p.record(idx, fam, "revenue", "inflated", _fmt(np.round(factor, 1), "营业收入×{}"))


def round_sig(values: np.ndarray, digits: int = 2) -> np.ndarray:
    """Round to ``digits`` significant digits, never to a step below 10.

    Examples
    --------
    >>> round_sig(np.array([12345, 987, 4, -56789])).tolist()
    [12000, 990, 0, -57000]
    """
    v = values.astype(np.float64)
    nd = np.floor(np.log10(np.maximum(np.abs(v), 1))) + 1
    step = np.power(10.0, np.maximum(nd - digits, 1))
    return np.asarray(np.round(v / step) * step, dtype=np.int64)


def _round(p: _Planter, k: int) -> None:
    """Invented round figures (two significant digits) from one 街镇, in 102 and 103."""
    ok = p.eligible(_VALUE_FORMS)
    towns = np.array(sorted(set(p.town.filter(pl.Series(ok)).to_list())))
    if towns.size == 0:
        return
    town = towns[p.rng.integers(0, towns.size)]
    idx = p.take(k, ok & (p.town == town).to_numpy())
    m = p.rng.uniform(0.9, 1.1, idx.size)
    in102 = p.reports("102")[idx]
    if in102.any():
        rows = p.rows("102", idx[in102])
        wages = p.col("102", "wages")
        wages[rows] = np.maximum(round_sig(wages[rows] * m[in102]), 10)
    in103 = p.reports("103")[idx]
    for fam_name, sub in _family_groups(p, idx[in103]):
        r = p.rows(fam_name, sub)
        mm = m[np.searchsorted(idx, sub)]
        parts = ("revenue", "cost", "selling_exp", "admin_exp")
        before = {f: p.col(fam_name, f)[r].copy() for f in parts}
        for name in parts:
            arr = p.col(fam_name, name)
            arr[r] = round_sig(arr[r] * mm)
        rev, cost = p.col(fam_name, "revenue"), p.col(fam_name, "cost")
        for part, total in (("main_revenue", rev), ("main_cost", cost)):
            arr = p.col(fam_name, part)
            arr[r] = np.minimum(round_sig(arr[r] * mm), total[r])
        delta = ((rev[r] - before["revenue"]) - (cost[r] - before["cost"])
                 - (p.col(fam_name, "selling_exp")[r] - before["selling_exp"])
                 - (p.col(fam_name, "admin_exp")[r] - before["admin_exp"]))
        for name in ("op_profit", "total_profit"):
            p.col(fam_name, name)[r] += delta
    form = np.where(in103, p.form_of(idx), "102")
    p.record(idx, form, np.where(in103, "revenue", "wages"), "round",
             "营业收入、成本、费用、工资总额取两位有效数字的整数")


def _copy(p: _Planter, k: int) -> None:
    """A unit copies every value of a form from another unit (same form, same 103 variant)."""
    targets = p.take(max(1, k // 2), p.eligible(_VALUE_FORMS))
    target_form = p.choose(targets, _VALUE_FORMS)
    sources = np.full(targets.size, -1, dtype=np.int64)
    for form in np.unique(target_form):
        sel = np.flatnonzero(target_form == form)
        src = p.take(sel.size, p.reports(str(form)))
        sources[sel[:src.size]] = src
    p.free[targets[sources < 0]] = True
    kept = sources >= 0
    targets, sources, target_form = targets[kept], sources[kept], target_form[kept]
    for form in np.unique(target_form):
        s = target_form == form
        t_rows, s_rows = p.rows(str(form), targets[s]), p.rows(str(form), sources[s])
        names = _MONEY_102 if form == "102" else MONEY_103
        for name in names:
            arr = p.col(str(form), name)
            arr[t_rows] = arr[s_rows]
        main = "wages" if form == "102" else "revenue"
        src_codes, tgt_codes = p.code.gather(sources[s]), p.code.gather(targets[s])
        p.record(targets[s], str(form), main, "copy",
                 pl.select(pl.format("照抄 {} 的全部数值", pl.lit(src_codes))).to_series())
        p.record(sources[s], str(form), main, "copy",
                 pl.select(pl.format("数值被 {} 照抄", pl.lit(tgt_codes))).to_series())


def _unchanged(p: _Planter, k: int) -> None:
    idx = p.take(k, p.has_prev & p.eligible(_VALUE_FORMS))
    target = p.choose(idx, _VALUE_FORMS)
    for form in np.unique(target):
        sub = idx[target == form]
        rows = p.rows(str(form), sub)
        names = _MONEY_102 if form == "102" else MONEY_103
        for name in names:
            p.col(str(form), name)[rows] = p.prev_values(str(form), name, sub)
        p.record(sub, str(form), "*", "unchanged", "全部数值与上年同期相同")


def _duplicate(p: _Planter, k: int) -> None:
    """The same code twice in one form: a row sent twice, or a unit using another's code."""
    idx = p.take(k, p.eligible(_CODE_FORMS))
    forms = p.choose(idx, _CODE_FORMS)
    twice = p.rng.random(idx.size) < 0.5
    for form in np.unique(forms):
        f = str(form)
        sel = (forms == form) & twice
        if sel.any():
            p.twice.setdefault(f, []).append(p.rows(f, idx[sel]))
            p.record(idx[sel], f, "credit_code", "duplicate", "同一单位重复报送（整行重复）")
        sel = np.flatnonzero((forms == form) & ~twice)
        if sel.size:
            owners = p.take(sel.size, p.reports(f))
            p.free[idx[sel[owners.size:]]] = True
            sel = sel[:owners.size]
            borrowed = p.code.gather(owners)
            p.set_text(f, "credit_code", p.rows(f, idx[sel]), borrowed)
            p.record(idx[sel], f, "credit_code", "duplicate",
                     pl.select(pl.format("误用 {} 的代码", pl.lit(borrowed))).to_series(), reported=borrowed)
            p.record(owners, f, "credit_code", "duplicate", "代码被其他单位误用")


def _invalid_code(p: _Planter, k: int) -> None:
    idx = p.take(k, p.eligible(_CODE_FORMS))
    codes = p.code.gather(idx)
    how = p.rng.integers(0, 3, idx.size)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    shift = pl.Series(p.rng.integers(1, 31, idx.size))
    pos_last = codes.str.slice(17, 1).replace_strict({c: i for i, c in enumerate(alphabet)}, return_dtype=pl.Int64)
    new_last = ((pos_last + shift) % 31).replace_strict(dict(enumerate(alphabet)), return_dtype=pl.String)
    bad_char = pl.Series(np.array(list("IOZSV"))[p.rng.integers(0, 5, idx.size)])
    at = pl.Series(p.rng.integers(8, 17, idx.size))
    frame = pl.DataFrame({"c": codes, "h": how, "l": new_last, "b": bad_char, "at": at})
    damaged = frame.select(
        pl.when(pl.col("h") == 0).then(pl.col("c").str.slice(0, 17) + pl.col("l"))
        .when(pl.col("h") == 1).then(pl.col("c").str.slice(0, pl.col("at")) + pl.col("b")
                                     + pl.col("c").str.slice(pl.col("at") + 1))
        .otherwise(pl.col("c").str.slice(0, 17))
    ).to_series()
    label = pl.Series(np.array(["校验位错误", "含非法字符（I/O/Z/S/V）", "少一位"])[how])
    _apply_codes(p, idx, damaged, "invalid_code", label)


def _excel_code(p: _Planter, k: int) -> None:
    digits = p.code.str.contains(r"^\d{18}$").to_numpy()
    idx = p.take(k, digits & p.eligible(_CODE_FORMS))
    codes = p.code.gather(idx)
    how = p.rng.choice(np.array(["sci", "digits", "float"]), idx.size, p=[0.6, 0.3, 0.1])
    damaged = codes.clone()
    for h in ("sci", "digits", "float"):
        sel = np.flatnonzero(how == h)
        if sel.size:
            damaged = damaged.scatter(sel, excel_damage(codes.gather(sel), h))
    names = {"sci": "科学计数法", "digits": "15位后变0", "float": "浮点数"}
    label = pl.Series(how).replace_strict({h: f"Excel 把代码存成数字（{z}）" for h, z in names.items()},
                                          return_dtype=pl.String)
    _apply_codes(p, idx, damaged, "excel_code", label)


def _apply_codes(p: _Planter, idx: np.ndarray, damaged: pl.Series, kind: str, label: pl.Series) -> None:
    forms = p.choose(idx, _CODE_FORMS)
    for form in np.unique(forms):
        sel = np.flatnonzero(forms == form)
        p.set_text(str(form), "credit_code", p.rows(str(form), idx[sel]), damaged.gather(sel))
        p.record(idx[sel], str(form), "credit_code", kind, label.gather(sel), reported=damaged.gather(sel))


def _shared_contact(p: _Planter, k: int) -> None:
    """Clusters of 4–12 units in one 街镇 that share the 填表人 and the phone of their first unit."""
    idx = p.take(max(k, 4), p.reports("101"))
    if idx.size < 2:
        p.free[idx] = True
        return
    town = p.town.gather(idx).to_numpy()
    order = np.argsort(town, kind="stable")
    idx, town = idx[order], town[order]
    leader = np.empty(idx.size, dtype=np.int64)
    size = np.empty(idx.size, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, town[1:] != town[:-1]])
    ends = np.r_[starts[1:], idx.size]
    for lo, hi in zip(starts, ends, strict=True):
        m = hi - lo
        sizes = p.rng.integers(4, 13, m // 4 + 1)
        bounds = np.cumsum(sizes)
        bounds = bounds[bounds < m]
        if bounds.size and m - bounds[-1] < 4:  # a short last cluster joins the one before
            bounds = bounds[:-1]
        cluster = np.searchsorted(bounds, np.arange(m), side="right")
        first = np.r_[0, bounds][cluster]
        leader[lo:hi] = lo + first
        size[lo:hi] = np.diff(np.r_[0, bounds, m])[cluster]
    keep = size >= 3  # a 街镇 with only one or two chosen units has no cluster
    p.free[idx[~keep]] = True
    idx, leader_pos = idx[keep], np.cumsum(keep)[leader[keep]] - 1
    size = size[keep]
    if idx.size == 0:
        return
    rows = p.rows("101", idx)
    filler = p.cur["101"]["filler"].gather(rows[leader_pos])
    phone = p.cur["101"]["filler_phone"].gather(rows[leader_pos])
    p.set_text("101", "filler", rows, filler)
    p.set_text("101", "filler_phone", rows, phone)
    detail = pl.select(pl.format("填表人{}（{}）同时为 {} 家单位填报", pl.lit(filler), pl.lit(phone),
                                 pl.lit(pl.Series(size)))).to_series()
    p.record(idx, "101", "filler_phone", "shared_contact", detail)


_PLANTERS = {
    "unit_error": _unit_error, "transposition": _transposition, "balance": _balance, "growth": _growth,
    "inflated": _inflated, "round": _round, "copy": _copy, "unchanged": _unchanged, "duplicate": _duplicate,
    "invalid_code": _invalid_code, "excel_code": _excel_code, "shared_contact": _shared_contact,
}


def plant(
    pop: Population,
    current: dict[str, pl.DataFrame],
    previous: dict[str, pl.DataFrame],
    rates: Mapping[str, float],
    seed: int,
    *,
    forms: Sequence[str] | None = None,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Plant anomalies in ``current`` forms (built with ``keep_unit=True``).

    ``forms`` limits the forms anomalies go in (``103`` = every variant); a rate is then
    a share of the units that report one of them. Returns the forms with the anomalies
    (``_unit`` dropped) and the truth table. ``previous`` is only read.
    """
    rng = np.random.default_rng([seed, 8])
    allowed = None
    if forms is not None:
        allowed = frozenset(v for f in forms for v in (_FAMILIES if f == "103" else (f,)))
    p = _Planter(pop, current, previous, rng, allowed)
    base = int(p.any_form().sum())
    for kind in KINDS:
        rate = rates.get(kind, 0.0)
        if rate <= 0:
            continue
        count = max(1, round(rate * base))
        p.kind = kind
        _PLANTERS[kind](p, count)
    return p.finish()
