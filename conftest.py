"""Repository-level pytest settings: skip the optional-extra doctests when the extra is absent."""

from __future__ import annotations

import importlib.util

collect_ignore: list[str] = []
try:
    _HAS_GX = importlib.util.find_spec("great_expectations") is not None
except (ImportError, ValueError):
    _HAS_GX = False
if not _HAS_GX:
    # source_check.engines.gx needs `pip install source-check[gx]`; its doctest imports it
    collect_ignore.append("src/source_check/engines/gx.py")
