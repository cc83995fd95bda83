"""The clean population: determinism, realistic shape, valid codes, FORMS.md relations."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from stdnum.cn import uscc

from source_check.formats import uscc_valid_expr
from source_check.synth import VARIANTS_103, forms, population, synthesize
from source_check.synth.industry import class_codes, industry_mix, town_codes

from .relations import CROSS, FORM_ROWS, HISTORY, VARIANT_ROWS


@pytest.fixture(scope="module")
def pop():
    return population(6000, seed=11)


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = synthesize(400, seed=5), synthesize(400, seed=5), synthesize(400, seed=6)
    for name in a.current:
        assert a.current[name].equals(b.current[name])
        assert a.previous[name].equals(b.previous[name])
    assert a.truth.equals(b.truth)
    assert not a.current["102"].equals(c.current["102"])


def test_units_cover_ten_towns_with_skewed_sizes(pop):
    cur = pop.current
    assert set(cur["town_code"]) == {code for code, _ in town_codes()}
    assert cur["division_code"].str.slice(0, 9).eq(cur["town_code"]).all()
    committee = cur["division_code"].str.slice(9, 3).cast(pl.Int64)
    assert committee.min() >= 1 and committee.max() <= 199
    revenue = cur["revenue"].to_numpy()
    assert revenue.max() > 50 * np.median(revenue)  # lognormal: a few giants, many small units
    emp = cur["emp_avg"].to_numpy()
    assert emp.min() >= 1 and np.median(emp) < emp.mean()


def test_industry_mix_is_urban(pop):
    share = pop.current.group_by("_section").len().with_columns(pl.col("len") / pop.n)
    shares = dict(share.iter_rows())
    assert set(shares) <= set(industry_mix())
    assert shares["F"] > shares["C"] and shares["L"] > shares["E"]  # trade and services dominate
    assert sum(v for k, v in shares.items() if k not in "BCDE") > 0.8
    classes = {c for s in industry_mix() for c in class_codes(s)}
    assert set(pop.current["industry_code"]) <= classes


def test_credit_codes_valid_unique_and_agree_with_stdnum(pop):
    codes = pop.current["credit_code"]
    assert codes.n_unique() == codes.len()
    assert pl.select(uscc_valid_expr(pl.lit(codes))).to_series().all()
    assert all(uscc.is_valid(c) for c in codes.head(500).to_list())
    assert codes.str.starts_with("91").all()
    digits = codes.str.contains(r"^\d{18}$").mean()
    assert 0.05 < digits < 0.3  # old-style all-digit codes exist (Excel can damage them)
    assert pop.current["name"].n_unique() == pop.n


def test_previous_period_births_and_growth(pop):
    cur, prev = pop.current, pop.previous
    assert pop.previous_period == "202312"
    joined = cur.join(prev.select("_unit", pl.col("revenue").alias("p")), on="_unit")
    births = cur.height - joined.height
    assert 0.03 * cur.height < births < 0.07 * cur.height
    ratio = (joined["revenue"] / joined["p"]).to_numpy()
    assert 0.95 < np.median(ratio) < 1.15
    assert ratio.min() > 0.7 and ratio.max() < 1.45  # clean units stay far from the ±50% rules
    born = cur.filter(~pl.col("_unit").is_in(prev["_unit"].implode()))
    assert (born["open_date"] >= dt.date(2024, 1, 1)).all()
    assert (prev["open_date"] <= dt.date(2023, 12, 31)).all()
    assert prev.height > joined.height  # some units report only last year


@pytest.mark.parametrize("seed", [1, 7])
def test_clean_forms_satisfy_every_forms_md_relation(seed):
    s = synthesize(3000, seed=seed, anomalies="none")
    failures = {}
    for which, frames in (("current", s.current), ("previous", s.previous)):
        fin = pl.concat([frames[v] for v in VARIANTS_103])
        for rid, expr in VARIANT_ROWS.items():
            failures[(which, rid)] = fin.select((~expr).sum()).item()
        for form, rels in FORM_ROWS.items():
            for rid, expr in rels.items():
                failures[(which, rid)] = frames[form].select((~expr).sum()).item()
        for rid, (a, b, expr) in CROSS.items():
            left = fin if a == "103" else frames[a]
            right = frames[b].drop("name", "town_code", "period")
            failures[(which, rid)] = left.join(right, on="credit_code").select((~expr).sum()).item()
    for rid, (form, name) in HISTORY.items():
        cur = pl.concat([s.current[v] for v in VARIANTS_103]) if form == "103" else s.current[form]
        prev = pl.concat([s.previous[v] for v in VARIANTS_103]) if form == "103" else s.previous[form]
        j = cur.join(prev.select("credit_code", pl.col(name).alias("p")), on="credit_code").filter(pl.col("p") > 100)
        failures[("history", rid)] = j.select(((pl.col(name) / pl.col("p") - 1).abs() > 0.5).sum()).item()
    assert {k: v for k, v in failures.items() if v} == {}


def test_forms_partition_units_by_industry():
    f = forms(population(2000, seed=3))
    assert sum(f[v].height for v in VARIANTS_103) == f["102"].height == f["101"].height
    assert f["B204-1"]["credit_code"].equals(f["B103"]["credit_code"])
    assert f["E204"]["credit_code"].equals(f["E103"]["credit_code"])
    div = f["B103"].join(f["101"].select("credit_code", "industry_code"), on="credit_code")["industry_code"]
    assert div.str.slice(0, 2).cast(pl.Int64).is_between(6, 46).all()
    assert (f["census5"]["period"] == "2024").all()
    assert f["census5"]["op_income"].equals(f["101"]["revenue"])


def test_monthly_period_scales_flows():
    year = population(300, seed=2, period="202412").current
    half = population(300, seed=2, period="202406").current
    flows = (half["wages"] / year["wages"]).to_numpy()
    stocks = (half["total_assets"] / year["total_assets"]).to_numpy()
    assert 0.45 < np.median(flows) < 0.55  # flows are cumulative over 6 months
    assert 0.9 < np.median(stocks) < 1.1  # stocks are at the period end


def test_genuine_outliers_are_marked_and_large():
    pop = population(3000, seed=4, outliers=0.05)
    g = pop.current.filter("_genuine").join(pop.previous.select("_unit", pl.col("revenue").alias("p")), on="_unit")
    change = (g["revenue"] / g["p"]).to_numpy()
    assert len(change) > 50 and ((change > 1.4) | (change < 0.7)).mean() > 0.9
