"""``shared_contact``: one 填表人, phone or address behind many units (代填代报, 打捆报送).

For each named field, every non-blank value shared by at least ``min_units`` distinct
units flags each of those units, with the number of units as the score.

Parameters (YAML)
-----------------
fields : list of field ids (required): 填表人, phone, address…
min_units : 3 (at least 2)

Examples
--------
>>> import polars as pl
>>> from source_check.pack.loader import load_pack_text
>>> pack = load_pack_text("pack: t\\nkey: [k]\\nfields: {k: {}, phone: {label: 联系电话}}\\n")
>>> frame = pl.DataFrame({"__row": [0, 1, 2, 3], "k": ["a", "b", "c", "d"], "__group": ["x"] * 4,
...                       "phone": ["13800000000"] * 3 + ["13900000000"]})
>>> out = shared_contact(DetectorContext(pack, frame, False), SharedContactParams(fields=["phone"]))
>>> out.units["row"].to_list(), out.units["score"].to_list()
([0, 1, 2], [3.0, 3.0, 3.0])
"""

from __future__ import annotations

import polars as pl
from pydantic import Field

from .base import ROW, DetectorContext, DetectorOutput, DetectorParams, detector, empty_units

__all__ = ["SharedContactParams", "shared_contact"]


class SharedContactParams(DetectorParams):
    """Parameters of ``shared_contact``."""

    fields: list[str] = Field(min_length=1, description="联系人、电话、地址等字段")
    min_units: int = Field(default=3, ge=2, description="同一值至少涉及多少家单位才标记")


@detector(
    "shared_contact",
    SharedContactParams,
    title="同一填表人/电话/地址对应多家单位（代填代报疑点）",
    fields=lambda p, pack: list(p.fields),
)
def shared_contact(ctx: DetectorContext, params: SharedContactParams) -> DetectorOutput:
    """Flag units whose contact value is shared by at least ``min_units`` units."""
    key = ctx.pack.key or [ROW]
    unit = pl.struct(key) if len(key) > 1 else pl.col(key[0])
    parts: list[pl.DataFrame] = []
    for name in params.fields:
        label = ctx.pack.label(name)
        value = pl.col(name).cast(pl.String).str.strip_chars()
        flagged = (
            ctx.frame.select(ROW, *[k for k in key if k != ROW], value.alias("__v"))
            .filter(pl.col("__v").is_not_null() & (pl.col("__v") != ""))
            .with_columns(unit.n_unique().over("__v").alias("__n"))
            .filter(pl.col("__n") >= params.min_units)
        )
        if flagged.is_empty():
            continue
        parts.append(
            flagged.select(
                pl.col(ROW).cast(pl.Int64).alias("row"),
                pl.lit(name).alias("field"),
                pl.col("__n").cast(pl.Float64).alias("score"),
                pl.format(f"{label}“{{}}”同时出现在 {{}} 家单位，疑似代填代报或打捆报送", "__v", "__n")
                .alias("message"),
                pl.struct(pl.col("__v").alias(name), pl.col("__n").alias("units")).struct.json_encode().alias("values"),
                pl.lit(None, dtype=pl.Float64).alias("suggested"),
            )
        )
    units = pl.concat(parts) if parts else empty_units()
    return DetectorOutput(units=units.sort("row", "field"))
