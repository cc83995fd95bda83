"""A Markdown summary for CI job summaries (GitHub ``$GITHUB_STEP_SUMMARY`` and the like).

Examples
--------
>>> import polars as pl
>>> from source_check import check, load_pack
>>> r = check(pl.DataFrame({"credit_code": ["bad"], "town_code": ["310107005"]}), load_pack("common-base"))
>>> markdown(r).splitlines()[0]
'# 源头数据质量核查：调查单位标识通用核查（统一社会信用代码、街镇、报告期）'
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..pack.model import LEVEL_ZH
from ..result import CheckResult
from .verdict import passed, verdict

__all__ = ["markdown", "write_markdown"]

MAX_FINDINGS = 20


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out


def markdown(result: CheckResult) -> str:
    """The summary as Markdown text; its verdict follows ``--fail-on`` (``result.meta``) as the exit code does."""
    by = result.by_level
    status = ("✅ " if passed(result) else "❌ ") + verdict(result)
    lines = [
        f"# 源头数据质量核查：{result.pack_title}",
        "",
        f"规则包 `{result.pack_id}` 版本 {result.pack_version}；{result.rows} 条记录；{status}",
        "",
        *_table(["级别", "问题数"], [["强制性（error）", by["error"]], ["核实性（warning）", by["warning"]],
                                    ["提示性（info）", by["info"]]]),
        "",
    ]
    g = result.groups
    if not g.is_empty() and g["group"].null_count() < g.height:
        cols = [c for c in ("rank", "group", "name", "units", "units_error", "units_warning", "score", "grade")
                if c in g.columns]
        zh = {"rank": "排名", "group": "街镇", "name": "名称", "units": "单位数", "units_error": "有强制性问题",
              "units_warning": "有核实性问题", "score": "得分", "grade": "等级"}
        lines += ["## 各街镇", "", *_table([zh[c] for c in cols], [list(r) for r in g.select(cols).iter_rows()]), ""]
    failing = result.rules.filter(pl.col("fails") > 0).sort("fails", descending=True)
    if not failing.is_empty():
        lines += ["## 不通过的规则", "", *_table(
            ["规则", "名称", "级别", "不通过", "通过", "不适用"],
            [[r["rule_id"], r["title"], LEVEL_ZH[r["level"]], r["fails"], r["passes"], r["na"]]
             for r in failing.iter_rows(named=True)],
        ), ""]
    if not result.findings.is_empty():
        key = result.key[0] if result.key else "row"
        shown = result.findings.head(MAX_FINDINGS)
        lines += [f"## 问题清单（前 {shown.height} 条，共 {result.findings.height} 条）", "", *_table(
            ["级别", "街镇", "单位", "规则", "问题说明", "来源"],
            [[LEVEL_ZH.get(f["level"], f["level"]), f["group"], f.get(key), f["rule_id"], f["message"],
              f"{f.get('source_file') or ''}:{f.get('source_row') or ''}".strip(":")]
             for f in shown.iter_rows(named=True)],
        ), ""]
    for s in result.skipped:
        lines.append(f"- 未执行 `{s.rule_id}`：{s.reason}")
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(result: CheckResult, out_dir: Path) -> Path:
    """Write ``out_dir/summary.md``."""
    path = Path(out_dir) / "summary.md"
    path.write_text(markdown(result), encoding="utf-8")
    return path
