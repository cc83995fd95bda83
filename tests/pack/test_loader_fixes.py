"""Loader gaps found by the audit of issue 2: each test failed before its fix."""

from __future__ import annotations

import pytest

from source_check import PackError, load_pack


def test_a_child_restating_a_field_merges_key_by_key(write_pack):
    write_pack(
        "pack: parent\nkey: [k]\nfields:\n  k: {type: str}\n  a: {label: 金额, type: int, min: 0, unique: true}\n"
        "rules:\n  - {id: a.min, level: warning}\n  - {id: a.unique, level: info}\n",
        "parent.yaml",
    )
    child = write_pack("pack: child\nextends: [parent.yaml]\nfields:\n  a: {label: 金额（千元）, type: float}\n",
                       "child.yaml")
    pack = load_pack(child)
    a = pack.fields["a"]
    assert (a.label, a.type, a.min, a.unique) == ("金额（千元）", "float", 0, True)
    assert pack.rule("a.min").level == "warning" and pack.rule("a.unique").level == "info"


def test_a_child_turning_a_constraint_off_drops_the_parents_patch(write_pack):
    write_pack("pack: parent\nfields:\n  a: {type: int, unique: true}\nrules:\n  - {id: a.unique, level: info}\n",
               "parent.yaml")
    child = write_pack("pack: child\nextends: [parent.yaml]\nfields:\n  a: {unique: false}\n", "child.yaml")
    assert [r.id for r in load_pack(child).rules] == ["a.type"]


def test_a_patch_of_a_missing_constraint_in_the_same_file_is_still_an_error(write_pack):
    path = write_pack("pack: t\nfields:\n  a: {type: int}\nrules:\n  - {id: a.unique, level: info}\n")
    with pytest.raises(PackError, match="没有同编号"):
        load_pack(path)


@pytest.mark.parametrize("patch", ["a.requird", "a.unique"])
def test_a_childs_patch_of_a_constraint_its_parent_never_made_is_still_an_error(write_pack, patch):
    write_pack("pack: parent\nfields:\n  a: {type: int}\n", "parent.yaml")
    child = write_pack(f"pack: child\nextends: [parent.yaml]\nrules:\n  - {{id: {patch}, level: info}}\n", "child.yaml")
    with pytest.raises(PackError, match="没有同编号"):
        load_pack(child)


def test_design_example_extending_common_unit_loads(tmp_path):
    """DESIGN §3: a pack extends common/unit.yaml and restates credit_code without ``unique``."""
    import shutil

    from tests.conftest import RULES

    shutil.copytree(RULES / "common", tmp_path / "rules" / "common")
    shutil.copytree(RULES / "codelists", tmp_path / "rules" / "codelists")
    child = tmp_path / "rules" / "labor.yaml"
    child.write_text(
        "pack: labor\nextends: [common/unit.yaml]\nkey: [credit_code]\n"
        "fields:\n  credit_code: {label: 统一社会信用代码, type: str, required: true, format: uscc}\n",
        encoding="utf-8",
    )
    pack = load_pack(child)
    assert pack.fields["credit_code"].unique is True
    assert "统一社会信用代码" in pack.rule("credit_code.unique").message.text  # the parent's patch still applies


BLOCKS = [
    # (the rule's check as written, line:column of the misspelt 'emp_femal')
    ("    check: >-\n      emp_end >= 0 AND\n      emp_femal <= emp_end\n", "7:7"),
    ("    check: >\n      emp_end >= 0\n\n      AND emp_femal <= emp_end\n", "8:11"),
    ("    check: |\n      emp_end >= 0\n        AND emp_femal <= 1\n", "7:13"),
    ("    check: |-\n        emp_end >= 0 AND\n        emp_femal <= 1\n", "7:9"),
    ("    check: emp_end >= 0 AND\n      emp_femal <= 1\n", "6:7"),
    ("    check: \"emp_end >= 0 AND\n      emp_femal <= 1\"\n", "6:7"),
    ("    check: 'emp_end >= 0 AND emp_femal <= 1'\n", "5:30"),
]


@pytest.mark.parametrize(("block", "where"), BLOCKS)
def test_positions_inside_multi_line_scalars(write_pack, block, where):
    head = "pack: p\nfields: {emp_end: {type: int}, emp_female: {type: int}}\nrules:\n  - id: R1\n"
    path = write_pack(head + block)
    with pytest.raises(PackError) as info:
        load_pack(path)
    issue = info.value.issues[0]
    assert "emp_femal" in issue.message and issue.rule_id == "R1"
    assert f"{issue.position.line}:{issue.position.column}" == where, str(issue)


@pytest.mark.parametrize("name", ["row", "rule_id", "message", "group", "source_column"])
def test_a_key_field_named_like_a_findings_column_is_a_load_error(write_pack, name):
    path = write_pack(f"pack: t\nkey: [{name}]\nfields:\n  {name}: {{type: str}}\n  a: {{type: int}}\n")
    with pytest.raises(PackError) as info:
        load_pack(path)
    issue = info.value.issues[0]
    assert f"key 字段不能叫 '{name}'" in issue.message and "rule_id" in issue.message
    assert (issue.position.line, issue.position.column) == (4, 3)


def test_fields_with_findings_names_outside_the_key_still_run(make_pack):
    import polars as pl

    import source_check as sc

    pack = make_pack("pack: t\nkey: [k]\nfields: {k: {}, row: {type: int}, message: {}}\n"
                     "rules: [{id: R1, check: row > 0, message: '{message}{row}'}]\n")
    result = sc.check(pl.DataFrame({"k": ["a", "b"], "row": [0, 1], "message": ["m", "n"]}), pack)
    assert result.findings["message"].to_list() == ["m0"]


def test_a_field_id_with_two_leading_underscores_is_refused(write_pack):
    with pytest.raises(PackError, match="两个下划线"):
        load_pack(write_pack("pack: t\nfields: {__row: {type: int}}\n"))


def test_history_rules_without_key_are_a_load_error(write_pack):
    path = write_pack("pack: t\nfields:\n  a: {type: int}\nhistory:\n  - {id: H1, check: a >= prev(a)}\n")
    with pytest.raises(PackError) as info:
        load_pack(path)
    issue = info.value.issues[0]
    assert "history 规则需要 key" in issue.message
    assert (issue.position.line, issue.position.column) == (4, 1)


@pytest.mark.parametrize(
    ("text", "where", "fragment"),
    [
        ("pack: t\nextends: [/etc/passwd]\n", "2:11", "不能写绝对路径"),
        ("pack: t\nextends: ['C:\\\\packs\\\\base.yaml']\n", "2:11", "不能写绝对路径"),
        ("pack: t\nextends: [../secret.txt]\n", "2:11", "必须是 .yaml 或 .yml 文件"),
        ("pack: t\ncodelists:\n  c: {file: /tmp/secret.csv, key: code}\n", "3:13", "不能写绝对路径"),
        ("pack: t\ncodelists:\n  c: {file: secret.txt, key: code}\n", "3:13", "必须是 .csv 文件"),
    ],
)
def test_pack_paths_must_be_relative_pack_or_csv_files(write_pack, text, where, fragment):
    with pytest.raises(PackError) as info:
        load_pack(write_pack(text))
    issue = info.value.issues[0]
    assert fragment in issue.message, str(issue)
    assert f"{issue.position.line}:{issue.position.column}" == where, str(issue)


def test_relative_paths_with_dotdot_still_work(write_pack):
    write_pack("code,name\n1,甲\n", "codelists/c.csv")
    write_pack("pack: base\ncodelists: {c: {file: ../codelists/c.csv, key: code}}\nfields: {a: {codelist: c}}\n",
               "common/base.yaml")
    pack = load_pack(write_pack("pack: t\nextends: [../common/base.yaml]\n", "cross/t.yaml"))
    assert pack.codelists["c"].codes == ("1",)


def test_a_missing_code_list_column_does_not_echo_the_file(write_pack):
    write_pack("SECRET_TOKEN=abc123\n", "c.csv")
    with pytest.raises(PackError) as info:
        load_pack(write_pack("pack: t\ncodelists: {c: {file: c.csv, key: SECRET_TOKEN=abc12}}\n"))
    assert "abc123" not in str(info.value)


def test_extends_cycle_points_at_the_extends_entry(write_pack):
    write_pack("pack: a\nextends: [b.yaml]\n", "a.yaml")
    b = write_pack("pack: b\nextends:\n  - a.yaml\n", "b.yaml")
    with pytest.raises(PackError) as info:
        load_pack(b)
    issue = info.value.issues[0]
    assert "循环" in issue.message
    assert issue.position.file.endswith("a.yaml") and (issue.position.line, issue.position.column) == (2, 11)


def test_unknown_rule_ids_in_test_fails_are_load_errors(write_pack):
    path = write_pack("pack: t\nfields: {a: {type: int, min: 0}}\nrules: [{id: R1, check: a < 10}]\n"
                      "tests:\n  - {name: x, row: {a: 20}, fails: [R1, R2, a.mni, a.excel_damaged]}\n")
    with pytest.raises(PackError) as info:
        load_pack(path)
    found = {i.rule_id: i for i in info.value.issues}
    assert set(found) == {"R2", "a.mni"}
    assert "是否想写 'a.min'" in str(found["a.mni"])
    assert (found["R2"].position.line, found["R2"].position.column) == (5, 41)


def test_schema_accepts_the_numbers_the_loader_accepts(write_pack):
    import jsonschema

    from source_check import pack_json_schema

    text = ("pack: t\nversion: 2024.1\nfields: {a: {type: int, code: 12}}\nrules: [{id: 101, check: a > 0}]\n"
            "tests: [{name: x, row: {a: 0}, fails: [101]}]\n")
    import yaml

    assert list(jsonschema.Draft202012Validator(pack_json_schema()).iter_errors(yaml.safe_load(text))) == []
    pack = load_pack(write_pack(text))
    assert (pack.version, pack.fields["a"].code, pack.rules[-1].id) == ("2024.1", "12", "101")


def test_the_shipped_schema_file_is_current():
    import json

    from tests.conftest import ROOT

    from source_check import pack_json_schema

    assert json.loads((ROOT / "docs" / "pack.schema.json").read_text(encoding="utf-8")) == pack_json_schema()


@pytest.mark.parametrize("cap", [-1, 1.5, True])
def test_a_bad_findings_cap_is_a_clear_error(make_pack, cap):
    import polars as pl

    import source_check as sc

    pack = make_pack("pack: t\nfields: {a: {type: int}}\nrules: [{id: R1, check: a > 0}]\n")
    with pytest.raises(sc.InputError, match="max_findings_per_rule"):
        sc.check(pl.DataFrame({"a": [0]}), pack, max_findings_per_rule=cap)


def test_typecheck_still_names_the_rule_at_fault_when_rules_are_compiled_together(write_pack):
    rules = "".join(f"  - {{id: R{i}, check: s > '{i}'}}\n" for i in range(20))
    rules += "  - {id: BAD, check: \"regexp_like(s, '(?=a)b')\"}\n"  # Python's re accepts it, polars does not
    with pytest.raises(PackError) as info:
        load_pack(write_pack("pack: t\nfields: {s: {}}\nrules:\n" + rules))
    assert [i.rule_id for i in info.value.issues] == ["BAD"]


def test_a_pack_with_too_many_rules_is_refused_before_its_rules_are_parsed(monkeypatch):
    from source_check.pack import loader

    def no_parsing(*args, **kwargs):
        raise AssertionError("a rule was parsed")

    monkeypatch.setattr(loader._Builder, "rule", no_parsing)
    text = "pack: t\nfields: {a: {type: int}}\nrules:\n" + "".join(
        f"  - {{id: R{i}, check: a > {i}}}\n" for i in range(loader.MAX_RULES + 1))
    with pytest.raises(PackError, match="规则包过大"):
        loader.load_pack_text(text)
