"""Load a rule pack: read YAML, validate, resolve ``extends``, parse every expression.

All problems found are collected and raised once as a :class:`PackError` whose issues
name file:line:column and the rule id. Loading touches the filesystem only to read the
pack, the packs it extends and its code lists.

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> text = "pack: p\\nkey: [k]\\nfields: {k: {required: true}, a: {type: int}}\\nrules: [{id: R1, check: a >= 0}]"
>>> _ = (d / "p.yaml").write_text(text)
>>> [r.id for r in load_pack(d / "p.yaml").rules]
['k.required', 'a.type', 'R1']
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Issue, PackError, Position
from ..expr.parse import ExpressionError, ParsedExpr, Scope, parse_expression
from ..expr.template import Template, parse_template
from ..expr.types import TYPE_NAMES_ZH
from ..formats import FORMATS
from .constraints import RuleDraft, field_rule_drafts
from .model import DEFAULT_NA_VALUES, Codelist, Pack, PackTest, Rule
from .schema import DetectorSpec, FieldSpec, PackFile, RuleSpec, ScoringSpec
from .yaml_source import YamlDoc, parse_yaml

__all__ = [
    "SHIPPED_RULES_DIR",
    "load_pack",
    "load_pack_text",
    "load_packs",
    "pack_files",
    "resolve_pack_path",
    "shipped_rules_dir",
]

SHIPPED_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
MAX_EXTENDS_DEPTH = 16
#: Most rules (row + history) and fields a pack may have: the shipped packs have under 200
#: rules; each rule costs a few ms to parse and type, so a bound keeps a huge pack a quick
#: error rather than a minute's wait.
MAX_RULES = 3000
MAX_FIELDS = 3000
_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def resolve_pack_path(name_or_path: str | Path) -> Path:
    """A path as given if it exists, else a shipped pack found by its ``pack:`` id or file stem.

    Examples
    --------
    >>> resolve_pack_path("labor-102").name
    'labor_102.yaml'
    """
    path = Path(name_or_path)
    if path.exists():
        return path
    root = shipped_rules_dir()
    if root is not None:
        wanted = str(name_or_path)
        for candidate in pack_files(root):
            stem = candidate.relative_to(root).with_suffix("").as_posix()
            if wanted in (stem, stem.replace("_", "-"), candidate.stem.replace("_", "-")):
                return candidate
            head = candidate.read_text(encoding="utf-8", errors="replace")[:2000]
            m = re.search(r"^pack:\s*['\"]?([^'\"\s#]+)", head, re.M)
            if m and m.group(1) == wanted:
                return candidate
    raise PackError([Issue(f"找不到规则包 '{name_or_path}'（既不是文件，也不是内置规则包的名称）")])


def pack_files(root: Path) -> list[Path]:
    """Every pack file under ``root`` (``*.yaml`` outside ``codelists/``), sorted.

    Examples
    --------
    >>> root = shipped_rules_dir()
    >>> root is not None and any(p.name == "labor_102.yaml" for p in pack_files(root))
    True
    """
    return sorted(p for p in root.rglob("*.yaml") if "codelists" not in p.relative_to(root).parts)


def load_packs(
    root: Path | None = None, on_error: Callable[[Path, PackError], None] | None = None
) -> list[Pack]:
    """Load every pack under ``root`` (default: the shipped packs). A pack that does not
    load is passed to ``on_error`` (default: skipped), so the others still load."""
    base = root if root is not None else shipped_rules_dir()
    if base is None:
        return []
    packs: list[Pack] = []
    for path in pack_files(base):
        try:
            packs.append(load_pack(path))
        except PackError as exc:
            if on_error is not None:
                on_error(path, exc)
    return packs


def shipped_rules_dir() -> Path | None:
    """Where the shipped packs are: inside the package when installed, else ``rules/``."""
    for candidate in (SHIPPED_RULES_DIR, Path(__file__).resolve().parents[3] / "rules"):
        if candidate.is_dir():
            return candidate
    return None


# --- reading one file ----------------------------------------------------------------


@dataclass
class _File:
    path: Path
    doc: YamlDoc
    spec: PackFile
    raw: bytes


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``loc`` (for 'did you mean')."""
    current: Any = PackFile
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(str(part))
            if info is None:
                return None
            current = info.annotation
        else:
            args = [a for a in typing.get_args(current) if a is not type(None)]
            origin = typing.get_origin(current)
            if origin in (list, dict):
                current = args[-1] if args else None
            elif args:
                current = next((a for a in args if typing.get_origin(a) in (list, dict) or
                                (isinstance(a, type) and issubclass(a, BaseModel))), args[0])
                origin = typing.get_origin(current)
                if origin in (list, dict):
                    current = typing.get_args(current)[-1]
            else:
                return None
        while typing.get_origin(current) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[0] if len(args) == 1 else next(
                (a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), args[0])
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _rule_id_at(value: Any, loc: tuple[str | int, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] in ("rules", "history", "detectors") and isinstance(loc[1], int):
        try:
            item = value[loc[0]][loc[1]]
            return str(item.get("id")) if isinstance(item, dict) and item.get("id") else None
        except (KeyError, IndexError, TypeError):
            return None
    return None


def _suggest(word: str, candidates: list[str] | typing.Iterable[str]) -> str | None:
    options = list(candidates)
    same_but_case = [c for c in options if str(c).lower() == str(word).lower()]
    close = same_but_case or difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f"是否想写 '{close[0]}'？" if close else None


def _validation_issues(doc: YamlDoc, exc: ValidationError) -> list[Issue]:
    issues: list[Issue] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        rule_id = _rule_id_at(doc.value, loc)
        kind = err["type"]
        where = ".".join(str(p) for p in loc)
        if kind == "extra_forbidden":
            model = _model_at(loc[:-1])
            allowed = list(model.model_fields) if model else []
            issues.append(Issue(f"未知的键 '{loc[-1]}'（位置 {where}）", doc.position(loc, key=True),
                                rule_id, _suggest(str(loc[-1]), allowed)))
        elif kind == "missing":
            issues.append(Issue(f"缺少必需的键 '{loc[-1]}'（位置 {where}）", doc.position(loc[:-1]), rule_id))
        elif kind == "literal_error":
            expected = str(err.get("ctx", {}).get("expected", ""))
            options = re.findall(r"'([^']*)'", expected)
            issues.append(Issue(f"'{where}' 的值 {err.get('input')!r} 不在允许范围内：{expected}",
                                doc.position(loc), rule_id, _suggest(str(err.get("input")), options)))
        else:
            issues.append(Issue(f"'{where}' 的值无效：{err['msg']}（实际为 {err.get('input')!r}）",
                                doc.position(loc), rule_id))
    return issues


def _read_file(path: Path, raw: bytes | None = None) -> _File:
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise PackError([Issue(f"无法读取规则包：{exc.strerror or exc}", Position(str(path)))]) from None
    doc = parse_yaml(raw, str(path))
    if not isinstance(doc.value, dict):
        raise PackError([Issue("规则包顶层必须是映射（键: 值）", doc.position(()))])
    try:
        spec = PackFile.model_validate(doc.value)
    except ValidationError as exc:
        raise PackError(_validation_issues(doc, exc)) from None
    return _File(path, doc, spec, raw)


# --- merging extends -----------------------------------------------------------------


@dataclass
class _Merged:
    files: list[_File] = field(default_factory=list)
    spec: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, tuple[FieldSpec, Position]] = field(default_factory=dict)
    params: dict[str, tuple[Any, Position]] = field(default_factory=dict)
    codelists: dict[str, tuple[Path | None, Any, Position]] = field(default_factory=dict)
    rules: dict[str, tuple[RuleSpec, Position]] = field(default_factory=dict)
    patches: dict[str, list[tuple[RuleSpec, Position]]] = field(default_factory=dict)
    history: dict[str, tuple[RuleSpec, Position]] = field(default_factory=dict)
    detectors: dict[str, tuple[DetectorSpec, Position]] = field(default_factory=dict)
    scoring: dict[str, Any] = field(default_factory=dict)
    disable: set[str] = field(default_factory=set)
    field_files: dict[str, Path] = field(default_factory=dict)
    locs: dict[Position, tuple[YamlDoc, tuple[str | int, ...]]] = field(default_factory=dict)


def _is_patch(rule: RuleSpec) -> bool:
    return rule.check is None and rule.balance is None


def _merge_rules(
    target: dict[str, tuple[RuleSpec, Position]],
    patches: dict[str, list[tuple[RuleSpec, Position]]],
    items: list[RuleSpec],
    f: _File,
    section: str,
    issues: list[Issue],
    locs: dict[Position, tuple[YamlDoc, tuple[str | int, ...]]],
) -> None:
    seen: set[str] = set()
    for i, rule in enumerate(items):
        pos = f.doc.position((section, i))
        locs[pos] = (f.doc, (section, i))
        if rule.id in seen:
            issues.append(Issue(f"规则编号 '{rule.id}' 在本文件中重复", pos, rule.id))
            continue
        seen.add(rule.id)
        if rule.check is not None and rule.balance is not None:
            issues.append(Issue("规则只能有 check 或 balance 之一", pos, rule.id))
            continue
        if _is_patch(rule):
            if rule.id in target:
                base, _ = target[rule.id]
                target[rule.id] = (_patched(base, rule), target[rule.id][1])
            else:
                patches.setdefault(rule.id, []).append((rule, pos))
            continue
        target[rule.id] = (rule, pos)


def _patched(base: RuleSpec, patch: RuleSpec) -> RuleSpec:
    changes = {k: v for k, v in patch.model_dump(exclude_unset=True).items() if k != "id"}
    return base.model_copy(update=changes)


def _path_problem(text: str, suffixes: tuple[str, ...], what: str) -> str | None:
    """Why a path written in a pack is refused: absolute, or not a pack/code-list file.

    Paths are relative to the pack that names them (``../common/unit.yaml`` is fine), so
    a pack carried to another machine reads the same files, and a pack cannot make the
    loader open an arbitrary file (``/etc/passwd``) and echo it in an error.

    >>> _path_problem("../common/unit.yaml", (".yaml",), "extends") is None
    True
    >>> _path_problem("/etc/passwd", (".yaml",), "extends")
    "extends 只能写相对规则包的路径，不能写绝对路径 '/etc/passwd'"
    """
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or PureWindowsPath(text).drive \
            or text.startswith("~"):
        return f"{what} 只能写相对规则包的路径，不能写绝对路径 '{text}'"
    if not text.lower().endswith(suffixes):
        return f"{what} 必须是 {' 或 '.join(suffixes)} 文件：'{text}'"
    return None


def _collect(
    path: Path, stack: tuple[Path, ...], merged: _Merged, issues: list[Issue], raw: bytes | None = None,
    via: Position | None = None,
) -> None:
    """Merge ``path`` and its parents into ``merged``; ``via`` is the ``extends`` entry that named it."""
    resolved = path.resolve()
    if resolved in stack:
        chain = " → ".join(p.name for p in (*stack, resolved))
        raise PackError([Issue(f"extends 形成循环：{chain}", via or Position(str(path)))])
    if len(stack) > MAX_EXTENDS_DEPTH:
        raise PackError([Issue(f"extends 层数超过 {MAX_EXTENDS_DEPTH}", via or Position(str(path)))])
    f = _read_file(path, raw)
    for i, parent in enumerate(f.spec.extends):
        problem = _path_problem(parent, (".yaml", ".yml"), "extends")
        if problem is not None:
            raise PackError([Issue(problem, f.doc.position(("extends", i)))])
        parent_path = (path.parent / parent)
        if not parent_path.is_file():
            raise PackError([Issue(f"extends 指向的文件不存在：{parent}", f.doc.position(("extends", i)))])
        _collect(parent_path, (*stack, resolved), merged, issues, via=f.doc.position(("extends", i)))
    if any(existing.path.resolve() == resolved for existing in merged.files):
        return  # a diamond: the same parent reached twice is merged once
    merged.files.append(f)
    spec = f.spec
    for name in ("pack", "title", "version", "key", "group", "period", "na_values", "forms", "optional_forms"):
        if name in spec.model_fields_set:
            merged.spec[name] = getattr(spec, name)
    for fid, fspec in spec.fields.items():
        inherited = merged.fields.get(fid)
        if inherited is not None:  # a child restates a field: its keys override, the rest is inherited
            fspec = inherited[0].model_copy(update={k: getattr(fspec, k) for k in fspec.model_fields_set})
        merged.fields[fid] = (fspec, f.doc.position(("fields", fid), key=True))
        merged.field_files[fid] = f.path
    for name, value in spec.params.items():
        merged.params[name] = (value, f.doc.position(("params", name), key=True))
    for name, cl in spec.codelists.items():
        problem = _path_problem(cl.file, (".csv",), f"代码表 '{name}' 的 file")
        if problem is not None:
            issues.append(Issue(problem, f.doc.position(("codelists", name, "file"))))
            merged.codelists[name] = (None, cl, f.doc.position(("codelists", name), key=True))
            continue
        merged.codelists[name] = (f.path.parent, cl, f.doc.position(("codelists", name), key=True))
    _merge_rules(merged.rules, merged.patches, spec.rules, f, "rules", issues, merged.locs)
    hist_patches: dict[str, list[tuple[RuleSpec, Position]]] = {}
    _merge_rules(merged.history, hist_patches, spec.history, f, "history", issues, merged.locs)
    for rid, plist in hist_patches.items():
        for _, pos in plist:
            issues.append(Issue("history 规则缺少 check 或 balance", pos, rid))
    for i, det in enumerate(spec.detectors):
        pos = f.doc.position(("detectors", i))
        merged.locs[pos] = (f.doc, ("detectors", i))
        merged.detectors[det.id] = (det, pos)
    if spec.scoring is not None:
        for name, value in spec.scoring.model_dump(exclude_unset=True).items():
            inherited = merged.scoring.get(name)  # weights and grades: a child changes the entries it names
            merged.scoring[name] = {**inherited, **value} if isinstance(value, dict) and inherited else value
    merged.disable.update(spec.disable)


# --- code lists ----------------------------------------------------------------------


def _read_codelist(name: str, base: Path, spec: Any, pos: Position) -> tuple[Codelist, bytes]:
    path = base / spec.file
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PackError([Issue(f"代码表 '{name}' 的文件无法读取：{spec.file}（{exc.strerror or exc}）", pos)]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    for col in [spec.key, *([spec.label] if spec.label else [])]:
        if col not in columns:
            # no "did you mean" from the header: that would echo the content of the file
            raise PackError([Issue(f"代码表 '{name}'（{spec.file}）没有列 '{col}'", pos,
                                   hint=f"列名区分大小写，请对照 {Path(spec.file).name} 的第一行")])
    codes: list[str] = []
    labels: dict[str, str] = {}
    for row in reader:
        code = (row.get(spec.key) or "").strip()
        if not code:
            continue
        codes.append(code)
        if spec.label:
            labels[code] = (row.get(spec.label) or "").strip()
    return Codelist(name, str(path), spec.key, tuple(dict.fromkeys(codes)), labels), raw


# --- building rules ------------------------------------------------------------------


class _Builder:
    def __init__(self, merged: _Merged, issues: list[Issue]) -> None:
        self.merged = merged
        self.issues = issues
        self.field_types = {k: v[0].type for k, v in merged.fields.items()}
        self.params = {k: v[0] for k, v in merged.params.items()}

    def scope(self, allow_prev: bool) -> Scope:
        return Scope(self.field_types, self.params, frozenset(self.merged.codelists), allow_prev)

    def _locate(self, rule_pos: Position | None, key: str, text: str, offset: int) -> Position | None:
        """Where ``text[offset]`` is, ``text`` being the rule's ``key`` (check, when, message)."""
        if rule_pos is None:
            return None
        loc = self.merged.locs.get(rule_pos)
        if loc is not None:
            doc, path = loc
            full = (*path, key)
            if full in doc.positions:
                return doc.scalar_position(full, text, offset)
        return rule_pos

    def parse(self, text: str, scope: Scope, rule_id: str, pos: Position | None, key: str) -> ParsedExpr | None:
        try:
            parsed = parse_expression(text, scope)
        except ExpressionError as exc:
            self._report(exc, text, rule_id, pos, key)
            return None
        if key in ("check", "when") and parsed.type not in ("bool", "null"):
            kind = TYPE_NAMES_ZH.get(parsed.type, parsed.type)
            lead = len(text) - len(text.lstrip())
            self._report(ExpressionError(f"必须是条件（结果为真或假），这里的结果是{kind}", lead,
                                         "例如写成比较：a > 0、s IS NOT NULL"), text, rule_id, pos, key)
            return None
        return parsed

    def template(self, text: str, scope: Scope, rule_id: str, pos: Position | None) -> Template | None:
        try:
            return parse_template(text, scope)
        except ExpressionError as exc:
            self._report(exc, text, rule_id, pos, "message")
            return None

    def _report(self, exc: ExpressionError, text: str, rule_id: str, pos: Position | None, key: str) -> None:
        where = self._locate(pos, key, text, exc.offset)
        self.issues.append(Issue(f"{key}: {exc.message}", where, rule_id, exc.hint))

    def rule(self, spec: RuleSpec, pos: Position | None, kind: str) -> Rule | None:
        scope = self.scope(kind == "history")
        check = when = None
        ok = True
        if spec.check is not None:
            check = self.parse(spec.check, scope, spec.id, pos, "check")
            ok = ok and check is not None
        if spec.when is not None:
            when = self.parse(spec.when, scope, spec.id, pos, "when")
            ok = ok and when is not None
        if spec.balance is not None:
            for name in [spec.balance.total, *(p.lstrip("-").strip() for p in spec.balance.parts)]:
                if name not in self.field_types:
                    self.issues.append(Issue(f"balance 引用了未知字段 '{name}'", pos, spec.id,
                                             _suggest(name, self.field_types)))
                    ok = False
                elif self.field_types[name] not in ("int", "float"):
                    self.issues.append(Issue(f"balance 字段 '{name}' 必须是数值类型", pos, spec.id))
                    ok = False
        if spec.check is None and spec.balance is None:
            self.issues.append(Issue("规则缺少 check 或 balance（若是覆盖继承的规则，编号不存在）", pos, spec.id))
            return None
        message = self.template(spec.message, scope, spec.id, pos) if spec.message else None
        if spec.message and message is None:
            ok = False
        if not ok:
            return None
        return Rule(
            id=spec.id,
            title=spec.title or spec.id,
            level=spec.level or "error",
            dimension=spec.dimension or "consistency",
            kind="history" if kind == "history" else "row",
            check=check,
            when=when,
            balance=spec.balance,
            message=message,
            source=spec.source,
            position=pos,
        )

    def field_rule(self, draft: RuleDraft, patch: RuleSpec | None, pos: Position) -> Rule | None:
        scope = self.scope(False)
        title, level, dimension = draft.title, draft.level, draft.dimension
        message_text, source, when = draft.message, None, None
        if patch is not None:
            title = patch.title or title
            level = patch.level or level
            dimension = patch.dimension or dimension
            message_text = patch.message or message_text
            source = patch.source
            if patch.when is not None:
                when = self.parse(patch.when, scope, draft.id, pos, "when")
        check = None
        if draft.check is not None:
            check = self.parse(draft.check, scope, draft.id, pos, "check")
            if check is None:
                return None
        message = self.template(message_text, scope, draft.id, pos)
        return Rule(
            id=draft.id,
            title=title,
            level=level,
            dimension=dimension,
            kind="field",
            check=check,
            when=when,
            message=message,
            source=source or "字段约束",
            position=pos,
            field=draft.field,
            constraint=draft.constraint,
        )


def _field_issues(merged: _Merged, issues: list[Issue]) -> None:
    for fid, (fspec, pos) in merged.fields.items():
        if not _ID_RE.match(fid):
            issues.append(Issue(f"字段标识 '{fid}' 只能由字母、数字和下划线组成，且不以数字开头", pos))
        elif fid.startswith("__"):
            issues.append(Issue(f"字段标识 '{fid}' 不能以两个下划线开头（留作内部列名）", pos))
        if fspec.codelist is not None and fspec.codelist not in merged.codelists:
            issues.append(Issue(f"字段 '{fid}' 引用了未定义的代码表 '{fspec.codelist}'", pos,
                                hint=_suggest(fspec.codelist, merged.codelists)))
        if fspec.format is not None and fspec.format not in FORMATS:
            issues.append(Issue(f"字段 '{fid}' 的 format '{fspec.format}' 未知", pos,
                                hint="可用：" + ", ".join(sorted(FORMATS))))
        if fspec.pattern is not None:
            try:
                re.compile(fspec.pattern)
            except re.error as exc:
                issues.append(Issue(f"字段 '{fid}' 的 pattern 不是有效的正则表达式：{exc}", pos))
        if fspec.min is not None and fspec.max is not None and fspec.min > fspec.max:
            issues.append(Issue(f"字段 '{fid}' 的 min 大于 max", pos))
        if (fspec.min is not None or fspec.max is not None) and fspec.type not in ("int", "float"):
            issues.append(Issue(f"字段 '{fid}' 不是数值类型，不能设 min/max", pos))
    for name, (_, pos) in merged.params.items():
        if name in merged.fields:
            issues.append(Issue(f"参数 '{name}' 与字段同名（参数不能遮蔽字段）", pos))
        elif not _ID_RE.match(name):
            issues.append(Issue(f"参数名 '{name}' 只能由字母、数字和下划线组成", pos))


def _structure_issues(merged: _Merged, issues: list[Issue]) -> None:
    top = merged.files[-1]
    spec = merged.spec
    forms = spec.get("forms") or []
    for fid, (fspec, pos) in merged.fields.items():
        if fspec.form is not None and fspec.form not in forms:
            issues.append(Issue(f"字段 '{fid}' 的 form '{fspec.form}' 不在 forms 列表 {forms} 中", pos,
                                hint=_suggest(fspec.form, forms)))
    if any(rid not in merged.disable for rid in merged.history) and not spec.get("key"):
        first = next(f for f in merged.files if f.spec.history)
        issues.append(Issue("history 规则需要 key：上期数据按 key 与本期的同一单位对应",
                            first.doc.position(("history",), key=True),
                            hint="在规则包顶层写 key: [统一社会信用代码字段]"))
    for i, form in enumerate(spec.get("optional_forms") or []):
        if form not in forms[1:]:
            what = "是主表，必须提供" if forms and form == forms[0] else f"不在 forms 列表 {forms} 中"
            issues.append(Issue(f"optional_forms 中的报表 '{form}' {what}", top.doc.position(("optional_forms", i)),
                                hint=_suggest(form, forms[1:])))
    if forms and not spec.get("key"):
        issues.append(Issue("多表规则包（forms）必须设置 key，用于连接各表", top.doc.position(("forms",))))
    from ..engine.assemble import FINDINGS_COLUMNS

    for i, k in enumerate(spec.get("key") or []):
        if k not in merged.fields:
            issues.append(Issue(f"key 引用了未知字段 '{k}'", top.doc.position(("key", i)),
                                hint=_suggest(k, merged.fields)))
        elif k in FINDINGS_COLUMNS:
            pos = merged.fields[k][1]
            issues.append(Issue(f"key 字段不能叫 '{k}'：问题清单已有同名列（保留名：{'、'.join(FINDINGS_COLUMNS)}）",
                                pos, hint=f"把字段改名，例如 '{k}_id'，并用 label 或 aliases 对应原表头"))
    for name in ("group", "period"):
        value = spec.get(name)
        if value is not None and value not in merged.fields:
            issues.append(Issue(f"{name} 引用了未知字段 '{value}'", top.doc.position((name,)),
                                hint=_suggest(value, merged.fields)))


def _detector_issues(merged: _Merged, issues: list[Issue], rule_ids: set[str]) -> None:
    from ..detectors import DETECTORS

    for did, (det, pos) in merged.detectors.items():
        if did in merged.disable:
            continue
        if did in rule_ids:
            issues.append(Issue("检测器编号与规则编号重复", pos, did))
        kind = DETECTORS.get(det.kind)
        if kind is None:
            issues.append(Issue(f"未知的检测器类型 '{det.kind}'", pos, did,
                                _suggest(det.kind, DETECTORS) or "可用：" + ", ".join(sorted(DETECTORS))))
            continue
        try:
            params = kind.params.model_validate(det.model_extra or {})
        except ValidationError as exc:
            doc, path = merged.locs.get(pos, (None, ()))
            allowed = [*kind.params.model_fields, "id", "kind", "level", "title"]
            for err in exc.errors():
                loc = tuple(err["loc"])
                where = doc.position((*path, *loc), key=err["type"] == "extra_forbidden") if doc else pos
                if err["type"] == "extra_forbidden":
                    issues.append(Issue(f"检测器 {det.kind} 没有参数 '{loc[-1]}'", where, did,
                                        _suggest(str(loc[-1]), allowed)))
                elif err["type"] == "missing":
                    issues.append(Issue(f"检测器 {det.kind} 缺少参数 '{loc[-1]}'", where, did))
                else:
                    issues.append(Issue(f"检测器参数 '{'.'.join(map(str, loc))}' 无效：{err['msg']}", where, did))
            continue
        probe = Pack(id="", title="", version="", key=list(merged.spec.get("key") or []), group=None, period=None,
                     params={}, codelists={}, fields={k: v[0] for k, v in merged.fields.items()}, rules=[],
                     history=[], detectors=[], scoring=ScoringSpec(), tests=[])
        for name in kind.fields(params, probe):
            if name not in merged.fields:
                issues.append(Issue(f"检测器引用了未知字段 '{name}'", pos, did, _suggest(name, merged.fields)))


def _scoring_issues(merged: _Merged, issues: list[Issue]) -> None:
    """Names in ``scoring`` that do not exist (fields, weight kinds) and impossible numbers."""
    from ..scoring import DEFAULT_WEIGHTS

    numeric = {k for k, (fspec, _) in merged.fields.items() if fspec.type in ("int", "float")}
    for f in merged.files:
        sc = f.spec.scoring
        if sc is None:
            continue

        def at(*path: str | int, key: bool = False, doc: YamlDoc = f.doc) -> Position:
            return doc.position(("scoring", *path), key=key)

        for name, w in sc.weights.items():
            if name not in DEFAULT_WEIGHTS:
                issues.append(Issue(f"scoring.weights 没有 '{name}'（可用：{', '.join(DEFAULT_WEIGHTS)}）",
                                    at("weights", name, key=True), hint=_suggest(name, DEFAULT_WEIGHTS)))
            elif w < 0:
                issues.append(Issue(f"scoring.weights.{name} 不能为负数", at("weights", name)))
        for name, t in sc.grades.items():
            if not 0 <= t <= 100:
                issues.append(Issue(f"scoring.grades.{name} 应在 0～100 之间", at("grades", name)))
        for i, fid in enumerate(sc.priority_fields):
            if fid not in merged.fields:
                issues.append(Issue(f"scoring.priority_fields 引用了未知字段 '{fid}'", at("priority_fields", i),
                                    hint=_suggest(fid, merged.fields)))
            elif fid not in numeric:
                issues.append(Issue(f"scoring.priority_fields 的字段 '{fid}' 不是数值型", at("priority_fields", i)))
        if sc.auxiliary is not None and sc.auxiliary not in numeric:
            what = "不是数值型字段" if sc.auxiliary in merged.fields else "是未知字段"
            issues.append(Issue(f"scoring.auxiliary '{sc.auxiliary}' {what}", at("auxiliary"),
                                hint=_suggest(sc.auxiliary, merged.fields)))
        for i, fid in enumerate(sc.strata):
            if fid not in merged.fields:
                issues.append(Issue(f"scoring.strata 引用了未知字段 '{fid}'", at("strata", i),
                                    hint=_suggest(fid, merged.fields)))
        if sc.min_explanation_length is not None and sc.min_explanation_length < 0:
            issues.append(Issue("scoring.min_explanation_length 不能为负数", at("min_explanation_length")))


def _tests(f: _File, issues: list[Issue], fields: dict[str, Any], rule_ids: set[str]) -> list[PackTest]:
    out: list[PackTest] = []
    for i, t in enumerate(f.spec.tests):
        pos = f.doc.position(("tests", i))
        for j, rid in enumerate(t.fails):
            field_id, _, suffix = rid.rpartition(".")
            if rid not in rule_ids and not (suffix == "excel_damaged" and field_id in fields):
                issues.append(Issue(f"测试 '{t.name}' 的 fails 中的规则编号 '{rid}' 不存在（或已停用）",
                                    f.doc.position(("tests", i, "fails", j)), rid, _suggest(rid, rule_ids)))
        rows = ([t.row] if t.row is not None else []) + list(t.rows or [])
        if not rows:
            issues.append(Issue(f"测试 '{t.name}' 缺少 row 或 rows", pos))
            continue
        previous = [t.previous] if isinstance(t.previous, dict) else t.previous
        for record in rows + list(previous or []):
            for name in record:
                if name not in fields:
                    issues.append(Issue(f"测试 '{t.name}' 使用了未知字段 '{name}'", pos,
                                        hint=_suggest(name, fields)))
        out.append(PackTest(t.name, rows, previous, list(t.fails), pos))
    return out


#: The constraints a field can generate rules for (``<field>.<constraint>``).
_CONSTRAINTS = frozenset({"required", "type", "min", "max", "pattern", "format", "codelist", "unique"})


def _dropped_constraint(merged: _Merged, rid: str, pos: Position) -> bool:
    """A parent's patch of ``<field>.<constraint>`` whose constraint a later file's
    restatement of the field turned off (``unique: false``): dropped with the constraint.

    Only a real constraint name, patched in a file merged before the one that restated
    the field, is dropped: a typo (``a.requird``) or a patch in the restating file itself
    stays an error."""
    fid, dot, constraint = rid.rpartition(".")
    owner = merged.field_files.get(fid) if dot and constraint in _CONSTRAINTS else None
    if owner is None or pos.file == str(owner):
        return False
    order = {str(f.path): i for i, f in enumerate(merged.files)}
    return order.get(pos.file, len(order)) < order.get(str(owner), -1)


def _build(merged: _Merged, issues: list[Issue], extra_hash: list[bytes]) -> Pack:
    top = merged.files[-1]
    n_rules, n_fields = len(merged.rules) + len(merged.history), len(merged.fields)
    if n_rules > MAX_RULES or n_fields > MAX_FIELDS:
        raise PackError([Issue(f"规则包过大：{n_rules} 条规则、{n_fields} 个字段（上限各 {MAX_RULES}），"
                               "请拆分为多个规则包 (pack too large)", Position(str(top.path)))])
    builder = _Builder(merged, issues)
    codelists: dict[str, Codelist] = {}
    for name, (base, cl, pos) in merged.codelists.items():
        if base is None:
            continue  # its path was refused (reported when collected)
        try:
            codelists[name], raw = _read_codelist(name, base, cl, pos)
            extra_hash.append(raw)
        except PackError as exc:
            issues.extend(exc.issues)

    rules: list[Rule] = []
    patches = dict(merged.patches)
    generated_ids: set[str] = set()
    for fid, (fspec, pos) in merged.fields.items():
        for draft in field_rule_drafts(fid, fspec):
            generated_ids.add(draft.id)
            patch_list = patches.pop(draft.id, [])
            if draft.id in merged.disable:
                continue  # a parent's override of a rule the child disables is dropped with it
            patch = None
            for p, _ in patch_list:
                patch = p if patch is None else _patched(patch, p)
            rule = builder.field_rule(draft, patch, pos)
            if rule is not None:
                rules.append(rule)
    for rid, plist in patches.items():
        for _, pos in plist:
            if _dropped_constraint(merged, rid, pos):
                continue
            issues.append(Issue("规则缺少 check 或 balance，且没有同编号的继承规则或字段约束可覆盖", pos, rid,
                                _suggest(rid, [*generated_ids, *merged.rules])))
    for rid, (rspec, pos) in merged.rules.items():
        if rid in generated_ids:
            issues.append(Issue("规则编号与字段约束生成的编号冲突", pos, rid))
            continue
        if rid in merged.disable:
            continue
        rule = builder.rule(rspec, pos, "row")
        if rule is not None:
            rules.append(rule)
    history: list[Rule] = []
    for rid, (rspec, pos) in merged.history.items():
        if rid in merged.rules or rid in generated_ids:
            issues.append(Issue("history 规则编号与其他规则重复", pos, rid))
            continue
        if rid in merged.disable:
            continue
        rule = builder.rule(rspec, pos, "history")
        if rule is not None:
            history.append(rule)
    known = {*generated_ids, *merged.rules, *merged.history, *merged.detectors}
    for f in merged.files:
        for i, rid in enumerate(f.spec.disable):
            if rid not in known:
                issues.append(Issue(f"disable 中的编号 '{rid}' 不存在", f.doc.position(("disable", i)), rid,
                                    _suggest(rid, known)))

    _field_issues(merged, issues)
    _structure_issues(merged, issues)
    _detector_issues(merged, issues, {*generated_ids, *merged.rules, *merged.history})
    _scoring_issues(merged, issues)
    active = {r.id for r in rules} | {r.id for r in history} | {d for d in merged.detectors if d not in merged.disable}
    tests = _tests(top, issues, merged.fields, active)
    spec = merged.spec
    digest = hashlib.sha256()
    for f in merged.files:
        digest.update(f.raw)
    for raw in extra_hash:
        digest.update(raw)
    return Pack(
        id=str(spec.get("pack")),
        title=str(spec.get("title") or spec.get("pack")),
        version=str(spec.get("version") or ""),
        key=list(spec.get("key") or []),
        group=spec.get("group"),
        period=spec.get("period"),
        params=dict(builder.params),
        codelists=codelists,
        fields={k: v[0] for k, v in merged.fields.items()},
        rules=rules,
        history=history,
        detectors=[d for k, (d, _) in merged.detectors.items() if k not in merged.disable],
        scoring=ScoringSpec.model_validate(merged.scoring),
        tests=tests,
        na_values=tuple(spec.get("na_values") or DEFAULT_NA_VALUES),
        forms=list(spec.get("forms") or []),
        optional_forms=list(spec.get("optional_forms") or []),
        files=[str(f.path) for f in merged.files],
        sha256=digest.hexdigest(),
        path=str(top.path),
    )


def _load(path: Path, raw: bytes | None = None) -> Pack:
    issues: list[Issue] = []
    merged = _Merged()
    _collect(path, (), merged, issues, raw)
    pack = _build(merged, issues, [])
    if not issues:
        from ..engine.typecheck import typecheck_pack

        issues.extend(typecheck_pack(pack))
    if issues:
        raise PackError(issues)
    return pack


def load_pack(path: str | Path) -> Pack:
    """Load and resolve a rule pack from a path (or a shipped pack's name).

    Raises :class:`PackError` listing every problem with file:line:column and rule id.
    """
    return _load(resolve_pack_path(path))


def load_pack_text(text: str, name: str = "<pack>.yaml", base_dir: str | Path = ".") -> Pack:
    """Load a pack from YAML text (``extends`` and code lists resolve under ``base_dir``).

    Examples
    --------
    >>> p = load_pack_text("pack: t\\nfields: {a: {type: int, min: 0}}\\n")
    >>> [r.id for r in p.rules]
    ['a.type', 'a.min']
    """
    return _load(Path(base_dir) / name, text.encode("utf-8"))
