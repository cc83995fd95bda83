"""``make demo``: generate realistic submissions for Putuo's 10 街镇 and check them.

Usage: ``python -m source_check.demo [OUT_DIR] [--units N] [--seed S] [--packs a,b]``
(default ``demo-out``, 3000 units, seed 2024, every shipped form pack).

1. :func:`source_check.synth.synthesize` makes this year's and last year's forms for a
   few thousand enterprises, with anomalies planted at the default rates.
2. The forms are written as people would send them: 102 per 街镇 as Excel with a title
   row and Chinese headers, 101 per 街镇 as GB18030 CSV, the wide forms (103 variants,
   B204-1, E204, 五经普) as one GB18030 CSV each (any of them falls back to parquet if
   this build's reader cannot read that layout), plus ``truth.csv``.
3. ``source-check check`` runs for every shipped form pack (with last year's data, for
   the history rules), writing every report — report.xlsx, result.json, junit.xml and
   summary.md — to ``OUT_DIR/<pack>/``.
4. A last table compares what was planted with what the packs flagged.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import polars as pl
from rich.table import Table
from rich.text import Text

from .api import check
from .cli import main as cli_main
from .cli.app import console
from .errors import SourceCheckError
from .pack.loader import load_pack, load_packs
from .pack.model import Pack
from .synth import KIND_ZH, VARIANTS_103, Synthetic, resolve_forms, synthesize
from .synth.write import write_form

__all__ = ["FORMATS", "demo_packs", "main"]

#: Every report format, so that a user sees each of them in ``demo-out/<pack>/``.
FORMATS = "xlsx,json,junit,md"
_EXT = {"parquet": "parquet", "xlsx": "xlsx", "csv-gb18030": "csv"}


def demo_packs() -> list[Pack]:
    """Shipped packs that check a generated form, leaving out a pack when a pack that
    extends it checks the same form (``common-base`` under ``unit-101``, ``finance-103``
    under ``finance-b103``…)."""
    packs = [pack for pack in load_packs() if resolve_forms(pack) is not None]

    def covered(pack: Pack) -> set[str]:
        return {v for f in resolve_forms(pack) or [] for v in (VARIANTS_103 if f == "103" else (f,))}

    def extends(child: Pack, parent: Pack) -> bool:
        own = Path(parent.path).resolve()
        return child is not parent and any(Path(f).resolve() == own for f in child.files)

    return [p for p in packs if not any(extends(q, p) and covered(q) & covered(p) for q in packs)]


def _readable(fmt: str, pack: Pack, frame: pl.DataFrame, form: str, period: str) -> bool:
    """Whether this build's reader gets the pack's key back from a file written in ``fmt``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"probe.{_EXT[fmt]}"
        write_form(frame.head(3), path, fmt, form=form, period=period, packs=[pack])
        try:
            check(path, pack, previous=path)  # the previous period needs the key columns
        except SourceCheckError:
            return False
    return True


#: What a 街镇 sends (one file each): 102 as Excel with a title row, 101 as GB18030 CSV.
#: The wide financial and activity forms go as one district file each (what the 区局
#: exports from 联网直报), which also keeps the demo within a minute.
PER_TOWN = {"102": "xlsx", "101": "csv-gb18030"}
DISTRICT_FORMAT = "csv-gb18030"


def _write_forms(s: Synthetic, root: Path, packs: Sequence[Pack]) -> dict[str, dict[str, list[Path]]]:
    """Files of every form a demo pack needs, for both periods: ``{period: {form: [paths]}}``."""
    wanted: list[str] = []
    for pack in packs:
        for name in resolve_forms(pack) or []:
            for form in (VARIANTS_103 if name == "103" else (name,)):
                if form not in wanted:
                    wanted.append(form)
    label_pack = {name: p for p in packs for name in (resolve_forms(p) or [])}
    out: dict[str, dict[str, list[Path]]] = {"current": {}, "previous": {}}
    notes: list[str] = []
    checked: dict[str, bool] = {}
    for form in wanted:
        fmt = PER_TOWN.get(form, DISTRICT_FORMAT)
        probe_pack = label_pack.get(form) or label_pack.get("103") or packs[0]
        key = fmt if form not in PER_TOWN else form
        if key not in checked:
            checked[key] = _readable(fmt, probe_pack, s.current[form], form, s.population.period)
        if not checked[key]:
            notes.append(f"{form}：读取器暂不支持带标题行/中文表头的 {fmt}，改用 parquet")
            fmt = "parquet"
        for which, frames, period in (("current", s.current, s.population.period),
                                      ("previous", s.previous, s.population.previous_period)):
            frame = frames[form]
            period = period[:4] if form == "census5" else period
            parts = [(f"_{t}", frame.filter(pl.col("town_code") == t))
                     for t in sorted(frame["town_code"].drop_nulls().unique())] if form in PER_TOWN else [("", frame)]
            paths = []
            for suffix, part in parts:
                path = root / which / f"{form}{suffix}.{_EXT[fmt]}"
                write_form(part, path, fmt, form=form, period=period, packs=list(packs))
                paths.append(path)
            out[which][form] = paths
    for note in notes:
        console.print(note, markup=False, style="dim")
    return out


def _args(pack: Pack, files: dict[str, list[Path]]) -> list[str] | None:
    """Input arguments for ``source-check check``: paths, or FORM=PATH for a multi-form pack."""
    names = resolve_forms(pack)
    if names is None:
        return None
    if not pack.forms:
        forms = VARIANTS_103 if names[0] == "103" else (names[0],)
        return [str(p) for f in forms for p in files.get(f, [])]
    args = []
    for own, name in zip(pack.forms, names, strict=True):
        for form in VARIANTS_103 if name == "103" else (name,):
            args += [f"{own}={p}" for p in files.get(form, [])]
    return args


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m source_check.demo", description=__doc__)
    parser.add_argument("out", nargs="?", default="demo-out", help="输出目录（默认 demo-out）")
    parser.add_argument("--units", type=int, default=3000, help="单位数（默认 3000）")
    parser.add_argument("--seed", type=int, default=2024, help="随机种子")
    parser.add_argument("--packs", help="只运行这些规则包（逗号分隔的名称），默认全部报表规则包")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    packs = [load_pack(p.strip()) for p in args.packs.split(",")] if args.packs else demo_packs()
    if not packs:
        console.print("没有可用的内置规则包。")
        return 2
    s = synthesize(args.units, seed=args.seed, anomalies="default", outliers=0.01)
    files = _write_forms(s, out / "input", packs)
    s.truth.write_parquet(out / "input" / "truth.parquet")
    (out / "input" / "truth.csv").write_bytes(b"\xef\xbb\xbf" + s.truth.write_csv().encode("utf-8"))
    console.print(f"已生成普陀区 10 个街镇 {s.population.n} 家单位的模拟报表（{s.population.period}，"
                  f"含上年同期），在 {s.truth['true_code'].n_unique()} 家单位植入已标注的异常：{out / 'input'}",
                  markup=False)
    flagged: dict[str, set[str]] = {}
    for pack in packs:
        current, previous = _args(pack, files["current"]), _args(pack, files["previous"])
        if not current or previous is None:
            continue
        console.rule(Text(f"{pack.id}：{pack.title}"))
        pack_out = out / pack.id
        prev_args = [a for p in previous for a in ("--previous", p)]
        code = cli_main(["check", *current, "--pack", pack.path or pack.id, *prev_args,
                         "--out", str(pack_out), "--format", FORMATS, "--fail-on", "never", "--quiet"])
        if code != 0:
            console.print(f"{pack.id} 核查失败（退出码 {code}）", markup=False, style="red")
            continue
        result = json.loads((pack_out / "result.json").read_text(encoding="utf-8"))
        for finding in result["findings"]:
            if finding["level"] in ("error", "warning"):
                flagged.setdefault(str(finding["key"].get("credit_code")), set()).add(pack.id)
    _print_truth(s, flagged)
    console.print(f"报告在 {out}/<规则包>/（report.xlsx、result.json、junit.xml、summary.md），"
                  f"模拟数据与标注在 {out / 'input'}；"
                  f"用时 {time.perf_counter() - started:.1f} 秒。", markup=False)
    return 0


def _print_truth(s: Synthetic, flagged: dict[str, set[str]]) -> None:
    title = "植入的异常与核查结果（标注见 input/truth.csv）"
    table = Table("异常类型", "说明", "单位数", "被规则包标出", title=title)
    for kind, text in KIND_ZH.items():
        codes = set(s.truth.filter(pl.col("kind") == kind)["credit_code"].to_list())
        if codes:
            found = len([c for c in codes if c in flagged])
            table.add_row(kind, text, str(len(codes)), f"{found}（{found / len(codes):.0%}）")
    planted = set(s.truth["credit_code"].to_list()) | set(s.truth["true_code"].to_list())
    clean = set(s.current["101"]["credit_code"].to_list()) - planted
    alarms = len([c for c in clean if c in flagged])
    table.add_row("（无）", "未植入异常的单位（被标出即误报，含真实的大幅增减）", str(len(clean)),
                  f"{alarms}（{alarms / max(len(clean), 1):.0%}）")
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
