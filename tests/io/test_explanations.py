"""Reading 说明 back: a damaged file is an input error naming it."""

from __future__ import annotations

import pytest

from source_check import InputError
from source_check.io.explanations import read_explanations


@pytest.mark.parametrize("content", [b"PK\x03\x04" + b"\0" * 40, b"not a workbook at all"])
def test_a_damaged_explanations_workbook_is_an_input_error(tmp_path, content):
    path = tmp_path / "report.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError, match="无法读取说明文件") as err:
        read_explanations(path)
    assert err.value.position is not None and err.value.position.file == str(path)


def test_explanations_from_csv(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("指纹,说明\nabc,已核实：新开业\ndef,\n", encoding="utf-8")
    assert read_explanations(path).rows() == [("abc", "已核实：新开业")]
