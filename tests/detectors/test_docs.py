"""Every detector kind is documented: its parameters in its module docstring and the README,
and the README's YAML example is a valid ``detectors:`` section."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml

from source_check import check, load_pack_text
from source_check.detectors import DETECTORS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Statistical detectors / 统计异常检测")[1].split("\n## ")[0]


@pytest.mark.parametrize("kind", sorted(DETECTORS))
def test_parameters_are_documented(kind):
    spec = DETECTORS[kind]
    doc = sys.modules[spec.run.__module__].__doc__ or ""
    assert "Parameters (YAML)" in doc and "Examples" in doc
    row = next(line for line in SECTION.splitlines() if line.startswith(f"| `{kind}` |"))
    for name in spec.params.model_fields:
        assert re.search(rf"^{name} :", doc, re.MULTILINE), (kind, name)
        assert f"`{name}`" in row, (kind, name)
        assert re.search(rf"\b{name}:", SECTION), (kind, name)


def test_readme_example_loads_and_runs():
    example = SECTION.split("```yaml\n")[1].split("```")[0]
    detectors = yaml.safe_load(example)["detectors"]
    assert {d["kind"] for d in detectors} == set(DETECTORS)
    fields = ["revenue", "cost", "wages", "emp_avg", "emp_end", "filler", "phone", "industry_code", "town"]
    text = ("pack: readme\nkey: [k]\ngroup: town\nfields:\n  k: {}\n"
            + "".join(f"  {f}: {{type: float}}\n" if f not in ("filler", "phone", "industry_code", "town")
                      else f"  {f}: {{}}\n" for f in fields)
            + example)
    pack = load_pack_text(text, "readme.yaml")
    result = check(pl.DataFrame({"k": ["a"], **{f: ["1"] for f in fields}}), pack)
    assert result.anomalies is not None
    assert result.rules.filter(pl.col("kind") == "detector").height == len(detectors)
