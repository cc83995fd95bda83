"""The rule catalogue (``rules/README.md``) generated from the packs themselves.

:func:`render_rules_doc` turns loaded packs into Markdown: a table of packs, an index
from the 核查办法's relation numbers (101-01, X-02, Q-03…) to the rules that implement
them, and per pack its parameters, its own or changed rules (id, title, level,
dimension, expression, source) and detectors. :func:`update_readme` puts that text
between two marker lines of an existing README, keeping the hand-written text around
it. Both are pure; :func:`build_rules_readme` is the thin I/O wrapper the CLI and the
up-to-date test use.

Examples
--------
>>> from source_check.pack.loader import load_pack_text
>>> pack = load_pack_text("pack: t\\nfields: {a: {type: int}}\\nrules: [{id: R1, title: 甲, check: a >= 0}]\\n")
>>> text = render_rules_doc([("t.yaml", pack)])
>>> "| R1 | 甲 | 强制 | 一致性 | `a >= 0` |  |" in text
True
>>> update_readme("# 标题\\n", "正文\\n").count(BEGIN)
1
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from .constraints import TYPE_ZH, number_text
from .model import DIMENSION_ZH, LEVEL_ZH, Pack, Rule
from .schema import DetectorSpec

__all__ = ["BEGIN", "END", "FORMS_ID", "build_rules_readme", "load_rule_packs", "render_rules_doc", "update_readme"]

BEGIN = "<!-- BEGIN rules-doc：以下内容由 `source-check rules-doc` 从规则包生成，请勿手工修改 -->"
END = "<!-- END rules-doc -->"

#: Relation numbers of the 核查办法 (FORMS.md): 101-01…103-13, B204-01, E204-02, X-01…, Q-01….
FORMS_ID = re.compile(r"(?<![0-9A-Za-z-])((?:10[123]|B204|E204)-\d{2}|[XQ]-\d{2})(?![\d])")

_DEFAULT_HEAD = "# 内置规则包\n\n本文件的规则目录部分由 `source-check rules-doc rules/` 生成。\n\n"


def _cell(text: object) -> str:
    """Text fit for one Markdown table cell: one line, pipes escaped."""
    s = re.sub(r"\s+", " ", str(text)).strip()
    return s.replace("|", "\\|")


def _code(text: str) -> str:
    s = _cell(text)
    return f"`{s}`" if s else ""


def _expression(pack: Pack, rule: Rule) -> str:
    parts: list[str] = []
    if rule.balance is not None:
        b = rule.balance
        terms = ""
        for i, part in enumerate(b.parts):
            minus = part.startswith("-")
            name = part.lstrip("-").strip()
            terms += ("−" if minus else "") + name if i == 0 else (" − " if minus else " + ") + name
        text = f"{_code(f'{b.total} = {terms}')}（允许误差 {number_text(b.tolerance)}"
        text += "，空项按 0 计）" if b.null_as_zero else "）"
        parts.append(text)
    elif rule.check is not None:
        parts.append(_code(rule.check.text))
    elif rule.constraint == "type" and rule.field:
        parts.append(f"能转换为{TYPE_ZH[pack.fields[rule.field].type]}")
    if rule.when is not None:
        parts.insert(0, f"当 {_code(rule.when.text)} 时：")
    return "".join(parts)


def _signature(rule: Rule) -> tuple[object, ...]:
    return (
        rule.title, rule.level, rule.dimension, rule.check.text if rule.check else None,
        rule.when.text if rule.when else None, rule.message.text if rule.message else None, rule.source,
        rule.balance,
    )


def _resolved(path: str) -> Path:
    return Path(path).resolve()


def _rule_rows(pack: Pack, rules: Sequence[Rule], changed: set[str]) -> list[str]:
    rows = ["| 编号 | 标题 | 级别 | 维度 | 表达式 | 依据 |", "|---|---|---|---|---|---|"]
    for r in rules:
        rid = f"{r.id}（改写）" if r.id in changed else r.id
        kind = "（历史）" if r.kind == "history" else ""
        rows.append(
            f"| {_cell(rid)} | {_cell(r.title)}{kind} | {LEVEL_ZH.get(r.level, r.level)} | "
            f"{DIMENSION_ZH.get(r.dimension, r.dimension)} | {_expression(pack, r)} | {_cell(r.source or '')} |"
        )
    return rows


def _own_rules(pack: Pack, by_path: dict[Path, tuple[str, Pack]]) -> tuple[list[Rule], set[str], int]:
    """Rules defined or changed by the pack's own file, the ids among them that change an
    inherited rule, and how many inherited rules are unchanged."""
    here = _resolved(pack.path) if pack.path else None
    parent_rules: dict[str, Rule] = {}
    for p in (_resolved(f) for f in pack.files[:-1]):
        if p in by_path:
            parent_rules.update({r.id: r for r in by_path[p][1].all_rules})
    own: list[Rule] = []
    changed: set[str] = set()
    inherited = 0
    for r in pack.all_rules:
        is_own = r.position is not None and here is not None and _resolved(r.position.file) == here
        base = parent_rules.get(r.id)
        if is_own or base is None:
            own.append(r)
        elif _signature(base) != _signature(r):
            own.append(r)
            changed.add(r.id)
        else:
            inherited += 1
    return own, changed, inherited


def _own_detectors(pack: Pack, by_path: dict[Path, tuple[str, Pack]]) -> list[DetectorSpec]:
    """Detectors not inherited unchanged from a parent pack."""
    inherited = [d for p in (_resolved(f) for f in pack.files[:-1]) if p in by_path for d in by_path[p][1].detectors]
    return [d for d in pack.detectors if d not in inherited]


def _section(rel: str, pack: Pack, by_path: dict[Path, tuple[str, Pack]]) -> list[str]:
    parents = [by_path[p] for p in (_resolved(f) for f in pack.files[:-1]) if p in by_path]
    parent_params: dict[str, object] = {}
    for _, parent in parents:
        parent_params.update(parent.params)
    own, changed, inherited = _own_rules(pack, by_path)

    out = [f"### {pack.title}", ""]
    facts = [f"规则包 `{pack.id}`", f"文件 `{rel}`"]
    if pack.version:
        facts.append(f"版本 {pack.version}")
    if parents:
        facts.append("继承 " + "、".join(f"`{p_rel}`" for p_rel, _ in parents))
    if pack.forms:
        optional = f"；可不提供 {'、'.join(pack.optional_forms)}" if pack.optional_forms else ""
        facts.append("报表 " + " × ".join(pack.forms) + f"（按 {'、'.join(pack.key)} 连接，第一张为主表{optional}）")
    facts.append(f"测试 {len(pack.tests)} 个")
    out += ["；".join(facts) + "。", ""]

    params = {k: v for k, v in pack.params.items() if k not in parent_params or parent_params[k] != v}
    if params:
        out += ["| 参数 | 值 |", "|---|---|"]
        out += [f"| `{k}` | {_cell(v)} |" for k, v in params.items()]
        out.append("")
    if own:
        out += [*_rule_rows(pack, own, changed), ""]
    if inherited:
        out += [f"另继承未改动的规则 {inherited} 条（见被继承的规则包）。", ""]
    detectors = _own_detectors(pack, by_path)
    if len(detectors) < len(pack.detectors):
        out += [f"另继承检测器 {len(pack.detectors) - len(detectors)} 个。", ""]
    if detectors:
        out += ["| 检测器 | 类型 | 级别 | 参数 |", "|---|---|---|---|"]
        for d in detectors:
            extra = "，".join(f"{k}={v}" for k, v in (d.model_extra or {}).items())
            out.append(f"| {_cell(d.id)} | `{d.kind}` | {LEVEL_ZH.get(d.level or 'warning')} | {_cell(extra)} |")
        out.append("")
    return out


def render_rules_doc(packs: Sequence[tuple[str, Pack]]) -> str:
    """The generated catalogue for ``packs`` (``(path relative to the rules directory, pack)``)."""
    ordered = sorted(packs, key=lambda item: item[0])
    by_path = {_resolved(p.path): (rel, p) for rel, p in ordered if p.path}
    lines = ["## 规则包一览", "", "| 文件 | 规则包 | 标题 | 继承 | 报表 | 规则 | 检测器 |",
             "|---|---|---|---|---|---|---|"]
    for rel, pack in ordered:
        parents = [by_path[p][0] for p in (_resolved(f) for f in pack.files[:-1]) if p in by_path]
        lines.append(
            f"| `{rel}` | `{pack.id}` | {_cell(pack.title)} | {_cell('、'.join(parents))} | "
            f"{_cell(' × '.join(pack.forms))} | {len(pack.all_rules)} | {len(pack.detectors)} |"
        )
    lines.append("")

    index: dict[str, list[str]] = {}
    for _, pack in ordered:
        entries = [(r.id, f"{r.id} {r.source or ''}") for r in _own_rules(pack, by_path)[0]]
        entries += [(d.id, d.id) for d in _own_detectors(pack, by_path)]
        for rid, text in entries:
            for fid in dict.fromkeys(FORMS_ID.findall(text)):
                ref = f"`{pack.id}` {rid}"
                if ref not in index.setdefault(fid, []):
                    index[fid].append(ref)
    if index:
        lines += ["## 依据编号索引", "",
                  "审核关系编号（101-01、X-02、Q-03 等）→ 以该编号为规则编号、或在依据中引用该编号的规则"
                  "（只列定义或改写该规则的规则包；继承它的规则包见上表）。", "",
                  "| 编号 | 规则包与规则 |", "|---|---|"]
        for fid in sorted(index, key=_forms_order):
            lines.append(f"| {fid} | {_cell('；'.join(index[fid]))} |")
        lines.append("")

    lines += ["## 各规则包的规则", ""]
    for rel, pack in ordered:
        lines += _section(rel, pack, by_path)
    return "\n".join(lines).rstrip() + "\n"


def _forms_order(fid: str) -> tuple[int, str]:
    head = fid.split("-")[0]
    rank = {"101": 0, "102": 1, "103": 2, "B204": 3, "E204": 4, "X": 5, "Q": 6}.get(head, 9)
    return rank, fid


def update_readme(existing: str | None, generated: str) -> str:
    """``existing`` with the text between the markers replaced by ``generated``.

    Without markers, the generated block is appended (to a default heading if there is
    no README yet).
    """
    block = f"{BEGIN}\n\n{generated.rstrip()}\n\n{END}\n"
    if existing is None:
        return _DEFAULT_HEAD + block
    start, end = existing.find(BEGIN), existing.find(END)
    if start >= 0 and end > start:
        return existing[:start] + block + existing[end + len(END):].lstrip("\n")
    return existing.rstrip("\n") + "\n\n" + block


def load_rule_packs(root: Path) -> list[tuple[str, Pack]]:
    """Every pack under ``root`` (code lists excluded), with its path relative to ``root``."""
    from .loader import load_pack, pack_files

    paths = pack_files(root)
    return [(p.relative_to(root).as_posix(), load_pack(p)) for p in paths]


def build_rules_readme(root: Path) -> str:
    """The up-to-date text of ``root/README.md``."""
    readme = root / "README.md"
    existing = readme.read_text(encoding="utf-8") if readme.is_file() else None
    return update_readme(existing, render_rules_doc(load_rule_packs(root)))
