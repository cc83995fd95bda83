"""Encoding detection reads only the start; transcoding goes chunk by chunk."""

from __future__ import annotations

import builtins
import codecs

import pytest

from source_check import InputError
from source_check.io import encoding as enc_mod
from source_check.io.encoding import TextEncoding, detect_encoding, sample_text, transcode

TEXT = "统一社会信用代码,单位详细名称\r\n91310107MA1G00000Q,上海𠀀䶮（集团）有限公司\r\n" * 50


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("utf-16"), "utf-16"),
        (b"plain,ascii\n1,2\n", "utf-8"),
    ],
)
def test_detect(tmp_path, data, name):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert detect_encoding(path).name == name


def test_detection_reads_only_the_sample(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" * 10_000 + "上海".encode("gb18030"))
    monkeypatch.setattr(enc_mod, "SAMPLE_BYTES", 1024)
    reads: list[int] = []
    real_open = builtins.open

    class Spy:
        def __init__(self, fh):
            self.fh = fh

        def read(self, n=-1):
            reads.append(n)
            return self.fh.read(n)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    monkeypatch.setattr(type(path), "open", lambda self, mode="r", **kw: Spy(real_open(self, mode, **kw)))
    assert detect_encoding(path).name == "utf-8"  # the GB18030 bytes at the end were not read
    assert reads and all(0 < n <= 1024 for n in reads)


def test_transcode_across_chunk_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(enc_mod, "CHUNK_BYTES", 7)  # splits 2- and 4-byte GB18030 characters
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(TEXT.encode("gb18030"))
    transcode(src, TextEncoding("gb18030", ""), out)
    assert out.read_bytes().decode("utf-8") == TEXT


def test_transcode_names_the_line_of_a_bad_byte(tmp_path, monkeypatch):
    monkeypatch.setattr(enc_mod, "CHUNK_BYTES", 5)
    src = tmp_path / "in.csv"
    src.write_bytes("甲,1\n乙,2\n".encode("gb18030") + b"\xff,3\n")
    with pytest.raises(InputError) as err:
        transcode(src, TextEncoding("gb18030", ""), tmp_path / "out.csv")
    assert err.value.position is not None and err.value.position.line == 3
    assert err.value.message.startswith("第 3 行附近（第 11 字节）")


def test_sample_text_drops_a_cut_character(tmp_path, monkeypatch):
    monkeypatch.setattr(enc_mod, "SAMPLE_BYTES", 4)
    path = tmp_path / "f.csv"
    path.write_bytes("ab上海".encode())  # 'a' 'b' then 3-byte characters: the 4th byte cuts '上'
    assert sample_text(path, TextEncoding("utf-8", "")) == ("ab", False)


def test_utf16_without_bom(tmp_path):
    for codec in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{codec}.txt"
        path.write_bytes(("统一社会信用代码\t单位名称\n" * 40).encode(codec))
        assert detect_encoding(path) == TextEncoding(codec, f"文件中有大量 0 字节，按 {codec.upper()} 读取")


def test_charset_normalizer_is_the_last_resort(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(("Café, Müller, Señor\n" * 40).encode("cp1252"))
    enc = detect_encoding(path)
    assert enc.how.startswith("既不是 UTF-8 也不是 GB18030，推测为")
    assert "Café" in path.read_bytes().decode(enc.name)
