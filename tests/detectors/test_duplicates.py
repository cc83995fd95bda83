"""duplicates: same key twice, copies found and near-copies not, unchanged from last period."""

from __future__ import annotations

import json

import polars as pl
import pytest
from dhelp import assert_parameter_error, assert_same_output, frame, run, shuffled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from source_check import check, load_pack_text

PACK_TEXT = """\
pack: dup
key: [k]
group: g
fields:
  k: {label: 统一社会信用代码}
  g: {}
  rev: {label: 营业收入, type: float}
  cost: {label: 营业成本, type: float}
  emp: {label: 从业人员, type: int}
detectors:
  - {id: D-dup, kind: duplicates, fields: [rev, cost, emp]}
"""
PACK = load_pack_text(PACK_TEXT)
FIELDS = ["rev", "cost", "emp"]


def _df(rows: list[tuple[str, float | None, float | None, int | None]], previous=None) -> pl.DataFrame:
    cols = {"k": [r[0] for r in rows], "g": ["x"] * len(rows), "rev": [r[1] for r in rows],
            "cost": [r[2] for r in rows], "emp": [r[3] for r in rows]}
    return frame(cols, group="g", previous=previous)


def test_copies_are_found_and_near_copies_are_not():
    rows = [
        ("u1", 1200.0, 900.0, 15),
        ("u2", 1200.0, 900.0, 15),     # copy of u1
        ("u3", 1200.0, 900.0, 16),     # near-copy: one person more
        ("u4", 1200.0, 900.01, 15),    # near-copy: one cent more
        ("u5", 1200.0, 900.0, 15),     # another copy
        ("u6", 0.0, 0.0, 0),           # all zero — not a copy of u7
        ("u7", 0.0, 0.0, 0),
        ("u8", None, None, None),      # all empty
        ("u9", None, None, None),
    ]
    out = run("duplicates", PACK, _df(rows), fields=FIELDS)
    assert out.units["row"].to_list() == [0, 1, 4]
    assert set(out.units["field"]) == {"rev+cost+emp"}
    assert out.units["score"].to_list() == [2.0, 2.0, 2.0]
    assert out.units["message"][0] == "营业收入、营业成本、从业人员与 2 家其他单位（u2、u5）完全相同，疑似复制粘贴"
    assert json.loads(out.units["values"][1])["same_as"] == ["u1", "u5"]
    assert (out.items, out.na) == (18, 4)   # key check + vector check; 4 empty/zero vectors not compared


def test_same_key_twice_is_not_a_copy_of_itself():
    rows = [("u1", 10.0, 5.0, 2), ("u1", 10.0, 5.0, 2), ("u2", 7.0, 3.0, 1)]
    out = run("duplicates", PACK, _df(rows), fields=FIELDS)
    assert out.units.select("row", "field").rows() == [(0, "k"), (1, "k")]
    assert out.units["message"][0] == "统一社会信用代码 u1 重复出现 2 次（第 1、2 条记录），同一单位重复报送"
    assert json.loads(out.units["values"][0])["rows"] == [0, 1]


def test_unchanged_from_previous_period():
    rows = [("u1", 100.0, 80.0, 5), ("u2", 200.0, 150.0, 9), ("u3", 300.0, 200.0, 11), ("u4", 0.0, 0.0, 0)]
    prev = {"rev": [100.0, 200.0, 290.0, 0.0], "cost": [80.0, 150.0, 200.0, 0.0], "emp": [5, 9, 11, 0]}
    out = run("duplicates", PACK, _df(rows, prev), has_previous=True, fields=FIELDS)
    assert out.units["row"].to_list() == [0, 1]
    assert out.units["message"][0] == "营业收入、营业成本、从业人员与上期完全相同，疑似照抄上期数据"
    assert json.loads(out.units["values"][0])["unchanged"] is True
    # a copy that is also unchanged is one anomaly with both reasons
    rows[1] = ("u2", 100.0, 80.0, 5)
    prev = {"rev": [100.0, 100.0, 290.0, 0.0], "cost": [80.0, 80.0, 200.0, 0.0], "emp": [5, 5, 11, 0]}
    out = run("duplicates", PACK, _df(rows, prev), has_previous=True, fields=FIELDS)
    assert out.units["score"].to_list() == [2.0, 2.0]
    assert out.units["message"][0].endswith("完全相同，疑似复制粘贴；与上期完全相同，疑似照抄上期数据")
    # without previous data only copies are looked for
    assert run("duplicates", PACK, _df(rows), fields=FIELDS, copies=False).units.is_empty()


def test_switches_and_min_nonzero():
    rows = [("u1", 5.0, None, None), ("u2", 5.0, None, None), ("u1", 1.0, 2.0, 3)]
    assert run("duplicates", PACK, _df(rows), fields=FIELDS).units["field"].to_list() == ["k", "k"]
    loose = run("duplicates", PACK, _df(rows), fields=FIELDS, min_nonzero=1, same_key=False)
    assert loose.units["row"].to_list() == [0, 1]
    single = run("duplicates", PACK, _df(rows), fields=["rev"], same_key=False)   # min(2, 1) = 1
    assert single.units["row"].to_list() == [0, 1]


def test_end_to_end_dimension_uniqueness():
    data = pl.DataFrame({"k": ["a", "b", "c"], "g": ["x", "y", "y"], "rev": [9.0, 9.0, 8.0],
                         "cost": [3.0, 3.0, 3.0], "emp": [1, 1, 1]})
    result = check(data, PACK)
    f = result.findings.filter(pl.col("rule_id") == "D-dup")
    assert f["k"].to_list() == ["a", "b"]
    assert set(f["dimension"]) == {"uniqueness"}
    row = result.rules.filter(pl.col("rule_id") == "D-dup").row(0, named=True)
    assert (row["dimension"], row["items"], row["fails"], row["na"]) == ("uniqueness", 6, 2, 0)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("{id: D1, kind: duplicates, fields: [rev], unchange: false}", "是否想写 'unchanged'"),
        ("{id: D1, kind: duplicates, fields: []}", "fields"),
        ("{id: D1, kind: duplicates, fields: [rev, cots]}", "是否想写 'cost'"),
    ],
)
def test_parameter_errors_are_positioned(spec, fragment):
    assert_parameter_error(PACK_TEXT, spec, fragment, "dup.yaml")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6"]), st.sampled_from([None, 0.0, 1.0, 2.0]),
                          st.sampled_from([None, 0.0, 5.0]), st.sampled_from([None, 0, 3])), min_size=1, max_size=20),
       st.integers(0, 10_000))
def test_row_order_does_not_matter(rows, seed):
    prev = {"rev": [r[1] for r in reversed(rows)], "cost": [r[2] for r in rows], "emp": [r[3] for r in rows]}
    df = _df(rows, prev)
    assert_same_output(run("duplicates", PACK, df, has_previous=True, fields=FIELDS),
                       run("duplicates", PACK, shuffled(df, seed), has_previous=True, fields=FIELDS))
