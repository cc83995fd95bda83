"""Header detection and column mapping, table-driven."""

from __future__ import annotations

import pytest

from source_check.io.headers import FieldMatcher, closest_headers, detect_header, map_names, normalise_label
from source_check.pack.schema import FieldSpec

FIELDS = {
    "credit_code": FieldSpec(label="统一社会信用代码", aliases=["社会信用代码"]),
    "emp_end": FieldSpec(label="从业人员期末人数", code="01", aliases=["期末人数"]),
    "emp_female": FieldSpec(label="其中：女性", code="02", aliases=["女性"]),
    "emp_avg": FieldSpec(label="从业人员平均人数", code="08", aliases=["平均人数"]),
    "wages": FieldSpec(label="从业人员工资总额", code="12", aliases=["工资总额"]),
    "phone_mobile": FieldSpec(label="联系电话（手机）"),
    "phone_fixed": FieldSpec(label="联系电话（固定）"),
}
M = FieldMatcher.from_fields(FIELDS)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("credit_code", "credit_code"),  # id
        ("统一社会信用代码", "credit_code"),  # label
        ("社会信用代码", "credit_code"),  # alias
        ("12", None),  # a bare 指标代码 is not a header label (data rows are full of numbers)
        (" 统一社会 信用代码\n", "credit_code"),  # whitespace
        ("其中:女性", "emp_female"),  # half-width colon
        ("其中女性", "emp_female"),
        ("*统一社会信用代码", "credit_code"),  # required mark
        ("从业人员工资总额（千元）", "wages"),  # unit suffix
        ("从业人员工资总额(千元)", "wages"),
        ("从业人员工资总额【千元】", "wages"),
        ("12 从业人员工资总额", "wages"),  # leading code
        ("01.从业人员期末人数（人）", "emp_end"),
        ("ＣＲＥＤＩＴ_ＣＯＤＥ", "credit_code"),  # full-width, upper case
        ("联系电话（手机）", "phone_mobile"),  # exact beats the ambiguous normalised form
        ("联系电话(手机)", "phone_mobile"),
        ("联系电话", None),  # ambiguous once the suffix is gone
        ("备注", None),
        ("", None),
        (None, None),
    ],
)
def test_match(header, field):
    assert M.match(header) == field


def test_normalise_label():
    assert normalise_label("其中：\u200b女性 ") == "女性"
    assert normalise_label("从业人员\n期末人数（人）") == "从业人员期末人数(人)"


def test_codes_loose_only_under_a_label_header():
    assert M.match_code("01") == "emp_end" and M.match_code("1") is None
    assert M.match_code("1", loose=True) == "emp_end"


@pytest.mark.parametrize(
    ("row", "is_code_row"),
    [
        (["甲", "01", "02", "12"], True),
        (["甲", "乙", "1", None], True),  # marked: one code is enough
        ([None, None, "1", "2", "8", "12"], True),  # numbers typed in Excel, increasing, 4 codes
        (["x", "3", "1", "3"], False),  # a data row of small numbers
        (["A", "B", "1", "2"], True),  # letters for the text columns, two codes
        (["91310107MA1G00000Q", "1", "2"], False),  # a credit code is not a code token
        (["1"], False),  # a single unmarked number
    ],
)
def test_code_row_under_the_header(row, is_code_row):
    header = ["统一社会信用代码", "x", "从业人员期末人数", "其中：女性", "平均人数", "工资总额"]
    layout = detect_header([header, row], M)
    assert layout is not None and (layout.code_row == 1) == is_code_row


def test_title_unit_line_header_code_row():
    rows = [["2024年12月 从业人员及工资总额"], ["单位：人、千元"], [],
            ["统一社会信用代码", "从业人员期末人数", "其中：女性", "工资总额"], ["甲", "01", "02", "12"],
            ["x", 1, 2, 3]]
    layout = detect_header(rows, M)
    assert layout is not None
    assert (layout.first, layout.last, layout.code_row, layout.data_start) == (3, 3, 4, 5)
    assert layout.fields == {0: "credit_code", 1: "emp_end", 2: "emp_female", 3: "wages"}


def test_two_row_header_with_merged_group_cells():
    rows = [
        ["统一社会信用代码", "从业人员", None, None, "工资总额（千元）"],
        [None, "期末", "其中：女性", "平均", None],
        ["9131", "3", "1", "3", "10"],
    ]
    layout = detect_header(rows, M)
    assert layout is not None and (layout.first, layout.last, layout.data_start) == (0, 1, 2)
    # 从业人员 + 期末 = 从业人员期末 (not a label), 从业人员 + 平均 = 从业人员平均 (neither): a 3rd row helps
    assert layout.fields == {0: "credit_code", 2: "emp_female", 4: "wages"}
    rows[1][1], rows[1][3] = "期末人数", "平均人数"
    layout = detect_header(rows, M)
    assert layout is not None and layout.fields == {0: "credit_code", 1: "emp_end", 2: "emp_female", 3: "emp_avg",
                                                    4: "wages"}
    assert layout.headers == {
        0: "统一社会信用代码", 1: "期末人数", 2: "其中：女性", 3: "平均人数", 4: "工资总额（千元）"}


def test_group_cell_joined_with_the_cell_below():
    rows = [["统一社会信用代码", "从业人员", None], [None, "期末人数", "平均人数"], ["x", "1", "1"]]
    m = FieldMatcher.from_fields({"credit_code": FIELDS["credit_code"],
                                  "emp_end": FieldSpec(label="从业人员期末人数"),
                                  "emp_avg": FieldSpec(label="从业人员平均人数")})
    layout = detect_header(rows, m)
    assert layout is not None and layout.fields == {0: "credit_code", 1: "emp_end", 2: "emp_avg"}


def test_duplicates_keep_the_first_column():
    layout = detect_header([["工资总额", "从业人员工资总额", "统一社会信用代码"]], M)
    assert layout is not None and layout.fields == {0: "wages", 2: "credit_code"} and layout.duplicates == {1: "wages"}


def test_header_of_codes_only():
    layout = detect_header([["甲", "01", "02", "12"], ["x", "1", "2", "3"]], M, min_matches=2)
    assert layout is not None and layout.fields == {1: "emp_end", 2: "emp_female", 3: "wages"}
    assert layout.data_start == 1


def test_data_rows_of_small_numbers_are_not_a_header():
    assert detect_header([["a", "b"], ["1", "2"]], M, min_matches=2) is None
    assert detect_header([], M) is None
    assert detect_header([["工资总额"]], M, min_matches=2) is None


def test_header_beyond_thirty_rows_is_not_searched():
    rows = [["说明"]] * 30 + [["统一社会信用代码", "工资总额"]]
    assert detect_header(rows, M) is None


def test_map_names_and_closest_headers():
    assert map_names(["统一社会信用代码", "x", "credit_code", "12"], M) == (
        {0: "credit_code", 3: "wages"}, {2: "credit_code"})
    assert closest_headers("credit_code", ["信用代码", "街镇代码", "名称"], M) == ["信用代码"]
    assert closest_headers("credit_code", ["名称"], M) == []


def test_codes_as_column_headers_map_the_columns_the_labels_left_open():
    """联网直报 exports name number columns by their 指标代码 in the header row itself."""
    rows = [["统一社会信用代码", "街镇代码", "01", "02", "08", "12", "01"], ["9131…", "310107005", "10", "20", "10",
                                                                       "300", "9"]]
    layout = detect_header(rows, M)
    assert layout is not None
    assert (layout.first, layout.data_start, layout.code_row) == (0, 1, None)
    assert layout.fields == {0: "credit_code", 2: "emp_end", 3: "emp_female", 4: "emp_avg", 5: "wages"}
    assert layout.duplicates == {6: "emp_end"}
    # a label still wins over a code naming the same field elsewhere
    layout = detect_header([["统一社会信用代码", "01", "从业人员期末人数"]], M)
    assert layout is not None and layout.fields == {0: "credit_code", 2: "emp_end"} and layout.duplicates == {
        1: "emp_end"}
