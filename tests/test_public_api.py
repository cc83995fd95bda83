"""Guard the public surface: what bureau systems import must not vanish by accident."""

from __future__ import annotations

import source_check

EXPECTED = {
    "__version__", "check", "load_pack", "load_pack_text", "run_pack_tests", "pack_json_schema",
    "Pack", "Rule", "CheckResult", "SkippedRule", "TestOutcome",
    "SourceCheckError", "PackError", "InputError", "Issue", "Position",
}


def test_all_is_exactly_the_public_api():
    assert set(source_check.__all__) >= EXPECTED
    for name in source_check.__all__:
        assert hasattr(source_check, name), name


def test_errors_share_one_root():
    assert issubclass(source_check.PackError, source_check.SourceCheckError)
    assert issubclass(source_check.InputError, source_check.SourceCheckError)
