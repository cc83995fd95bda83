"""Reports: golden files for JSON, JUnit and Markdown; the workbook read back; the JSON Schema."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import polars as pl
import pytest

from source_check.reports import WRITERS, result_to_dict
from source_check.reports.junit_report import junit_xml
from source_check.reports.markdown_report import markdown
from source_check.reports.xlsx_report import FINDING_HEADERS, SHEETS, write_split_by_group

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).resolve().parents[2]
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file (UPDATE_GOLDEN=1 to refresh)"


def stable_json(result) -> str:
    data = result_to_dict(result)
    data["tool"]["version"] = "<version>"
    data["pack"]["sha256"] = "<sha256>"
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def test_json_golden_and_schema(sample_result):
    text = stable_json(sample_result)
    golden("result.json", text)
    schema = json.loads((ROOT / "docs" / "result.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(result_to_dict(sample_result), schema)


def test_json_is_deterministic(sample_result):
    from source_check import check, load_pack
    from tests.reports.conftest import sample_frame

    again = check(sample_frame(), load_pack("labor-102"))
    again.meta.update(sample_result.meta)
    assert stable_json(again) == stable_json(sample_result)


def test_junit_golden_and_structure(sample_result):
    sample_result.meta["hostname"] = "ci-runner"
    text = junit_xml(sample_result)
    golden("junit.xml", text.replace(sample_result.pack_sha256, "<sha256>") + "\n")
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "labor-102"
    cases = suite.findall("testcase")
    assert len(cases) == sample_result.rules.height
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert any(name.startswith("102-01 ") for name in failed)
    # warnings are visible but do not fail with --fail-on error
    warned = next(c for c in cases if c.get("name", "").startswith("102-04 "))
    assert warned.find("failure") is None and "102-04" in (warned.findtext("system-out") or "")
    assert int(suite.get("failures", "0")) == len(failed)
    assert len(suite.findall("testcase/skipped")) == len(sample_result.skipped) >= 3  # history rules, no previous


def test_junit_fail_on_warning_turns_warnings_into_failures(sample_result):
    sample_result.meta["fail_on"] = "warning"
    root = ET.fromstring(junit_xml(sample_result))
    warned = next(c for c in root.iter("testcase") if c.get("name", "").startswith("102-04 "))
    assert warned.find("failure") is not None


def test_junit_loads_in_a_common_consumer(sample_result, tmp_path):
    junitparser = pytest.importorskip("junitparser")
    path = WRITERS["junit"](sample_result, tmp_path)
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert suites[0].name == "labor-102"
    assert suites[0].tests == sample_result.rules.height


def test_junit_validates_against_the_junit_schema(sample_result, tmp_path):
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(Path(__file__).parent / "junit.xsd"))
    schema.validate(str(WRITERS["junit"](sample_result, tmp_path)))


def test_junit_validates_against_the_strict_windy_road_shape(sample_result, tmp_path):
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(Path(__file__).parent / "junit-strict.xsd"))
    root = ET.parse(WRITERS["junit"](sample_result, tmp_path)).getroot()
    for case in root.iter("testcase"):  # kept on purpose for Jenkins/GitLab (see junit-strict.xsd)
        for out in case.findall("system-out"):
            case.remove(out)
    schema.validate(ET.tostring(root, encoding="unicode"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("timestamp") == "2024-12-31T08:00:00"
    assert "未通过" in (suite.findtext("system-out") or "")


def test_junit_is_well_formed_with_control_characters_from_the_data(tmp_path):
    from source_check import check, load_pack
    from tests.reports.conftest import sample_frame

    frame = sample_frame().with_columns(
        pl.when(pl.col("emp_female") == 12).then(pl.lit("91310107\x0bMA1G\x01")).otherwise(pl.col("credit_code"))
        .alias("credit_code"))
    result = check(frame, load_pack("labor-102"))
    text = junit_xml(result)
    assert "\\x0b" in text and "\x0b" not in text and "\x01" not in text
    ET.parse(WRITERS["junit"](result, tmp_path))  # well-formed XML 1.0


def test_markdown_golden(sample_result):
    golden("summary.md", markdown(sample_result))


def test_xlsx_read_back(sample_result, tmp_path):
    path = WRITERS["xlsx"](sample_result, tmp_path)
    import fastexcel

    assert fastexcel.read_excel(str(path)).sheet_names == list(SHEETS)
    findings = pl.read_excel(path, sheet_name="问题清单", infer_schema_length=0)
    assert findings.columns == list(FINDING_HEADERS)
    assert findings.height == sample_result.findings.height
    row = findings.filter(pl.col("规则编号") == "102-01").row(0, named=True)
    assert row["Excel行号"] == "5" and row["级别"] == "强制" and row["单位名称"] == "上海乙有限公司"
    assert row["街镇名称"] == "曹杨新村街道" and row["说明"] is None and len(row["指纹"]) == 16
    scores = pl.read_excel(path, sheet_name="街镇评分")
    assert {"街镇代码", "得分", "等级", "排名"} <= set(scores.columns)
    overview = pl.read_excel(path, sheet_name="概览", has_header=False, infer_schema_length=0)
    assert "评分方法" in overview[:, 0].to_list()


def test_split_by_group_writes_one_workbook_per_town(sample_result, tmp_path):
    paths = write_split_by_group(sample_result, tmp_path)
    names = sorted(p.name for p in paths)
    assert names == ["report_曹杨新村街道.xlsx", "report_长风新村街道.xlsx"]
    own = pl.read_excel(tmp_path / "report_长风新村街道.xlsx", sheet_name="问题清单", infer_schema_length=0)
    assert set(own["街镇"].to_list()) == {"310107014"}


def test_explanations_round_trip_through_the_workbook(sample_result, tmp_path):
    import xlsxwriter

    from source_check import check, load_pack
    from source_check.io.explanations import read_explanations
    from tests.reports.conftest import sample_frame

    path = WRITERS["xlsx"](sample_result, tmp_path)
    sheet = pl.read_excel(path, sheet_name="问题清单", infer_schema_length=0)
    filled = sheet.with_columns(
        pl.when(pl.col("规则编号") == "102-04").then(pl.lit("该单位年中停产三个月，全年平均工资偏低属实情"))
        .otherwise(pl.col("说明")).alias("说明")
    )
    back = tmp_path / "filled.xlsx"
    with xlsxwriter.Workbook(str(back)) as wb:
        filled.write_excel(wb, worksheet="问题清单")
    notes = read_explanations(back)
    after = check(sample_frame(), load_pack("labor-102"), explanations=notes)
    assert after.findings.filter(pl.col("rule_id") == "102-04")["explained"].to_list() == [True]
