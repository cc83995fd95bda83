"""report.xlsx: the workbook a street statistician reads and fills in.

Sheets: 概览 (what was checked), 街镇评分 (per 街镇), 问题清单 (one row per finding with
an empty 说明 column to fill in), 规则统计 (per rule), 统计异常 (detector anomalies),
读取记录 (the reading log: rows skipped, columns not mapped, encoding, sheet).
Chinese headers, frozen header row, autofilter, widths, thousands separators, a colour
per level. Rendered from the result alone.

``--split-by-group`` writes one workbook per 街镇 from :func:`group_view`: the result as
that 街镇 sees it (its findings, score row, anomalies, rule counts, totals and verdict).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..pack.model import DIMENSION_ZH, LEVEL_ZH
from ..result import CheckResult, InputInfo
from .verdict import verdict

__all__ = ["FINDING_HEADERS", "SHEETS", "group_view", "write_split_by_group", "write_xlsx"]

SHEETS = ("概览", "街镇评分", "问题清单", "规则统计", "统计异常", "读取记录")
FINDING_HEADERS = (
    "街镇", "街镇名称", "统一社会信用代码", "单位名称", "规则编号", "规则名称", "级别", "维度",
    "问题说明", "涉及数值", "异常分值", "优先级", "来源文件", "工作表", "Excel行号", "列", "指纹", "说明",
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
        self.seconds = wb.add_format({"num_format": "#,##0.00", "align": "left"})
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
    town = result.meta.get("group_view")
    title = f"源头数据质量核查报告：{result.pack_title}"
    ws.write(0, 0, title + (f"（{town['name'] or town['code']}）" if town else ""), fmt.title)
    by = result.by_level
    meta = result.meta
    duration = meta.get("duration_s")
    rows: list[tuple[str, Any]] = [
        ("规则包", f"{result.pack_id}（版本 {result.pack_version}）"),
        ("规则包指纹 (sha256)", result.pack_sha256),
        ("核查时间", meta.get("started") or ""),
        ("耗时（秒）", round(float(duration), 2) if duration is not None else ""),
    ]
    if town:
        rows.append(("街镇", f"{town['name'] or ''}（{town['code']}）"))
        rows.append(("范围", "本报告只含本街镇的记录、问题、评分和统计异常；全区情况见 report.xlsx"))
        if town.get("capped"):
            rows.append(("注意", "问题清单按每条规则的上限截断（max_findings_per_rule），本街镇以下规则的计数可能偏少："
                         + "、".join(town["capped"])))
    rows.append(("记录数", result.rows))
    if not town or result.inputs:  # a 街镇 in a district-wide file has no rows read of its own
        rows += [("读取行数" + ("（本街镇的输入文件）" if town else ""), sum(i.rows_read for i in result.inputs)),
                 ("跳过行数（空行、合计行等，见“读取记录”）", sum(i.rows_skipped for i in result.inputs))]
    rows += [
        ("强制性问题（必须修改）", by["error"]),
        ("核实性问题（须核实并填写说明）", by["warning"]),
        ("提示性问题", by["info"]),
        ("结论", verdict(result)),
    ]
    for i, info in enumerate(result.inputs):
        sheet = f"［{info.sheet}］" if info.sheet else ""
        rows.append((f"输入文件 {i + 1}", f"{info.path}{sheet}（{info.rows_read} 行，sha256 {info.sha256 or ''}）"))
    for s in result.skipped:
        rows.append((f"未执行规则 {s.rule_id}", s.reason))
    for note in meta.get("score_notes", []):
        rows.append(("评分方法", note))
    for r, (k, v) in enumerate(rows, start=2):
        ws.write(r, 0, k, fmt.header)
        if isinstance(v, float):
            ws.write_number(r, 1, v, fmt.seconds)
        elif isinstance(v, int) and not isinstance(v, bool):
            ws.write_number(r, 1, v, fmt.number)
        else:
            ws.write_string(r, 1, str(v), fmt.wrap)
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, 90)


def _groups(wb: Workbook, fmt: _Formats, result: CheckResult) -> None:
    ws = wb.add_worksheet("街镇评分")
    df = result.groups
    cols = [c for c in _GROUP_HEADERS if c in df.columns]
    cols += [c for c in df.columns if c not in cols]
    headers = [_GROUP_HEADERS.get(c, DIMENSION_ZH.get(c.removeprefix("score_"), c)) for c in cols]
    _table(ws, fmt, headers, [list(r) for r in df.select(cols).iter_rows()])


def _value_text(values: str | dict[str, Any] | None, labels: dict[str, str]) -> str:
    if not values:
        return ""
    data = json.loads(values) if isinstance(values, str) else values
    if not isinstance(data, dict):
        return str(data)
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
            f.get("source_file") or "", f.get("source_sheet") or "", f.get("source_row"), f.get("source_column") or "",
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
    if result.meta.get("group_view"):
        # a 街镇's own workbook: the counts of its own findings (passes and not-applicable
        # are only known for the whole run, so they are not shown here)
        headers = ["规则编号", "规则名称", "级别", "维度", "本街镇不通过", "未执行"]
        rows = [[r["rule_id"], r["title"], LEVEL_ZH[r["level"]], DIMENSION_ZH[r["dimension"]], r["fails"],
                 "是" if r["skipped"] else ""] for r in result.rules.iter_rows(named=True)]
    else:
        headers = ["规则编号", "规则名称", "级别", "维度", "核查记录数", "通过", "不通过", "不适用", "未执行"]
        rows = [[r["rule_id"], r["title"], LEVEL_ZH[r["level"]], DIMENSION_ZH[r["dimension"]], r["items"],
                 r["passes"], r["fails"], r["na"], "是" if r["skipped"] else ""]
                for r in result.rules.iter_rows(named=True)]
    _table(ws, fmt, headers, rows)


_ANOMALY_HEADERS = {
    "detector_id": "检测器", "kind": "类型", "level": "级别", "scope": "范围", "group": "街镇", "row": "记录序号",
    "unit": "单位", "field": "指标", "score": "异常分值", "statistic": "统计量", "value": "统计值", "n": "样本数",
    "class": "判定", "applicable": "是否适用", "flagged": "是否异常", "message": "说明", "values": "详细数据",
    "suggested": "建议值",
}
_SCOPE_ZH = {"unit": "单位", "group": "街镇"}


def _anomaly_cell(column: str, value: Any, labels: dict[str, str]) -> Any:
    """A person's reading of one anomaly value: Chinese levels, scopes, kinds and yes/no."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if column == "level":
        return LEVEL_ZH.get(value, value)
    if column == "scope":
        return _SCOPE_ZH.get(value, value)
    if column == "kind":
        from ..detectors import DETECTORS

        kind = DETECTORS.get(value)
        return f"{kind.title}（{value}）" if kind is not None else value
    if column == "field":
        return f"{labels[value]}（{value}）" if value in labels else value
    if column == "values":
        return _value_text(value, labels) if isinstance(value, (str, dict)) else value
    return value


def _anomalies(wb: Workbook, fmt: _Formats, result: CheckResult) -> None:
    ws = wb.add_worksheet("统计异常")
    df = result.anomalies
    if df is None or df.is_empty():
        _table(ws, fmt, ["检测器", "类型", "街镇", "单位", "指标", "得分", "说明"], [])
        ws.write(2, 0, "本次核查未运行统计异常检测，或未发现统计异常。")
        return
    labels: dict[str, str] = result.meta.get("labels", {})
    cols = [c for c in df.columns if not c.startswith("_")]
    rows = [[_anomaly_cell(c, v, labels) for c, v in zip(cols, r, strict=True)] for r in df.select(cols).iter_rows()]
    widths = {i: 60 for i, c in enumerate(cols) if c in ("message", "values")}
    _table(ws, fmt, [_ANOMALY_HEADERS.get(c, c) for c in cols], rows, widths=widths)


_EVENT_ZH = {
    "format": "文件格式", "encoding": "编码", "sheet": "工作表", "title": "标题行", "header": "表头",
    "code_row": "指标代码行", "unmapped": "未对应字段的列", "duplicate": "重复的列", "conflict": "列名与代码不一致",
    "empty_columns": "空列", "skip_blank": "跳过空行", "skip_total": "跳过合计行", "skip_note": "跳过说明行",
    "cell_error": "单元格错误值", "group": "街镇来源", "option": "选项", "no_rows": "没有数据行",
    "merged": "合并单元格",
}
READING_HEADERS = ("文件", "工作表", "编码", "事项", "级别", "说明", "行", "列")


def _reading_rows(inputs: list[InputInfo], previous: list[InputInfo] | None = None) -> list[list[Any]]:
    from ..io.log import ranges_text

    rows: list[list[Any]] = []
    labelled = [(i.path, i) for i in inputs] + [(f"（上期）{i.path}", i) for i in previous or []]
    for name, info in labelled:
        encoding = (info.encoding or "").upper()
        if not info.events:  # an InputInfo built elsewhere: its log as text
            rows += [[name, info.sheet or "", encoding, "", "", line, "", ""] for line in info.log]
            continue
        for e in info.events:
            rows.append([name, e.sheet or info.sheet or "", encoding, _EVENT_ZH.get(e.kind, e.kind),
                         "请注意" if e.level == "warning" else "", e.message,
                         ranges_text(e.ranges, limit=200).removeprefix("第 ").removesuffix(" 行") if e.ranges else "",
                         "、".join(e.columns)])
    return rows


def _reading_log(wb: Workbook, fmt: _Formats, result: CheckResult) -> None:
    ws = wb.add_worksheet("读取记录")
    rows = _reading_rows(result.inputs, result.previous_inputs)
    _table(ws, fmt, list(READING_HEADERS), rows, widths={5: 70, 6: 30})
    if not rows:
        ws.write(2, 0, "数据不是从文件读取的（如直接传入 DataFrame），没有读取记录。")


def _write(path: Path, result: CheckResult, findings: pl.DataFrame) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "nan_inf_to_errors": True})
    fmt = _Formats(wb)
    _overview(wb, fmt, result)
    _groups(wb, fmt, result)
    _findings(wb, fmt, result, findings)
    _rules(wb, fmt, result)
    _anomalies(wb, fmt, result)
    _reading_log(wb, fmt, result)
    wb.close()
    return path


def write_xlsx(result: CheckResult, out_dir: Path) -> Path:
    """Write ``out_dir/report.xlsx``."""
    return _write(Path(out_dir) / "report.xlsx", result, result.findings)


def _town_inputs(result: CheckResult, code: str, name: str | None, findings: pl.DataFrame) -> list[InputInfo]:
    """The inputs that hold a 街镇's data: the files its findings come from, or whose name
    carries its code or name (a 街镇's own submission, ``102_310107005.xlsx``)."""
    files = set(findings["source_file"].drop_nulls().to_list()) if "source_file" in findings.columns else set()
    marks = [m for m in (code, name) if m]
    return [i for i in result.inputs if i.path in files or any(m in Path(i.path).name for m in marks)]


def group_view(result: CheckResult, code: str) -> CheckResult:
    """The result as one 街镇 sees it: its findings, its row of the scorecard, its
    anomalies, its inputs, and per-rule failure counts (hence totals and verdict) of
    its own findings. Passes and not-applicable counts exist only for the whole run
    and are left empty.

    Examples
    --------
    >>> import polars as pl
    >>> from source_check import check, load_pack
    >>> df = pl.DataFrame({"credit_code": ["bad", "91310107MA1G00000Q"], "town_code": ["310107005", "310107014"]})
    >>> r = check(df, load_pack("common-base"))
    >>> group_view(r, "310107014").by_level["error"], group_view(r, "310107005").by_level["error"]
    (0, 1)
    """
    findings = result.findings.filter(pl.col("group") == code)
    groups = result.groups.filter(pl.col("group") == code)
    name = groups["name"][0] if groups.height and "name" in groups.columns else None
    counts = dict(findings.group_by("rule_id").len().iter_rows()) if findings.height else {}
    rules = result.rules.with_columns(
        pl.col("rule_id").replace_strict(counts, default=0, return_dtype=result.rules.schema["fails"]).alias("fails"),
        *[pl.lit(None, dtype=result.rules.schema[c]).alias(c) for c in ("items", "passes", "na")],
    )
    anomalies = result.anomalies
    if anomalies is not None and "group" in anomalies.columns:
        anomalies = anomalies.filter(pl.col("group") == code)
    units = int(groups["units"][0]) if groups.height and "units" in groups.columns else findings["row"].n_unique()
    listed = dict(result.findings.group_by("rule_id").len().iter_rows()) if result.findings.height else {}
    capped = [r for r, f in result.rules.select("rule_id", "fails").iter_rows() if (f or 0) > listed.get(r, 0)]
    meta = {**result.meta, "group_view": {"code": code, "name": name, "capped": capped}}
    return dataclasses.replace(result, findings=findings, rules=rules, groups=groups, anomalies=anomalies,
                               rows=units, inputs=_town_inputs(result, code, name, findings), meta=meta,
                               previous_inputs=[])  # last year's files are the district's, not the 街镇's


def write_split_by_group(result: CheckResult, out_dir: Path) -> list[Path]:
    """One workbook per 街镇, named by its name, showing only that 街镇 (:func:`group_view`)."""
    out: list[Path] = []
    for row in result.groups.iter_rows(named=True):
        code = row["group"]
        if code is None:
            continue
        name = re.sub(r'[\\/:*?"<>|]', "_", row["name"] or str(code))
        view = group_view(result, code)
        out.append(_write(Path(out_dir) / f"report_{name}.xlsx", view, view.findings))
    return out
