"""One file's table before mapping: Excel, text and columnar sources, and their header.

Each reader here returns a :class:`RawTable`: the file's cells as text columns named by
Excel letter (or, for parquet and Arrow, by column name), the row number a person sees,
the header found and the columns it maps, and the reading events so far. Mapping,
cleaning and skipping rows happen in :mod:`.assemble`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from ..errors import InputError, Position
from ..pack.model import Pack
from ..pack.schema import FieldSpec
from .excel import Workbook
from .headers import FieldMatcher, HeaderLayout, detect_header, map_names
from .log import ReadEvent, column_letter, row_ranges
from .merges import merged_ranges
from .sniff import EXCEL_SUFFIXES
from .text import ROW, TextSource

__all__ = [
    "Options", "RawTable", "Utf8Broken", "form_fields", "format_notes", "from_columnar", "from_excel", "from_text",
]

_EXCEL_ERRORS = {"Div0": "#DIV/0!", "NA": "#N/A", "Ref": "#REF!", "Value": "#VALUE!", "Name": "#NAME?",
                 "Num": "#NUM!", "Null": "#NULL!", "GettingData": "#GETTING_DATA"}


_FORMAT_NAMES = {"xls": ".xls（Excel 97–2003）", "ods": ".ods（OpenDocument）", "xlsx": ".xlsb"}


@dataclass(frozen=True)
class Options:
    """What the caller asked for, and the fields one file may hold."""

    group: str | None
    group_from_filename: str | None
    sheet: str | None
    encoding: str | None
    fields: Mapping[str, FieldSpec]  # the fields this file may hold (one form of a multi-form pack)


def _form_fields(pack: Pack, form: str | None) -> dict[str, FieldSpec]:
    if form is None or not pack.forms:
        return dict(pack.fields)
    if form not in pack.forms:
        raise InputError(f"规则包 {pack.id} 没有报表“{form}”（有：{'、'.join(pack.forms)}）(no such form)")
    return {f: pack.fields[f] for f in dict.fromkeys([*pack.key, *pack.form_fields(form)])}


def form_fields(pack: Pack, form: str | None) -> dict[str, FieldSpec]:
    """The fields a file may hold: all of them, or one form's (and the key) in a multi-form pack."""
    if form is None or not pack.forms:
        return dict(pack.fields)
    if form not in pack.forms:
        raise InputError(f"规则包 {pack.id} 没有报表“{form}”（有：{'、'.join(pack.forms)}）(no such form)")
    return {f: pack.fields[f] for f in dict.fromkeys([*pack.key, *pack.form_fields(form)])}


@dataclass
class RawTable:
    """One file's table before mapping: source columns (text) plus :data:`ROW`."""

    frame: pl.LazyFrame
    columns: list[str]
    headers: dict[str, str]
    fields: dict[str, str]
    duplicates: dict[str, str] = field(default_factory=dict)
    data_start: int | None = None
    sheet: str | None = None
    excel: bool = False
    events: list[ReadEvent] = field(default_factory=list)
    text: TextSource | None = None  # the text file scanned, to locate a record polars cannot read


class Utf8Broken(Exception):
    """The file started as UTF-8 but is not UTF-8 further on."""


def format_notes(path: Path, kind: str, opts: Options, sheet: str | None) -> tuple[list[ReadEvent], list[ReadEvent]]:
    """Events to put before (a name that does not fit the content) and after (options
    that do not apply) a file's own reading events."""
    file, suffix = str(path), path.suffix.lower()
    before: list[ReadEvent] = []
    after: list[ReadEvent] = []
    workbook = kind in ("xlsx", "xls", "ods")
    if kind == "text" and suffix in EXCEL_SUFFIXES:
        before.append(ReadEvent(file, "format", f"扩展名为 {suffix}，但内容是文本表格，按文本读取", level="warning"))
    elif workbook and suffix not in EXCEL_SUFFIXES:
        before.append(ReadEvent(file, "format", f"扩展名为 {suffix or '（无）'}，但内容是 Excel 工作簿，按工作簿读取",
                                level="warning"))
    if opts.sheet is not None and not workbook:
        after.append(ReadEvent(file, "option", "--sheet 只适用于 Excel 工作簿，已忽略"))
    if opts.encoding is not None and kind != "text":
        after.append(ReadEvent(file, "option", "--encoding 只适用于文本（CSV）文件，已忽略", sheet=sheet))
    return before, after


def from_excel(path: Path, kind: str, matcher: FieldMatcher, pack: Pack, opts: Options) -> RawTable:
    file = str(path)
    book = Workbook.open(path, kind)
    names = book.sheet_names
    if opts.sheet is not None:
        if opts.sheet in names:
            wanted = [opts.sheet]
        elif opts.sheet.isdigit() and 1 <= int(opts.sheet) <= len(names):
            wanted = [names[int(opts.sheet) - 1]]
        else:
            raise InputError(f"工作簿中没有工作表“{opts.sheet}”（现有：{'、'.join(names)}）(no such sheet)",
                             Position(file))
    else:
        wanted = names
    min_matches = min(2, len(opts.fields))
    found: list[tuple[tuple[int, bool, int], str, list[list[str | None]], list[str], HeaderLayout]] = []
    for i, name in enumerate(wanted):
        rows, letters, visible = book.head(name)
        layout = detect_header(rows, matcher, min_matches) if rows else None
        if layout is not None:
            found.append(((layout.score, visible, -i), name, rows, letters, layout))
    if not found:
        where = f"工作表“{wanted[0]}”" if opts.sheet is not None else f"各工作表（{'、'.join(names)}）"
        raise InputError(_no_header_message(pack, where), Position(file))
    found.sort(key=lambda x: x[0], reverse=True)
    (_, visible, _), name, rows, letters, layout = found[0]
    hidden = "" if visible else "，这是隐藏的工作表"
    events = [ReadEvent(file, "sheet", f"读取工作表“{name}”（表头对应 {layout.score} 个字段{hidden}）", sheet=name,
                        level="info" if visible else "warning")]
    for _, other, _, _, other_layout in found[1:]:
        events.append(ReadEvent(file, "sheet", f"工作表“{other}”也有对应的表头（{other_layout.score} 个字段），未读取；"
                                f"如需核查请用 --sheet 指定", sheet=name, level="warning"))
    numeric = [letters[c] for c, f in layout.fields.items() if pack.fields[f].type in ("int", "float")]
    codes = [letters[c] for c, f in layout.fields.items() if pack.fields[f].type == "str"]
    grid = book.load(name, numeric=numeric, codes=codes)
    if grid.errors:
        cells = [f"{col}{row} {_excel_error(detail)}" for row, col, detail in grid.errors[:20]]
        more = f"等 {len(grid.errors)} 个" if len(grid.errors) > 20 else ""
        events.append(ReadEvent(file, "cell_error", f"以下单元格是 Excel 错误值，按空值读取：{'、'.join(cells)}{more}",
                                sheet=name, ranges=row_ranges(r for r, _, _ in grid.errors), level="warning"))
    fields_by_letter = {letters[c]: f for c, f in layout.fields.items()}
    data, merge_events = _fill_merged(path, name, grid.frame, layout.data_start, fields_by_letter, pack)
    frame = data.lazy().with_row_index(ROW, offset=1)
    raw = _raw_from_layout(frame, grid.letters, rows, layout, file, name)
    raw.excel = True
    raw.events[:0] = events
    raw.events += merge_events
    if kind != "xlsx" or path.suffix.lower() == ".xlsb":
        # calamine (fastexcel) reports no merged cells for .xls/.xlsb/.ods: say so
        what = _FORMAT_NAMES.get(kind, kind)
        raw.events.append(ReadEvent(file, "merged", f"{what} 工作簿的合并单元格无法读取，未检查：数据区若有合并单元格"
                                    "（如街镇代码合并多行），只有第一行有值，其余行按空值读取", sheet=name))
    return raw


def _fill_merged(
    path: Path, sheet: str, frame: pl.DataFrame, data_start: int, fields: dict[str, str], pack: Pack
) -> tuple[pl.DataFrame, list[ReadEvent]]:
    """Fill a text field's value down the rows of a vertically merged cell (``.xlsx``).

    Only the merged cell's first row holds its value; a 街镇代码 merged over the rows of
    its units belongs to each of them. Numbers are not filled (a merged number may be a
    subtotal): the merge is named in the log instead.
    """
    file = str(path)
    merges = [m for m in merged_ranges(path, sheet) if m[2] > m[0] and m[0] >= data_start and m[0] < frame.height]
    fills: dict[str, list[str | None]] = {}
    filled: list[str] = []
    unfilled: list[str] = []
    for r1, c1, r2, c2 in merges:
        letter = column_letter(c1)
        fid = fields.get(letter)
        ref = f"{letter}{r1 + 1}:{column_letter(c2)}{r2 + 1}"
        if fid is None or letter not in frame.columns:
            continue
        value = frame[letter][r1]
        if pack.fields[fid].type != "str" or value is None:
            unfilled.append(ref)
            continue
        column = fills.setdefault(letter, [None] * frame.height)
        for r in range(r1 + 1, min(r2, frame.height - 1) + 1):
            column[r] = value
        filled.append(f"{ref}（{pack.label(fid)}“{value}”）")
    events = []
    if filled:
        more = f"等 {len(filled)} 处" if len(filled) > 10 else ""
        events.append(ReadEvent(file, "merged", f"合并单元格的值已填入所合并的各行：{'、'.join(filled[:10])}{more}",
                                sheet=sheet))
    if unfilled:
        more = f"等 {len(unfilled)} 处" if len(unfilled) > 10 else ""
        listed = "、".join(unfilled[:10])
        events.append(ReadEvent(file, "merged", f"合并单元格只有第一行有值，其余行按空值读取：{listed}{more}",
                                sheet=sheet, level="warning"))
    if fills:
        frame = frame.with_columns(
            pl.coalesce(pl.col(c), pl.Series(c, v, dtype=pl.String)).alias(c) for c, v in fills.items()
        )
    return frame, events


def _excel_error(detail: str) -> str:
    found = re.search(r"Error\((\w+)\)", detail)
    return _EXCEL_ERRORS.get(found.group(1), found.group(1)) if found else detail


def from_text(
    path: Path, matcher: FieldMatcher, pack: Pack, opts: Options, temp: Callable[[], Path],
    source: TextSource | None = None,
) -> RawTable:
    file = str(path)
    src = source or TextSource.open(path, opts.encoding, temp)
    level: Literal["info", "warning"] = "info" if src.encoding.name in ("utf-8", "utf-8-sig", "gb18030") else "warning"
    events = [ReadEvent(file, "encoding", f"编码 {src.encoding.name.upper()}（{src.encoding.how}）", level=level)]
    layout = detect_header(src.head, matcher, min(2, len(opts.fields)))
    if layout is None:
        raise InputError(_no_header_message(pack, "文件"), Position(file))
    raw = _raw_from_layout(src.scan(), src.letters, src.head, layout, file, None)
    raw.events[:0] = events
    raw.frame = raw.frame.with_columns(pl.col(ROW).cast(pl.Int64))
    raw.text = src
    return raw


def from_columnar(path: Path, kind: str, matcher: FieldMatcher) -> RawTable:
    file = str(path)
    stream = kind == "ipc" and not _has_ipc_footer(path)
    try:
        if stream:  # the Arrow IPC stream format (.arrows, write_ipc_stream): no footer, read whole
            lf = pl.read_ipc_stream(path).lazy()
        else:
            lf = pl.scan_parquet(path) if kind == "parquet" else pl.scan_ipc(path)
        names = list(lf.collect_schema().names())
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"无法读取 {kind} 文件 (cannot read {kind})：{first}", Position(file)) from None
    fields, dups = map_names(names, matcher)
    frame = lf.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    what = "Arrow IPC 流格式（stream）" if stream else kind
    events = [ReadEvent(file, "header", f"{what} 文件，按列名对应 {len(fields)} 个字段："
                        + "、".join(f"{names[c]}→{f}" for c, f in fields.items()))]
    return RawTable(
        frame, names, {n: n for n in names}, {names[c]: f for c, f in fields.items()},
        {names[c]: f for c, f in dups.items()}, None, None, False, events,
    )


def _has_ipc_footer(path: Path) -> bool:
    """Whether a file ends with the Arrow IPC *file* magic (``ARROW1``); the stream
    format (and a truncated file) does not."""
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 6))
        return fh.read(6) == b"ARROW1"


def _raw_from_layout(
    frame: pl.LazyFrame, letters: list[str], head: list[list[str | None]], layout: HeaderLayout, file: str,
    sheet: str | None,
) -> RawTable:
    events: list[ReadEvent] = []
    title_rows = [i + 1 for i in range(layout.first) if any(c not in (None, "") for c in head[i])]
    if title_rows:
        first_text = next(str(c).strip() for c in head[title_rows[0] - 1] if c not in (None, ""))
        events.append(ReadEvent(file, "title", f"表头之上的标题、说明行不作为数据（如“{first_text[:40]}”）",
                                sheet=sheet, ranges=row_ranges(title_rows)))
    named = sorted(layout.fields.items())
    mapped = [f"{letters[c]} {layout.headers.get(c, '')}→{f}" for c, f in named if layout.headers.get(c) != f]
    same = [letters[c] for c, f in named if layout.headers.get(c) == f]
    if same:
        mapped.append(f"{'、'.join(same)} 列名即字段名")
    first, last = layout.first + 1, layout.last + 1
    where = f"第 {first} 行" if first == last else f"第 {first}–{last} 行"
    events.append(ReadEvent(file, "header", f"表头在{where}，对应 {layout.score} 个字段：" + "；".join(mapped),
                            sheet=sheet, columns=tuple(letters[c] for c in sorted(layout.fields))))
    if layout.code_row is not None:
        events.append(ReadEvent(file, "code_row", "指标代码行（甲、乙、01…）不作为数据", sheet=sheet,
                                ranges=((layout.code_row + 1, layout.code_row + 1),)))
    for c, (label_field, code_field) in sorted(layout.conflicts.items()):
        events.append(ReadEvent(
            file, "conflict", f"{letters[c]} 列表头“{layout.headers.get(c, '')}”对应 {label_field}，"
            f"但指标代码对应 {code_field}；按表头对应 {label_field}，请核对", sheet=sheet, columns=(letters[c],),
            level="warning"))
    headers = {letters[c]: text for c, text in layout.headers.items() if c < len(letters)}
    return RawTable(
        frame,
        list(letters),
        headers,
        {letters[c]: f for c, f in layout.fields.items() if c < len(letters)},
        {letters[c]: f for c, f in layout.duplicates.items() if c < len(letters)},
        layout.data_start + 1,
        sheet,
        False,
        events,
    )


def _no_header_message(pack: Pack, where: str) -> str:
    names = [pack.label(f) for f in pack.fields][:6]
    return (f"{where}前 30 行中没有找到与规则包 {pack.id} 对应的表头；表头应包含如：{'、'.join(names)} 等 "
            f"(no header row matching pack {pack.id} in the first 30 rows)")
