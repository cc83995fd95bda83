"""Excel workbooks as people fill them: title rows, merged headers, 指标代码, 合计 rows."""

from __future__ import annotations

import pytest

from source_check import InputError, check, read_submission
from source_check.io.excel import Workbook

FIELDS = ["credit_code", "name", "town_code", "emp_end", "emp_female", "emp_avg", "wages", "备注"]


def test_form_102_records_row_numbers_and_log(xlsx, form_102, labor):
    path = xlsx({"说明": {"rows": [["本表为102表"]]}, "102表": form_102})
    with read_submission(path, labor) as sub:
        df = sub.frame.collect()
    assert df.columns == [*FIELDS, "source_file", "source_sheet", "source_row"]
    assert df.select(FIELDS).rows() == [
        ("91310107MA1G00000Q", "上海䶮𠀀科技有限公司", "310107005", "10", "3", "10", "1200", None),
        ("91310107MA1G00001U", "上海乙有限公司", "310107014", "12", "13", "12", "1500.5", "新开业"),
    ]
    assert df["source_row"].to_list() == [6, 7]
    assert set(df["source_sheet"]) == {"102表"} and set(df["source_file"]) == {str(path)}
    assert [(e.kind, e.ranges) for e in sub.log] == [
        ("sheet", ()),
        ("title", ((1, 2),)),
        ("header", ()),
        ("code_row", ((5, 5),)),
        ("skip_blank", ((8, 8),)),
        ("skip_total", ((9, 9),)),
        ("skip_note", ((10, 10),)),
        ("unmapped", ()),
    ]
    header = sub.log[2]
    assert header.message == (
        "表头在第 3–4 行，对应 7 个字段：A 统一社会信用代码→credit_code；B 单位详细名称→name；C 街镇代码→town_code；"
        "D 期末人数→emp_end；E 其中：女性→emp_female；F 平均人数→emp_avg；G 从业人员工资总额（千元）→wages"
    )
    assert str(sub.log[5]) == f"{path}［102表］：跳过合计行（合计、总计、小计）：第 9 行"
    assert sub.log[-1].message == "以下列不对应规则包中的字段，已保留但不参与核查：H（备注）"
    assert sub.log[-1].level == "warning"
    (info,) = sub.inputs
    assert (info.rows_read, info.rows_skipped, info.sheet) == (2, 3, "102表")
    assert len(info.sha256 or "") == 64 and len(info.log) == len(sub.log)


def test_check_cites_the_excel_row(xlsx, form_102, labor):
    path = xlsx({"102表": form_102})
    result = check(path, labor)
    found = result.findings.select("rule_id", "credit_code", "source_sheet", "source_row").rows()
    assert found == [("102-01", "91310107MA1G00001U", "102表", 7)]
    assert result.rows == 2
    assert [(i.rows_read, i.rows_skipped) for i in result.inputs] == [(2, 3)]


def test_best_matching_sheet_is_read_and_the_others_are_named(xlsx, labor):
    rows = [["统一社会信用代码", "街镇代码", "从业人员期末人数"], ["91310107MA1G00000Q", "310107005", 5]]
    weaker = [["统一社会信用代码", "街镇代码"], ["91310107MA1G00001U", "310107014"]]
    path = xlsx({"旧表": {"rows": weaker}, "本期": {"rows": rows}, "隐藏": {"rows": rows, "hidden": True}})
    with read_submission(path, labor) as sub:
        assert sub.frame.collect()["credit_code"].to_list() == ["91310107MA1G00000Q"]
    assert [e.message for e in sub.log if e.kind == "sheet"] == [
        "读取工作表“本期”（表头对应 3 个字段）",
        "工作表“隐藏”也有对应的表头（3 个字段），未读取；如需核查请用 --sheet 指定",
        "工作表“旧表”也有对应的表头（2 个字段），未读取；如需核查请用 --sheet 指定",
    ]


@pytest.mark.parametrize("sheet", ["旧表", "1"])
def test_sheet_option_by_name_or_position(xlsx, labor, sheet):
    weaker = [["统一社会信用代码", "街镇代码"], ["91310107MA1G00001U", "310107014"]]
    rows = [["统一社会信用代码", "街镇代码", "从业人员期末人数"], ["91310107MA1G00000Q", "310107005", 5]]
    path = xlsx({"旧表": {"rows": weaker}, "本期": {"rows": rows}})
    with read_submission(path, labor, sheet=sheet) as sub:
        df = sub.frame.collect()
    assert df["credit_code"].to_list() == ["91310107MA1G00001U"]
    assert df["source_sheet"].to_list() == ["旧表"]


def test_header_without_data_and_a_hidden_sheet_are_warned_about(xlsx, csv_file, labor):
    path = xlsx({"封面": {"rows": [["说明"]]}, "H": {"rows": [["统一社会信用代码", "街镇代码"]], "hidden": True}})
    with pytest.raises(InputError, match="没有数据行"):  # alone, a file without data is an input error
        read_submission(path, labor)
    other = csv_file([["统一社会信用代码", "街镇代码"], ["91310107MA1G00000Q", "310107005"]])
    with read_submission([path, other], labor) as sub:
        assert sub.frame.collect().height == 1
    assert [(e.kind, e.level, e.message) for e in sub.log if e.kind in ("sheet", "no_rows")] == [
        ("sheet", "warning", "读取工作表“H”（表头对应 2 个字段，这是隐藏的工作表）"),
        ("no_rows", "warning", "表头下没有数据行（没有读到任何单位）"),
    ]


def test_merged_data_cells_fill_text_down_and_name_numbers(xlsx, labor):
    rows = [
        ["统一社会信用代码", "街镇代码", "报告期", "从业人员工资总额"],
        ["91310107MA1G00000Q", None, None, None],
        ["91310107MA1G00001U", None, None, None],
        ["91310107MA1G00002Y", None, "202412", 30],
    ]
    merges = {"B2:B4": "310107005", "C2:C3": "202412", "D2:D3": 1200}
    path = xlsx({"S": {"rows": rows, "merges": merges}})
    with read_submission(path, labor) as sub:
        df = sub.frame.collect()
    assert df.select("town_code", "period", "wages", "source_row").rows() == [
        ("310107005", "202412", "1200", 2), ("310107005", "202412", None, 3), ("310107005", "202412", "30", 4)
    ]
    assert [(e.level, e.message) for e in sub.log if e.kind == "merged"] == [
        ("info", "合并单元格的值已填入所合并的各行：B2:B4（街镇代码“310107005”）、C2:C3（报告期“202412”）"),
        ("warning", "合并单元格只有第一行有值，其余行按空值读取：D2:D3"),
    ]


def test_unknown_sheet_names_the_sheets_there_are(xlsx, labor):
    path = xlsx({"甲": {"rows": [["统一社会信用代码", "街镇代码"]]}})
    with pytest.raises(InputError) as err:
        read_submission(path, labor, sheet="乙")
    assert err.value.message == "工作簿中没有工作表“乙”（现有：甲）(no such sheet)"
    assert err.value.position is not None and err.value.position.file == str(path)


def test_header_of_field_ids_and_columns_that_do_not_start_at_a(xlsx, labor):
    rows = [[None, None, None], [None, "credit_code", "town_code", "wages"],
            [None, "91310107MA1G00000Q", "310107005", 7.25]]
    path = xlsx({"S": {"rows": rows}})
    with read_submission(path, labor) as sub:
        df = sub.frame.collect()
    assert df.select("credit_code", "town_code", "wages", "source_row").rows() == [
        ("91310107MA1G00000Q", "310107005", "7.25", 3)
    ]
    assert sub.log[1].message == (
        "表头在第 2 行，对应 3 个字段：B、C、D 列名即字段名")


def test_numbers_keep_their_exact_value(xlsx, labor):
    # calamine's own text for 1/3 is "0.333333333"; the reader takes the float
    rows = [["统一社会信用代码", "街镇代码", "从业人员工资总额"], ["91310107MA1G00000Q", "310107005", 1 / 3],
            ["91310107MA1G00001U", "310107005", 2 / 3 * 1e-5], ["91310107MA1G00002Y", "310107005", 12345678.125]]
    path = xlsx({"S": {"rows": rows}})
    with read_submission(path, labor) as sub:
        wages = sub.frame.collect()["wages"].to_list()
    assert wages == ["0.3333333333333333", "6.666666666666667e-6", "12345678.125"]


def test_excel_error_cells_are_named(xlsx, labor):
    rows = [["统一社会信用代码", "街镇代码", "从业人员工资总额"],
            ["91310107MA1G00000Q", "310107005", ("=1/0", "#DIV/0!")]]
    path = xlsx({"S": {"rows": rows}})
    with read_submission(path, labor) as sub:
        assert sub.frame.collect()["wages"].to_list() == [None]
    (event,) = [e for e in sub.log if e.kind == "cell_error"]
    assert event.message == "以下单元格是 Excel 错误值，按空值读取：C2 #DIV/0!"
    assert event.ranges == ((2, 2),) and event.level == "warning"


def test_numeric_code_row_and_label_code_conflict(xlsx, labor):
    rows = [
        ["统一社会信用代码", "街镇代码", "从业人员期末人数", "其中：女性", "平均人数"],
        ["甲", "乙", 1, 6, None],  # 6 is the code of 劳务派遣, not of 女性
        ["91310107MA1G00000Q", "310107005", 10, 2, 9],
    ]
    path = xlsx({"S": {"rows": rows}})
    with read_submission(path, labor) as sub:
        df = sub.frame.collect()
    assert df.select("emp_end", "emp_female", "emp_avg", "source_row").rows() == [("10", "2", "9", 3)]
    (conflict,) = [e for e in sub.log if e.kind == "conflict"]
    assert conflict.message == (
        "D 列表头“其中：女性”对应 emp_female，但指标代码对应 emp_dispatch；按表头对应 emp_female，请核对")


def test_duplicate_and_empty_columns(xlsx, labor):
    rows = [
        ["统一社会信用代码", "街镇代码", "工资总额", "从业人员工资总额", None],
        ["91310107MA1G00000Q", "310107005", 100, 200, None],
    ]
    path = xlsx({"S": {"rows": rows}})
    with read_submission(path, labor) as sub:
        df = sub.frame.collect()
    assert df.select("wages", "从业人员工资总额").rows() == [("100", "200")]
    assert [e.message for e in sub.log if e.kind in ("duplicate", "unmapped")] == [
        "以下列不对应规则包中的字段，已保留但不参与核查：D（从业人员工资总额）",
        "D 列“从业人员工资总额”与 C 列对应同一字段 wages（从业人员工资总额），只用 C 列核查，D 列保留为普通列",
    ]


def test_blank_columns_without_header_are_dropped_and_logged(xlsx, labor):
    rows = [["统一社会信用代码", "街镇代码", None, None], ["91310107MA1G00000Q", "310107005", None, " "]]
    path = xlsx({"S": {"rows": rows}})
    with read_submission(path, labor) as sub:
        df = sub.frame.collect()
    assert df.columns == ["credit_code", "town_code", "source_file", "source_sheet", "source_row"]
    assert [(e.kind, e.message) for e in sub.log][2:] == [("empty_columns", "无表头且无数据的列已忽略：C、D")]
    assert [c.column for c in sub.columns] == ["A", "B"]


def test_workbook_head_and_load(xlsx):
    path = xlsx({"S": {"rows": [[None, "a", "b"], [None, "x", 2.5]]}})
    book = Workbook.open(path, "xlsx")
    rows, letters, visible = book.head("S")
    assert (rows, letters, visible) == ([["a", "b"], ["x", "2.5"]], ["B", "C"], True)
    grid = book.load("S", numeric=["C"])
    assert grid.frame.rows() == [("a", "b"), ("x", "2.5")] and grid.letters == ["B", "C"]


@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_old_excel_and_opendocument_read_like_xlsx(tmp_path, form_102, labor, kind):
    """A 102 form saved as Excel 97–2003 (.xls) or OpenDocument (.ods) gives the records,
    Excel rows and log of the same form as .xlsx."""
    from tests.io.conftest import write_ods, write_xls, write_xlsx

    sheets = {"说明": {"rows": [["本表为102表"]]}, "102表": form_102}
    reference = write_xlsx(tmp_path / "form.xlsx", sheets)
    path = (write_xls if kind == "xls" else write_ods)(tmp_path / f"form.{kind}", sheets)
    head = path.read_bytes()[:100]
    # a real OLE2 compound file (BIFF8) / a real OpenDocument zip, not xlsx under another name
    assert head.startswith(b"\xd0\xcf\x11\xe0") if kind == "xls" else b"opendocument.spreadsheet" in head
    with read_submission(reference, labor) as sub:
        want, want_log = sub.frame.collect().select(*FIELDS, "source_row"), [(e.kind, e.ranges) for e in sub.log]
    with read_submission(path, labor) as sub:
        got, got_log = sub.frame.collect().select(*FIELDS, "source_row"), [(e.kind, e.ranges) for e in sub.log]
    assert got.rows() == want.rows()
    # calamine reports no merged cells for .xls/.ods: the log says they were not checked
    merged = [e for e in sub.log if e.kind == "merged"]
    assert [e.message for e in merged] == [
        f"{'.xls（Excel 97–2003）' if kind == 'xls' else '.ods（OpenDocument）'} 工作簿的合并单元格无法读取，未检查："
        "数据区若有合并单元格（如街镇代码合并多行），只有第一行有值，其余行按空值读取"]
    assert [e for e in got_log if e[0] != "merged"] == want_log
    result = check(path, labor)
    assert result.findings.select("rule_id", "credit_code", "source_row").rows() == [
        ("102-01", "91310107MA1G00001U", 7)]
