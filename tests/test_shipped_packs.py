"""Every shipped pack loads, passes its own tests, and every rule has a failing and a passing example."""

from __future__ import annotations

from pathlib import Path

import pytest

from source_check import run_pack_tests
from source_check.pack.loader import pack_files

RULES = Path(__file__).resolve().parents[1] / "rules"
PACKS = pack_files(RULES)

#: The relations of the 核查办法 (domain/FORMS.md): each must be implemented by a shipped rule or detector.
FORMS_IDS = [
    *(f"101-{i:02d}" for i in range(1, 12)),
    *(f"102-{i:02d}" for i in range(1, 7)),
    *(f"103-{i:02d}" for i in range(1, 14)),
    "X-01", "X-02", "X-03", "B204-01", "B204-02", "E204-01", "E204-02", "Q-01", "Q-02", "Q-03",
]


def _own_rule_ids(pack, path: Path) -> set[str]:
    """Rules defined in this file (rules of a parent pack are tested by the parent's own tests)."""
    own = {r.id for r in pack.all_rules if r.position is None or r.position.file == str(path)}
    generated_from_parents = {r.id for r in pack.rules if r.kind == "field" and r.position
                              and r.position.file != str(path)}
    return own - generated_from_parents


@pytest.mark.parametrize("path", PACKS, ids=lambda p: str(p.relative_to(RULES)))
def test_pack_tests_pass_and_cover_every_rule(path, shipped_packs):
    pack = shipped_packs[path]
    outcomes = run_pack_tests(pack)
    assert outcomes, f"{path} has no tests"
    failures = [o.describe() for o in outcomes if not o.passed]
    assert not failures, failures
    assert any(not t.fails for t in pack.tests), f"{path.name}: no example that passes every rule"
    own = _own_rule_ids(pack, path)
    failing = {rid for t in pack.tests for rid in t.fails}
    missing = sorted(own - failing)
    assert not missing, f"rules without a failing example in {path.name}: {missing}"
    passing = {rid for o in outcomes for rid in o.passing}
    never_passed = sorted(own - passing)
    assert not never_passed, f"rules never applicable and passing in an example of {path.name}: {never_passed}"


def test_every_relation_of_the_method_is_implemented(shipped_packs):
    texts = [f"{r.id} {r.source or ''}" for pack in shipped_packs.values() for r in pack.all_rules]
    texts += [d.id for pack in shipped_packs.values() for d in pack.detectors]
    missing = [fid for fid in FORMS_IDS if not any(fid in t for t in texts)]
    assert not missing, missing


def test_every_rule_is_documented(shipped_packs):
    for path, pack in shipped_packs.items():
        for rule in pack.all_rules:
            assert rule.title and rule.title != rule.id, (path.name, rule.id)
            assert rule.source, (path.name, rule.id)
            if rule.kind != "field":  # messages show the numbers involved (a blank shows no number)
                assert rule.message is not None, (path.name, rule.id)
                assert "{" in rule.message.text or rule.dimension == "completeness", (path.name, rule.id)
