"""Merged cells of an .xlsx sheet, read from the workbook's XML (calamine does not report them).

A hand-made sheet often merges one 街镇 code or 报告期 over the rows of all its units;
calamine then gives the value in the first row only and leaves the others empty. The
reader fills such a value down (text fields only) and names the merge in the reading log.
Only ``.xlsx``/``.xlsm`` files (zip + XML) are looked at; other formats report nothing.

Examples
--------
>>> import tempfile, pathlib, xlsxwriter
>>> p = pathlib.Path(tempfile.mkdtemp()) / "m.xlsx"
>>> wb = xlsxwriter.Workbook(p); ws = wb.add_worksheet("数据")
>>> ws.merge_range("C5:C9", "310107005")
0
>>> wb.close()
>>> merged_ranges(p, "数据")
[(4, 2, 8, 2)]
>>> cell_range("AA10:AB12")
(9, 26, 11, 27)
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

__all__ = ["cell_range", "merged_ranges"]

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')
_CELL = re.compile(r"([A-Z]+)([0-9]+)")


def _cell(ref: str) -> tuple[int, int]:
    found = _CELL.fullmatch(ref)
    if found is None:
        raise ValueError(ref)
    col = 0
    for ch in found.group(1):
        col = col * 26 + ord(ch) - ord("A") + 1
    return int(found.group(2)) - 1, col - 1


def cell_range(ref: str) -> tuple[int, int, int, int]:
    """``"A5:C9"`` as 0-based ``(first row, first column, last row, last column)``."""
    first, _, last = ref.partition(":")
    r1, c1 = _cell(first)
    r2, c2 = _cell(last or first)
    return r1, c1, r2, c2


def _sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rel_id = None
    for node in book.iter(f"{_MAIN}sheet"):
        if node.get("name") == sheet:
            rel_id = node.get(f"{_REL}id")
    if rel_id is None:
        return None
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for node in rels:
        if node.get("Id") == rel_id:
            target = node.get("Target") or ""
            return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return None


def merged_ranges(path: Path, sheet: str) -> list[tuple[int, int, int, int]]:
    """The merged ranges of one sheet of an .xlsx file (empty when unknown)."""
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_part(zf, sheet)
            if part is None:
                return []
            found: list[tuple[int, int, int, int]] = []
            tail = b""
            with zf.open(part) as fh:  # streamed: sheet XML can be large, merges come last
                while chunk := fh.read(1 << 20):
                    data = tail + chunk
                    cut = data.rfind(b"<")
                    head, tail = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
                    found += [cell_range(m.decode()) for m in _MERGE.findall(head)]
                found += [cell_range(m.decode()) for m in _MERGE.findall(tail)]
            return found
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError, OSError):
        return []
