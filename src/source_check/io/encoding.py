"""Text encodings of CSV files from Windows and elsewhere: detect, then transcode in chunks.

Order: an explicit ``encoding=`` wins (``gbk``, ``gb2312`` and ``cp936`` are read as
GB18030, their superset, so that rare characters in company names such as 𠀀 or 䶮 do
not fail); then a byte-order mark; then UTF-8 if the first megabyte decodes as UTF-8;
then GB18030 if it decodes as GB18030; then charset-normalizer's best guess. Only the
first :data:`SAMPLE_BYTES` are read to decide. polars' ``scan_csv`` reads UTF-8 only,
so other encodings are transcoded chunk by chunk to a temporary UTF-8 file; memory stays
bounded whatever the file size.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
>>> _ = p.write_bytes("名称,人数\\n䶮𠀀有限公司,3\\n".encode("gb18030"))
>>> enc = detect_encoding(p)
>>> enc.name, enc.how
('gb18030', '文件开头不是有效的 UTF-8，按 GB18030 解码成功')
>>> out = p.with_suffix(".utf8.csv")
>>> transcode(p, enc, out)
>>> out.read_text(encoding="utf-8").splitlines()[1]
'䶮𠀀有限公司,3'
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Position
from .sniff import utf16_side

__all__ = [
    "CHUNK_BYTES", "SAMPLE_BYTES", "TextEncoding", "detect_encoding", "head_is_ascii", "sample_text", "transcode",
]

#: Bytes read from the start of a file to decide its encoding and find its header.
SAMPLE_BYTES = 1 << 20
#: Bytes decoded at a time when transcoding.
CHUNK_BYTES = 8 << 20

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_GB_FAMILY = {"gbk", "gb2312", "cp936", "gb18030", "euc_cn", "hz"}


@dataclass(frozen=True)
class TextEncoding:
    """The encoding chosen for a text file and why (in Chinese, for the reading log)."""

    name: str
    how: str
    suspect: bool = False

    @property
    def is_utf8(self) -> bool:
        """Clean UTF-8 (with or without BOM): polars reads it directly, no transcoding."""
        return self.name in ("utf-8", "utf-8-sig") and not self.suspect


def _decodes(data: bytes, encoding: str, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(data, final)
    except UnicodeDecodeError:
        return False
    return True


def _errors(data: bytes, encoding: str, final: bool) -> int:
    text = codecs.getincrementaldecoder(encoding)("replace").decode(data, final)
    return text.count("\ufffd")


def _codec(name: str, file: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError(f"不认识的编码“{name}”（unknown encoding），可用如 utf-8、gb18030", Position(file)) from None


def detect_encoding(path: Path, explicit: str | None = None) -> TextEncoding:
    """Choose the encoding of a text file from at most its first :data:`SAMPLE_BYTES`."""
    file = str(path)
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
        final = not fh.read(1)
    if explicit:
        name = _codec(explicit, file)
        if name in _GB_FAMILY and name != "gb18030":
            return TextEncoding("gb18030", f"指定编码 {explicit}，按其超集 GB18030 读取")
        if name == "utf-8" and head.startswith(codecs.BOM_UTF8):
            name = "utf-8-sig"
        if name in ("utf-16", "utf-32") and not any(head.startswith(b) for b, n in _BOMS if n == name):
            side = utf16_side(head) if name == "utf-16" else None
            if side is None:
                raise InputError(f"指定编码 {explicit}，但文件开头没有字节顺序标记（BOM）；"
                                 f"请指定 {name}-le 或 {name}-be (no byte-order mark: pass {name}-le or {name}-be)",
                                 Position(file))
            return TextEncoding(side, f"指定编码 {explicit}，文件没有字节顺序标记，按 {side.upper()} 读取")
        return TextEncoding(name, f"指定编码 {explicit}")
    for bom, name in _BOMS:
        if head.startswith(bom):
            return TextEncoding(name, f"按字节顺序标记（BOM）识别为 {name.upper().removesuffix('-SIG')}")
    side = utf16_side(head)
    if side is not None:
        return TextEncoding(side, f"文件中有大量 0 字节，按 {side.upper()} 读取")
    if _decodes(head, "utf-8", final):
        return TextEncoding("utf-8", "文件开头是有效的 UTF-8")
    if _decodes(head, "gb18030", final):
        return TextEncoding("gb18030", "文件开头不是有效的 UTF-8，按 GB18030 解码成功")
    # A few bad bytes in an otherwise UTF-8 or GB18030 file: keep that encoding, so that
    # transcoding stops at the bad bytes and names their line, rather than guessing.
    wide = sum(1 for b in head if b >= 0x80) or 1
    for name in ("utf-8", "gb18030"):
        bad = _errors(head, name, final)
        if bad <= max(2, wide // 100):
            return TextEncoding(name, f"文件开头基本是 {name.upper()}，但有 {bad} 处不能解码", suspect=True)
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is not None and best.encoding:
        return TextEncoding(_codec(best.encoding, file), f"既不是 UTF-8 也不是 GB18030，推测为 {best.encoding}")
    raise InputError(
        "无法识别文件的文字编码（既不是 UTF-8 也不是 GB18030）；请用 --encoding 指定 "
        "(cannot detect the text encoding; pass --encoding)",
        Position(file),
    )


def sample_text(path: Path, encoding: TextEncoding) -> tuple[str, bool]:
    """The decoded start of a file (BOM removed) and whether it is the whole file."""
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
        complete = not fh.read(1)
    decoder = codecs.getincrementaldecoder(encoding.name)("replace")
    try:
        text = decoder.decode(head, complete)
    except UnicodeError as exc:  # UTF-16/32 without a byte-order mark
        raise InputError(f"不能按编码 {encoding.name.upper()} 读取：{exc} (cannot decode as {encoding.name})",
                         Position(str(path))) from None
    return text.removeprefix("\ufeff"), complete


def head_is_ascii(path: Path) -> bool:
    """Whether the first :data:`SAMPLE_BYTES` of a file are plain ASCII (no evidence of
    UTF-8 or of any other encoding)."""
    with path.open("rb") as fh:
        return fh.read(SAMPLE_BYTES).isascii()


def transcode(path: Path, encoding: TextEncoding, dest: Path | None) -> None:
    """Write ``path`` decoded from ``encoding`` to ``dest`` as UTF-8, a chunk at a time
    (``dest=None``: only check that the whole file decodes).

    Raises :class:`InputError` naming the line and byte of the first bytes that do not
    decode.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_bytes("名称\\n甲\\n".encode() + b"\\xe4\\xb8\\n")
    >>> try:
    ...     transcode(p, TextEncoding("utf-8", ""), None)
    ... except InputError as exc:
    ...     print(exc.position.line, exc.message.split("；")[0])
    3 第 3 行附近（第 12 字节）有不能按 UTF-8 解码的内容
    """
    decoder = codecs.getincrementaldecoder(encoding.name)("strict")
    lines = 0
    offset = 0
    with path.open("rb") as src, (dest.open("wb") if dest is not None else open(os.devnull, "wb")) as out:
        while True:
            chunk = src.read(CHUNK_BYTES)
            final = not chunk
            try:
                text = decoder.decode(chunk, final)
            except UnicodeDecodeError as exc:
                start = max(0, min(exc.start, len(chunk)))
                line = lines + chunk[:start].count(b"\n") + 1
                raise InputError(
                    f"第 {line} 行附近（第 {offset + start + 1} 字节）有不能按 {encoding.name.upper()} 解码的内容；"
                    f"请确认文件编码或用 --encoding 指定 (bytes that do not decode as {encoding.name})",
                    Position(str(path), line),
                ) from None
            except UnicodeError as exc:  # UTF-16/32 without a byte-order mark
                raise InputError(f"不能按编码 {encoding.name.upper()} 读取：{exc} (cannot decode as {encoding.name})",
                                 Position(str(path))) from None
            if dest is not None:
                out.write(text.removeprefix("\ufeff").encode("utf-8") if offset == 0 else text.encode("utf-8"))
            lines += chunk.count(b"\n")
            offset += len(chunk)
            if final:
                break
