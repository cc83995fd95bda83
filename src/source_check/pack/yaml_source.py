"""Read YAML safely, keeping the position of every node.

PyYAML's safe composer builds a node graph; we turn it into plain Python values
ourselves so that every mapping key, value and list item keeps its file:line:column,
and so that hostile YAML is bounded:

* files larger than :data:`MAX_BYTES` are refused before parsing;
* nesting deeper than :data:`MAX_DEPTH` is refused;
* aliases are expanded by reference only, and a document whose *expanded* size
  exceeds :data:`MAX_NODES` (the "billion laughs" alias bomb) is refused;
* duplicate mapping keys are errors, not silent overwrites.

Examples
--------
>>> doc = parse_yaml("pack: demo\\nrules:\\n  - id: R1\\n", "demo.yaml")
>>> doc.value["rules"][0]["id"]
'R1'
>>> str(doc.position(("rules", 0, "id")))
'demo.yaml:3:9'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import Issue, PackError, Position

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "YamlDoc", "parse_yaml"]

#: libyaml's composer when PyYAML was built with it (several times faster), else pure Python.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 2_000_000
MAX_DEPTH = 40
MAX_NODES = 200_000

Path = tuple[str | int, ...]


@dataclass
class YamlDoc:
    """A parsed YAML document: its value and the position of each path in it."""

    file: str
    value: Any
    positions: dict[Path, Position] = field(default_factory=dict)
    key_positions: dict[Path, Position] = field(default_factory=dict)
    styles: dict[Path, str | None] = field(default_factory=dict)
    source: str = ""

    def scalar_position(self, path: Path, text: str, offset: int) -> Position:
        """Where character ``offset`` of the scalar ``text`` at ``path`` is in the file.

        Follows the scalar over its lines: a literal (``|``) block line by line, a folded
        (``>``, ``>-``) block or a multi-line plain or quoted scalar by matching the value
        against the source lines, skipping indentation and line breaks that folding
        turned into spaces.

        >>> doc = parse_yaml("check: >-\\n  a > 0 AND\\n  bb < 1\\n", "p.yaml")
        >>> str(doc.scalar_position(("check",), doc.value["check"], 10))
        'p.yaml:3:3'
        """
        start = self.positions.get(path)
        if start is None:
            return self.position(path)
        style = self.styles.get(path)
        lines = self.source.split("\n")
        quote = 1 if style in ("'", '"') else 0
        if start.line - 1 >= len(lines):
            return start
        if style not in ("|", ">") and "\n" not in text and _one_line(lines, start, quote, text):
            return start.shifted(quote + offset)
        for line, column in _aligned(_segments(lines, start, style, quote), text, offset):
            return Position(self.file, line, column)
        return start

    def position(self, path: Path, *, key: bool = False) -> Position:
        """Position of ``path``, or of its nearest ancestor that has one.

        With ``key=True`` the position of the mapping key (useful for an unknown key).
        """
        table = self.key_positions if key else self.positions
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get((), Position(self.file, 1, 1))


def _one_line(lines: list[str], start: Position, quote: int, text: str) -> bool:
    """True when a flow scalar sits on its start line (its value is not folded)."""
    return len(lines[start.line - 1]) - (start.column - 1 + quote) >= len(text)


def _segments(lines: list[str], start: Position, style: str | None, quote: int) -> list[tuple[int, int, str]]:
    """A scalar's source lines as (line, column of the first character, content)."""
    out: list[tuple[int, int, str]] = []
    if style in ("|", ">"):
        indent: int | None = None
        for k in range(start.line, len(lines)):
            raw = lines[k].rstrip("\r")
            if not raw.strip():
                out.append((k + 1, len(raw) + 1, ""))
                continue
            here = len(raw) - len(raw.lstrip(" "))
            if indent is None:
                indent = here
            if here < indent:
                break
            out.append((k + 1, indent + 1, raw[indent:]))
        return out
    first = start.column - 1 + quote
    out.append((start.line, first + 1, lines[start.line - 1][first:].rstrip("\r")))
    for k in range(start.line, len(lines)):
        raw = lines[k].rstrip("\r")
        body = raw.lstrip(" \t")
        out.append((k + 1, len(raw) - len(body) + 1, body))
    return out


def _aligned(segments: list[tuple[int, int, str]], text: str, offset: int) -> list[tuple[int, int]]:
    """The (line, column) of ``text[offset]`` found by walking ``text`` along ``segments``.

    A source character that is not the next character of the value (indentation, a
    trailing blank folding dropped) is skipped; a line break matches a newline or the
    space that folding made of it, or nothing.
    """
    i = 0
    for n, (line, column, content) in enumerate(segments):
        if n and i < len(text) and text[i] in " \n":
            if i == offset:
                return [(line, column)]
            i += 1
        for p, ch in enumerate(content):
            if i >= len(text):
                return []
            if text[i] == ch:
                if i == offset:
                    return [(line, column + p)]
                i += 1
        if i >= len(text):
            break
    return []


def _pos(file: str, node: yaml.Node) -> Position:
    mark = node.start_mark
    return Position(file, mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[Path, Position] = {}
        self.key_positions: dict[Path, Position] = {}
        self.styles: dict[Path, str | None] = {}
        self.constructor = yaml.SafeLoader("")  # only used to construct scalars
        self.budget = MAX_NODES
        self.issues: list[Issue] = []

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise PackError(
                [Issue(f"YAML 展开后超过 {MAX_NODES} 个节点（疑似别名炸弹）", _pos(self.file, node))]
            )
        if depth > MAX_DEPTH:
            raise PackError([Issue(f"YAML 嵌套超过 {MAX_DEPTH} 层", _pos(self.file, node))])
        self.positions.setdefault(path, _pos(self.file, node))
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise PackError([Issue("映射的键必须是标量", _pos(self.file, key_node))])
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise PackError([Issue("不支持 YAML 合并键 '<<'", _pos(self.file, key_node))])
                key = self.constructor.construct_object(key_node)
                if not isinstance(key, (str, int)):
                    key = str(key)
                if key in out:
                    raise PackError([Issue(f"重复的键 '{key}'", _pos(self.file, key_node))])
                self.key_positions.setdefault((*path, key), _pos(self.file, key_node))
                out[key] = self.build(value_node, (*path, key), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        self.styles[path] = getattr(node, "style", None)
        return self.constructor.construct_object(node)


def parse_yaml(text: str | bytes, file: str) -> YamlDoc:
    """Parse one YAML document safely; raise :class:`PackError` with a position on failure."""
    if len(text) > MAX_BYTES:
        raise PackError([Issue(f"规则包文件过大（{len(text)} 字节，上限 {MAX_BYTES}）", Position(file))])
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PackError([Issue(f"规则包必须是 UTF-8 编码：{exc}", Position(file))]) from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Position(file, mark.line + 1, mark.column + 1) if mark else Position(file)
        problem = str(exc.problem or exc)
        if "nesting depth" in problem:
            raise PackError([Issue(f"YAML 嵌套过深（上限 {MAX_DEPTH} 层）", pos)]) from None
        raise PackError([Issue(f"YAML 语法错误：{problem}", pos)]) from None
    except yaml.YAMLError as exc:
        raise PackError([Issue(f"YAML 错误：{exc}", Position(file))]) from None
    except RecursionError:
        raise PackError([Issue(f"YAML 嵌套过深（上限 {MAX_DEPTH} 层）", Position(file))]) from None
    if node is None:
        raise PackError([Issue("规则包为空", Position(file, 1, 1))])
    builder = _Builder(file)
    try:
        value = builder.build(node, (), 0)
    except RecursionError:
        raise PackError([Issue(f"YAML 嵌套过深（上限 {MAX_DEPTH} 层）", Position(file))]) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        pos = Position(file, mark.line + 1, mark.column + 1) if mark else Position(file)
        raise PackError([Issue(f"YAML 值无法解析：{exc.problem}", pos)]) from None
    return YamlDoc(file, value, builder.positions, builder.key_positions, builder.styles, text)
