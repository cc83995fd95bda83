"""report.xlsx: the workbook a street statistician reads and fills in.

Sheets: 概览 (what was checked), 街镇评分 (per 街镇), 问题清单 (one row per finding with
an empty 说明 column to fill in), 规则统计 (per rule), 统计异常 (detector anomalies).
Chinese headers, frozen header row, autofilter, widths, thousands separators, a colour
per level. Rendered from the result alone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..pack.model import DIMENSION_ZH, LEVEL_ZH
from ..result import CheckResult

__all__ = ["FINDING_HEADERS", "SHEETS", "write_split_by_group", "write_xlsx"]

SHEETS = ("概览", "街镇评分", "问题清单", "规则统计", "统计异常")
FINDING_HEADERS = (
    "街镇", "街镇名称", "统一社会信用代码", "单位名称", "规则编号", "规则名称", "级别", "维度",
    "问题说明", "涉及数值", "异常分值", "优先级", "来源文件", "工作表", "Excel行号", "指纹", "说明",
)
_LEVEL_COLOURS = {"error": "#F8CBAD", "warning": "#FFE699", "info": "#DDEBF7"}
_GROUP_HEADERS = {
    "group": "街镇代码", "name": "街镇名称", "units": "报送单位数", "units_error": "有强制性问题的单位",
    "units_warning": "有核实性问题的单位", "units_unexplained": "有未说明核实性问题的单位",
    "units_anomaly": "有统计异常的单位", "findings": "问题数", "score": "得分", "grade": "等级", "rank": "排名",
}


class _Formats:
    def __init__(self, wb: Workbook) -> None:
        self.header = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                                     "valign": "vcenter"})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.number = wb.add_format({"num_format": "#,##0"})
        self.decimal = wb.add_format({"num_format": "#,##0.00####"})
        self.fill = wb.add_format({"bg_color": "#FFF2CC", "border": 1})
        self.levels = {k: wb.add_format({"bg_color": v}) for k, v in _LEVEL_COLOURS.items()}


def _width(values: list[Any], header: str, cap: int = 60) -> int:
    def w(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    longest = max([w(str(v)) for v in values[:500] if v is not None] + [w(header)], default=8)
    return max(6, min(cap, longest + 2))


def _table(ws: Worksheet, fmt: _Formats, headers: list[str], rows: list[list[Any]], start: int = 0,
           widths: dict[int, int] | None = None) -> None:
    for c, h in enumerate(headers):
        ws.write(start, c, h, fmt.header)
    for r, row in enumerate(rows, start=start + 1):
        for c, value in enumerate(row):
            if isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, int):
                ws.write_number(r, c, value, fmt.number)
            elif isinstance(value, float):
                ws.write_number(r, c, value, fmt.decimal)
            elif value is None:
                ws.write_blank(r, c, None)
            else:
                ws.write_string(r, c, str(value))
    ws.freeze_panes(start + 1, 0)
    ws.autofilter(start, 0, start + max(len(rows), 1), max(len(headers) - 1, 0))
    for c, h in enumerate(headers):
        ws.set_column(c, c, (widths or {}).get(c) or _width([row[c] for row in rows], h))


def _overview(wb: Workbook, fmt: _Formats, result: CheckResult) -> None:
    ws = wb.add_worksheet("概览")
    ws.write(0, 0, f"源头数据质量核查报告：{result.pack_title}", fmt.title)
    by = result.by_level
    meta = result.meta
    rows: list[tuple[str, Any]] = [
        ("规则包", f"{result.pack_id}（版本 {result.pack_version}）"),
        ("规则包指纹 (sha256)", result.pack_sha256),
        ("核查时间", meta.get("started") or ""),
        ("耗时（秒）", meta.get("duration_s") or ""),
        ("记录数", result.rows),
        ("读取行数", sum(i.rows_read for i in result.inputs)),
        ("跳过行数（空行、合计行等）", sum(i.rows_skipped for i in result.inputs)),
        ("强制性问题（必须修改）", by["error"]),
        ("核实性问题（须核实并填写说明）", by["warning"]),
        ("提示性问题", by["info"]),
        ("结论", "未通过：存在强制性问题" if not result.ok else "通过强制性审核"),
    ]
    for i, info in enumerate(result.inputs):
        rows.append((f"输入文件 {i + 1}", f"{info.path}（{info.rows_read} 行，sha256 {info.sha256 or ''}）"))
    for s in result.skipped:
        rows.append((f"未执行规则 {s.rule_id}", s.reason))
    for note in meta.get("score_notes", []):
        rows.append(("评分方法", note))
    for r, (k, v) in enumerate(rows, start=2):
        ws.write(r, 0, k, fmt.header)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            ws.write_number(r, 1, v, fmt.number)
        else:
            ws.write_string(r, 1, str(v), fmt.wrap)
    ws.set_column(0, 0, 32)
    ws.set_column(1, 1, 90)


def _groups(wb: Workbook, fmt: _Formats, result: CheckResult) -> None:
    ws = wb.add_worksheet("街镇评分")
    df = result.groups
    cols = [c for c in _GROUP_HEADERS if c in df.columns]
    cols += [c for c in df.columns if c not in cols]
    headers = [_GROUP_HEADERS.get(c, DIMENSION_ZH.get(c.removeprefix("score_"), c)) for c in cols]
    _table(ws, fmt, headers, [list(r) for r in df.select(cols).iter_rows()])


def _value_text(values: str | None, labels: dict[str, str]) -> str:
    if not values:
        return ""
    data = json.loads(values)
    parts = []
    for k, v in data.items():
        m = re.fullmatch(r"prev\((\w+)\)", k)
        label = f"上期{labels.get(m.group(1), m.group(1))}" if m else labels.get(k, k)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        parts.append(f"{label}={'空' if v is None else v}")
    return "；".join(parts)


def _finding_rows(result: CheckResult, findings: pl.DataFrame) -> list[list[Any]]:
    titles = dict(zip(result.rules["rule_id"], result.rules["title"], strict=True))
    labels: dict[str, str] = result.meta.get("labels", {})
    names: dict[str, str] = {str(g): n for g, n in zip(result.groups["group"], result.groups["name"], strict=True)
                             if n}
    key = result.key[0] if result.key else None
    rows = []
    for f in findings.iter_rows(named=True):
        rows.append([
            f["group"], names.get(str(f["group"]), ""), f.get(key) if key else "", f.get("name") or "",
            f["rule_id"], titles.get(f["rule_id"], f["rule_id"]), LEVEL_ZH.get(f["level"], f["level"]),
            DIMENSION_ZH.get(f["dimension"], f["dimension"]), f["message"], _value_text(f["values"], labels),
            round(f["score"], 4) if f.get("score") is not None else None,
            round(f["priority"], 6) if f.get("priority") is not None else None,
            f.get("source_file") or "", f.get("source_sheet") or "", f.get("source_row"),
            f.get("fingerprint") or "", f.get("explanation") or None,
        ])
    return rows


def _findings(wb: Workbook, fmt: _Formats, result: CheckResult, findings: pl.DataFrame) -> None:
    ws = wb.add_worksheet("问题清单")
    rows = _finding_rows(result, findings)
    widths = {8: 60, 9: 50, FINDING_HEADERS.index("说明"): 40}
    _table(ws, fmt, list(FINDING_HEADERS), rows, widths=widths)
    level_col = FINDING_HEADERS.index("级别")
    for zh_level, key in ((LEVEL_ZH[k], k) for k in _LEVEL_COLOURS):
        ws.conditional_format(1, level_col, max(len(rows), 1), level_col, {
            "type": "cell", "criteria": "==", "value": f'"{zh_level}"', "format": fmt.levels[key]})
    note_col = FINDING_HEADERS.index("说明")
    for r in range(1, len(rows) + 1):
        if rows[r - 1][note_col] is None:
            ws.write_blank(r, note_col, None, fmt.fill)
    least = int(result.meta.get("min_explanation_length", 10))
    ws.data_validation(1, note_col, max(len(rows), 1), note_col, {
        "validate": "length", "criteria": ">=", "value": least, "error_type": "warning",
        "input_title": "填写说明",
        "input_message": f"核实性问题须说明真实情况（不少于{least}个字，不能只写“核实无误”）",
        "error_title": "说明过短", "error_message": f"说明应不少于{least}个字，并写明原因。"})


def _rules(wb: Workbook, fmt: _Formats, result: CheckResult) -> None:
    ws = wb.add_worksheet("规则统计")
    headers = ["规则编号", "规则名称", "级别", "维度", "核查记录数", "通过", "不通过", "不适用", "未执行"]
    rows = [[r["rule_id"], r["title"], LEVEL_ZH[r["level"]], DIMENSION_ZH[r["dimension"]], r["items"], r["passes"],
             r["fails"], r["na"], "是" if r["skipped"] else ""] for r in result.rules.iter_rows(named=True)]
    _table(ws, fmt, headers, rows)


def _anomalies(wb: Workbook, fmt: _Formats, result: CheckResult) -> None:
    ws = wb.add_worksheet("统计异常")
    df = result.anomalies
    if df is None or df.is_empty():
        _table(ws, fmt, ["检测器", "类型", "街镇", "单位", "指标", "得分", "说明"], [])
        ws.write(2, 0, "本次核查未运行统计异常检测，或未发现统计异常。")
        return
    zh = {"detector_id": "检测器", "kind": "类型", "level": "级别", "scope": "范围", "group": "街镇", "row": "记录序号",
          "unit": "单位", "field": "指标", "score": "异常分值", "statistic": "统计量", "value": "统计值", "n": "样本数",
          "class": "判定", "applicable": "是否适用", "flagged": "是否异常", "message": "说明", "values": "详细数据",
          "suggested": "建议值"}
    cols = [c for c in df.columns if not c.startswith("_")]
    _table(ws, fmt, [zh.get(c, c) for c in cols], [list(r) for r in df.select(cols).iter_rows()])


def _write(path: Path, result: CheckResult, findings: pl.DataFrame) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "nan_inf_to_errors": True})
    fmt = _Formats(wb)
    _overview(wb, fmt, result)
    _groups(wb, fmt, result)
    _findings(wb, fmt, result, findings)
    _rules(wb, fmt, result)
    _anomalies(wb, fmt, result)
    wb.close()
    return path


def write_xlsx(result: CheckResult, out_dir: Path) -> Path:
    """Write ``out_dir/report.xlsx``."""
    return _write(Path(out_dir) / "report.xlsx", result, result.findings)


def write_split_by_group(result: CheckResult, out_dir: Path) -> list[Path]:
    """One workbook per 街镇, named by its name, with only its own findings."""
    out: list[Path] = []
    for row in result.groups.iter_rows(named=True):
        code = row["group"]
        if code is None:
            continue
        name = re.sub(r'[\\/:*?"<>|]', "_", row["name"] or str(code))
        own = result.findings.filter(pl.col("group") == code)
        out.append(_write(Path(out_dir) / f"report_{name}.xlsx", result, own))
    return out
