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
    return YamlDoc(file, value, builder.positions, builder.key_positions, builder.styles)
