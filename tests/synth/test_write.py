"""Files as people have them: Excel with a title row and Chinese headers, GB18030 CSV, parquet."""

from __future__ import annotations

import json

import polars as pl
import pytest

from source_check import load_pack
from source_check.synth import synthesize, write_synthetic
from source_check.synth.write import form_title, labels_for


@pytest.fixture(scope="module")
def synthetic():
    return synthesize(300, seed=2, anomalies="default")


def test_xlsx_has_title_row_and_pack_labels(synthetic, tmp_path):
    pack = load_pack("labor-102")
    write_synthetic(synthetic, tmp_path, forms=["102"], formats=["xlsx"], packs=[pack])
    path = tmp_path / "current" / "102.xlsx"
    raw = pl.read_excel(path, engine="calamine", has_header=False)
    assert raw[0, 0] == "2024年12月 从业人员及工资总额"
    table = pl.read_excel(path, engine="calamine", read_options={"header_row": 1})
    assert table.columns[:4] == ["统一社会信用代码", "单位详细名称", "街镇代码", "报告期"]
    assert "从业人员工资总额" in table.columns and "其中：女性" in table.columns
    assert table.height == synthetic.current["102"].height
    codes = table["统一社会信用代码"].cast(pl.String)
    assert codes.to_list() == synthetic.current["102"]["credit_code"].to_list()  # codes stay text


def test_csv_is_gb18030_with_chinese_headers(synthetic, tmp_path):
    write_synthetic(synthetic, tmp_path, forms=["101"], formats=["csv-gb18030"])
    raw = (tmp_path / "current" / "101.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gb18030")
    assert text.splitlines()[0].startswith("统一社会信用代码,单位详细名称,街镇代码,报告期,法定代表人")
    frame = pl.read_csv(text.encode("utf-8"), infer_schema=False)
    assert frame.height == synthetic.current["101"].height


def test_parquet_keeps_ids_and_values(synthetic, tmp_path):
    write_synthetic(synthetic, tmp_path, formats=["parquet"])
    for form, frame in synthetic.current.items():
        assert pl.read_parquet(tmp_path / "current" / f"{form}.parquet").equals(frame)
        assert pl.read_parquet(tmp_path / "previous" / f"{form}.parquet").equals(synthetic.previous[form])
    truth = pl.read_parquet(tmp_path / "truth.parquet")
    assert truth.equals(synthetic.truth)
    csv = (tmp_path / "truth.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")  # opens in Excel with the Chinese intact
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 2 and manifest["units"] == 300 and manifest["planted"] == truth.height
    assert manifest["planted_units"] == truth["true_code"].n_unique()


def test_by_town_writes_one_file_per_town(synthetic, tmp_path):
    files = write_synthetic(synthetic, tmp_path, forms=["102"], formats=["parquet"], by_town=True)
    current = sorted(p.name for p in files if p.parent.name == "current")
    assert len(current) == 10 and current[0] == "102_310107005.parquet"
    total = sum(pl.read_parquet(tmp_path / "current" / name).height for name in current)
    assert total == synthetic.current["102"].height


def test_forms_103_means_all_variants_and_unknown_forms_fail(synthetic, tmp_path):
    files = write_synthetic(synthetic, tmp_path, forms=["103"], formats=["parquet"])
    assert sorted(p.stem for p in files if p.parent.name == "current") == sorted(
        ["B103", "C103", "E103", "F103", "S103"])
    with pytest.raises(ValueError, match="没有名为"):
        write_synthetic(synthetic, tmp_path, forms=["999"])
    with pytest.raises(ValueError, match="不支持的格式"):
        write_synthetic(synthetic, tmp_path, formats=["dbf"])


def test_titles_and_labels():
    assert form_title("B103", "2024") == "2024年 工业企业财务状况"
    assert labels_for(["wages", "unknown"]) == {"wages": "从业人员工资总额", "unknown": "unknown"}


def test_xlsx_is_byte_identical_for_a_seed(synthetic, tmp_path):
    import time
    import zipfile

    write_synthetic(synthetic, tmp_path / "a", forms=["102", "census5"], formats=["xlsx"])
    time.sleep(1.1)  # xlsxwriter stamps the time to the second unless told otherwise
    write_synthetic(synthetic, tmp_path / "b", forms=["102", "census5"], formats=["xlsx"])
    for name in ("current/102.xlsx", "previous/102.xlsx", "current/census5.xlsx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    with zipfile.ZipFile(tmp_path / "a" / "current" / "102.xlsx") as z:
        core = z.read("docProps/core.xml").decode()
    assert "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2024-12-01T00:00:00Z</dcterms:created>" in core
