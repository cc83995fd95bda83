"""Every shipped pack loads and passes its own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from source_check import load_pack, run_pack_tests

RULES = Path(__file__).resolve().parents[1] / "rules"
PACKS = sorted(p for p in RULES.rglob("*.yaml") if "codelists" not in p.parts)


@pytest.mark.parametrize("path", PACKS, ids=lambda p: str(p.relative_to(RULES)))
def test_pack_loads_and_its_tests_pass(path):
    pack = load_pack(path)
    outcomes = run_pack_tests(pack)
    assert outcomes, f"{path} has no tests"
    failures = [o.describe() for o in outcomes if not o.passed]
    assert not failures, failures


@pytest.mark.parametrize("path", PACKS, ids=lambda p: str(p.relative_to(RULES)))
def test_every_rule_has_a_failing_example(path):
    pack = load_pack(path)
    failing = {rid for t in pack.tests for rid in t.fails}
    # rules of a parent pack are tested by the parent's own tests
    own = {r.id for r in pack.all_rules if r.position is None or r.position.file == str(path)}
    generated_from_parents = {r.id for r in pack.rules if r.kind == "field" and r.position
                              and r.position.file != str(path)}
    missing = sorted(own - failing - generated_from_parents)
    assert not missing, f"rules without a failing test in {path.name}: {missing}"
