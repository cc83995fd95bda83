"""Helpers for detector tests: build a detector frame, run one kind, compare outputs."""

from __future__ import annotations

from typing import Any

import polars as pl
from polars.testing import assert_frame_equal

from source_check.detectors import DETECTORS, DetectorContext, DetectorOutput
from source_check.pack.model import Pack


def frame(columns: dict[str, list[Any]], group: str | None = None, previous: dict[str, list[Any]] | None = None,
          ) -> pl.DataFrame:
    """A detector frame: ``__row``, the columns, ``__group`` (from column ``group``), ``__prev__<f>``."""
    df = pl.DataFrame(columns, strict=False)
    n = df.height
    df = df.with_columns(
        pl.Series("__row", list(range(n)), dtype=pl.UInt32),
        (pl.col(group).cast(pl.String) if group else pl.lit(None, dtype=pl.String)).alias("__group"),
    )
    for name, values in (previous or {}).items():
        df = df.with_columns(pl.Series(f"__prev__{name}", values, dtype=pl.Float64, strict=False))
    return df


def run(kind: str, pack: Pack, df: pl.DataFrame, *, has_previous: bool = False, **params: Any) -> DetectorOutput:
    spec = DETECTORS[kind]
    return spec.run(DetectorContext(pack, df, has_previous), spec.params.model_validate(params))


def sorted_output(out: DetectorOutput) -> tuple[pl.DataFrame, pl.DataFrame]:
    units = out.units.sort("row", "field")
    groups = out.groups.sort("field", "group", "statistic", nulls_last=False)
    return units, groups


def assert_same_output(a: DetectorOutput, b: DetectorOutput) -> None:
    """Equal up to row order, floats to 1e-9 relative; JSON ``values`` compared as text."""
    ua, ga = sorted_output(a)
    ub, gb = sorted_output(b)
    assert_frame_equal(ua, ub, check_exact=False, rel_tol=1e-9)
    assert_frame_equal(ga, gb, check_exact=False, rel_tol=1e-9)
    assert (a.items, a.na) == (b.items, b.na)


def shuffled(df: pl.DataFrame, seed: int) -> pl.DataFrame:
    """The same records (with their ``__row``) in another order."""
    return df.sample(fraction=1.0, shuffle=True, seed=seed)


def assert_parameter_error(pack_text: str, spec: str, fragment: str, name: str) -> None:
    """Loading ``pack_text`` with its detectors replaced by ``spec`` fails at the spec's line, naming D1."""
    import pytest

    from source_check import PackError, load_pack_text

    text = pack_text.split("detectors:")[0] + f"detectors:\n  - {spec}\n"
    with pytest.raises(PackError) as info:
        load_pack_text(text, name)
    assert fragment in str(info.value)
    assert f"{name}:{len(text.splitlines())}:" in str(info.value) and "[D1]" in str(info.value)
