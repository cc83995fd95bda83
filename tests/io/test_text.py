"""CSV and text tables: GB18030 from Windows, BOMs, title rows, odd delimiters."""

from __future__ import annotations

import polars as pl
import pytest

from source_check import InputError, check, read_submission
from source_check.io import encoding as enc_mod
from source_check.io.text import TextSource, sniff_delimiter

HEADER = ["统一社会信用代码", "单位详细名称", "街镇代码", "从业人员期末人数", "其中：女性", "从业人员工资总额"]
ROWS = [
    ["91310107MA1G00000Q", "上海𠀀䶮贸易有限公司", "310107005", "1,200", "３００", " 1 234.5 "],
    ["91310107MA1G00001U", "上海（集团）丙有限公司", "310107014", "−5", "无", "—"],
]


def test_gb18030_csv_with_rare_characters_title_and_total(csv_file, labor):
    total = ["合计", "", "", "1195", "300", ""]
    rows = [["2024年12月 从业人员及工资总额"], ["单位：人、千元"], HEADER, *ROWS, [], total]
    path = csv_file(rows, encoding="gb18030")
    with pytest.raises(UnicodeEncodeError):
        "𠀀".encode("gbk")  # why GB18030 and not GBK
    with read_submission(path, labor) as sub:
        df = sub.frame.collect()
    assert df.select("credit_code", "name", "town_code", "emp_end", "emp_female", "wages", "source_row").rows() == [
        ("91310107MA1G00000Q", "上海𠀀䶮贸易有限公司", "310107005", "1200", "300", "1234.5", 4),
        ("91310107MA1G00001U", "上海（集团）丙有限公司", "310107014", "-5", None, None, 5),
    ]
    assert df["source_sheet"].to_list() == [None, None]
    assert [(e.kind, e.ranges) for e in sub.log] == [
        ("encoding", ()), ("title", ((1, 2),)), ("header", ()), ("skip_blank", ((6, 6),)), ("skip_total", ((7, 7),)),
    ]
    assert sub.log[0].message == "编码 GB18030（文件开头不是有效的 UTF-8，按 GB18030 解码成功）"
    assert (sub.inputs[0].rows_read, sub.inputs[0].rows_skipped, sub.inputs[0].sheet) == (2, 2, None)


def test_findings_cite_the_csv_line(csv_file, labor):
    rows = [["从业人员报表"], HEADER, ["91310107MA1G00000Q", "甲", "310107005", "10", "12", "100"]]
    result = check(csv_file(rows, encoding="gb18030"), labor)
    assert result.findings.select("rule_id", "source_row").rows() == [("102-01", 3)]


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter", "name", "how"),
    [
        ("utf-8", True, ",", "a.csv", "UTF-8-SIG（按字节顺序标记（BOM）识别为 UTF-8）"),
        ("utf-16-le", True, "\t", "a.txt", "UTF-16（按字节顺序标记（BOM）识别为 UTF-16）"),
        ("utf-8", False, ";", "a.csv", "UTF-8（文件开头是有效的 UTF-8）"),
        ("gb18030", False, "\t", "a.tsv", "GB18030（文件开头不是有效的 UTF-8，按 GB18030 解码成功）"),
    ],
)
def test_encodings_and_delimiters(csv_file, labor, encoding, bom, delimiter, name, how):
    path = csv_file([HEADER, ROWS[0]], name=name, encoding=encoding, bom=bom, delimiter=delimiter)
    with read_submission(path, labor) as sub:
        df = sub.frame.collect()
    assert df.select("credit_code", "name", "emp_end", "source_row").rows() == [
        ("91310107MA1G00000Q", "上海𠀀䶮贸易有限公司", "1200", 2)
    ]
    assert sub.log[0].message == f"编码 {how}"


def test_explicit_encoding_wins_and_gbk_means_gb18030(csv_file, labor):
    path = csv_file([HEADER, ROWS[0]], encoding="gb18030")
    with read_submission(path, labor, encoding="gbk") as sub:
        assert sub.frame.collect()["name"].to_list() == ["上海𠀀䶮贸易有限公司"]
    assert sub.log[0].message == "编码 GB18030（指定编码 gbk，按其超集 GB18030 读取）"
    with pytest.raises(InputError, match="不认识的编码“klingon”"):
        read_submission(path, labor, encoding="klingon")


def test_utf8_start_but_gb18030_later_is_reread(csv_file, labor, monkeypatch):
    monkeypatch.setattr(enc_mod, "SAMPLE_BYTES", 256)  # detection reads only the start of the file
    ascii_rows = [[f"91310107MA1G0000{i:02d}", "A", "310107005", "1", "0", "1"] for i in range(20)]
    path = csv_file([["credit_code", "name", "town_code", "emp_end", "emp_female", "wages"], *ascii_rows,
                     ["91310107MA1G00000Q", "上海𠀀有限公司", "310107005", "2", "1", "3"]], encoding="gb18030")
    with read_submission(path, labor) as sub:
        df = sub.frame.collect()
    assert df.height == 21 and df["name"][-1] == "上海𠀀有限公司" and df["source_row"][-1] == 22
    assert sub.log[0].message == "编码 GB18030（文件开头只有 ASCII 字符，后文不是 UTF-8，改按 GB18030 读取）"


def test_undecodable_bytes_name_the_line(tmp_path, labor):
    path = tmp_path / "bad.csv"
    path.write_bytes("统一社会信用代码,街镇代码\n91310107MA1G00000Q,310107005\n".encode("gb18030") + b"\x80,1\n")
    with pytest.raises(InputError) as err:
        read_submission(path, labor)
    assert err.value.position is not None and err.value.position.line == 3
    assert err.value.message.startswith("第 3 行附近（第 56 字节）有不能按 GB18030 解码的内容")


def test_quoted_newlines_count_as_one_row(csv_file, labor):
    rows = [HEADER, ["91310107MA1G00000Q", "上海\n甲公司", "310107005", "1", "0", "1"],
            ["91310107MA1G00001U", "乙", "310107014", "2", "0", "1"]]
    with read_submission(csv_file(rows), labor) as sub:
        df = sub.frame.collect()
    assert df.select("name", "source_row").rows() == [("上海\n甲公司", 2), ("乙", 3)]


def test_a_row_wider_than_the_start_is_an_input_error(tmp_path, labor, monkeypatch):
    monkeypatch.setattr(enc_mod, "SAMPLE_BYTES", 128)
    lines = ["统一社会信用代码,街镇代码"] + ["91310107MA1G00000Q,310107005"] * 10 + ["91310107MA1G00000Q,310107005,x,y"]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_submission(path, labor)
    assert err.value.message.startswith("第 12 行有 4 个字段，多于表头所在的文件开头各行的 2 个，从 C 列起多出")
    assert err.value.position is not None and err.value.position.line == 12


def test_an_unclosed_quote_names_its_line_and_column(tmp_path, labor):
    path = tmp_path / "quote.csv"
    path.write_text('统一社会信用代码,街镇代码,单位详细名称\n91310107MA1G00001U,310107005,"乙\n丙",1\n'
                    '91310107MA1G00000Q,310107005,"上海甲公司\n91310107MA1G00001U,310107005,乙\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_submission(path, labor)
    assert err.value.message.startswith("第 4 行（第 3 条记录） C 列的引号没有配对")
    assert err.value.position is not None and err.value.position.line == 4


def test_text_saved_as_xls_is_read_as_text(tmp_path, labor):
    path = tmp_path / "导出.xls"
    path.write_bytes("统一社会信用代码\t街镇代码\n91310107MA1G00000Q\t310107005\n".encode("gb18030"))
    with read_submission(path, labor) as sub:
        assert sub.frame.collect()["town_code"].to_list() == ["310107005"]
    assert (sub.log[0].kind, sub.log[0].message) == ("format", "扩展名为 .xls，但内容是文本表格，按文本读取")


def test_temporary_copy_is_removed_on_close(csv_file, labor):
    sub = read_submission(csv_file([HEADER, ROWS[0]], encoding="gb18030"), labor)
    assert sub._temp is not None
    folder = sub._temp.name
    assert sub.frame.collect().height == 1
    sub.close()
    import os

    assert not os.path.exists(folder)


def test_utf8_files_are_scanned_in_place(csv_file, labor):
    with read_submission(csv_file([HEADER, ROWS[0]]), labor) as sub:
        assert sub._temp is None and sub.frame.collect().height == 1


def test_sniff_delimiter():
    assert sniff_delimiter(["a|b|c", "1|2|3"], ".txt") == "|"
    assert sniff_delimiter(["标题", "a,b", "1,2"], ".csv") == ","
    assert sniff_delimiter(["a,b"], ".tsv") == "\t"


def test_text_source_scan_keeps_every_record(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("标题\n\na,b,c\n1,2\n", encoding="utf-8")
    src = TextSource.open(path, None, tmp_path)
    assert src.width == 3 and src.head == [["标题"], [], ["a", "b", "c"], ["1", "2"]]
    assert src.scan().collect().rows() == [
        (1, "标题", None, None), (2, None, None, None), (3, "a", "b", "c"), (4, "1", "2", None)
    ]
    assert src.scan().collect_schema()["A"] == pl.String


def test_utf8_with_one_bad_byte_later_names_the_line_and_byte(tmp_path, labor, monkeypatch):
    """The start is UTF-8 Chinese: evidence of UTF-8. A bad byte further on is named,
    rather than re-reading the whole file as GB18030 (mojibake, "no header")."""
    monkeypatch.setattr(enc_mod, "SAMPLE_BYTES", 256)
    lines = ["统一社会信用代码,街镇代码,单位详细名称"]
    lines += [f"91310107MA1G{i:05d}Q,310107005,上海甲公司" for i in range(20)]
    data = "\n".join(lines).encode("utf-8") + b"\n91310107MA1G00000Q,310107005,\xe4\xb8\n"
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    for encoding in (None, "utf-8"):
        with pytest.raises(InputError) as err:
            read_submission(path, labor, encoding=encoding)
        assert err.value.position is not None and err.value.position.line == 22
        assert err.value.message.startswith(f"第 22 行附近（第 {len(data) - 2} 字节）有不能按 UTF-8 解码的内容")


def test_utf16_and_utf32_named_for_a_file_without_bom(tmp_path, labor):
    path = tmp_path / "u16.txt"
    text = "统一社会信用代码\t街镇代码\n91310107MA1G00000Q\t310107005\n"
    path.write_bytes(text.encode("utf-16-le"))
    with read_submission(path, labor, encoding="utf-16") as sub:
        assert sub.frame.collect()["town_code"].to_list() == ["310107005"]
    assert sub.log[0].message == "编码 UTF-16-LE（指定编码 utf-16，文件没有字节顺序标记，按 UTF-16-LE 读取）"
    with pytest.raises(InputError, match="没有字节顺序标记（BOM）；请指定 utf-32-le 或 utf-32-be"):
        read_submission(path, labor, encoding="utf-32")
