from __future__ import annotations

import time

import pytest

from source_check.errors import PackError
from source_check.pack.yaml_source import MAX_BYTES, parse_yaml


def test_positions_of_keys_and_values():
    doc = parse_yaml("pack: x\nrules:\n  - id: R1\n    check: a > b\n", "f.yaml")
    assert str(doc.position(("rules", 0, "check"))) == "f.yaml:4:12"
    assert str(doc.position(("rules", 0, "check"), key=True)) == "f.yaml:4:5"
    # an unknown path falls back to its nearest known ancestor
    assert str(doc.position(("rules", 0, "nope"))) == "f.yaml:3:5"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: 1\na: 2\n", "重复的键 'a'"),
        ("a: [1, 2\n", "YAML 语法错误"),
        ("", "规则包为空"),
        ("a: &x {b: 1}\nc:\n  <<: *x\n", "合并键"),
        ("a: !!python/object:os.system ls\n", "YAML"),
    ],
)
def test_bad_yaml_is_a_positioned_pack_error(text, fragment):
    with pytest.raises(PackError) as info:
        parse_yaml(text, "bad.yaml")
    assert fragment in str(info.value)
    assert "bad.yaml" in str(info.value)


def test_alias_bomb_is_refused_quickly():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 12):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = "\n".join(lines) + "\n"
    start = time.perf_counter()
    with pytest.raises(PackError, match="别名炸弹"):
        parse_yaml(text, "bomb.yaml")
    assert time.perf_counter() - start < 5


def test_deep_nesting_is_refused():
    text = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(PackError, match="嵌套"):
        parse_yaml(text, "deep.yaml")


def test_huge_file_is_refused_before_parsing():
    with pytest.raises(PackError, match="过大"):
        parse_yaml("a: " + "x" * (MAX_BYTES + 1), "big.yaml")
