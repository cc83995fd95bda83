"""read_submission as a whole: several files, groups, columnar files, frames, errors."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

from source_check import InputError, check, load_pack, read_submission

HEADER = ["统一社会信用代码", "单位详细名称", "从业人员期末人数", "从业人员平均人数", "从业人员工资总额"]


def unit(code: str, name: str = "甲", n: int = 10, wages: float = 1200) -> list[object]:
    return [code, name, n, n, wages]


def test_one_file_per_town_group_from_file_name(csv_file, labor):
    a = csv_file([HEADER, unit("91310107MA1G00000Q")], name="102_310107005.csv")
    b = csv_file([HEADER, unit("91310107MA1G00001U"), unit("91310107MA1G00000Q", "重复")], name="102_长风.csv")
    with read_submission([a, b], labor, group_from_filename=r"102_(.+)\.csv") as sub:
        df = sub.frame.collect()
    assert df.select("credit_code", "town_code", "source_file", "source_row").rows() == [
        ("91310107MA1G00000Q", "310107005", str(a), 2),
        ("91310107MA1G00001U", "310107014", str(b), 2),
        ("91310107MA1G00000Q", "310107014", str(b), 3),
    ]
    assert [e.message for e in sub.log if e.kind == "group"] == [
        "街镇代码取自文件名：310107005",
        "街镇代码取自文件名：长风 → 310107014（长风新村街道）",
    ]
    assert [(i.path, i.rows_read) for i in sub.inputs] == [(str(a), 1), (str(b), 2)]
    result = check([a, b], labor, group_from_filename=r"102_(.+)\.csv")
    dup = result.findings.filter(pl.col("rule_id") == "credit_code.unique")
    assert dup.select("credit_code", "group", "source_file", "source_row").rows() == [
        ("91310107MA1G00000Q", "310107005", str(a), 2),
        ("91310107MA1G00000Q", "310107014", str(b), 3),
    ]


def test_group_option_by_name_and_file_column_wins(csv_file, labor):
    bare = csv_file([HEADER, unit("91310107MA1G00000Q")], name="a.csv")
    with_col = csv_file([[*HEADER, "街镇代码"], [*unit("91310107MA1G00001U"), "310107021"]], name="b.csv")
    with read_submission([bare, with_col], labor, group="桃浦镇") as sub:
        assert sub.frame.collect()["town_code"].to_list() == ["310107103", "310107021"]
    assert [e.message for e in sub.log if e.kind == "group"] == [
        "街镇代码取自 --group：桃浦镇 → 310107103（桃浦镇）",
        "文件中已有街镇代码列（F），未使用 --group/--group-from-filename",
    ]


def test_file_name_that_does_not_match_the_pattern(csv_file, labor):
    path = csv_file([HEADER, unit("91310107MA1G00000Q")], name="data.csv")
    with pytest.raises(InputError, match=r"文件名“data.csv”与 --group-from-filename 的正则“\(\\d\{9\}\)”不匹配"):
        read_submission(path, labor, group_from_filename=r"(\d{9})")


def test_missing_required_fields_list_the_closest_headers(csv_file, labor):
    path = csv_file([["信用代码", "单位名称", "从业人员期末人数"], ["91310107MA1G00000Q", "甲", "3"]])
    with pytest.raises(InputError) as err:
        read_submission(path, labor)
    assert err.value.message == (
        "文件缺少必填字段：统一社会信用代码（credit_code）（最接近的表头：“信用代码”）、街镇代码（town_code）；"
        "文件中没有街镇列时可用 --group 或 --group-from-filename 指定 "
        "(missing required fields: credit_code, town_code)"
    )
    assert err.value.position is not None and err.value.position.file == str(path)


def test_no_header_at_all(csv_file, labor):
    path = csv_file([["a", "b"], ["1", "2"]])
    with pytest.raises(InputError, match="前 30 行中没有找到与规则包 labor-102 对应的表头"):
        read_submission(path, labor)


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"", "e.csv", "文件为空（0 字节）"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 64 + "EncryptedPackage".encode("utf-16-le"), "p.xlsx",
         "工作簿设有打开密码"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "x.xls", "文件实为网页（HTML/XML）格式"),
        (b"\x00\x01\x02\x03binary", "b.csv", "无法识别的文件格式"),
        (b"PK\x03\x04" + b"\0" * 40, "t.xlsx", "文件已损坏或不完整"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600, "o.xls", "文件已损坏或不完整"),
        (b"ARROW1\0\0" + b"\0" * 64, "t.arrow", "无法读取 ipc 文件"),  # a truncated Arrow file
        ("统一社会信用代码,街镇代码\n合计,\n".encode(), "h.csv", "没有数据行"),  # a header and no unit
    ],
)
def test_files_that_cannot_be_read(tmp_path, labor, content, name, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_submission(path, labor)
    assert expected in err.value.message
    assert err.value.position is not None and err.value.position.file == str(path)
    assert str(path) in str(err.value)


def test_missing_file(tmp_path, labor):
    with pytest.raises(InputError, match="文件不存在"):
        read_submission(tmp_path / "nope.xlsx", labor)


def test_parquet_and_ipc_map_column_names_and_keep_types(tmp_path, labor):
    frame = pl.DataFrame({
        "统一社会信用代码": ["91310107MA1G00000Q", None], "街镇代码": [310107005, 310107014],
        "从业人员期末人数": [10, 3], "wages": [1200.5, 30.0], "备注": ["x", "y"],
    })
    pq, ipc, stream = tmp_path / "a.parquet", tmp_path / "a.arrow", tmp_path / "a.arrows"
    frame.write_parquet(pq)
    frame.write_ipc(ipc)
    frame.write_ipc_stream(stream)  # the Arrow IPC stream format: no footer
    for path in (pq, ipc, stream):
        with read_submission(path, labor) as sub:
            df = sub.frame.collect()
        assert df.columns == ["credit_code", "town_code", "emp_end", "wages", "备注", "source_file", "source_sheet",
                              "source_row"]
        assert df.select("credit_code", "town_code", "emp_end", "wages", "source_row").rows() == [
            ("91310107MA1G00000Q", "310107005", 10, 1200.5, 1), (None, "310107014", 3, 30.0, 2)
        ]


def test_float_credit_codes_from_pandas_are_named(tmp_path, labor):
    frame = pl.DataFrame({"credit_code": [913101070000000000.0], "town_code": ["310107005"]})
    path = tmp_path / "p.parquet"
    frame.write_parquet(path)
    result = check(path, labor)
    (message,) = result.findings["message"].to_list()
    assert message == "统一社会信用代码“9.1310107E+17”疑似被Excel科学计数法损坏，请将该列设为文本格式后重新填写"


def test_frames_pass_straight_through(labor):
    frame = pl.DataFrame({"credit_code": ["x"], "whatever": [1]})
    assert read_submission(frame, labor).frame.collect().equals(frame)
    assert read_submission(frame.lazy(), labor).frame.collect().equals(frame)
    assert read_submission(pd.DataFrame({"a": [1]}), labor).frame.collect().rows() == [(1,)]


def test_values_are_cleaned_by_field_type(csv_file, labor):
    rows = [
        ["统一社会信用代码", "单位详细名称", "街镇代码", "报告期", "从业人员期末人数", "从业人员工资总额"],
        ["\u200b９１３１０１０７MA1G00000Q\u00a0", " 上海（集团）\u3000公司 ", "310107005.0", "２０２４１２",
         "１，２３４", "1 234.50"],
        ["91310107MA1G00001U", "N/A", "310107005", "202412", "—", "#N/A"],
    ]
    with read_submission(csv_file(rows), labor) as sub:
        df = sub.frame.collect()
    assert df.select("credit_code", "name", "town_code", "period", "emp_end", "wages").rows() == [
        ("91310107MA1G00000Q", "上海（集团）\u3000公司", "310107005", "202412", "1234", "1234.50"),
        ("91310107MA1G00001U", None, "310107005", "202412", None, None),
    ]


def test_previous_period_files_use_the_same_reader(csv_file, labor):
    now = csv_file([["统一社会信用代码", "报告期", "从业人员平均人数", "从业人员工资总额"],
                    ["91310107MA1G00000Q", "202412", "10", "2,400"]], name="now.csv")
    before = csv_file([["2023年12月"], ["统一社会信用代码", "报告期", "从业人员平均人数", "从业人员工资总额"],
                       ["91310107MA1G00000Q", "202312", "10", "1,200"]], name="before.csv", encoding="gb18030")
    result = check(now, labor, previous=before, group="310107005")
    assert result.findings.filter(pl.col("rule_id") == "H102-01").select("source_row").rows() == [(2,)]
    assert [i.path for i in result.inputs] == [str(now)]
    # the previous files keep their own reading log
    (prev,) = result.previous_inputs
    assert (prev.path, prev.rows_read) == (str(before), 1)
    assert any("表头之上的标题" in line and "第 1 行" in line for line in prev.log)


def test_previous_period_workbooks_take_their_own_sheet(xlsx, labor):
    header = ["统一社会信用代码", "街镇代码", "报告期", "从业人员工资总额"]
    now = xlsx({"2024年12月": {"rows": [header, ["91310107MA1G00000Q", "310107005", "202412", 100]]},
                "旧": {"rows": [header]}}, name="now.xlsx")
    before = xlsx({"2023年12月": {"rows": [header, ["91310107MA1G00000Q", "310107005", "202312", 100]]}},
                  name="before.xlsx")
    with pytest.raises(InputError, match="没有工作表“2024年12月”"):
        check(now, labor, previous=before, sheet="2024年12月")
    result = check(now, labor, previous=before, sheet="2024年12月", previous_sheet="2023年12月")
    assert [(i.sheet, i.rows_read) for i in (*result.inputs, *result.previous_inputs)] == [
        ("2024年12月", 1), ("2023年12月", 1)]
    result = check(now, labor, previous=before, sheet=1)  # the same position in both workbooks
    assert [i.sheet for i in result.previous_inputs] == ["2023年12月"]


def test_unknown_option_is_refused(csv_file, labor):
    with pytest.raises(TypeError):
        read_submission(csv_file([HEADER]), labor, sheets="x")  # type: ignore[call-arg]


def test_multi_form_pack_reads_each_form_for_its_own_fields(csv_file, xlsx):
    f103 = csv_file([["统一社会信用代码", "街镇代码", "应付职工薪酬（本年贷方累计发生额）"],
                     ["91310107MA1G00000Q", "310107005", "800"]], name="103.csv", encoding="gb18030")
    f102 = xlsx({"102表": {"rows": [["102表"], ["统一社会信用代码", "从业人员工资总额（千元）"],
                                    ["91310107MA1G00000Q", 1800]]}}, name="102.xlsx")
    result = check({"103": f103, "102": f102}, "cross-labor-finance")
    assert result.findings.select("rule_id", "source_file", "source_row").rows() == [("X-01", str(f103), 2)]
    assert [(i.path, i.rows_read) for i in result.inputs] == [(str(f103), 1), (str(f102), 1)]
    with pytest.raises(InputError, match="没有报表“104”"):
        read_submission(f102, load_pack("cross-labor-finance"), form="104")


def test_clean_columns_skip_the_clean_up_and_dirty_ones_get_it(tmp_path, labor):
    """A column with nothing to clean keeps only the NA step; one dirty value sends the column through it."""
    path = tmp_path / "mixed.parquet"
    pl.DataFrame({
        "统一社会信用代码": ["91310107MA1G00000Q", "９１３１０１０７ＭＡ１Ｇ００００Ｑ", "空"],
        "街镇代码": ["310107005", "310107005", "310107005"],  # clean
        "期末从业人员": ["12", "1,234", "—"],
        "其中女性": ["3", "4", "-"],  # clean but for an NA marker
    }).write_parquet(path)
    with read_submission(path, labor) as sub:
        out = sub.frame.select("credit_code", "town_code", "emp_end", "emp_female").collect()
    assert out.rows() == [
        ("91310107MA1G00000Q", "310107005", "12", "3"),
        ("91310107MA1G0000Q", "310107005", "1234", "4"),
        (None, "310107005", None, None),
    ]


def test_codes_as_column_headers_are_checked(csv_file, labor):
    path = csv_file([["统一社会信用代码", "街镇代码", "01", "02", "08", "12"],
                     ["91310107MA1G00000Q", "310107005", "10", "20", "10", "300"]])
    result = check(path, labor)
    assert "102-01" in result.findings["rule_id"].to_list()
    with read_submission(path, labor) as sub:
        assert [(c.column, c.field) for c in sub.columns] == [
            ("A", "credit_code"), ("B", "town_code"), ("C", "emp_end"), ("D", "emp_female"), ("E", "emp_avg"),
            ("F", "wages")]


def test_an_empty_file_among_files_with_data_is_a_warning(csv_file, labor):
    empty = csv_file([["统一社会信用代码", "街镇代码"]], name="empty.csv")
    full = csv_file([["统一社会信用代码", "街镇代码"], ["91310107MA1G00000Q", "310107005"]], name="full.csv")
    with read_submission([empty, full], labor) as sub:
        assert sub.frame.collect().height == 1
    assert [(e.file, e.level) for e in sub.log if e.kind == "no_rows"] == [(str(empty), "warning")]
    with pytest.raises(InputError, match="没有数据行") as err:
        read_submission([empty, empty], labor)
    assert err.value.position is not None and err.value.position.file == str(empty)


def test_an_empty_previous_period_file_leaves_history_not_applicable(csv_file):
    """Only the current period must have data: last year's empty file is a no_rows note."""
    from source_check import check, load_pack

    header = ["统一社会信用代码", "街镇代码", "报告期", "从业人员期末人数", "从业人员平均人数", "从业人员工资总额"]
    current = csv_file([header, ["91310107MA1G00000Q", "310107005", "202412", "10", "10", "1200"]], name="cur.csv")
    empty = csv_file([header], name="prev.csv")
    result = check(current, load_pack("labor-102"), previous=empty)
    assert result.rows == 1 and [i.rows_read for i in result.previous_inputs] == [0]
    assert any(e.kind == "no_rows" for e in result.previous_inputs[0].events)
    with pytest.raises(InputError, match="没有数据行"):
        check(empty, load_pack("labor-102"), previous=current)


def test_findings_name_the_source_column(csv_file, xlsx, labor):
    """Workbooks and CSV files: the Excel column letter; several fields: in field order."""
    header = ["单位详细名称", "统一社会信用代码", "街镇代码", "从业人员期末人数", "其中：女性"]
    rows = [header, ["甲", "91310107MA1G00000Q", "310107005", "10", "12"], ["乙", "x", "310107005", "1,5", "0"]]
    for path in (csv_file(rows), xlsx({"s": {"rows": [["标题"], *rows]}})):
        result = check(path, labor)
        got = result.findings.select("rule_id", "source_row", "source_column").sort("source_row", "rule_id").rows()
        offset = 1 if path.suffix == ".xlsx" else 0
        assert got == [(r, row + offset, col) for r, row, col in [
            ("102-01", 2, "D,E"), ("credit_code.format", 3, "B"), ("emp_end.type", 3, "D")]], path
        assert result.findings.columns.index("source_column") == result.findings.columns.index("source_row") + 1
    frame = pl.DataFrame({"credit_code": ["x"], "town_code": ["310107005"]})
    assert "source_column" not in check(frame, labor).findings.columns  # in memory: no source_* columns
