"""Fingerprints: polars-hash and hashlib give the same 16 hex digits for any identity."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from source_check import scoring
from source_check.scoring import fingerprint, fingerprint_expr


def hash_column(texts: pl.Series) -> pl.Series:
    return pl.select(fingerprint_expr(pl.lit(texts, dtype=pl.String)).alias(texts.name)).to_series()


def test_the_native_digest_is_in_use_here() -> None:
    # polars-hash is a declared dependency; if it stops working the fallback keeps values,
    # but this machine should run the fast path
    assert scoring._native_sha256() is True


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(min_size=0, max_size=40)), min_size=0, max_size=30))
def test_native_column_equals_hashlib(texts: list[str | None]) -> None:
    got = hash_column(pl.Series("identity", texts, dtype=pl.String))
    assert got.name == "identity" and got.dtype == pl.String
    assert got.to_list() == [None if t is None else hashlib.sha256(t.encode()).hexdigest()[:16] for t in texts]


def test_fallback_when_the_plugin_is_unusable(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = pl.Series("identity", ["labor-102|102-01|91310107MA1G00000Q|202412", None, "源头|普陀"])
    native = hash_column(texts)
    monkeypatch.setattr(scoring, "_native_sha256", lambda: False)
    assert hash_column(texts).to_list() == native.to_list()
    assert native[0] == fingerprint("labor-102|102-01|91310107MA1G00000Q|202412") == "28a4279a5e84fe19"


def test_check_gives_the_same_fingerprints_without_the_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    from source_check import check, load_pack_text

    pack = load_pack_text("""
pack: fp
key: [k]
period: p
fields: {k: {}, p: {}, v: {type: int}}
rules:
  - {id: R1, check: v > 0}
  - {id: R2, check: v < 10, level: warning}
""")
    data = pl.DataFrame({"k": ["a", "b", "c"], "p": ["202412"] * 3, "v": [0, 5, 12]})
    native = check(data, pack).findings.select("rule_id", "k", "fingerprint")
    monkeypatch.setattr(scoring, "_native_sha256", lambda: False)
    assert check(data, pack).findings.select("rule_id", "k", "fingerprint").equals(native)
    assert native["fingerprint"][0] == fingerprint(f"fp|{native['rule_id'][0]}|{native['k'][0]}|202412")
