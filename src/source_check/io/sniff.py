"""What a file really is, from its first bytes rather than its name.

Systems that "export to Excel" often write HTML or tab-separated text under a ``.xls``
name, and a password-protected ``.xlsx`` is not a zip file but an OLE container. The
reader trusts the content, names the mismatch in the reading log, and refuses with a
clear message what it cannot read.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "export.xls"
>>> _ = p.write_text("<html><table><tr><td>1</td></tr></table></html>")
>>> sniff(p)
'html'
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Literal

__all__ = ["EXCEL_SUFFIXES", "TEXT_SUFFIXES", "FileKind", "sniff", "utf16_side"]

FileKind = Literal["xlsx", "ods", "xls", "encrypted", "parquet", "ipc", "html", "text", "empty", "unknown"]

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")

_OLE = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


def _zip_kind(path: Path) -> FileKind:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "mimetype" in names and b"opendocument" in zf.read("mimetype"):
                return "ods"
    except (zipfile.BadZipFile, OSError):
        return "xlsx"  # truncated or damaged: the Excel reader says so with the file name
    return "xlsx"


def _ole_kind(path: Path) -> FileKind:
    """An OLE container is an old .xls, or an encrypted (password-protected) .xlsx."""
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            if _ENCRYPTED in tail + chunk:
                return "encrypted"
            tail = chunk[-len(_ENCRYPTED):]
    return "xls"


def sniff(path: Path) -> FileKind:
    """The kind of file at ``path``, judged by content (and the name only for text)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if not head:
        return "empty"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith(_OLE):
        return _ole_kind(path)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"ARROW1", b"FEA1", b"\xff\xff\xff\xff")):
        return "ipc"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")) or b"<table" in stripped[:4096]:
        return "html"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")) and utf16_side(head) is None:
        return "unknown"
    return "text"


def utf16_side(head: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when zero bytes sit on one side of most pairs
    (UTF-16 text without a byte-order mark), else ``None``.

    Examples
    --------
    >>> utf16_side("名称,人数".encode("utf-16-le")), utf16_side(b"a,b")
    (None, None)
    >>> utf16_side("code,name".encode("utf-16-be"))
    'utf-16-be'
    """
    sample = head[: 1 << 12]
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even = sum(1 for i in range(0, 2 * pairs, 2) if sample[i] == 0)
    odd = sum(1 for i in range(1, 2 * pairs, 2) if sample[i] == 0)
    # Delimiters, line ends, digits and Latin letters have a zero byte in UTF-16; text
    # in any other encoding has none
    # (and so has a CJK character at U+xx00, such as 一, on the other side, but rarely).
    low = max(2, pairs // 20)
    if odd >= low and odd >= 2 * even:
        return "utf-16-le"
    if even >= low and even >= 2 * odd:
        return "utf-16-be"
    return None
