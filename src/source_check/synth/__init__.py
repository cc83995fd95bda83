"""Synthetic submissions (模拟数据) with labelled anomalies.

Real submissions are confidential; this package makes realistic ones for Putuo's 10
街镇: a coherent population of enterprises (:func:`population`), every form derived
from it (:func:`forms`), a previous period with plausible growth, and anomalies planted
at chosen rates with a ground-truth table (:func:`synthesize`).

Examples
--------
>>> import source_check as sc
>>> from source_check import synth
>>> s = synth.synthesize(500, seed=1, anomalies="unit_error=0.02")
>>> sorted(s.current)[:3]
['101', '102', 'B103']
>>> s.truth.select("kind").unique().item()
'unit_error'
>>> pack = sc.load_pack("labor-102")
>>> data, previous = s.frames(pack)
>>> result = sc.check(data, pack, previous=previous)
>>> flagged = set(result.findings["credit_code"])
>>> planted = set(s.truth.filter(form="102")["credit_code"])
>>> planted <= flagged
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from ..pack.model import Pack
from .anomalies import DEFAULT_RATES, KIND_ZH, KINDS, TRUTH_SCHEMA, parse_anomalies, plant
from .formset import FORM_FIELDS, FORMS, VARIANTS_103, form_frame, forms, frames_for_pack, resolve_forms
from .formset import forms as derive
from .model import Population, population, previous_period
from .write import write_synthetic

__all__ = [
    "DEFAULT_RATES",
    "FORMS",
    "FORM_FIELDS",
    "KINDS",
    "KIND_ZH",
    "TRUTH_SCHEMA",
    "VARIANTS_103",
    "Population",
    "Synthetic",
    "form_frame",
    "forms",
    "frames_for_pack",
    "parse_anomalies",
    "population",
    "previous_period",
    "resolve_forms",
    "synthesize",
    "write_synthetic",
]


@dataclass
class Synthetic:
    """A generated submission: current and previous forms, and what was planted.

    Attributes
    ----------
    population
        The clean population both periods were derived from.
    current, previous
        Forms by name (``101``, ``102``, ``B103``…, ``B204-1``, ``E204``, ``census5``);
        anomalies are planted in ``current`` only.
    truth
        One row per planted anomaly (see :mod:`source_check.synth.anomalies`).
    rates
        The anomaly rates used, by kind.
    """

    population: Population
    current: dict[str, pl.DataFrame]
    previous: dict[str, pl.DataFrame]
    truth: pl.DataFrame
    rates: dict[str, float]
    seed: int

    def frames(self, pack: Pack) -> tuple[Any, Any]:
        """``(data, previous)`` to pass to :func:`source_check.check` for ``pack``.

        Raises ``ValueError`` when no generated form carries the pack's fields.
        """
        data = frames_for_pack(pack, self.current)
        previous = frames_for_pack(pack, self.previous)
        if data is None or previous is None:
            raise ValueError(f"模拟数据中没有规则包 {pack.id} 所需的报表")
        return data, previous


def synthesize(
    n: int = 3000,
    seed: int = 0,
    anomalies: str | Mapping[str, float] | None = "default",
    *,
    period: str = "202412",
    outliers: float = 0.0,
    forms: Sequence[str] | None = None,
) -> Synthetic:
    """Generate ``n`` units, derive every form for two periods and plant anomalies.

    Parameters
    ----------
    n
        Units in the current period (a few percent more report only last year).
    seed
        The same seed gives the same data, byte for byte.
    anomalies
        ``"default"`` (:data:`DEFAULT_RATES`), ``"none"``, a text such as
        ``"unit_error=0.01,copy=0.005"`` or a mapping from kind to rate (share of units).
    period
        The report period, ``YYYYMM`` (cumulative) or ``YYYY``; the previous period is
        the same period a year earlier.
    outliers
        Share of units with a genuine large change on last year (true values that trip
        growth warnings; see :func:`population`). Not anomalies, so not in ``truth``.
    forms
        Plant anomalies only in these forms (``103`` = all variants); rates are then
        shares of the units reporting them. Every form is still generated.
    """
    rates = parse_anomalies(anomalies)
    pop = population(n, seed=seed, period=period, outliers=outliers)
    previous = derive(pop, previous=True, keep_unit=True)
    current, truth = plant(pop, derive(pop, keep_unit=True), previous, rates, seed, forms=forms)
    previous = {k: v.drop("_unit") for k, v in previous.items()}
    return Synthetic(pop, current, previous, truth, rates, seed)
