"""Detectors run in the same pass as rules; their unit anomalies become findings."""

from __future__ import annotations

import polars as pl
import pytest

from source_check import PackError, check, load_pack_text

PACK = """\
pack: d
key: [k]
group: g
fields:
  k: {}
  g: {}
  phone: {label: 联系电话}
detectors:
  - {id: D-contact, kind: shared_contact, fields: [phone], min_units: 3}
"""


def test_shared_contact_findings_and_anomalies():
    data = pl.DataFrame({"k": list("abcde"), "g": ["x", "x", "y", "y", "y"],
                         "phone": ["1", "1", "1", "2", None]})
    result = check(data, load_pack_text(PACK))
    f = result.findings.filter(pl.col("rule_id") == "D-contact")
    assert f["k"].to_list() == ["a", "b", "c"]
    assert f["level"].unique().to_list() == ["warning"]
    assert "3 家单位" in f["message"][0]
    assert result.anomalies is not None
    assert result.anomalies.filter(pl.col("scope") == "unit")["unit"].to_list() == ["a", "b", "c"]
    row = result.rules.filter(pl.col("rule_id") == "D-contact").row(0, named=True)
    assert (row["kind"], row["items"], row["fails"], row["passes"]) == ("detector", 5, 3, 2)
    # the anomaly's score travels with the finding
    scores = result.anomalies.filter(pl.col("scope") == "unit").sort("row")["score"].to_list()
    assert f.sort("row")["score"].to_list() == scores and all(s is not None for s in scores)
    # the 街镇 counts describe consistent sets: anomalies are units_anomaly, not unexplained warnings
    g = {r["group"]: r for r in result.groups.iter_rows(named=True)}
    assert (g["x"]["units_warning"], g["x"]["units_unexplained"], g["x"]["units_anomaly"]) == (0, 0, 2)


def test_an_anomaly_at_level_error_counts_and_weighs_as_an_error():
    data = pl.DataFrame({"k": list("abcde"), "g": ["x", "x", "x", "y", "y"], "phone": ["1", "1", "1", "2", "3"]})
    result = check(data, load_pack_text(PACK.replace("min_units: 3}", "min_units: 3, level: error}")))
    x = result.groups.filter(pl.col("group") == "x").row(0, named=True)
    assert (x["units_error"], x["score"]) == (3, 0.0)  # three of three units with an error
    assert not result.ok


@pytest.mark.parametrize(
    ("detector", "fragment"),
    [
        ("{id: D1, kind: shared_contacts, fields: [phone]}", "是否想写 'shared_contact'"),
        ("{id: D1, kind: shared_contact, fields: [phone], min_unit: 3}", "是否想写 'min_units'"),
        ("{id: D1, kind: shared_contact, fields: [phnoe]}", "是否想写 'phone'"),
        ("{id: D1, kind: shared_contact, fields: [phone], min_units: 1}", "min_units"),
        ("{id: D1, kind: shared_contact}", "缺少参数 'fields'"),
    ],
)
def test_detector_spec_errors_are_positioned(detector, fragment):
    text = PACK.split("detectors:")[0] + f"detectors:\n  - {detector}\n"
    with pytest.raises(PackError) as info:
        load_pack_text(text, "d.yaml")
    assert fragment in str(info.value)
    assert "d.yaml:9:" in str(info.value) and "[D1]" in str(info.value)
