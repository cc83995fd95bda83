r"""JUnit XML for CI: one testsuite per pack, one testcase per rule or detector.

A rule with findings at or above ``--fail-on`` is a ``<failure>`` carrying the counts
and the first few findings; a rule with findings below it (e.g. warnings when failing
on errors) passes but shows them in ``<system-out>``; a rule that could not run is
``<skipped>``. The layout follows the Ant/Jenkins JUnit format that CI systems read
(Jenkins, GitLab), and also the stricter shape of the Windy Road ``JUnit.xsd``: no
attributes on ``<testsuites>``; ``id``, ``package``, ``hostname`` and a timestamp
without time zone (UTC) on the suite; a suite-level ``<system-out>`` (the verdict and
counts) and ``<system-err>``. The one deliberate difference from that schema is the
testcase-level ``<system-out>`` carrying findings below ``--fail-on``, which Jenkins and
GitLab show on the test's own page. Characters that XML 1.0 forbids (control
characters pasted in from Excel such as ``\x0b``) are written as visible escapes, so
the file is always well-formed.

Examples
--------
>>> import polars as pl
>>> from source_check import check, load_pack
>>> r = check(pl.DataFrame({"credit_code": ["bad"], "town_code": ["310107005"]}), load_pack("common-base"))
>>> '<failure message="credit_code.format' in junit_xml(r)
True
"""

from __future__ import annotations

import contextlib
import re
import socket
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from ..pack.model import LEVEL_ZH
from ..result import CheckResult
from .verdict import FAILING_LEVELS, fail_on, verdict

__all__ = ["FAILING_LEVELS", "junit_document", "junit_xml", "write_junit", "xml_safe"]

FIRST_FINDINGS = 5
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    r"""``text`` with every character XML 1.0 forbids written as a visible escape.

    Examples
    --------
    >>> xml_safe("甲\x0b公司\x01")
    '甲\\x0b公司\\x01'
    """
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def _clean_tree(root: ET.Element) -> None:
    for el in root.iter():
        if el.text:
            el.text = xml_safe(el.text)
        if el.tail:
            el.tail = xml_safe(el.tail)
        for k, v in el.attrib.items():
            el.attrib[k] = xml_safe(v)


def _timestamp(started: object) -> str:
    """ISO 8601 without a time zone (UTC), as the JUnit schemas want it."""
    when = datetime.now(UTC)
    if started:
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(str(started))
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat(timespec="seconds")


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
    failing_levels = FAILING_LEVELS[fail_on(result)]
    rules = result.rules
    failures = rules.filter(pl.col("level").is_in(list(failing_levels)) & (pl.col("fails") > 0)).height
    skipped = rules.filter(pl.col("skipped")).height
    duration = f"{float(result.meta.get('duration_s') or 0):.3f}"
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", name=result.pack_id, tests=str(rules.height),
                          failures=str(failures), errors="0", skipped=str(skipped), time=duration,
                          timestamp=_timestamp(result.meta.get("started")),
                          hostname=str(result.meta.get("hostname") or socket.gethostname() or "localhost"),
                          id="0", package=result.pack_id)
    props = ET.SubElement(suite, "properties")
    for name, value in (("pack.title", result.pack_title), ("pack.version", result.pack_version),
                        ("pack.sha256", result.pack_sha256), ("units", str(result.rows)),
                        ("fail_on", fail_on(result))):
        ET.SubElement(props, "property", name=name, value=value)
    below: list[str] = []
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
            below.append(summary)
    by = result.by_level
    lines = [f"{result.pack_title}（{result.pack_id} {result.pack_version}）：{verdict(result)}",
             f"{result.rows} 条记录；强制性问题 {by['error']}，核实性问题 {by['warning']}，提示 {by['info']}"]
    if below:
        lines += [f"低于 --fail-on {fail_on(result)} 的问题（不算失败）：", *below]
    ET.SubElement(suite, "system-out").text = "\n".join(lines)
    ET.SubElement(suite, "system-err")
    _clean_tree(suites)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=False)


def junit_document(result: CheckResult) -> str:
    """junit.xml as written: the XML declaration, the XML, a final newline."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + junit_xml(result) + "\n"


def write_junit(result: CheckResult, out_dir: Path) -> Path:
    """Write ``out_dir/junit.xml``."""
    path = Path(out_dir) / "junit.xml"
    path.write_text(junit_document(result), encoding="utf-8")
    return path
