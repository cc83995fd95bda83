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

__all__ = ["EXCEL_SUFFIXES", "TEXT_SUFFIXES", "FileKind", "sniff"]

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
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "unknown"
    return "text"
