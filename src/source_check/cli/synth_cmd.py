"""``source-check synth``: generate realistic submissions with labelled anomalies."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import polars as pl
import typer
from rich.table import Table

from ..errors import InputError
from ..pack.loader import load_pack, load_packs
from ..synth import FORMS, KIND_ZH, parse_anomalies, resolve_forms, synthesize, write_synthetic
from ..synth.write import FORMATS
from .app import app, console


@app.command("synth")
def synth_cmd(
    pack: str = typer.Argument(..., help="规则包名称或路径（决定生成哪些报表），或 all（全部报表）"),
    units: int = typer.Option(3000, "--units", "-n", help="本期调查单位数"),
    seed: int = typer.Option(0, "--seed", "-s", help="随机种子（相同种子生成完全相同的数据）"),
    out: Path = typer.Option(Path("synth-out"), "--out", "-o", help="输出目录"),
    anomalies: str = typer.Option(
        "default", "--anomalies", "-a",
        help="植入的异常及比例，如 unit_error=0.01,copy=0.005；default 为默认比例，none 为不植入",
    ),
    formats: str = typer.Option("parquet", "--format", "-f", help=f"文件格式，逗号分隔：{','.join(FORMATS)}"),
    period: str = typer.Option("202412", "--period", help="报告期 YYYYMM（1—本月累计）或 YYYY；上期为上年同期"),
    by_town: bool = typer.Option(False, "--by-town", help="每个街镇单独一个文件"),
    outliers: float = typer.Option(0.0, "--outliers", help="真实的大幅增减单位所占比例（不是差错，用于检验误报）"),
) -> None:
    """生成模拟的源头数据（本期和上期），按比例植入已标注的差错和造假模式，写出 truth 标注表。"""
    if units < 1:
        raise InputError("--units 至少为 1")
    if not (period.isdigit() and len(period) in (4, 6)):
        raise InputError(f"--period 应为 YYYYMM 或 YYYY，而不是 {period!r}")
    wanted_formats = [f.strip().lower() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted_formats if f not in FORMATS]
    if unknown:
        raise InputError(f"不支持的格式：{', '.join(unknown)}（可用：{', '.join(FORMATS)}）")
    try:
        rates = parse_anomalies(anomalies)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    # Chinese headers (xlsx, csv) come from the packs' labels; parquet keeps the field ids
    labelled = any(f != "parquet" for f in wanted_formats)
    shipped = load_packs() if labelled else []  # a broken shipped pack must not stop data generation
    if pack == "all":
        forms: list[str] | None = None
        label_packs = shipped
    else:
        loaded = load_pack(pack)
        names = resolve_forms(loaded)
        if names is None:
            raise InputError(f"规则包 {loaded.id} 核查的报表不在模拟数据中（可生成：{', '.join(FORMS)}）")
        forms = names
        label_packs = [loaded, *shipped]
    try:
        s = synthesize(units, seed=seed, anomalies=rates, period=period, outliers=outliers, forms=forms)
        command = shlex.join(["source-check", *sys.argv[1:]]) if sys.argv[1:2] == ["synth"] else None
        written = write_synthetic(s, out, forms=forms, formats=wanted_formats, by_town=by_town,
                                  packs=label_packs, command=command)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    truth = s.truth if forms is None else s.truth.filter(s.truth["form"].is_in(_variants(forms)))
    console.print(f"已生成 {s.population.n} 家单位（{s.population.period} 及上年同期 {s.population.previous_period}），"
                  f"报表：{', '.join(_variants(forms) if forms else s.current)}；写出 {len(written)} 个文件到 {out}",
                  markup=False)
    if truth.height:
        table = Table("异常类型", "说明", "植入单位数", title="植入的异常（标注见 truth.parquet / truth.csv）")
        # the truth file has a row per changed cell; a unit is counted once per kind
        counts = dict(truth.group_by("kind").agg(pl.col("true_code").n_unique()).iter_rows())
        for kind, text in KIND_ZH.items():
            if kind in counts:
                table.add_row(kind, text, str(counts[kind]))
        console.print(table)
    else:
        console.print("未植入异常（干净数据）。")
    raise typer.Exit(0)


def _variants(forms: list[str]) -> list[str]:
    from ..synth import VARIANTS_103

    out: list[str] = []
    for f in forms:
        out.extend(VARIANTS_103 if f == "103" else [f])
    return out
