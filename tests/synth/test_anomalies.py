"""Planted anomalies: every kind is labelled, and the label describes a real change."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from source_check.formats import uscc_valid_expr
from source_check.synth import KINDS, VARIANTS_103, parse_anomalies, synthesize
from source_check.synth.anomalies import round_sig, transpose_digits
from source_check.synth.codes import excel_damage

from .relations import FORM_ROWS, VARIANT_ROWS

N = 3000
SEED = 21


@pytest.fixture(scope="module")
def pair():
    rates = {k: 0.01 for k in KINDS}
    return synthesize(N, seed=SEED, anomalies=rates), synthesize(N, seed=SEED, anomalies="none")


def _numeric(frame: pl.DataFrame) -> list[str]:
    return [c for c, t in frame.schema.items() if t.is_numeric()]


def _rows(frame: pl.DataFrame, code: str) -> pl.DataFrame:
    return frame.filter(pl.col("credit_code") == code)


def test_every_kind_is_planted_and_labelled(pair):
    dirty, _ = pair
    truth = dirty.truth
    assert set(truth["kind"]) == set(KINDS)
    assert truth.columns == ["credit_code", "true_code", "town_code", "form", "field", "kind", "detail"]
    assert truth.null_count().sum_horizontal().item() == 0
    assert set(truth["form"]) <= set(dirty.current)
    # one kind per unit (a copy pair and a borrowed code label both units of the pair)
    per_unit = truth.group_by("true_code").agg(pl.col("kind").n_unique())
    assert per_unit["kind"].max() == 1


def test_value_kinds_change_the_values(pair):
    dirty, clean = pair
    value_kinds = ("unit_error", "transposition", "balance", "growth", "inflated", "round", "unchanged")
    truth = dirty.truth.filter(pl.col("kind").is_in(value_kinds))
    assert truth.height > 50
    for row in truth.iter_rows(named=True):
        before = _rows(clean.current[row["form"]], row["true_code"])
        after = _rows(dirty.current[row["form"]], row["credit_code"])
        cols = _numeric(before)
        assert before.height == after.height == 1
        assert not before.select(cols).equals(after.select(cols)), row


def test_copies_equal_their_source_and_unchanged_equal_last_year(pair):
    dirty, _ = pair
    for row in dirty.truth.filter(kind="copy").filter(pl.col("detail").str.starts_with("照抄")).iter_rows(named=True):
        source = row["detail"].split()[1]
        frame = dirty.current[row["form"]]
        cols = _numeric(frame)
        assert _rows(frame, row["credit_code"]).select(cols).equals(_rows(frame, source).select(cols))
    for row in dirty.truth.filter(kind="unchanged").iter_rows(named=True):
        cur, prev = dirty.current[row["form"]], dirty.previous[row["form"]]
        cols = _numeric(cur)
        assert _rows(cur, row["credit_code"]).select(cols).equals(_rows(prev, row["credit_code"]).select(cols))


def test_balances_and_transpositions_break_an_identity(pair):
    dirty, _ = pair
    fin = pl.concat([dirty.current[v] for v in VARIANTS_103])
    broken = fin.filter(~pl.all_horizontal([VARIANT_ROWS[r] for r in ("103-01", "103-06", "103-07")]))
    e204 = dirty.current["E204"].filter(~FORM_ROWS["E204"]["E204-01"])
    codes = set(broken["credit_code"]) | set(e204["credit_code"])
    planted = dirty.truth.filter(pl.col("kind").is_in(["balance", "transposition"]))
    assert set(planted["credit_code"]) <= codes


def test_unit_errors_are_thousand_or_ten_thousand_times(pair):
    dirty, clean = pair
    for row in dirty.truth.filter(kind="unit_error").iter_rows(named=True):
        name = row["field"]
        before = _rows(clean.current[row["form"]], row["true_code"])[name].item()
        after = _rows(dirty.current[row["form"]], row["credit_code"])[name].item()
        assert round(after / before) in (1000, 10000)


def test_round_numbers_sit_in_one_town_and_are_round(pair):
    dirty, _ = pair
    rows = dirty.truth.filter(kind="round")
    assert rows["town_code"].n_unique() == 1
    wages = dirty.current["102"].filter(pl.col("credit_code").is_in(rows["credit_code"].implode()))["wages"]
    digits = wages.cast(pl.String).str.strip_chars_end("0").str.len_chars()
    assert (digits <= 2).all()


def test_code_kinds(pair):
    dirty, _ = pair
    truth = dirty.truth
    for kind in ("invalid_code", "excel_code"):
        rows = truth.filter(kind=kind)
        assert (rows["credit_code"] != rows["true_code"]).all()
        valid = rows.filter(uscc_valid_expr(pl.col("credit_code")).fill_null(False))
        # a code cut to 15 digits and padded with zeros passes the check by chance (1 in 31)
        assert valid.filter(~pl.col("credit_code").str.ends_with("000")).is_empty()
        assert valid.height <= max(1, rows.height // 10)
        for row in rows.iter_rows(named=True):
            assert _rows(dirty.current[row["form"]], row["credit_code"]).height >= 1
    assert truth.filter(kind="excel_code")["credit_code"].str.contains(r"E\+17|e\+17|000$").all()
    for row in truth.filter(kind="duplicate").iter_rows(named=True):
        assert _rows(dirty.current[row["form"]], row["credit_code"]).height == 2


def test_shared_contact_clusters(pair):
    dirty, _ = pair
    rows = dirty.truth.filter(kind="shared_contact")
    unit = dirty.current["101"].filter(pl.col("credit_code").is_in(rows["credit_code"].implode()))
    sizes = unit.group_by("filler_phone").agg(pl.len(), pl.col("town_code").n_unique(), pl.col("filler").n_unique())
    assert (sizes["len"] >= 3).all() and (sizes["town_code"] == 1).all() and (sizes["filler"] == 1).all()
    others = dirty.truth["credit_code"].implode()  # a row sent twice repeats its phone too
    clean_101 = dirty.current["101"].filter(~pl.col("credit_code").is_in(others))
    assert clean_101["filler_phone"].is_duplicated().sum() == 0


def test_anomalies_only_in_chosen_forms():
    s = synthesize(2000, seed=3, anomalies="default", forms=["102"])
    assert set(s.truth["form"]) == {"102"}
    assert {"unit_error", "copy", "unchanged", "invalid_code"} <= set(s.truth["kind"])
    b = synthesize(4000, seed=3, anomalies="unit_error=0.05", forms=["B204-1"])
    assert set(b.truth["form"]) == {"B204-1"}
    assert b.truth["true_code"].n_unique() == round(0.05 * b.current["B204-1"].height)


def test_rates_are_shares_of_units():
    s = synthesize(4000, seed=9, anomalies="unit_error=0.02,unchanged=0.01")
    counts = dict(s.truth.group_by("kind").agg(pl.col("true_code").n_unique()).iter_rows())
    assert counts == {"unit_error": 80, "unchanged": 40}


@pytest.mark.parametrize("spec, error", [
    ("unit_errors=0.1", "未知的异常类型"), ("copy", "类型=比例"), ("copy=abc", "不是数字"), ("copy=0.9", "0 到 0.5"),
])
def test_bad_specs(spec, error):
    with pytest.raises(ValueError, match=error):
        parse_anomalies(spec)


def test_spec_default_with_override():
    rates = parse_anomalies("default,copy=0,unit_error=0.2")
    assert "copy" not in rates and rates["unit_error"] == 0.2 and rates["balance"] == 0.005


def test_transpose_digits_keeps_the_digits():
    rng = np.random.default_rng(0)
    values = rng.integers(-10**9, 10**9, 2000)
    new, ok = transpose_digits(values, rng)
    assert ok.mean() > 0.95
    for a, b, good in zip(values, new, ok, strict=True):
        if good:
            sa, sb = str(abs(int(a))), str(abs(int(b)))
            assert sorted(sa) == sorted(sb) and sa != sb and len(sa) == len(sb)
            assert sum(x != y for x, y in zip(sa, sb, strict=True)) == 2
            assert np.sign(a) == np.sign(b)


def test_round_sig_and_excel_damage():
    assert round_sig(np.array([123456, 46, 1049, 0])).tolist() == [120000, 50, 1000, 0]
    codes = pl.Series(["913101077030401234", "91310107MA1G00000Q"])
    assert excel_damage(codes, "sci").to_list() == ["9.13101E+17", "91310107MA1G00000Q"]
    assert excel_damage(codes, "digits").to_list() == ["913101077030401000", "91310107MA1G00000Q"]
    assert excel_damage(codes, "float")[0].endswith("e+17")


def _changed_cells(dirty: pl.DataFrame, clean: pl.DataFrame) -> pl.DataFrame:
    """(true_code, field) of every cell of ``dirty`` that differs from ``clean`` (same rows, same order)."""
    cols = [c for c in clean.columns if c != "credit_code"]
    diff = pl.DataFrame({c: dirty[c].ne_missing(clean[c]) for c in [*cols, "credit_code"]})
    return (diff.with_columns(true_code=clean["credit_code"])
            .unpivot(index="true_code", variable_name="field").filter("value").select("true_code", "field"))


@pytest.mark.parametrize("kind", KINDS)
def test_every_changed_cell_has_a_truth_row(kind):
    """Every (form, unit, field) a kind changes, in any form, is labelled in the truth."""
    dirty = synthesize(N, seed=SEED, anomalies={kind: 0.03})
    clean = synthesize(N, seed=SEED, anomalies="none")
    truth = dirty.truth
    assert set(truth["kind"]) == {kind}
    labelled = truth.select("true_code", "form", "field")
    whole = truth.filter(field="*").select("true_code", "form")
    missing = []
    for form, after in dirty.current.items():
        before = clean.current[form]
        if after.height != before.height:  # rows sent twice: each is labelled, then compared once
            extra = after.filter(pl.struct(pl.all()).is_duplicated() & ~pl.struct(pl.all()).is_first_distinct())
            assert set(extra["credit_code"]) <= set(truth.filter(form=form)["credit_code"])
            after = after.unique(maintain_order=True)
        cells = _changed_cells(after, before).with_columns(form=pl.lit(form))
        cells = (cells.join(labelled, on=["true_code", "form", "field"], how="anti")
                 .join(whole, on=["true_code", "form"], how="anti"))
        missing.append(cells)
    gaps = pl.concat(missing)
    assert gaps.is_empty(), gaps.group_by("form", "field").len().sort("form", "field")
