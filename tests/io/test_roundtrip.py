"""Random frames survive a round trip through xlsx and GB18030 CSV unchanged."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from source_check import load_pack_text, read_submission
from source_check.engine.compile import PackPlan
from source_check.pack.model import DEFAULT_NA_VALUES

PACK = load_pack_text("""
pack: roundtrip
key: [code]
fields:
  code: {label: 单位代码, required: true}
  name: {label: 单位名称}
  n: {label: 人数, type: int}
  x: {label: 金额（千元）, type: float}
""")
LABELS = ["单位代码", "单位名称", "人数", "金额（千元）"]
SCHEMA = {"code": pl.String, "name": pl.String, "n": pl.Int64, "x": pl.Float64}

names = st.text(
    st.characters(categories=("L", "N", "P", "S", "Zs"), include_characters="𠀀䶮（）"), min_size=1, max_size=12
).filter(lambda s: s == s.strip() and s not in DEFAULT_NA_VALUES)
rows = st.lists(
    st.tuples(
        st.none() | names,
        st.none() | st.integers(-(10**12), 10**12),
        st.none() | st.floats(-1e9, 1e9, allow_nan=False).map(lambda v: round(v, 3)),
    ),
    min_size=1,
    max_size=12,
)


def expected(records: list[tuple[object, ...]]) -> pl.DataFrame:
    return pl.DataFrame([(f"U{i:03d}", *r) for i, r in enumerate(records)], schema=SCHEMA, orient="row")


def typed(path: Path) -> pl.DataFrame:
    with read_submission(path, PACK) as sub:
        schema = sub.frame.collect_schema()
        plan = PackPlan(PACK, has_previous=False)
        return sub.frame.with_columns(plan.typed_columns(schema, keep_raw=False)).select(list(SCHEMA)).collect()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows)
def test_xlsx_and_gb18030_csv_round_trip(tmp_path, writers, records):
    write_xlsx, write_csv = writers
    want = expected(records)
    body = [list(r) for r in want.iter_rows()]
    xlsx = write_xlsx(tmp_path / "rt.xlsx", {"表": {"rows": [["随机数据表"], LABELS, *body]}})
    csv = write_csv(tmp_path / "rt.csv", [["随机数据表"], LABELS, *[[repr(v) if isinstance(v, float) else v
                                                                    for v in r] for r in body]], encoding="gb18030")
    for path in (xlsx, csv):
        got = typed(path)
        assert got.equals(want), (path.suffix, got, want)
