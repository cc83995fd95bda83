"""A coherent population of enterprises in Putuo's 10 街镇, for two periods.

Every unit has an industry (a GB/T 4754-2017 小类 drawn by an urban industry mix), a
size (lognormal headcount), a wage level, a revenue and a set of ratio draws; all money
fields of all forms follow from these by accounting identities, so that the forms agree
with each other and with the audit relations of FORMS.md (with margin from every band).
The previous period uses the same draws, slightly jittered, and revenue scaled back by a
growth factor around +5%.

All of it is vectorised numpy; a million units take a few seconds.

Examples
--------
>>> pop = population(200, seed=1)
>>> pop.current.height, pop.period, pop.previous_period
(200, '202412', '202312')
>>> bool((pop.current["total_assets"] == pop.current["total_liabilities"] + pop.current["owners_equity"]).all())
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from .codes import credit_codes, division_codes, fixed_phones, mobiles
from .industry import class_codes, class_names, industry_mix
from .vocab import BRAND_CHARS, GIVEN_CHARS, REG_CATEGORIES, ROADS, SECTION_WORDS, SURNAME_WEIGHTS, SURNAMES

__all__ = ["MONEY_103", "Population", "period_months", "population", "previous_period"]

#: Money fields of the 103 family, in form order (千元).
MONEY_103 = (
    "total_assets", "current_assets", "receivables", "inventory", "finished_goods", "fixed_assets_orig",
    "accum_depr", "depr_current", "total_liabilities", "owners_equity", "revenue", "main_revenue", "cost",
    "main_cost", "taxes_surcharges", "selling_exp", "admin_exp", "rd_exp", "fin_exp", "interest_exp",
    "interest_income", "other_income", "invest_income", "hedge_income", "fair_value_income", "credit_impair",
    "asset_impair", "disposal_income", "op_profit", "nonop_income", "nonop_exp", "total_profit", "vat_payable",
    "payroll_payable", "taxes_paid",
)

#: Relative size of the 10 街镇 (share of enterprises), by code.
TOWN_WEIGHTS = {
    "310107005": 0.09, "310107014": 0.12, "310107015": 0.11, "310107016": 0.06, "310107017": 0.07,
    "310107020": 0.07, "310107021": 0.06, "310107022": 0.14, "310107102": 0.15, "310107103": 0.13,
}
#: Industrial units concentrate in the two 镇 (industrial parks).
INDUSTRIAL_TOWN_WEIGHTS = {**{k: 0.04 for k in TOWN_WEIGHTS}, "310107102": 0.3, "310107103": 0.38}


def previous_period(period: str) -> str:
    """The same period one year earlier: ``202412`` → ``202312``, ``2024`` → ``2023``.

    Examples
    --------
    >>> previous_period("202406"), previous_period("2024")
    ('202306', '2023')
    """
    return f"{int(period[:4]) - 1}{period[4:]}"


def period_months(period: str) -> int:
    """Months a cumulative period covers: ``202406`` → 6, ``2024`` → 12."""
    return int(period[4:6]) if len(period) >= 6 else 12


def _period_end(period: str) -> dt.date:
    year, month = int(period[:4]), period_months(period)
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


@dataclass
class Population:
    """Units of a district in two periods, with every field of every form.

    Attributes
    ----------
    current, previous
        One row per unit alive in the period. Columns: every field id of every form
        (unit ids, 101, 102, 103, B204-1, E204, 五经普), null where a form does not
        apply, plus helper columns starting with ``_``: ``_unit`` (a stable unit
        number shared by both periods), ``_section`` (门类), ``_family`` (103 variant).
    seed, period, previous_period
        How it was made.
    """

    current: pl.DataFrame
    previous: pl.DataFrame
    seed: int
    period: str
    previous_period: str

    @property
    def n(self) -> int:
        """Units in the current period."""
        return self.current.height


# --- small vectorised helpers ---------------------------------------------------------


def _pick(vocab: pl.Series, idx: np.ndarray) -> pl.Series:
    return vocab.gather(idx)


def _concat(*parts: pl.Series | str) -> pl.Series:
    exprs = [pl.lit(p) if isinstance(p, pl.Series) else pl.lit(p, dtype=pl.String) for p in parts]
    return pl.select(pl.concat_str(exprs).alias("s")).to_series()


def _chars(text: str) -> pl.Series:
    return pl.Series(list(dict.fromkeys(text)))


def _person_names(rng: np.random.Generator, n: int) -> pl.Series:
    """Chinese personal names: a surname (by frequency) and one or two given characters."""
    weights = np.asarray(SURNAME_WEIGHTS, dtype=float)
    surname = _pick(pl.Series(SURNAMES), rng.choice(len(SURNAMES), n, p=weights / weights.sum()))
    given = _chars(GIVEN_CHARS)
    g1 = _pick(given, rng.integers(0, given.len(), n))
    g2 = _pick(given, rng.integers(0, given.len(), n))
    two = pl.Series(rng.random(n) < 0.8)
    g2 = pl.select(pl.when(pl.lit(two)).then(pl.lit(g2)).otherwise(pl.lit("")).alias("s")).to_series()
    return _concat(surname, g1, g2)


def _company_names(rng: np.random.Generator, sections: np.ndarray) -> pl.Series:
    """Unique company names: 上海 + a 2–4 character brand (字号) + an industry word + a suffix."""
    n = sections.size
    brand = pl.concat([_chars(BRAND_CHARS), pl.Series([""])])
    nb = brand.len() - 1  # index nb = no third character
    word_list = [(s, w) for s, words in SECTION_WORDS.items() for w in words]
    words = pl.Series([w for _, w in word_list])
    sec_of_word = np.array([s for s, _ in word_list])
    suffixes = pl.Series(["有限公司", "股份有限公司", "有限责任公司"])
    suffix_p = np.array([0.8, 0.12, 0.08])
    options = {s: np.flatnonzero(sec_of_word == s) for s in SECTION_WORDS}
    names = pl.Series("name", [], dtype=pl.String)
    hashes = np.zeros(n, dtype=np.uint64)
    rows = np.arange(n)
    while rows.size:
        m = rows.size
        b = rng.integers(0, nb, (m, 4))
        # brands of 2, 3 or 4 characters; names drawn again after a clash get 4 (rarely clash again)
        length = rng.choice(np.array([2, 3, 4]), m, p=[0.15, 0.7, 0.15]) if names.len() == 0 else np.full(m, 4)
        b[:, 2] = np.where(length >= 3, b[:, 2], nb)
        b[:, 3] = np.where(length >= 4, b[:, 3], nb)
        w = np.zeros(m, dtype=np.int64)
        for s, opts in options.items():
            sel = np.flatnonzero(sections[rows] == s)
            w[sel] = opts[rng.integers(0, opts.size, sel.size)]
        x = rng.choice(suffixes.len(), m, p=suffix_p)
        drawn = _concat("上海", *[_pick(brand, b[:, i]) for i in range(4)], _pick(words, w), _pick(suffixes, x))
        names = drawn if names.len() == 0 else names.scatter(rows, drawn)
        hashes[rows] = drawn.hash(seed=0).to_numpy()
        # keep the first of each name (by its 64-bit hash); draw again for later duplicates
        order = np.argsort(hashes)
        ordered = hashes[order]
        rows = np.sort(order[1:][ordered[1:] == ordered[:-1]])
    return names


def _addresses(rng: np.random.Generator, n: int) -> pl.Series:
    road = _pick(pl.Series(ROADS), rng.integers(0, len(ROADS), n))
    number = pl.Series(rng.integers(1, 2000, n)).cast(pl.String)
    room = pl.Series(rng.integers(101, 2400, n)).cast(pl.String)
    with_room = pl.Series(rng.random(n) < 0.6)
    suffix = pl.select(
        pl.when(pl.lit(with_room)).then(pl.format("{}室", pl.lit(room))).otherwise(pl.lit("")).alias("s")
    ).to_series()
    return _concat("上海市普陀区", road, number, "号", suffix)


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


# --- the economic model ---------------------------------------------------------------

# Uniform draws in [0, 1] that fix a unit's ratios. The previous period jitters them a
# little, so ratios drift between periods but stay inside the same bounds.
_UNIFORMS = (
    "female", "dispatch_has", "dispatch", "end_ratio", "margin", "main_share", "main_cost", "exp_ratio",
    "sell_share", "rd_has", "rd_share", "borrow_has", "interest_rate", "other_has", "other", "invest_has",
    "invest", "fv_has", "fv", "credit_has", "credit", "aimp_has", "aimp", "disp_has", "disp", "nonop_in_has",
    "nonop_in", "nonop_out_has", "nonop_out", "payroll", "current", "receivable", "inventory", "fg", "fa_net",
    "accum", "depr", "leverage", "vat", "extra_tax", "income_tax", "output", "sales", "export_has", "export",
    "sales_total", "retail", "online_has", "online", "stock", "labour", "fee",
)
_NORMALS = ("turnover", "electricity")


def _between(u: np.ndarray, lo: float | np.ndarray, hi: float | np.ndarray) -> np.ndarray:
    return np.asarray(lo + (np.asarray(hi) - lo) * u, dtype=float)


def _flag(u: np.ndarray, p: float | np.ndarray) -> np.ndarray:
    return np.asarray(u < p)


def _money(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.rint(x), dtype=np.int64)


def _accounts(
    g: dict[str, np.ndarray],
    emp_avg: np.ndarray,
    monthly: np.ndarray,
    revenue_draw: np.ndarray,
    months: int,
    u: dict[str, np.ndarray],
    z: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """All numeric fields of one period from size drivers and ratio draws.

    ``g`` holds per-unit parameters (section medians adjusted by division); flows are
    for ``months`` months, stocks at the period end.
    """
    n = emp_avg.size
    frac = months / 12
    out: dict[str, np.ndarray] = {}
    # 102: headcount and wages
    emp_end = np.maximum(1, np.rint(emp_avg * _between(u["end_ratio"], 0.9, 1.12))).astype(np.int64)
    out["emp_avg"] = emp_avg
    out["emp_end"] = emp_end
    out["emp_female"] = np.rint(emp_end * np.clip(g["female"] + _between(u["female"], -0.15, 0.15), 0.05, 0.9))
    dispatch = np.where(_flag(u["dispatch_has"], 0.15), np.rint(emp_end * _between(u["dispatch"], 0.02, 0.15)), 0)
    out["emp_dispatch"] = dispatch
    wages = _money(emp_avg * monthly * months / 1000)
    out["wages"] = wages
    # income statement (千元)
    revenue = _money(np.maximum.reduce([
        revenue_draw * frac,
        wages * _between(u["labour"], 2.2, 3.5),
        np.full(n, 60 * frac),
    ]))
    margin = np.clip(g["margin"] + g["margin_sd"] * _between(u["margin"], -1.7, 1.7), 0.03, 0.68)
    cost = _money(revenue * (1 - margin))
    main_all = _flag(u["main_share"], 0.5)
    main_revenue = np.where(main_all, revenue, _money(revenue * _between(u["main_share"], 0.85, 1.0)))
    main_share = main_revenue / np.maximum(revenue, 1)
    main_cost = np.minimum(cost, _money(cost * main_share * _between(u["main_cost"], 0.97, 1.0)))
    vat = _money(revenue * np.maximum(margin, 0.04) * g["vat_rate"] * _between(u["vat"], 0.6, 1.1))
    taxes = _money(vat * 0.12 + revenue * _between(u["extra_tax"], 0.0002, 0.002))
    expenses = revenue * margin * _between(u["exp_ratio"], 0.55, 1.08)
    rd = np.where(_flag(u["rd_has"], g["rd_p"]), expenses * _between(u["rd_share"], 0.1, 0.35), 0.0)
    selling = (expenses - rd) * np.clip(g["sell"] + _between(u["sell_share"], -0.15, 0.15), 0.05, 0.8)
    admin = expenses - rd - selling
    # balance sheet
    turnover = g["turnover"] * np.exp(0.5 * np.clip(z["turnover"], -2.5, 2.5))
    total_assets = _money(np.maximum(revenue / frac / turnover, 50))
    current_assets = _money(total_assets * np.clip(g["current"] + _between(u["current"], -0.2, 0.15), 0.2, 0.95))
    rec_share = _between(u["receivable"], 0.1, 0.45)
    inv_share = np.clip(g["inventory"] * _between(u["inventory"], 0.4, 1.6), 0.0, 0.9 - rec_share)
    receivables = _money(current_assets * rec_share)
    inventory = _money(current_assets * inv_share)
    finished_goods = np.where(g["industrial"], _money(inventory * _between(u["fg"], 0.2, 0.6)), 0)
    noncurrent = total_assets - current_assets
    fa_net = noncurrent * _between(u["fa_net"], 0.3, 0.9)
    accum_frac = _between(u["accum"], 0.1, 0.6)
    fa_orig = _money(fa_net / (1 - accum_frac))
    accum_depr = np.minimum(fa_orig, _money(fa_orig * accum_frac))
    depr_current = np.minimum(accum_depr, _money(fa_orig * _between(u["depr"], 0.03, 0.1) * frac))
    total_liabilities = _money(total_assets * _between(u["leverage"], 0.15, 0.85))
    # financial expenses: interest on debt, interest on deposits, fees
    borrowing = _flag(u["borrow_has"], 0.4)
    rate = _between(u["interest_rate"], 0.02, 0.05)
    interest_exp = np.where(borrowing, _money(total_liabilities * 0.4 * rate * frac), 0)
    interest_income = _money(current_assets * 0.3 * 0.004 * frac)
    fin_exp = interest_exp - interest_income + _money(revenue * _between(u["fee"], 0.0002, 0.001))
    # other gains and losses (losses negative)
    other_income = np.where(_flag(u["other_has"], 0.3), _money(revenue * _between(u["other"], 0.0, 0.01)), 0)
    invest_income = np.where(_flag(u["invest_has"], 0.1), _money(revenue * _between(u["invest"], -0.01, 0.02)), 0)
    hedge_income = np.zeros(n, dtype=np.int64)
    fair_value = np.where(_flag(u["fv_has"], 0.03), _money(revenue * _between(u["fv"], -0.005, 0.005)), 0)
    credit_impair = np.where(_flag(u["credit_has"], 0.4), -_money(receivables * _between(u["credit"], 0.0, 0.03)), 0)
    asset_impair = np.where(_flag(u["aimp_has"], 0.1), -_money(inventory * _between(u["aimp"], 0.0, 0.03)), 0)
    disposal = np.where(_flag(u["disp_has"], 0.05), _money(revenue * _between(u["disp"], -0.002, 0.004)), 0)
    selling_i, admin_i, rd_i = _money(selling), _money(admin), _money(rd)
    op_profit = (
        revenue - cost - taxes - selling_i - admin_i - rd_i - fin_exp + other_income + invest_income
        + hedge_income + fair_value + credit_impair + asset_impair + disposal
    )
    nonop_income = np.where(_flag(u["nonop_in_has"], 0.2), _money(revenue * _between(u["nonop_in"], 0, 0.003)), 0)
    nonop_exp = np.where(_flag(u["nonop_out_has"], 0.2), _money(revenue * _between(u["nonop_out"], 0, 0.002)), 0)
    total_profit = op_profit + nonop_income - nonop_exp
    payroll = _money(wages * _between(u["payroll"], 1.15, 1.45))
    taxes_paid = _money(vat + taxes + np.maximum(total_profit, 0) * _between(u["income_tax"], 0.05, 0.25))
    out.update(
        total_assets=total_assets, current_assets=current_assets, receivables=receivables, inventory=inventory,
        finished_goods=finished_goods, fixed_assets_orig=fa_orig, accum_depr=accum_depr, depr_current=depr_current,
        total_liabilities=total_liabilities, owners_equity=total_assets - total_liabilities, revenue=revenue,
        main_revenue=main_revenue, cost=cost, main_cost=main_cost, taxes_surcharges=taxes, selling_exp=selling_i,
        admin_exp=admin_i, rd_exp=rd_i, fin_exp=fin_exp, interest_exp=interest_exp, interest_income=interest_income,
        other_income=other_income, invest_income=invest_income, hedge_income=hedge_income,
        fair_value_income=fair_value, credit_impair=credit_impair, asset_impair=asset_impair,
        disposal_income=disposal, op_profit=op_profit, nonop_income=nonop_income, nonop_exp=nonop_exp,
        total_profit=total_profit, vat_payable=vat, payroll_payable=payroll, taxes_paid=taxes_paid,
    )
    # B204-1 (industry): output, sales, exports, electricity (万千瓦时)
    output = _money(revenue * _between(u["output"], 0.92, 1.1))
    sales = _money(output * _between(u["sales"], 0.94, 1.03))
    export = np.where(_flag(u["export_has"], 0.3), _money(sales * _between(u["export"], 0.05, 0.6)), 0)
    intensity = 0.03 * np.exp(0.6 * np.clip(z["electricity"], -2.5, 2.5))  # kWh per 元 of output
    out.update(output_value=output, sales_value=sales, export_value=export,
               electricity=np.maximum(np.round(output * 1000 * intensity / 1e4, 2), 0.01))
    # E204 (trade): sales incl. VAT = wholesale + retail, online ≤ retail, closing stock
    sales_total = _money(revenue * _between(u["sales_total"], 1.05, 1.18))
    retail_share = np.where(g["retail_trade"], _between(u["retail"], 0.85, 1.0),
                            np.where(u["retail"] < 0.6, 0.0, _between(u["retail"], -0.12, 0.08)))
    retail = _money(sales_total * np.clip(retail_share, 0, 1))
    online_share = np.where(g["online_shop"], _between(u["online"], 0.8, 1.0),
                            np.where(g["retail_trade"] & _flag(u["online_has"], 0.4), _between(u["online"], 0, 0.3), 0))
    out.update(sales_total=sales_total, wholesale=sales_total - retail, retail=retail,
               online_retail=_money(retail * online_share),
               stock_end=_money(sales_total * _between(u["stock"], 0.04, 0.2)))
    return {k: np.asarray(v) for k, v in out.items()}


def _unit_params(sections: np.ndarray, divisions: np.ndarray, online: np.ndarray) -> dict[str, np.ndarray]:
    mix = industry_mix()
    names = list(mix)
    order = np.argsort(np.array(names))
    idx = order[np.searchsorted(np.array(names)[order], sections)]

    def col(attr: str) -> np.ndarray:
        return np.array([getattr(mix[s], attr) for s in names], dtype=float)[idx]

    wholesale, retail_trade = divisions == 51, divisions == 52
    g = {
        "margin": col("margin") + np.where(wholesale, -0.04, 0) + np.where(retail_trade, 0.08, 0),
        "margin_sd": col("margin_sd"),
        "turnover": col("turnover"),
        "current": col("current_share"),
        "inventory": col("inventory_share"),
        "vat_rate": col("vat_rate"),
        "rev_per_emp": col("rev_per_emp") * np.where(wholesale, 1.6, 1.0) * np.where(retail_trade, 0.6, 1.0),
        "emp_median": col("emp_median"),
        "emp_sigma": col("emp_sigma"),
        "wage_month": col("wage_month"),
        "female": np.where(np.isin(sections, ["C", "D", "E", "G"]), 0.3, 0.5),
        "sell": np.where(np.isin(sections, ["F", "H", "K"]), 0.45, 0.3),
        "rd_p": np.where(np.isin(sections, ["C", "I", "M"]), 0.5, 0.05),
        "industrial": (divisions >= 6) & (divisions <= 46),
        "retail_trade": retail_trade,
        "online_shop": online,
    }
    return g


def _draws(rng: np.random.Generator, total: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The uniform and normal draws of every unit (float32 to halve the memory)."""
    uni = rng.random((len(_UNIFORMS), total), dtype=np.float32)
    nor = rng.standard_normal((len(_NORMALS), total), dtype=np.float32)
    return dict(zip(_UNIFORMS, uni, strict=True)), dict(zip(_NORMALS, nor, strict=True))


def _soft_bounds(x: np.ndarray, lo: float, hi: float, rng: np.random.Generator) -> np.ndarray:
    """Values outside [lo, hi] drawn again uniformly from the edge band, so bounds leave no
    mass point (a clip would give many units exactly the minimum wage, hence identical figures)."""
    below, above = x < lo, x > hi
    out = np.where(below, rng.uniform(lo, lo * 1.4, x.size), x)
    return np.asarray(np.where(above, rng.uniform(hi * 0.75, hi, x.size), out))


def _jitter(u: dict[str, np.ndarray], z: dict[str, np.ndarray], rng: np.random.Generator
            ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The same draws moved a little: ±0.03 for uniforms, ±0.1 for normals."""
    total = next(iter(u.values())).size
    du = (rng.random((len(u), total), dtype=np.float32) - np.float32(0.5)) * np.float32(0.06)
    dz = (rng.random((len(z), total), dtype=np.float32) - np.float32(0.5)) * np.float32(0.2)
    u2 = {k: np.clip(v + d, 0, 1) for (k, v), d in zip(u.items(), du, strict=True)}
    z2 = {k: v + d for (k, v), d in zip(z.items(), dz, strict=True)}
    return u2, z2


def population(
    n: int,
    seed: int = 0,
    period: str = "202412",
    *,
    births: float = 0.05,
    deaths: float = 0.03,
    growth: float = 0.05,
    growth_sd: float = 0.08,
    outliers: float = 0.0,
) -> Population:
    """Generate ``n`` enterprises alive in ``period`` and their previous-year records.

    Parameters
    ----------
    n
        Units in the current period.
    seed
        Everything is a function of the seed.
    period
        ``YYYYMM`` (cumulative 1–本月, flows scaled by months/12) or ``YYYY``.
    births, deaths
        Share of current units opened this year (no previous record) and, relative to
        ``n``, units that report only in the previous period.
    growth, growth_sd
        Revenue growth on the previous year: lognormal around ``growth``, clipped to
        [−20%, +30%] so that clean units stay far from the ±50% growth rules.
    outliers
        Share of units with a *genuine* large change on last year (expansion ×1.6–3 or
        contraction ×0.35–0.6 of revenue, with headcount, wages and output following).
        They are true, not errors, but trip growth warnings: the hard negatives of a
        detection benchmark. Marked in the helper column ``_genuine``.

    Examples
    --------
    >>> pop = population(50, seed=3)
    >>> set(pop.current["town_code"].str.slice(0, 6)) == {"310107"}
    True
    >>> population(50, seed=3).current.equals(pop.current)
    True
    """
    if n < 0:
        raise ValueError("n must be non-negative")
    rng = np.random.default_rng(seed)
    months = period_months(period)
    n_dead = round(deaths * n)
    total = n + n_dead
    mix = industry_mix()
    sec_names = np.array(list(mix))
    sec_idx = rng.choice(sec_names.size, total, p=np.array([p.share for p in mix.values()]))
    sections = sec_names[sec_idx]
    all_classes = [c for s in sec_names for c in class_codes(str(s))]
    offsets = np.cumsum([0] + [len(class_codes(str(s))) for s in sec_names])
    sizes = np.diff(offsets)
    class_idx = offsets[sec_idx] + (rng.random(total) * sizes[sec_idx]).astype(np.int64)
    industry_s = pl.Series(all_classes).gather(class_idx)
    divisions = np.array([int(c[:2]) for c in all_classes], dtype=np.int64)[class_idx]
    towns = pl.Series(list(TOWN_WEIGHTS))
    tw = np.array(list(TOWN_WEIGHTS.values()))
    iw = np.array([INDUSTRIAL_TOWN_WEIGHTS[t] for t in TOWN_WEIGHTS])
    town_idx = rng.choice(tw.size, total, p=tw / tw.sum())
    industrial = np.isin(sec_idx, np.flatnonzero(np.isin(sec_names, ["C", "D", "E"])))
    town_idx[industrial] = rng.choice(tw.size, int(industrial.sum()), p=iw / iw.sum())
    town_s = towns.gather(town_idx)
    industry = np.array(all_classes)  # only used through np.isin on a few codes below
    online = np.isin(class_idx, np.flatnonzero(np.isin(industry, ["5292"])))

    g = _unit_params(sections, divisions, online)
    emp_avg = np.clip(np.rint(g["emp_median"] * np.exp(g["emp_sigma"] * rng.standard_normal(total))), 1, 30000)
    emp_avg = emp_avg.astype(np.int64)
    monthly = _soft_bounds(g["wage_month"] * np.exp(0.3 * rng.standard_normal(total)), 3600, 40000, rng)
    revenue_draw = emp_avg * g["rev_per_emp"] * np.exp(0.7 * rng.standard_normal(total))
    u, z = _draws(rng, total)
    cur = _accounts(g, emp_avg, monthly, revenue_draw, months, u, z)

    # previous period: revenue scaled back by growth, headcount by part of it, wages by a raise
    gr = np.clip(np.exp(np.log1p(growth) + growth_sd * rng.standard_normal(total)), 0.8, 1.3)
    ge = np.clip(np.exp(0.5 * np.log(gr) + 0.04 * rng.standard_normal(total)), 0.85, 1.2)
    genuine = rng.random(total) < outliers
    big = np.where(rng.random(total) < 0.7, rng.uniform(1.6, 3.0, total), rng.uniform(0.35, 0.6, total))
    gr = np.where(genuine, gr * big, gr)
    ge = np.where(genuine, ge * big**0.8, ge)
    emp_prev = np.where(emp_avg <= 5, emp_avg, np.maximum(1, np.rint(emp_avg / ge))).astype(np.int64)
    raise_ = np.clip(1.04 + 0.02 * rng.standard_normal(total), 1.0, 1.1)
    monthly_prev = np.maximum(monthly / raise_, 3400.0)
    up, zp = _jitter(u, z, rng)
    prev = _accounts(g, emp_prev, monthly_prev, revenue_draw / gr, months, up, zp)
    # a small unit whose headcount did not change could round to the same 千元 of wages;
    # a clean unit never reports last year's figures unchanged (that is the 'unchanged' anomaly)
    same = np.logical_and.reduce([cur[f] == prev[f] for f in ("emp_end", "emp_female", "emp_dispatch",
                                                                "emp_avg", "wages")])
    prev["wages"] = np.where(same, prev["wages"] - 1, prev["wages"])

    # identity (the same in both periods)
    period_end = _period_end(period)
    epoch = dt.date(1970, 1, 1)
    last_prev = (dt.date(period_end.year - 1, 6, 30) - epoch).days
    age = np.minimum(rng.exponential(3300, total), 11000).astype(np.int64)
    open_days = last_prev - age
    born = np.zeros(total, dtype=bool)
    born[rng.choice(n, round(births * n), replace=False)] = True
    start_year = (dt.date(period_end.year, 1, 1) - epoch).days
    span = max((period_end - dt.date(period_end.year, 1, 1)).days - 30, 1)
    open_days[born] = start_year + rng.integers(0, span, int(born.sum()))
    reg_codes = np.array([c for c, _ in REG_CATEGORIES])
    reg_w = np.array([w for _, w in REG_CATEGORIES], dtype=float)
    fam_names = pl.Series(["B103", "C103", "E103", "S103", "F103"])
    fam_idx = np.select(
        [(divisions >= 6) & (divisions <= 46), (divisions >= 47) & (divisions <= 50),
         (divisions == 51) | (divisions == 52), (divisions == 61) | (divisions == 62)],
        [0, 1, 2, 3], 4,
    )
    ident = pl.DataFrame({
        "_unit": np.arange(total, dtype=np.int64),
        "_section": pl.Series(list(sec_names)).gather(sec_idx),
        "_family": fam_names.gather(fam_idx),
        "_genuine": genuine,
        "credit_code": credit_codes(rng, total),
        "name": _company_names(rng, sections),
        "town_code": town_s,
        "legal_rep": _person_names(rng, total),
        "division_code": division_codes(rng, town_s),
        "address": _addresses(rng, total),
        "phone": fixed_phones(rng, total),
        "mobile": mobiles(rng, total),
        "industry_code": industry_s,
        "main_activity": pl.Series([class_names()[c] for c in all_classes]).gather(class_idx),
        "reg_category": pl.Series(list(reg_codes)).gather(rng.choice(reg_codes.size, total, p=reg_w / reg_w.sum())),
        "org_type": pl.repeat("10", total, eager=True),
        "op_status": pl.repeat("1", total, eager=True),
        "open_date": _dates(open_days),
        "filler": _person_names(rng, total),
        "filler_phone": mobiles(rng, total),
    })
    reg_other = division_codes(rng, town_s)
    ident = ident.with_columns(
        pl.when(pl.lit(pl.Series(rng.random(total) < 0.9))).then(pl.col("division_code"))
        .otherwise(pl.lit(reg_other)).alias("reg_division_code")
    )
    alive_now = np.arange(total) < n
    alive_prev = ~born
    current = _frame(ident, cur, g, period).filter(pl.lit(pl.Series(alive_now)))
    previous = _frame(ident, prev, g, previous_period(period)).filter(pl.lit(pl.Series(alive_prev)))
    return Population(current, previous, seed, period, previous_period(period))


def _frame(ident: pl.DataFrame, values: dict[str, np.ndarray], g: dict[str, np.ndarray], period: str) -> pl.DataFrame:
    industrial = pl.Series(g["industrial"])
    trade = pl.col("_family") == "E103"
    b204 = ("output_value", "sales_value", "export_value", "electricity")
    e204 = ("sales_total", "wholesale", "retail", "online_retail", "stock_end")
    cols: dict[str, pl.Series] = {k: pl.Series(k, v) for k, v in values.items()}
    frame = ident.with_columns(pl.lit(period).alias("period"), *[s.alias(k) for k, s in cols.items()])
    int_cols = [k for k in values if k != "electricity"]
    return frame.with_columns(*[pl.col(k).cast(pl.Int64) for k in int_cols]).with_columns(
        *[pl.when(pl.lit(industrial)).then(pl.col(k)).alias(k) for k in b204],
        *[pl.when(trade).then(pl.col(k)).alias(k) for k in e204],
        pl.col("revenue").alias("op_income"),
        pl.lit(None, dtype=pl.Int64).alias("nonop_expense"),
    )
