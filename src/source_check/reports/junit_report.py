"""JUnit XML for CI: one testsuite per pack, one testcase per rule or detector.

A rule with findings at or above ``--fail-on`` is a ``<failure>`` carrying the counts
and the first few findings; a rule with findings below it (e.g. warnings when failing
on errors) passes but shows them in ``<system-out>``; a rule that could not run is
``<skipped>``. The layout follows the Ant/Jenkins JUnit format that CI systems read.

Examples
--------
>>> import polars as pl
>>> from source_check import check, load_pack
>>> r = check(pl.DataFrame({"credit_code": ["bad"], "town_code": ["310107005"]}), load_pack("common-base"))
>>> '<failure message="credit_code.format' in junit_xml(r)
True
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl

from ..pack.model import LEVEL_ZH
from ..result import CheckResult

__all__ = ["FAILING_LEVELS", "junit_xml", "write_junit"]

FAILING_LEVELS = {"error": ("error",), "warning": ("error", "warning"), "never": ()}
FIRST_FINDINGS = 5


def _first_findings(result: CheckResult, rule_id: str) -> str:
    rows = result.findings.filter(pl.col("rule_id") == rule_id).head(FIRST_FINDINGS)
    lines = []
    key = result.key[0] if result.key else None
    for f in rows.iter_rows(named=True):
        where = f.get("source_file") or ""
        if f.get("source_row") is not None:
            where += f":{f['source_row']}"
        unit = f.get(key) if key else f["row"]
        lines.append(f"[{f['group'] or ''}] {unit} {where} {f['message']}".strip())
    return "\n".join(lines)


def junit_xml(result: CheckResult) -> str:
    """The JUnit XML text of a result (``fail_on`` from ``result.meta``, default error)."""
    failing_levels = FAILING_LEVELS[str(result.meta.get("fail_on", "error"))]
    rules = result.rules
    failures = rules.filter(pl.col("level").is_in(list(failing_levels)) & (pl.col("fails") > 0)).height
    skipped = rules.filter(pl.col("skipped")).height
    duration = f"{float(result.meta.get('duration_s') or 0):.3f}"
    suites = ET.Element("testsuites", name="source-check", tests=str(rules.height), failures=str(failures),
                        errors="0", time=duration)
    suite = ET.SubElement(suites, "testsuite", name=result.pack_id, tests=str(rules.height),
                          failures=str(failures), errors="0", skipped=str(skipped), time=duration)
    if result.meta.get("started"):
        suite.set("timestamp", str(result.meta["started"]))
    props = ET.SubElement(suite, "properties")
    for name, value in (("pack.title", result.pack_title), ("pack.version", result.pack_version),
                        ("pack.sha256", result.pack_sha256), ("units", str(result.rows))):
        ET.SubElement(props, "property", name=name, value=value)
    for r in rules.iter_rows(named=True):
        case = ET.SubElement(suite, "testcase", name=f"{r['rule_id']} {r['title']}", classname=result.pack_id,
                             time="0")
        summary = (f"{r['rule_id']}（{LEVEL_ZH[r['level']]}）：{r['fails']} 条不通过，"
                   f"{r['passes']} 条通过，{r['na']} 条不适用")
        if r["skipped"]:
            reason = next((s.reason for s in result.skipped if s.rule_id == r["rule_id"]), "未执行")
            ET.SubElement(case, "skipped", message=reason)
        elif r["fails"] > 0 and r["level"] in failing_levels:
            failure = ET.SubElement(case, "failure", message=summary, type=r["level"])
            failure.text = _first_findings(result, r["rule_id"])
        elif r["fails"] > 0:
            out = ET.SubElement(case, "system-out")
            out.text = summary + "\n" + _first_findings(result, r["rule_id"])
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=False)


def write_junit(result: CheckResult, out_dir: Path) -> Path:
    """Write ``out_dir/junit.xml``."""
    path = Path(out_dir) / "junit.xml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + junit_xml(result) + "\n", encoding="utf-8")
    return path
