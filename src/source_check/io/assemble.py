"""From a file's raw table to records: map columns, clean values, skip rows, add provenance.

:func:`assemble` turns a :class:`~.source.RawTable` into the file's LazyFrame (one text
column per mapped field, unmapped columns under their header, ``source_file``,
``source_sheet``, ``source_row``), after one pass over the file that counts the rows
read and the rows skipped (blank, 合计, 说明) and names them in the reading log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..errors import InputError, Position
from ..pack.model import Pack
from ..pack.schema import FieldSpec
from .headers import FieldMatcher, closest_headers
from .log import ReadEvent
from .source import Options, RawTable, Utf8Broken
from .text import ROW
from .values import (
    blank_cell,
    clean_code,
    clean_date,
    clean_number,
    clean_text,
    na_both,
    null_if,
    number_as_code,
    skip_reason,
)

__all__ = ["PROVENANCE", "ColumnMap", "assemble", "describe_columns", "with_source_columns"]

#: Columns the reader adds to every record.
PROVENANCE = ("source_file", "source_sheet", "source_row")
_SKIP = "__skip"
_SKIP_TEXT = {
    "blank": ("skip_blank", "跳过空行"),
    "total": ("skip_total", "跳过合计行（合计、总计、小计）"),
    "note": ("skip_note", "跳过说明、落款行（说明、注、填表人等）"),
}
@dataclass(frozen=True)
class ColumnMap:
    """One source column: where, its header, and the field it became (``None``: kept unmapped)."""

    file: str
    sheet: str | None
    column: str
    header: str
    field: str | None
    name: str


def _is_code_field(pack: Pack, fid: str) -> bool:
    spec = pack.fields[fid]
    return bool(spec.format or spec.codelist or spec.pattern) or fid in pack.key or fid == pack.group


def _field_expr(pack: Pack, fid: str, x: pl.Expr, dtype: pl.DataType, excel: bool, dirty: bool = True) -> pl.Expr:
    """The field's text from a source column; ``dirty=False`` (a text column whose values the
    counting pass found to match no :func:`_dirty_pattern`) keeps only the empty/NA → null step."""
    spec = pack.fields[fid]
    na = pack.na_values
    if dtype != pl.String and dtype != pl.Null:
        if spec.type != "str":
            return x  # already typed (parquet, Arrow)
        if dtype.is_float():
            return number_as_code(x)  # 16 or more digits: scientific notation, named as Excel damage
        return x.cast(pl.String)
    if not dirty:
        return null_if(x.cast(pl.String), na_both(na))
    if spec.type in ("int", "float"):
        return clean_number(x, na)
    if spec.type == "date":
        return clean_date(x, na, excel=excel)
    if _is_code_field(pack, fid):
        return clean_code(x, na)
    return clean_text(x, na)


def _dirty_pattern(pack: Pack, fid: str, excel: bool) -> str | None:
    """A regex matching the values of a text column that the field's clean-up would change.

    Everything outside printable ASCII (spaces, full-width forms, zero-width characters),
    and: thousands separators for numbers, a ``.0`` ending for codes, a serial day number
    for dates from Excel. ``None``: no fast path (free text is only stripped anyway).
    """
    spec = pack.fields[fid]
    if spec.type in ("int", "float"):
        return r"[^\x21-\x7e]|[,']"
    if spec.type == "date":
        return r"[^\x21-\x7e]" + (r"|^\d{5}(?:\.0+)?$" if excel else "")
    if _is_code_field(pack, fid):
        return r"[^\x21-\x7e]|\.0+$"
    return None


def _group_value(pack: Pack, text: str) -> tuple[str, str]:
    """A group code from a code or a name (``曹杨`` → ``310107005``), and how it was found."""
    assert pack.group is not None
    t = text.strip()
    spec = pack.fields[pack.group]
    cl = pack.codelists.get(spec.codelist) if spec.codelist else None
    if cl is None or t in cl.codes:
        return t, t
    exact = [code for code, label in cl.labels.items() if label == t]
    near = [code for code, label in cl.labels.items() if t and (t in label or label in t)]
    for hits in (exact, near):
        if len(hits) == 1:
            return hits[0], f"{t} → {hits[0]}（{cl.labels[hits[0]]}）"
    return t, f"{t}（不在代码表 {cl.name} 中）"


def _group_column(raw: RawTable, path: Path, pack: Pack, opts: Options) -> tuple[pl.Expr | None, ReadEvent | None]:
    file = str(path)
    if opts.group is None and opts.group_from_filename is None:
        return None, None
    if pack.group is not None and pack.group not in opts.fields:
        return None, None  # a form of a multi-form pack that does not carry the group
    if pack.group is None:
        raise InputError(f"规则包 {pack.id} 没有街镇（group）字段，不能使用 --group/--group-from-filename",
                         Position(file))
    if pack.group in raw.fields.values():
        letter = next(c for c, f in raw.fields.items() if f == pack.group)
        return None, ReadEvent(file, "group", f"文件中已有{pack.label(pack.group)}列（{letter}），"
                               "未使用 --group/--group-from-filename", sheet=raw.sheet)
    if opts.group is not None:
        code, how = _group_value(pack, opts.group)
        event = ReadEvent(file, "group", f"{pack.label(pack.group)}取自 --group：{how}", sheet=raw.sheet)
        return pl.lit(code, dtype=pl.String), event
    assert opts.group_from_filename is not None
    try:
        found = re.search(opts.group_from_filename, path.name)
    except re.error as exc:
        raise InputError(f"--group-from-filename 的正则表达式有误：{exc}", Position(file)) from None
    if found is None:
        raise InputError(f"文件名“{path.name}”与 --group-from-filename 的正则“{opts.group_from_filename}”不匹配",
                         Position(file))
    code, how = _group_value(pack, found.group(1) if found.groups() else found.group(0))
    event = ReadEvent(file, "group", f"{pack.label(pack.group)}取自文件名：{how}", sheet=raw.sheet)
    return pl.lit(code, dtype=pl.String), event


def _require(raw: RawTable, path: Path, pack: Pack, fields: Mapping[str, FieldSpec], supplied: set[str]) -> None:
    present = set(raw.fields.values()) | supplied
    missing = [f for f, spec in fields.items() if spec.required and f not in present]
    if not missing:
        return
    unmapped = [h for c, h in raw.headers.items() if c not in raw.fields and h]
    matcher = FieldMatcher.from_fields(fields)
    parts = []
    for f in missing:
        near = closest_headers(f, unmapped, matcher)
        hint = f"（最接近的表头：{'、'.join(f'“{h}”' for h in near)}）" if near else ""
        parts.append(f"{pack.label(f)}（{f}）{hint}")
    tip = "；文件中没有街镇列时可用 --group 或 --group-from-filename 指定" if pack.group in missing else ""
    where = f"工作表“{raw.sheet}”" if raw.sheet else "文件"
    raise InputError(f"{where}缺少必填字段：{'、'.join(parts)}{tip} (missing required fields: {', '.join(missing)})",
                     Position(str(path)))


def _unique_name(header: str, letter: str, taken: set[str]) -> str:
    base = re.sub(r"\s+", "", header) or f"列{letter}"
    if base.startswith("__"):
        base = f"列{letter}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def assemble(
    raw: RawTable, path: Path, pack: Pack, opts: Options, notes: tuple[list[ReadEvent], list[ReadEvent]]
) -> tuple[pl.LazyFrame, int, int, list[ColumnMap], list[ReadEvent]]:
    file = str(path)
    events = [*notes[0], *raw.events, *notes[1]]
    group_expr, group_event = _group_column(raw, path, pack, opts)
    if group_event is not None:
        events.append(group_event)
    _require(raw, path, pack, opts.fields, {pack.group} if group_expr is not None and pack.group else set())

    schema = raw.frame.collect_schema()
    lf = raw.frame if raw.data_start is None else raw.frame.filter(pl.col(ROW) >= raw.data_start)
    key_names = [c for c, f in raw.fields.items() if f in pack.key]
    text_cols = {c for c in raw.columns if schema[c] in (pl.String, pl.Null)}
    skip = skip_reason([pl.col(c) for c in raw.columns], [pl.col(c) for c in key_names],
                       [c in text_cols for c in raw.columns], [c in text_cols for c in key_names])
    blank_headers = [c for c in raw.columns if c not in raw.fields and not raw.headers.get(c)]
    # text columns a clean-up may change: checked in the counting pass, so clean columns skip it
    dirty_checks = {c: p for c, f in raw.fields.items() if schema[c] == pl.String
                    and (p := _dirty_pattern(pack, f, raw.excel)) is not None}

    # one pass over the file: rows read, rows skipped (blank, 合计, 说明), empty unnamed columns
    marked = lf.select(pl.col(ROW).cast(pl.Int64).alias("source_row"), skip.alias(_SKIP),
                       *[pl.col(c) for c in {*blank_headers, *dirty_checks}])
    skipped_q = (
        marked.filter(pl.col(_SKIP).is_not_null()).select(_SKIP, "source_row").sort("source_row")
        .with_columns((pl.col("source_row") - pl.int_range(pl.len()).over(_SKIP)).alias("__run"))
        .group_by(_SKIP, "__run").agg(pl.col("source_row").min().alias("first"),
                                      pl.col("source_row").max().alias("last"))
        .sort("first")
    )
    kept_q = marked.filter(pl.col(_SKIP).is_null()).select(
        pl.len().alias("__rows"), *[(~blank_cell(pl.col(c))).sum().alias(f"__filled__{c}") for c in blank_headers],
        *[pl.col(c).str.contains(p).any().alias(f"__dirty__{c}") for c, p in dirty_checks.items()],
    )
    try:
        skipped_df, kept_df = pl.collect_all([skipped_q, kept_q])
    except pl.exceptions.PolarsError as exc:
        text = str(exc)
        if "utf-8" in text.lower() or "utf8" in text.lower():
            raise Utf8Broken from None
        if raw.text is not None:
            where, line = raw.text.locate_error(text)
            if line:
                raise InputError(f"{where} (a record cannot be split into the columns of the header)",
                                 Position(file, line)) from None
            if "more fields" in text:
                where = "有的行字段数多于文件开头各行（可能有未加引号的逗号），无法按列读取"
            raise InputError(f"读取失败 (cannot read)：{where}", Position(file)) from None
        raise InputError(f"读取失败 (cannot read)：{text.splitlines()[0] if text else type(exc).__name__}",
                         Position(file)) from None

    taken = set(pack.fields) | set(PROVENANCE)
    exprs: list[pl.Expr] = []
    columns: list[ColumnMap] = []
    unmapped: dict[str, str] = {}
    for col in raw.columns:
        header = raw.headers.get(col, "")
        fid = raw.fields.get(col)
        if fid is not None:
            dirty = col not in dirty_checks or bool(kept_df[f"__dirty__{col}"][0])
            exprs.append(_field_expr(pack, fid, pl.col(col), schema[col], raw.excel, dirty).alias(fid))
            columns.append(ColumnMap(file, raw.sheet, col, header, fid, fid))
        else:
            name = _unique_name(header, col, taken)
            unmapped[col] = name
            exprs.append(pl.col(col).alias(name))
            columns.append(ColumnMap(file, raw.sheet, col, header, None, name))
    if group_expr is not None and pack.group is not None:
        exprs.append(group_expr.alias(pack.group))
    exprs += [
        pl.lit(file, dtype=pl.String).alias("source_file"),
        pl.lit(raw.sheet, dtype=pl.String).alias("source_sheet"),
        pl.col(ROW).cast(pl.Int64).alias("source_row"),
    ]

    rows_read = int(kept_df["__rows"][0])
    if rows_read == 0:
        events.append(ReadEvent(file, "no_rows", "表头下没有数据行（没有读到任何单位）", sheet=raw.sheet,
                                level="warning"))
    for reason, (kind, text) in _SKIP_TEXT.items():
        part = skipped_df.filter(pl.col(_SKIP) == reason)
        if part.height:
            ranges = tuple(zip(part["first"].to_list(), part["last"].to_list(), strict=True))
            events.append(ReadEvent(file, kind, text, sheet=raw.sheet, ranges=ranges))  # type: ignore[arg-type]
    skipped = sum(e.rows for e in events if e.kind.startswith("skip_"))

    empty = [unmapped[c] for c in blank_headers if int(kept_df[f"__filled__{c}"][0]) == 0]
    if empty:
        letters = [c for c, n in unmapped.items() if n in empty]
        events.append(ReadEvent(file, "empty_columns", f"无表头且无数据的列已忽略：{'、'.join(letters)}",
                                sheet=raw.sheet, columns=tuple(letters)))
        columns = [c for c in columns if c.name not in empty]
    kept_unmapped = [(c, n) for c, n in unmapped.items() if n not in empty]
    if kept_unmapped:
        listed = "、".join(f"{c}（{raw.headers.get(c) or '无表头'}）" for c, _ in kept_unmapped)
        events.append(ReadEvent(file, "unmapped", f"以下列不对应规则包中的字段，已保留但不参与核查：{listed}",
                                sheet=raw.sheet, columns=tuple(c for c, _ in kept_unmapped), level="warning"))
    for col, fid in raw.duplicates.items():
        first = next(c for c, f in raw.fields.items() if f == fid)
        events.append(ReadEvent(file, "duplicate", f"{col} 列“{raw.headers.get(col, '')}”与 {first} 列对应同一字段 "
                                f"{fid}（{pack.label(fid)}），只用 {first} 列核查，{col} 列保留为普通列",
                                sheet=raw.sheet, columns=(col,), level="warning"))
    # the skipped rows are known now: later passes drop them by row number, not by
    # evaluating skip_reason (which reads every column) again
    if skipped_df.is_empty():
        kept = lf
    else:
        numbers = skipped_df.select(pl.int_ranges("first", pl.col("last") + 1).explode().alias("r"))["r"]
        kept = lf.filter(~pl.col(ROW).cast(pl.Int64).is_in(numbers.implode()))
    frame = kept.select(exprs).drop(empty)
    return frame, rows_read, skipped, columns, events


def describe_columns(columns: Sequence[ColumnMap]) -> list[str]:
    """One line per source column, for a person (``A 统一社会信用代码 → credit_code``)."""
    return [f"{c.column} {c.header or '（无表头）'} → {c.field or f'（未对应，保留为 {c.name}）'}" for c in columns]


def with_source_columns(findings: pl.DataFrame, columns: Sequence[ColumnMap]) -> pl.DataFrame:
    """``findings`` with ``source_column`` after ``source_row``: where the finding's fields
    are in its file, as a person finds them there.

    For workbooks and text files (CSV opened in Excel shows the same letters) the Excel
    column letter (``E``); for parquet and Arrow files the column name. A finding that
    reads several fields names their columns in the order of ``fields``, separated by
    commas (``D,E``). Findings without a source file (in-memory frames) are returned
    unchanged, like the other ``source_*`` columns.

    Examples
    --------
    >>> f = pl.DataFrame({"rule_id": ["R1", "R2"], "fields": [["b", "a"], ["z"]], "source_file": ["x.csv"] * 2,
    ...                   "source_sheet": [None, None], "source_row": [2, 3], "message": ["m", "n"]})
    >>> cols = [ColumnMap("x.csv", None, "A", "甲", "a", "a"), ColumnMap("x.csv", None, "C", "乙", "b", "b")]
    >>> with_source_columns(f, cols).select("source_row", "source_column").rows()
    [(2, 'C,A'), (3, None)]
    """
    if "source_file" not in findings.columns or "fields" not in findings.columns:
        return findings
    mapped = [c for c in columns if c.field is not None]
    table = pl.DataFrame(
        {"source_file": [c.file for c in mapped], "source_sheet": [c.sheet for c in mapped],
         "__field": [c.field for c in mapped], "__column": [c.column for c in mapped]},
        schema={"source_file": pl.String, "source_sheet": pl.String, "__field": pl.String, "__column": pl.String},
    )
    numbered = findings.with_row_index("__i")
    located = (
        numbered.select("__i", pl.col("source_file").cast(pl.String), pl.col("source_sheet").cast(pl.String),
                        pl.col("fields").alias("__field"))
        .explode("__field")
        .with_row_index("__order")
        .join(table, on=["source_file", "source_sheet", "__field"], how="left", nulls_equal=True)
        .sort("__order")
        .group_by("__i", maintain_order=True)
        .agg(pl.col("__column").drop_nulls().unique(maintain_order=True).str.join(",").alias("source_column"))
        .with_columns(pl.when(pl.col("source_column") != "").then(pl.col("source_column")).alias("source_column"))
    )
    out = numbered.join(located, on="__i", how="left", maintain_order="left").drop("__i")
    order = list(findings.columns)
    at = order.index("source_row") + 1 if "source_row" in order else len(order)
    return out.select([*order[:at], "source_column", *order[at:]])
