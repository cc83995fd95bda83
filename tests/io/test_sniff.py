"""What a file is, by content."""

from __future__ import annotations

import polars as pl
import pytest

from source_check.io.sniff import sniff


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"", "empty"),
        (b"a,b\n1,2\n", "text"),
        ("名称\t人数\n".encode("utf-16"), "text"),
        (b"<!DOCTYPE html><html>", "html"),
        (b"\xef\xbb\xbf  <table><tr>", "html"),
        (b"<?xml version='1.0'?><Workbook>", "html"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 100, "xls"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 100 + "EncryptedPackage".encode("utf-16-le"), "encrypted"),
        (b"PK\x03\x04broken zip", "xlsx"),
        (b"\x00\x00\x00\x07\x01\x02", "unknown"),
        ("名称\t人数\n".encode("utf-16-le") * 20, "text"),  # UTF-16 without BOM
    ],
)
def test_sniff_bytes(tmp_path, content, kind):
    path = tmp_path / "f.bin"
    path.write_bytes(content)
    assert sniff(path) == kind


def test_sniff_real_files(tmp_path, xlsx):
    df = pl.DataFrame({"a": [1]})
    df.write_parquet(tmp_path / "a.parquet")
    df.write_ipc(tmp_path / "a.arrow")
    assert sniff(tmp_path / "a.parquet") == "parquet"
    assert sniff(tmp_path / "a.arrow") == "ipc"
    assert sniff(xlsx({"S": {"rows": [["a"]]}})) == "xlsx"


def test_encrypted_marker_found_beyond_the_first_megabyte(tmp_path):
    path = tmp_path / "p.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * (1 << 20) + "EncryptedPackage".encode("utf-16-le"))
    assert sniff(path) == "encrypted"
