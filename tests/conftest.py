from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from source_check import Pack, load_pack
from source_check.pack.loader import pack_files

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"


@pytest.fixture
def write_pack(tmp_path: Path):
    """Write YAML text (dedented) to a file under tmp_path and return its path."""

    def write(text: str, name: str = "pack.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_pack(write_pack):
    def make(text: str, name: str = "pack.yaml") -> Pack:
        return load_pack(write_pack(text, name))

    return make


@pytest.fixture(scope="session")
def shipped_packs() -> dict[Path, Pack]:
    """Every shipped pack, loaded once per test session (loading all of them takes seconds)."""
    paths = pack_files(RULES)
    return {p: load_pack(p) for p in paths}
