"""Derive gb4754_2017_classes.csv (the 1382 小类 only) from gb4754_2017.csv.

Run from anywhere: ``python rules/codelists/make_classes.py``. The output is checked by
``tests/test_codelists.py``; rerun this script whenever gb4754_2017.csv changes.
Columns: ``code`` (4-digit 小类), ``name``, ``division`` (2-digit 大类), ``section`` (门类).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "gb4754_2017.csv"
TARGET = HERE / "gb4754_2017_classes.csv"


def classes_csv(source: Path = SOURCE) -> str:
    """The derived file's text: one row per 小类, in the source's order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "name", "division", "section"])
    with source.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["level"] == "class":
                writer.writerow([row["code"], row["name"], row["code"][:2], row["section"]])
    return out.getvalue()


if __name__ == "__main__":
    TARGET.write_text(classes_csv(), encoding="utf-8")
    print(f"wrote {TARGET}")
