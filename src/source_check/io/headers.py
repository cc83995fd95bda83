"""Find the header in the first rows of a sheet and map its columns onto a pack's fields.

Pure functions over a few rows of text: no files, no polars. A header cell matches a
field by, in this order, the exact field id, label, 指标代码 or alias; then by
normalised text (NFKC, no whitespace, no leading ``其中：``, no ``*`` marks); then
without a trailing unit such as ``（千元）``; then without a leading code such as
``01.``. A header may span up to three rows (merged group cells above their columns,
whose text is tried on its own and joined with the cells below); within the header a
cell that is exactly a 指标代码 (``01``) names its column when no label did; and the
header may be followed by a row of 指标代码 (``甲 乙 01 02 …``) that maps the columns
still open.

Examples
--------
>>> from source_check.pack.schema import FieldSpec
>>> m = FieldMatcher.from_fields({
...     "credit_code": FieldSpec(label="统一社会信用代码"),
...     "emp_female": FieldSpec(label="其中：女性", code="02"),
...     "wages": FieldSpec(label="从业人员工资总额", code="12", aliases=["工资总额"]),
... })
>>> m.match("其中:女性"), m.match(" 从业人员工资总额（千元）"), m.match("备注")
('emp_female', 'wages', None)
>>> rows = [["2024年12月 从业人员及工资总额"], ["单位：人、千元"],
...         ["统一社会信用代码", "其中：女性", "工资总额"], ["甲", "02", "12"], ["9131…", "3", "1200"]]
>>> layout = detect_header(rows, m)
>>> layout.first, layout.last, layout.code_row, layout.data_start, layout.fields
(2, 2, 3, 4, {0: 'credit_code', 1: 'emp_female', 2: 'wages'})
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..pack.schema import FieldSpec

__all__ = [
    "HEAD_ROWS",
    "FieldMatcher",
    "HeaderLayout",
    "closest_headers",
    "detect_header",
    "map_names",
    "normalise_label",
]

#: How many rows from the top of a sheet are searched for the header.
HEAD_ROWS = 30

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACE = re.compile(r"\s+")
_QIZHONG = re.compile(r"^其中[:：]?")
_MARKS = "*★※#"
_UNIT_SUFFIX = re.compile(r"[(\[【〔][^()\[\]【】〔〕]{0,16}[)\]】〕]$")
_CODE_PREFIX = re.compile(r"^\d{1,3}[.、:]?(?=\D)")
_CODE_TOKEN = re.compile(r"[甲乙丙丁戊己庚辛壬癸]|[A-Za-z]?\d{1,4}|[A-Za-z]|[-—－]")
_CODE_ROW_LABELS = {"栏次", "代码", "指标代码", "行次", "序号", "列次"}
_STEMS = set("甲乙丙丁戊己庚辛壬癸")


def normalise_label(text: str) -> str:
    """A header as compared: NFKC, no whitespace or zero-width characters, no leading
    ``其中：``, no ``*`` marks, lower case.

    Examples
    --------
    >>> normalise_label(" 其中：女性 "), normalise_label("从业人员\\n期末人数*"), normalise_label("ＡＢＣ")
    ('女性', '从业人员期末人数', 'abc')
    """
    s = unicodedata.normalize("NFKC", text)
    s = _SPACE.sub("", _ZERO_WIDTH.sub("", s)).strip(_MARKS)
    s = _QIZHONG.sub("", s)
    return s.lower()


def _without_unit(s: str) -> str:
    return _UNIT_SUFFIX.sub("", s)


def _without_code(s: str) -> str:
    return _CODE_PREFIX.sub("", s)


def _clean(text: object) -> str:
    if text is None:
        return ""
    return _ZERO_WIDTH.sub("", str(text)).strip()


@dataclass(frozen=True)
class FieldMatcher:
    """How header text maps to field ids, built once per pack.

    ``levels`` are the normalised lookups tried in order after the exact one; a
    normalised text that two fields share maps to nothing (ambiguous), so only an exact
    header can choose between them.
    """

    exact: Mapping[str, str]
    codes: Mapping[str, str]
    levels: tuple[Mapping[str, str | None], ...]
    names: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_fields(cls, fields: Mapping[str, FieldSpec]) -> FieldMatcher:
        exact: dict[str, str] = {}
        codes: dict[str, str] = {}
        names: dict[str, tuple[str, ...]] = {}
        for fid, spec in fields.items():
            own = (fid, *([spec.label] if spec.label else []), *spec.aliases)
            names[fid] = own
            for t in own:
                exact.setdefault(t.strip(), fid)
            if spec.code:
                codes.setdefault(spec.code.strip(), fid)
        transforms = (lambda s: s, _without_unit, lambda s: _without_code(_without_unit(s)))
        levels: list[dict[str, str | None]] = []
        for transform in transforms:
            level: dict[str, str | None] = {}
            for fid, all_names in names.items():
                for t in all_names:
                    key = transform(normalise_label(t))
                    if not key:
                        continue
                    if key in level and level[key] != fid:
                        level[key] = None  # ambiguous at this level
                    else:
                        level[key] = fid
            levels.append(level)
        return cls(exact, codes, tuple(levels), names)

    def match(self, text: object) -> str | None:
        """The field a header cell names, or ``None``.

        A bare 指标代码 (``12``) is not a name here: data rows are full of such numbers.
        Codes map columns through a row of codes under the header (:func:`detect_header`)
        or as column names (:func:`map_names`).
        """
        raw = _clean(text)
        if not raw:
            return None
        if raw in self.exact:
            return self.exact[raw]
        base = normalise_label(raw)
        keys = (base, _without_unit(base), _without_code(_without_unit(base)))
        for key, level in zip(keys, self.levels, strict=True):
            if key and level.get(key):
                return level[key]
        return None

    def match_code(self, text: object, *, loose: bool = False) -> str | None:
        """The field whose 指标代码 is ``text``; ``loose``: ``"1"`` also finds ``"01"``
        (a row of codes typed as numbers, under a header of labels)."""
        raw = unicodedata.normalize("NFKC", _clean(text))
        if not raw:
            return None
        if raw in self.codes:
            return self.codes[raw]
        if loose and raw.isdigit():
            for code, fid in self.codes.items():
                if code.isdigit() and int(code) == int(raw):
                    return fid
        return None


@dataclass(frozen=True)
class HeaderLayout:
    """Where the header is and what each column is.

    Row indices are 0-based positions in the rows given to :func:`detect_header`.
    """

    first: int
    last: int
    code_row: int | None
    data_start: int
    fields: dict[int, str]
    headers: dict[int, str]
    duplicates: dict[int, str] = field(default_factory=dict)
    conflicts: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def score(self) -> int:
        """How many distinct fields the header names."""
        return len(set(self.fields.values()))


def _pad(row: Sequence[object], width: int) -> list[str]:
    cells = [_clean(c) for c in row]
    return cells + [""] * (width - len(cells))


def _ffill(row: list[str]) -> list[str]:
    out: list[str] = []
    last = ""
    for cell in row:
        last = cell or last
        out.append(last)
    return out


def _match_block(
    block: list[list[str]], matcher: FieldMatcher
) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    depth = len(block)
    filled = [_ffill(r) for r in block[:-1]] + [block[-1]]
    width = len(block[0])
    fields: dict[int, str] = {}
    headers: dict[int, str] = {}
    duplicates: dict[int, str] = {}
    taken: set[str] = set()
    for c in range(width):
        own = [block[i][c] for i in reversed(range(depth)) if block[i][c]]
        candidates = list(own)
        for start in range(depth - 1):
            joined = "".join(filled[i][c] for i in range(start, depth) if filled[i][c])
            if joined and joined not in candidates:
                candidates.append(joined)
        if own:
            headers[c] = own[0]
        elif depth > 1 and any(filled[i][c] for i in range(depth - 1)):
            headers[c] = next(filled[i][c] for i in reversed(range(depth - 1)) if filled[i][c])
        for text in candidates:
            fid = matcher.match(text)
            if fid is None:
                continue
            if fid in taken:
                duplicates[c] = fid
            else:
                fields[c] = fid
                taken.add(fid)
            break
    return fields, headers, duplicates


def _is_code_row(row: list[str], matcher: FieldMatcher, *, loose: bool) -> bool:
    """A row of 指标代码: short code-like tokens, numbers in increasing order (codes are
    listed in order; a data row of small numbers rarely is), and codes of the pack —
    two of them unless the row also has 甲/乙 or zero-padded codes."""
    tokens = [unicodedata.normalize("NFKC", c) for c in row if c]
    if not tokens or not all(_CODE_TOKEN.fullmatch(t) or t in _CODE_ROW_LABELS for t in tokens):
        return False
    numbers = [int(t) for t in tokens if t.isdigit()]
    if any(b <= a for a, b in itertools.pairwise(numbers)):
        return False
    matched = {matcher.match_code(t, loose=loose) for t in tokens} - {None}
    marked = any(t in _STEMS or (t.isdigit() and t.startswith("0")) for t in tokens)
    return len(matched) >= (1 if marked else 2)


def detect_header(
    rows: Sequence[Sequence[object]], matcher: FieldMatcher, min_matches: int = 1
) -> HeaderLayout | None:
    """Find the header among ``rows`` (the first :data:`HEAD_ROWS` rows of a sheet).

    The header is the block of one to three consecutive rows whose cells name the most
    distinct fields (ties: the fewest rows, then the highest). Within it, a cell that is
    exactly a field's 指标代码 (``01``) maps its column when the labels did not. A row of
    指标代码 right under it is recognised and maps columns still open. When no row names
    ``min_matches`` fields by label, a row of 指标代码 alone may serve as the header.
    Returns ``None`` when nothing matches.
    """
    rows = list(rows)[:HEAD_ROWS]
    if not rows:
        return None
    width = max(len(r) for r in rows)
    grid = [_pad(r, width) for r in rows]
    best: tuple[tuple[int, int, int], HeaderLayout] | None = None
    for r in range(len(grid)):
        if not any(grid[r]):
            continue
        for depth in (1, 2, 3):
            if r + depth > len(grid) or not any(grid[r + depth - 1]):
                break
            fields, headers, dups = _match_block(grid[r : r + depth], matcher)
            score = len(fields)
            if score == 0:
                continue
            key = (score, -depth, -r)
            if best is None or key > best[0]:
                last = r + depth - 1
                best = (key, HeaderLayout(r, last, None, last + 1, fields, headers, dups))
    if best is not None:
        layout = _with_header_codes(best[1], grid, matcher)
        if layout.score >= min_matches:
            return _with_code_row(layout, grid, matcher)
    for r, row in enumerate(grid):  # a header of 指标代码 only
        if _is_code_row(row, matcher, loose=False):
            fields = {}
            for c, cell in enumerate(row):
                fid = matcher.match_code(cell)
                if fid is not None and fid not in fields.values():
                    fields[c] = fid
            if len(fields) >= min_matches:
                headers = {c: cell for c, cell in enumerate(row) if cell}
                return HeaderLayout(r, r, r, r + 1, fields, headers)
    return None


def _place(fields: dict[int, str], duplicates: dict[int, str], column: int, fid: str) -> None:
    """Column ``column`` maps field ``fid``: the first such column is the field's, later ones duplicates."""
    if fid in fields.values():
        duplicates[column] = fid
    else:
        fields[column] = fid

def _with_header_codes(layout: HeaderLayout, grid: list[list[str]], matcher: FieldMatcher) -> HeaderLayout:
    """Map the columns the labels left open whose header cell is a pack 指标代码 exactly
    (``统一社会信用代码,街镇代码,01,02,08,12``, as 联网直报 exports write it)."""
    fields = dict(layout.fields)
    duplicates = dict(layout.duplicates)
    for c in range(len(grid[layout.last])):
        if c in fields or c in duplicates:
            continue
        cells = [grid[r][c] for r in reversed(range(layout.first, layout.last + 1)) if grid[r][c]]
        fid = matcher.match_code(cells[0]) if cells else None
        if fid is None:
            continue
        _place(fields, duplicates, c, fid)
    if fields == layout.fields and duplicates == layout.duplicates:
        return layout
    return HeaderLayout(layout.first, layout.last, layout.code_row, layout.data_start, fields, layout.headers,
                        duplicates, layout.conflicts)


def _with_code_row(layout: HeaderLayout, grid: list[list[str]], matcher: FieldMatcher) -> HeaderLayout:
    below = layout.last + 1
    if below >= len(grid) or not _is_code_row(grid[below], matcher, loose=True):
        return layout
    fields = dict(layout.fields)
    conflicts: dict[int, tuple[str, str]] = {}
    for c, cell in enumerate(grid[below]):
        fid = matcher.match_code(cell, loose=True)
        if fid is None:
            continue
        if c in fields:
            if fields[c] != fid:
                conflicts[c] = (fields[c], fid)
        elif fid not in fields.values():
            fields[c] = fid
    return HeaderLayout(layout.first, layout.last, below, below + 1, fields, layout.headers,
                        layout.duplicates, conflicts)


def map_names(names: Sequence[str], matcher: FieldMatcher) -> tuple[dict[int, str], dict[int, str]]:
    """Map column names (of a parquet file or a frame) to fields: ``(fields, duplicates)``.

    Unlike a header row found among data rows, a column name may also be a 指标代码.
    """
    fields: dict[int, str] = {}
    duplicates: dict[int, str] = {}
    for i, name in enumerate(names):
        fid = matcher.match(name) or matcher.match_code(name)
        if fid is None:
            continue
        _place(fields, duplicates, i, fid)
    return fields, duplicates


def closest_headers(field_id: str, headers: Sequence[str], matcher: FieldMatcher, n: int = 2) -> list[str]:
    """The unmapped headers most like a field's names (for a "missing field" message).

    Examples
    --------
    >>> m = FieldMatcher.from_fields({"credit_code": FieldSpec(label="统一社会信用代码")})
    >>> closest_headers("credit_code", ["备注", "信用代码", "名称"], m)
    ['信用代码']
    """
    names = [normalise_label(t) for t in matcher.names.get(field_id, (field_id,))]
    scored: list[tuple[float, str]] = []
    for header in headers:
        h = normalise_label(header)
        if not h:
            continue
        ratio = max(difflib.SequenceMatcher(None, h, name).ratio() for name in names)
        if ratio >= 0.6:
            scored.append((ratio, header))
    scored.sort(key=lambda x: -x[0])
    return [h for _, h in scored[:n]]
