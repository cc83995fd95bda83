"""Write generated forms as the files people have: Excel with a title row, GB18030 CSV,
parquet; per 街镇 if asked; plus the truth table.

Parquet keeps the field ids as column names (a machine format); Excel and CSV carry the
Chinese labels (the pack's, where a pack names the field) the way a form is filled in.

Layout of ``out``::

    current/<form>.<ext>           or current/<form>_<街镇代码>.<ext> with by_town
    previous/<form>.<ext>
    truth.parquet, truth.csv        the planted anomalies (truth.csv in UTF-8 with BOM)
    manifest.json                   seed, units, rates, period, files

Examples
--------
>>> import tempfile, pathlib
>>> from source_check.synth import synthesize
>>> s = synthesize(50, seed=1, anomalies="none")
>>> with tempfile.TemporaryDirectory() as d:
...     files = write_synthetic(s, d, forms=["102"], formats=["xlsx", "csv-gb18030"])
...     names = sorted(p.relative_to(d).as_posix() for p in files)
>>> names[:4]
['current/102.csv', 'current/102.xlsx', 'manifest.json', 'previous/102.csv']
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..pack.model import Pack
from .formset import VARIANTS_103
from .vocab import FIELD_LABELS, FORM_TITLES

if TYPE_CHECKING:
    from . import Synthetic

__all__ = ["FORMATS", "form_title", "labels_for", "write_form", "write_synthetic"]

FORMATS = ("parquet", "xlsx", "csv-gb18030", "csv")
_EXT = {"parquet": "parquet", "xlsx": "xlsx", "csv-gb18030": "csv", "csv": "csv"}
XLSX_MAX_ROWS = 1_048_576 - 2


def form_title(form: str, period: str) -> str:
    """The title row of a form: ``2024年12月 从业人员及工资总额``.

    Examples
    --------
    >>> form_title("102", "202412"), form_title("census5", "2024")
    ('2024年12月 从业人员及工资总额', '2024年 第五次全国经济普查单位清查表')
    """
    when = f"{period[:4]}年{int(period[4:6])}月" if len(period) >= 6 else f"{period[:4]}年"
    return f"{when} {FORM_TITLES.get(form, form)}"


def labels_for(columns: Iterable[str], packs: Sequence[Pack] = ()) -> dict[str, str]:
    """Chinese header for each field id: the first pack that labels it, else the built-in label."""
    out: dict[str, str] = {}
    for col in columns:
        label = next((p.fields[col].label for p in packs if col in p.fields and p.fields[col].label), None)
        out[col] = label or FIELD_LABELS.get(col, col)
    return out


def write_form(frame: pl.DataFrame, path: Path, fmt: str, *, form: str, period: str,
               packs: Sequence[Pack] = ()) -> Path:
    """Write one form's frame to ``path`` in ``fmt`` (see :data:`FORMATS`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        frame.write_parquet(path)
        return path
    labelled = frame.rename(labels_for(frame.columns, packs))
    if fmt in ("csv", "csv-gb18030"):
        text = labelled.write_csv(date_format="%Y-%m-%d")
        if fmt == "csv":
            path.write_text(text, encoding="utf-8")
        else:
            path.write_bytes(text.encode("gb18030"))
        return path
    if fmt == "xlsx":
        _write_xlsx(labelled, path, form_title(form, period), sheet=form, created=_period_start(period))
        return path
    raise ValueError(f"不支持的格式 {fmt!r}（可用：{', '.join(FORMATS)}）")


def _period_start(period: str) -> dt.datetime:
    """Midnight of the first day of ``period`` (``202412``, ``2024``), UTC.

    Stamped as the workbook's creation time so that the same seed gives the same bytes
    (xlsxwriter would otherwise write the current time into ``docProps/core.xml``).

    Examples
    --------
    >>> _period_start("202412").isoformat(), _period_start("2024").isoformat()
    ('2024-12-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00')
    """
    month = int(period[4:6]) if len(period) >= 6 else 1
    return dt.datetime(int(period[:4]), month, 1, tzinfo=dt.UTC)


def _write_xlsx(frame: pl.DataFrame, path: Path, title: str, sheet: str, created: dt.datetime) -> None:
    import xlsxwriter

    if frame.height > XLSX_MAX_ROWS:
        raise ValueError(f"{frame.height} 行超过 Excel 工作表的上限（{XLSX_MAX_ROWS} 行），请改用 parquet 或按街镇拆分")
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    wb.set_properties({"created": created})
    try:
        ws = wb.add_worksheet(sheet[:31])
        bold = wb.add_format({"bold": True, "font_size": 14})
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws.write(0, 0, title, bold)
        ws.write_row(1, 0, frame.columns, head)
        for j, (name, dtype) in enumerate(frame.schema.items()):
            values = frame[name].to_list()
            if dtype == pl.Date:
                ws.set_column(j, j, 12, date)
                for i, v in enumerate(values):
                    if isinstance(v, dt.date):
                        ws.write_datetime(i + 2, j, dt.datetime(v.year, v.month, v.day), date)
            else:
                ws.write_column(2, j, values)
                width = 20 if dtype == pl.String else 12
                ws.set_column(j, j, width)
        ws.freeze_panes(2, 0)
    finally:
        wb.close()


def write_synthetic(
    s: Synthetic,
    out: str | Path,
    *,
    forms: Sequence[str] | None = None,
    formats: Sequence[str] = ("parquet",),
    by_town: bool = False,
    packs: Sequence[Pack] = (),
    command: str | None = None,
) -> list[Path]:
    """Write the current and previous forms, the truth table and a manifest under ``out``.

    ``forms`` limits the forms written (``103`` means all five variants); ``packs``
    supply the Chinese headers; ``by_town`` writes one file per 街镇 and form.
    """
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    wanted = _expand(forms, s.current)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"不支持的格式：{', '.join(unknown)}（可用：{', '.join(FORMATS)}）")
    written: list[Path] = []
    periods = {"current": s.population.period, "previous": s.population.previous_period}
    for which, frames in (("current", s.current), ("previous", s.previous)):
        for form in wanted:
            frame = frames[form]
            period = periods[which][:4] if form == "census5" else periods[which]
            parts: Iterable[tuple[str, pl.DataFrame]] = [("", frame)]
            if by_town:
                parts = [(f"_{t}", frame.filter(pl.col("town_code") == t))
                         for t in sorted(frame["town_code"].drop_nulls().unique())]
            for suffix, part in parts:
                for fmt in formats:
                    path = root / which / f"{form}{suffix}.{_EXT[fmt]}"
                    if fmt == "csv" and "csv-gb18030" in formats:
                        path = path.with_name(f"{form}{suffix}.utf8.csv")
                    written.append(write_form(part, path, fmt, form=form, period=period, packs=packs))
    truth = s.truth.filter(pl.col("form").is_in(wanted)) if forms is not None else s.truth
    truth.write_parquet(root / "truth.parquet")
    (root / "truth.csv").write_bytes(b"\xef\xbb\xbf" + truth.write_csv().encode("utf-8"))
    manifest = {
        "generator": "source_check.synth",
        "seed": s.seed,
        "units": s.population.n,
        "period": s.population.period,
        "previous_period": s.population.previous_period,
        "anomalies": s.rates,
        "planted": truth.height,
        "planted_units": truth["true_code"].n_unique(),
        "forms": list(wanted),
        "formats": list(formats),
        "command": command,
        "files": sorted(p.relative_to(root).as_posix() for p in written),
    }
    (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return [*written, root / "truth.parquet", root / "truth.csv", root / "manifest.json"]


def _expand(forms: Sequence[str] | None, frames: Mapping[str, pl.DataFrame]) -> list[str]:
    if forms is None:
        return list(frames)
    out: list[str] = []
    for f in forms:
        names = list(VARIANTS_103) if f == "103" else [f]
        for name in names:
            if name not in frames:
                raise ValueError(f"没有名为 {f!r} 的报表（可用：{', '.join(frames)}、103）")
            if name not in out:
                out.append(name)
    return out
