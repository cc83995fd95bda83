"""Loading packs: every error kind names file:line:column and, where there is one, the rule."""

from __future__ import annotations

import json

import pytest

from source_check import PackError, load_pack, pack_json_schema

GOOD = """\
pack: t
title: 测试
version: 2024.1
key: [k]
group: g
params: {lim: 10}
fields:
  k: {label: 代码, required: true}
  g: {label: 街镇}
  a: {label: 甲, type: int, min: 0}
  b: {label: 乙, type: int}
rules:
  - id: R1
    check: a <= b + lim
"""


def test_good_pack_loads_and_generates_field_rules(make_pack):
    pack = make_pack(GOOD)
    assert pack.version == "2024.1"
    assert [r.id for r in pack.rules] == ["k.required", "a.type", "a.min", "b.type", "R1"]
    assert pack.rule("a.min").dimension == "validity"
    assert pack.rule("k.required").dimension == "completeness"
    assert len(pack.sha256) == 64


ERRORS = [
    # (yaml, expected position "line:col", rule id or None, fragment)
    ("pack: t\nfeilds: {}\n", "2:1", None, "是否想写 'fields'"),
    ("pack: t\nfields:\n  a: {lable: x}\n", "3:7", None, "是否想写 'label'"),
    ("pack: t\nfields: {a: {type: int}}\nrules:\n  - id: R1\n    chek: a > 0\n", "5:5", "R1", "是否想写 'check'"),
    ("pack: t\nfields: {a: {type: integer}}\n", "2:", None, "是否想写 'int'"),
    ("pack: t\nfields: {a: {type: int}}\nrules:\n  - id: R1\n    level: eror\n    check: a > 0\n",
     "5:12", "R1", "是否想写 'error'"),
    ("pack: t\nfields: {emp_end: {type: int}}\nrules:\n  - id: R1\n    check: emp_ned >= 0\n",
     "5:12", "R1", "是否想写 'emp_end'"),
    ("pack: t\nfields: {a: {type: int}}\nrules:\n  - id: R1\n    check: \"a >= (select 1)\"\n",
     "5:", "R1", "子查询"),
    ("pack: t\nparams: {a: 1}\nfields: {a: {type: int}}\n", "2:", None, "遮蔽字段"),
    ("pack: t\nfields: {a: {type: int}}\nrules:\n  - {id: R1, check: a > 0}\n  - {id: R1, check: a > 1}\n",
     "5:", "R1", "重复"),
    ("pack: t\nfields: {a: {type: int}}\nrules:\n  - {id: R1, check: a > 0, balance: {total: a, parts: [a]}}\n",
     "4:", "R1", "只能有 check 或 balance"),
    ("pack: t\nfields: {a: {type: int}}\nrules:\n  - {id: R9, level: warning}\n", "4:", "R9", "没有同编号"),
    ("pack: t\nfields: {a: {type: int}, s: {}}\nrules:\n  - {id: R1, check: a > s}\n", "4:", "R1", "类型不匹配"),
    ("pack: t\nfields: {a: {type: int}}\nrules:\n  - {id: R1, balance: {total: a, parts: [b]}}\n",
     "4:", "R1", "未知字段 'b'"),
    ("pack: t\nkey: [kk]\nfields: {k: {}}\n", "2:", None, "key 引用了未知字段"),
    ("pack: t\nfields: {a: {codelist: nope}}\n", "2:", None, "未定义的代码表"),
    ("pack: t\nfields: {a: {format: nope}}\n", "2:", None, "format 'nope' 未知"),
    ("pack: t\nfields: {a: {pattern: '[a-'}}\n", "2:", None, "正则"),
    ("pack: t\ncodelists: {x: {file: missing.csv, key: code}}\n", "2:", None, "无法读取"),
    ("pack: t\ndisable: [R0]\n", "2:", "R0", "不存在"),
    ("pack: t\nfields: {a: {type: int}}\nrules:\n  - id: R1\n    check: a > 0\n    message: 值{a\n",
     "6:", "R1", "没有闭合"),
    ("pack: t\nextends: [nope.yaml]\n", "2:", None, "不存在"),
    ("title: x\n", "1:", None, "缺少必需的键 'pack'"),
    ("pack: t\nkey: [k]\nforms: [a, b]\noptional_forms: [a]\nfields: {k: {}}\n", "4:", None, "是主表"),
    ("pack: t\nkey: [k]\nforms: [a, b]\noptional_forms: [c]\nfields: {k: {}}\n", "4:", None, "不在 forms 列表"),
    # scoring names what exists
    ("pack: t\nfields: {y: {type: float}}\nscoring:\n  weights: {eror: 2}\n", "4:13", None, "是否想写 'error'"),
    ("pack: t\nfields: {y: {type: float}}\nscoring:\n  weights: {warning: -1}\n", "4:", None, "不能为负数"),
    ("pack: t\nfields: {y: {type: float}}\nscoring:\n  grades: {A: 120}\n", "4:", None, "0～100"),
    ("pack: t\nfields: {revenue: {type: float}}\nscoring:\n  priority_fields: [revenu]\n", "4:", None,
     "是否想写 'revenue'"),
    ("pack: t\nfields: {y: {type: float}, s: {}}\nscoring:\n  priority_fields: [s]\n", "4:", None, "不是数值型"),
    ("pack: t\nfields: {y: {type: float}}\nscoring:\n  priority_fields: [y]\n  auxiliary: emp\n", "5:", None,
     "是未知字段"),
    ("pack: t\nfields: {y: {type: float}}\nscoring:\n  strata: [industry]\n", "4:", None, "strata 引用了未知字段"),
    ("- a\n- b\n", "1:", None, "顶层必须是映射"),
]


@pytest.mark.parametrize(("text", "where", "rule_id", "fragment"), ERRORS)
def test_pack_errors_are_positioned(write_pack, text, where, rule_id, fragment):
    path = write_pack(text)
    with pytest.raises(PackError) as info:
        load_pack(path)
    rendered = str(info.value)
    assert fragment in rendered, rendered
    issue = next(i for i in info.value.issues if fragment in str(i))
    assert issue.position is not None and issue.position.file == str(path)
    assert f"{issue.position.line}:{issue.position.column}".startswith(where), rendered
    if rule_id:
        assert issue.rule_id == rule_id


def test_scoring_weights_and_grades_merge_over_extends(write_pack):
    from source_check.scoring import ScoringConfig

    write_pack("pack: base\nfields: {y: {type: float}}\nscoring: {weights: {warning: 0.5}, grades: {A: 95}}\n",
               name="base.yaml")
    child = load_pack(write_pack("pack: child\nextends: [base.yaml]\nscoring: {weights: {anomaly: 0.2}}\n"))
    cfg = ScoringConfig.from_spec(child.scoring)
    assert (cfg.weights["warning"], cfg.weights["anomaly"], cfg.weights["error"]) == (0.5, 0.2, 1.0)
    assert cfg.grades == {"A": 95, "B": 80, "C": 60}


def test_all_problems_are_reported_at_once(make_pack):
    text = "pack: t\nfields: {a: {type: int}}\nrules:\n  - {id: R1, check: x > 0}\n  - {id: R2, check: y > 0}\n"
    with pytest.raises(PackError) as info:
        make_pack(text)
    assert {i.rule_id for i in info.value.issues} == {"R1", "R2"}


def test_extends_merges_overrides_and_disables(write_pack):
    write_pack(
        """\
        pack: base
        key: [k]
        params: {lim: 1}
        fields:
          k: {required: true}
          a: {type: int, min: 0}
        rules:
          - {id: B1, title: 基础, level: error, check: a <= lim}
          - {id: B2, check: a >= 0}
        """,
        "base/base.yaml",
    )
    child = write_pack(
        """\
        pack: child
        extends: [base/base.yaml]
        params: {lim: 5}
        disable: [B2, a.type]
        rules:
          - {id: B1, level: warning}
          - {id: a.min, level: info, message: "甲为负数{a}"}
          - {id: C1, check: a < 100}
        """,
        "child.yaml",
    )
    pack = load_pack(child)
    ids = [r.id for r in pack.rules]
    assert ids == ["k.required", "a.min", "B1", "C1"]
    assert pack.rule("B1").level == "warning" and pack.rule("B1").title == "基础"
    assert pack.rule("a.min").level == "info"
    assert pack.params["lim"] == 5
    assert pack.key == ["k"]


def test_disabling_a_generated_rule_that_a_parent_overrides(write_pack):
    write_pack("pack: base\nfields: {a: {type: int, min: 0}}\nrules: [{id: a.min, level: warning}]\n", "base.yaml")
    child = write_pack("pack: child\nextends: [base.yaml]\ndisable: [a.min]\n", "child.yaml")
    assert [r.id for r in load_pack(child).rules] == ["a.type"]


def test_extends_cycle_is_an_error(write_pack):
    write_pack("pack: a\nextends: [b.yaml]\n", "a.yaml")
    b = write_pack("pack: b\nextends: [a.yaml]\n", "b.yaml")
    with pytest.raises(PackError, match="循环"):
        load_pack(b)


def test_shipped_pack_by_name():
    assert load_pack("labor-102").id == "labor-102"
    with pytest.raises(PackError, match="找不到规则包"):
        load_pack("no-such-pack")


def test_json_schema_is_valid_and_describes_rules():
    schema = pack_json_schema()
    json.dumps(schema)
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(schema)
    rule = schema["$defs"]["RuleSpec"]
    assert {"id", "check", "balance", "when", "message", "level", "dimension", "source"} <= set(rule["properties"])
    assert schema["additionalProperties"] is False
