"""The industry mix of an urban district and the economic parameters of each 门类.

Parameters are rough magnitudes for Shanghai's central districts (medians; money in
千元 a year, wages in 元 a month). They shape a plausible population, not an estimate of
any real one; change them through :class:`SectionParams` if a bureau wants another mix.

Examples
--------
>>> mix = industry_mix()
>>> round(sum(p.share for p in mix.values()), 6)
1.0
>>> family_of("5211"), family_of("3311"), family_of("4710"), family_of("6210"), family_of("7212")
('E103', 'B103', 'C103', 'S103', 'F103')
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..pack.loader import shipped_rules_dir

__all__ = [
    "SectionParams",
    "class_codes",
    "class_names",
    "families",
    "family_of",
    "industry_mix",
    "town_codes",
]


@dataclass(frozen=True)
class SectionParams:
    """Economic parameters of one 门类 (section) of GB/T 4754-2017.

    Attributes
    ----------
    share
        Share of the district's enterprises in this section.
    emp_median
        Median of 从业人员平均人数 (lognormal, sigma ``emp_sigma``).
    wage_month
        Median monthly wage per person, 元.
    rev_per_emp
        Median 营业收入 per person, 千元 a year (lognormal, sigma 0.7).
    margin, margin_sd
        Mean and spread of the gross margin (营业收入 − 营业成本)/营业收入.
    turnover
        Median 营业收入 / 资产总计.
    current_share
        Median 流动资产合计 / 资产总计.
    inventory_share
        Median 存货 / 流动资产合计.
    vat_rate
        Statutory VAT rate applied to value added (13% goods, 9% construction and
        property, 6% services).
    """

    share: float
    emp_median: float
    emp_sigma: float
    wage_month: float
    rev_per_emp: float
    margin: float
    margin_sd: float
    turnover: float
    current_share: float
    inventory_share: float
    vat_rate: float


_P = SectionParams
_MIX: dict[str, SectionParams] = {
    #       share  emp  sd   wage   rev/emp margin sd    turn  cur   inv   vat
    "C": _P(0.060, 40, 1.0, 9000, 1500, 0.20, 0.07, 0.8, 0.55, 0.25, 0.13),
    "D": _P(0.005, 60, 0.9, 14000, 5000, 0.15, 0.05, 0.5, 0.35, 0.05, 0.13),
    "E": _P(0.050, 30, 1.1, 9500, 1500, 0.12, 0.04, 0.7, 0.75, 0.30, 0.09),
    "F": _P(0.290, 12, 1.0, 9000, 2500, 0.12, 0.06, 1.5, 0.80, 0.35, 0.13),
    "G": _P(0.050, 20, 1.0, 9000, 1200, 0.12, 0.05, 1.0, 0.60, 0.03, 0.09),
    "H": _P(0.060, 25, 0.9, 6000, 350, 0.50, 0.10, 1.2, 0.40, 0.05, 0.06),
    "I": _P(0.080, 20, 1.1, 17000, 900, 0.40, 0.12, 0.8, 0.75, 0.02, 0.06),
    "K": _P(0.050, 15, 1.0, 11000, 3000, 0.30, 0.10, 0.2, 0.85, 0.60, 0.09),
    "L": _P(0.160, 10, 1.1, 10000, 800, 0.35, 0.12, 0.5, 0.70, 0.02, 0.06),
    "M": _P(0.090, 15, 1.0, 14000, 700, 0.35, 0.12, 0.7, 0.70, 0.05, 0.06),
    "N": _P(0.010, 20, 0.9, 8000, 600, 0.25, 0.08, 0.6, 0.60, 0.05, 0.06),
    "O": _P(0.030, 15, 0.9, 6000, 300, 0.35, 0.10, 1.0, 0.50, 0.05, 0.06),
    "P": _P(0.020, 15, 0.9, 9000, 300, 0.45, 0.12, 0.8, 0.60, 0.01, 0.06),
    "Q": _P(0.015, 20, 0.9, 11000, 500, 0.35, 0.10, 0.8, 0.55, 0.05, 0.06),
    "R": _P(0.030, 10, 1.0, 10000, 800, 0.35, 0.12, 0.6, 0.65, 0.03, 0.06),
}


def industry_mix() -> dict[str, SectionParams]:
    """Sections and their parameters; shares are normalised to sum to 1."""
    total = sum(p.share for p in _MIX.values())
    return {s: SectionParams(**{**p.__dict__, "share": p.share / total}) for s, p in _MIX.items()}


def _rules_file(name: str) -> Path:
    root = shipped_rules_dir()
    if root is None:  # pragma: no cover - the package always ships rules/
        raise FileNotFoundError("rules/ not found")
    return root / "codelists" / name


@lru_cache(maxsize=1)
def _classes() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    by_section: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    with _rules_file("gb4754_2017.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["level"] == "class":
                by_section.setdefault(row["section"], []).append(row["code"])
                names[row["code"]] = row["name"]
    return {s: tuple(c) for s, c in by_section.items()}, names


def class_codes(section: str) -> tuple[str, ...]:
    """The GB/T 4754-2017 小类 codes of a section (from the shipped code list)."""
    return _classes()[0][section]


def class_names() -> dict[str, str]:
    """Name of every 小类 code."""
    return _classes()[1]


@lru_cache(maxsize=1)
def town_codes() -> tuple[tuple[str, str], ...]:
    """Putuo's 10 街镇 as ``(code, name)``, from the shipped code list."""
    with _rules_file("putuo_towns.csv").open(encoding="utf-8") as fh:
        return tuple((row["code"], row["name"]) for row in csv.DictReader(fh))



def family_of(industry_code: str) -> str:
    """The 103 variant a unit of this 小类 reports (B/C/E/S/F103)."""
    division = int(industry_code[:2])
    if 6 <= division <= 46:
        return "B103"
    if 47 <= division <= 50:
        return "C103"
    if division in (51, 52):
        return "E103"
    if division in (61, 62):
        return "S103"
    return "F103"


def families(divisions: np.ndarray) -> np.ndarray:
    """:func:`family_of` for an array of 大类 numbers (vectorised)."""
    out = np.full(divisions.shape, "F103", dtype="<U4")
    out[(divisions >= 6) & (divisions <= 46)] = "B103"
    out[(divisions >= 47) & (divisions <= 50)] = "C103"
    out[(divisions == 51) | (divisions == 52)] = "E103"
    out[(divisions == 61) | (divisions == 62)] = "S103"
    return out
