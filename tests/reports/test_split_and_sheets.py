"""report.xlsx beyond the golden files: per-街镇 workbooks, 读取记录, 统计异常 in Chinese."""

from __future__ import annotations

import polars as pl

from source_check import check, load_pack
from source_check.reports.xlsx_report import SHEETS, group_view, write_split_by_group, write_xlsx


def _overview(path) -> dict[str, str]:
    ov = pl.read_excel(path, sheet_name="概览", has_header=False, infer_schema_length=0)
    return {r[0]: r[1] for r in ov.iter_rows() if r[0]}


def test_split_workbook_shows_only_its_own_town(sample_result, tmp_path):
    # one error in each 街镇: a 街镇's workbook counts its own, not the district's two
    assert sample_result.count("error") == 2
    write_split_by_group(sample_result, tmp_path)
    path = tmp_path / "report_长风新村街道.xlsx"
    ov = _overview(path)
    assert ov["强制性问题（必须修改）"] == "1"
    assert ov["核实性问题（须核实并填写说明）"] == "2"  # of the district's 3
    assert ov["记录数"] == "2"
    assert "长风新村街道" in ov["街镇"]
    scores = pl.read_excel(path, sheet_name="街镇评分", infer_schema_length=0)
    assert scores["街镇代码"].to_list() == ["310107014"]
    rules = pl.read_excel(path, sheet_name="规则统计", infer_schema_length=0)
    fails = dict(zip(rules["规则编号"], rules["本街镇不通过"], strict=True))
    own = sample_result.findings.filter(pl.col("group") == "310107014")
    assert fails["102-01"] == "0" and fails["credit_code.format"] == "1"
    assert sum(int(v) for v in fails.values()) == own.height
    findings = pl.read_excel(path, sheet_name="问题清单", infer_schema_length=0)
    assert set(findings["街镇"].to_list()) == {"310107014"}
    other = _overview(tmp_path / "report_曹杨新村街道.xlsx")
    assert other["结论"].startswith("未通过") and other["强制性问题（必须修改）"] == "1"


def test_group_view_filters_anomalies_and_inputs(tmp_path):
    df = pl.DataFrame({"credit_code": ["bad", "91310107MA1G00000Q"], "town_code": ["310107005", "310107014"]})
    r = check(df, load_pack("common-base"))
    view = group_view(r, "310107014")
    assert view.ok and view.groups.height == 1 and view.rows == 1
    assert group_view(r, "310107005").count("error") == r.count("error")
    write_split_by_group(r, tmp_path)
    assert _overview(tmp_path / "report_长风新村街道.xlsx")["结论"] == "通过强制性审核"


def test_split_by_group_anomalies_are_the_towns_own(tmp_path):
    from tests.reports.conftest import UNIT

    rows = [{**UNIT, "credit_code": f"91310107MA1G{i:05d}X", "town_code": town, "wages": 1200.0 + i}
            for i, town in enumerate(["310107005"] * 30 + ["310107014"] * 30)]
    rows[0]["wages"] = 1_200_000.0  # a unit error in 曹杨
    r = check(pl.DataFrame(rows), load_pack("labor-102"))
    if r.anomalies is None or r.anomalies.is_empty():
        return
    for town in ("310107005", "310107014"):
        view = group_view(r, town)
        assert view.anomalies is not None
        assert set(view.anomalies["group"].to_list()) <= {town}


def test_reading_log_sheet_and_chinese_anomalies(tmp_path):
    csv = tmp_path / "102_310107005.csv"
    csv.write_bytes(
        "统一社会信用代码,街镇代码,从业人员期末人数,其中：女性,从业人员平均人数,从业人员工资总额\n"
        "91310107MA1G00000Q,310107005,10,3,10,900\n"
        ",,,,,\n"
        "合计,,10,3,10,900\n".encode("gb18030")
    )
    r = check(csv, load_pack("labor-102"))
    r.meta["duration_s"] = 0.975
    path = write_xlsx(r, tmp_path)
    import fastexcel

    assert fastexcel.read_excel(str(path)).sheet_names == list(SHEETS)
    log = pl.read_excel(path, sheet_name="读取记录", infer_schema_length=0)
    assert set(log["编码"].to_list()) == {"GB18030"}
    assert "跳过合计行" in log["事项"].to_list()
    total = log.filter(pl.col("事项") == "跳过合计行").row(0, named=True)
    assert total["行"] == "4" and total["文件"] == str(csv)
    ov = _overview(path)
    assert abs(float(ov["耗时（秒）"]) - 0.975) < 0.01  # two decimals, not "1"
    assert r.inputs[0].encoding == "gb18030"


def test_anomaly_sheet_is_in_chinese(sample_result, tmp_path):
    assert sample_result.anomalies is not None and sample_result.anomalies.height
    sheet = pl.read_excel(write_xlsx(sample_result, tmp_path), sheet_name="统计异常", infer_schema_length=0)
    assert set(sheet["级别"].to_list()) <= {"强制", "核实", "提示"}
    assert set(sheet["范围"].to_list()) <= {"单位", "街镇"}
    assert set(sheet["是否异常"].drop_nulls().to_list()) <= {"是", "否"}
    assert all("（" in k for k in sheet["类型"].to_list())  # 计量单位错误…（unit_error）
    text = " ".join(str(v) for row in sheet.iter_rows() for v in row)
    assert "true" not in text.lower().split() and "warning" not in text


def test_json_inputs_carry_sheet_encoding_and_reading_log(tmp_path):
    import json

    import jsonschema

    from source_check.reports import result_to_dict
    from tests.reports.test_reports import ROOT

    csv = tmp_path / "102.csv"
    csv.write_bytes("统一社会信用代码,街镇代码,从业人员期末人数,从业人员平均人数,从业人员工资总额\n"
                    "91310107MA1G00000Q,310107005,10,10,900\n合计,,10,10,900\n".encode("gb18030"))
    data = result_to_dict(check(csv, load_pack("labor-102")))
    jsonschema.validate(data, json.loads((ROOT / "docs" / "result.schema.json").read_text(encoding="utf-8")))
    item = data["inputs"][0]
    assert item["encoding"] == "gb18030" and item["sheet"] is None
    total = next(e for e in item["log"] if e["kind"] == "skip_total")
    assert total["rows"] == [[3, 3]] and total["level"] in ("info", "warning") and total["message"]


def test_json_anomaly_values_are_objects(sample_result):
    from source_check.reports import result_to_dict

    anomalies = result_to_dict(sample_result)["anomalies"]
    assert anomalies and all(isinstance(a["values"], (dict, type(None))) for a in anomalies)


def test_a_capped_findings_list_is_said_in_the_towns_workbook():
    from source_check.reports.xlsx_report import group_view

    df = pl.DataFrame({"credit_code": ["bad1", "bad2", "bad3"], "town_code": ["310107005"] * 3})
    r = check(df, load_pack("common-base"), max_findings_per_rule=1)
    view = group_view(r, "310107005")
    assert "credit_code.format" in view.meta["group_view"]["capped"]
    assert not group_view(check(df, load_pack("common-base")), "310107005").meta["group_view"]["capped"]
