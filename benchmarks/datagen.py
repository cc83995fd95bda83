"""Synthetic submissions for benchmarks/bench_pack.yaml: one row per unit, vectorised numpy.

Self-contained on purpose (the project's synthetic-data generator is a separate piece of
work): Putuo's 10 街镇 codes from ``rules/codelists/putuo_towns.csv``, valid 统一社会信用代码
with the GB 32100-2015 check character computed in numpy, GB/T 4754-2017 class codes,
plausible employment, wage and financial figures that satisfy the accounting identities,
and then a few tenths of a percent of rows per rule made to violate it (a few percent of
rows violate something), plus empty cells where forms allow them.

>>> df = generate(1_000, seed=1)
>>> df.height, df["town_code"].n_unique() <= 11
(1000, True)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from source_check.formats import USCC_ALPHABET

ROOT = Path(__file__).resolve().parents[1]
CODELISTS = ROOT / "rules" / "codelists"
_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ALPHA = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
REG_TYPES = ["110", "120", "130", "141", "143", "151", "159", "160", "171", "172", "173", "174", "190", "210", "310"]


def _strings(codes: np.ndarray) -> pl.Series:
    """(n, k) uint8 ASCII codes → a polars String series, without a Python loop."""
    n, k = codes.shape
    raw = np.ascontiguousarray(codes).view(f"S{k}").reshape(n)
    return pl.Series(raw).cast(pl.String)


def credit_codes(rng: np.random.Generator, n: int, start: int = 0) -> pl.Series:
    """``n`` valid credit codes of Putuo (310107) units, check character included.

    Codes of units ``start … start + n − 1`` are distinct, across calls too.
    """
    digits = np.empty((n, 17), dtype=np.int64)
    digits[:, 0] = np.where(rng.random(n) < 0.9, 9, 1)  # 9 工商, 1 机构编制
    digits[:, 1] = np.where(digits[:, 0] == 9, rng.choice([1, 2, 3], n, p=[0.8, 0.15, 0.05]), 1)
    digits[:, 2:8] = [3, 1, 0, 1, 0, 7]
    # positions 9-17: a distinct 9-digit base-31 number per unit (random permutation of a range)
    ids = (start + rng.permutation(n).astype(np.int64)) * 7919 + 1234
    for j in range(16, 7, -1):
        digits[:, j] = ids % 31
        ids //= 31
    check = (31 - (digits * _WEIGHTS).sum(axis=1) % 31) % 31
    codes = np.concatenate([_ALPHA[digits], _ALPHA[check][:, None]], axis=1)
    return _strings(codes)


def _pick(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    return rng.random(n) < rate


def generate(n: int, seed: int = 20241231, start: int = 0) -> pl.DataFrame:
    """A submission of ``n`` units for the bench pack, typed as the pack types it.

    ``start`` numbers the units, so chunks generated with different starts never share
    a credit code except where a duplicate is planted on purpose.
    """
    rng = np.random.default_rng(seed)
    towns = pl.read_csv(CODELISTS / "putuo_towns.csv", schema_overrides={"code": pl.String})["code"].to_numpy()
    classes = (
        pl.read_csv(CODELISTS / "gb4754_2017.csv", schema_overrides={"code": pl.String})
        .filter(pl.col("level") == "class")["code"]
        .to_numpy()
    )

    credit = credit_codes(rng, n, start)
    town = towns[rng.choice(len(towns), n, p=np.full(len(towns), 1 / len(towns)))].astype(object)
    industry = classes[rng.integers(0, len(classes), n)].astype(object)
    reg_type = np.array(REG_TYPES, dtype=object)[rng.integers(0, len(REG_TYPES), n)]

    emp_avg = np.maximum(np.round(rng.lognormal(np.log(15), 1.3, n)), 0).astype(np.int64)
    emp_end = np.round(emp_avg * rng.uniform(0.85, 1.15, n)).astype(np.int64)
    emp_female = rng.binomial(emp_end, 0.45)
    emp_dispatch = rng.binomial(emp_end, 0.04)
    monthly = rng.lognormal(np.log(9000), 0.45, n)  # 元/人/月
    wages = np.round(emp_avg * monthly * 12 / 1000, 1)
    scale = np.select([emp_avg >= 1000, emp_avg >= 300, emp_avg >= 20], [1, 2, 3], 4).astype(np.int64)

    revenue = np.round(np.maximum(emp_avg, 1) * rng.lognormal(np.log(600), 1.0, n), 1)
    op_cost = np.round(revenue * rng.uniform(0.5, 0.92, n), 1)
    taxes = np.round(revenue * rng.uniform(0.0, 0.02, n), 1)
    sell_exp = np.round(revenue * rng.uniform(0.0, 0.08, n), 1)
    admin_exp = np.round(revenue * rng.uniform(0.02, 0.1, n), 1)
    fin_exp = np.round(revenue * rng.uniform(-0.005, 0.02, n), 1)
    op_profit = np.round(revenue - op_cost - taxes - sell_exp - admin_exp - fin_exp, 1)
    # empty 营业外收支 cells mean 0 (F103-01 counts them as 0: null_as_zero)
    u = rng.random(n)
    income_empty, exp_empty = u < 0.05, u < 0.02
    nonop_income = np.where(income_empty, 0.0, np.round(revenue * rng.uniform(0, 0.01, n), 1))
    nonop_exp = np.where(exp_empty, 0.0, np.round(revenue * rng.uniform(0, 0.005, n), 1))
    total_profit = np.round(op_profit + nonop_income - nonop_exp, 1)
    income_tax = np.round(np.maximum(total_profit, 0) * rng.choice([0.25, 0.15, 0.05], n, p=[0.6, 0.1, 0.3]), 1)
    net_profit = np.round(total_profit - income_tax, 1)
    assets = np.round(revenue * rng.uniform(0.5, 3.0, n), 1)
    liabilities = np.round(assets * rng.uniform(0.1, 0.9, n), 1)
    equity = np.round(assets - liabilities, 1)
    current_assets = np.round(assets * rng.uniform(0.3, 0.8, n), 1)
    inventory = np.round(current_assets * rng.uniform(0.0, 0.5, n), 1)
    fixed_assets = np.round(assets * rng.uniform(0.05, 0.5, n), 1)
    depreciation = np.round(fixed_assets * rng.uniform(0.0, 0.7, n), 1)
    payable_wages = np.round(wages * rng.uniform(1.0, 1.15, n), 1)
    start_year = rng.integers(1985, 2025, n)

    # --- violations: each a few tenths of a percent of units -------------------------------
    bad = _pick(rng, n, 0.004)
    emp_female = np.where(bad, emp_end + rng.integers(1, 5, n), emp_female)          # 102-01
    bad = _pick(rng, n, 0.002)
    emp_dispatch = np.where(bad, emp_end + rng.integers(1, 5, n), emp_dispatch)      # 102-02
    bad = _pick(rng, n, 0.002) & (emp_avg > 0)
    wages = np.where(bad, 0.0, wages)                                                # 102-03
    bad = _pick(rng, n, 0.003)
    wages = np.where(bad, wages * 1000, wages)                                       # 102-05: 元 as 千元
    bad = _pick(rng, n, 0.003)
    wages = np.where(bad, np.round(wages / 5, 1), wages)                             # 102-04
    bad = _pick(rng, n, 0.002)
    emp_end = np.where(bad, emp_avg * 3 + 5, emp_end)                                # 102-06
    bad = _pick(rng, n, 0.001)
    emp_avg = np.where(bad, -emp_avg - 1, emp_avg)                                   # emp_avg.min
    bad = _pick(rng, n, 0.003)
    total_profit = np.where(bad, total_profit + rng.integers(10, 500, n), total_profit)  # F103-01/03
    bad = _pick(rng, n, 0.003)
    equity = np.where(bad, np.round(equity * 1.3 + 10, 1), equity)                   # F103-02
    bad = _pick(rng, n, 0.002)
    op_cost = np.where(bad, np.round(revenue * 2.5, 1), op_cost)                     # F103-04
    bad = _pick(rng, n, 0.002)
    depreciation = np.where(bad, np.round(fixed_assets * 1.2 + 1, 1), depreciation)  # F103-06
    bad = _pick(rng, n, 0.001)
    inventory = np.where(bad, np.round(current_assets + 5, 1), inventory)           # F103-08
    bad = _pick(rng, n, 0.002)
    payable_wages = np.where(bad, np.round(wages * 0.5, 1), payable_wages)
    bad = _pick(rng, n, 0.01)
    scale = np.where(bad, rng.integers(1, 5, n), scale)                              # U-01/U-02
    bad = _pick(rng, n, 0.0005)
    scale = np.where(bad, 5, scale)                                                  # scale.max
    bad = _pick(rng, n, 0.001)
    start_year = np.where(bad, 2026, start_year)                                     # U-03, max
    bad = _pick(rng, n, 0.001)
    revenue = np.where(bad, -revenue, revenue)                                       # revenue.min

    frame = pl.DataFrame(
        {
            "credit_code": credit,
            "town_code": pl.Series(town, dtype=pl.String),
            "period": pl.Series(np.full(n, "202412", dtype=object), dtype=pl.String),
            "industry": pl.Series(industry, dtype=pl.String),
            "phone": pl.Series(rng.integers(13_000_000_000, 19_999_999_999, n)).cast(pl.String),
            "reg_type": pl.Series(reg_type, dtype=pl.String),
            "scale": scale, "start_year": start_year,
            "emp_end": emp_end, "emp_female": emp_female, "emp_dispatch": emp_dispatch, "emp_avg": emp_avg,
            "wages": wages, "revenue": revenue, "op_cost": op_cost, "taxes": taxes, "sell_exp": sell_exp,
            "admin_exp": admin_exp, "fin_exp": fin_exp, "op_profit": op_profit, "nonop_income": nonop_income,
            "nonop_exp": nonop_exp, "total_profit": total_profit, "income_tax": income_tax,
            "net_profit": net_profit, "assets": assets, "current_assets": current_assets, "inventory": inventory,
            "fixed_assets": fixed_assets, "depreciation": depreciation, "liabilities": liabilities,
            "equity": equity, "payable_wages": payable_wages,
        }
    )
    # --- text violations and empty cells, as polars expressions over random masks ------------
    r = pl.Series(rng.random(n))
    r2 = pl.Series(rng.random(n))
    dup_source = pl.Series(np.roll(credit.to_numpy(), 1))
    return frame.with_columns(
        pl.when(r < 0.001).then(None)                                   # credit_code.required
        .when(r < 0.003).then(pl.col("credit_code").str.slice(0, 17) + "0")  # bad check char (mostly)
        .when(r < 0.004).then(pl.lit(dup_source))                       # duplicate of a neighbour
        .otherwise(pl.col("credit_code")).alias("credit_code"),
        pl.when(r2 < 0.0005).then(None).when(r2 < 0.0015).then(pl.lit("310106013"))
        .otherwise(pl.col("town_code")).alias("town_code"),
        pl.when((r2 > 0.5) & (r2 < 0.5005)).then(pl.lit("2024-13")).otherwise(pl.col("period")).alias("period"),
        pl.when((r2 > 0.2) & (r2 < 0.201)).then(pl.lit("9999"))
        .when((r2 > 0.3) & (r2 < 0.3005)).then(pl.lit("39A1"))
        .when((r2 > 0.4) & (r2 < 0.4003)).then(None)
        .otherwise(pl.col("industry")).alias("industry"),
        pl.when((r > 0.1) & (r < 0.12)).then(None)
        .when((r > 0.2) & (r < 0.203)).then(pl.col("phone").str.slice(0, 10))
        .when((r > 0.3) & (r < 0.35)).then(pl.lit("021-") + pl.col("phone").str.slice(3, 8))
        .otherwise(pl.col("phone")).alias("phone"),
        pl.when((r > 0.6) & (r < 0.601)).then(pl.lit("9A")).otherwise(pl.col("reg_type")).alias("reg_type"),
        pl.when(pl.lit(pl.Series(income_empty))).then(None).otherwise(pl.col("nonop_income")).alias("nonop_income"),
        pl.when(pl.lit(pl.Series(exp_empty))).then(None).otherwise(pl.col("nonop_exp")).alias("nonop_exp"),
        pl.when((r > 0.8) & (r < 0.805)).then(None).otherwise(pl.col("fin_exp")).alias("fin_exp"),
        pl.when((r > 0.9) & (r < 0.902)).then(None).otherwise(pl.col("wages")).alias("wages"),
    )


#: Rows per parquet row group, the same at every size: a reader holds a few row groups at a
#: time, so a file of larger groups needs more memory whatever the engine (pyarrow's default
#: is 1Mi rows, polars' about 125k at 1M rows).
ROW_GROUP = 131_072


def write(n: int, path: Path, seed: int = 20241231, chunk: int = 2_000_000) -> Path:
    """Write ``n`` units to a parquet file, generated in chunks so memory stays bounded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if n <= chunk:
        generate(n, seed).write_parquet(path, row_group_size=ROW_GROUP)
        return path
    import pyarrow.parquet as pq

    writer: pq.ParquetWriter | None = None
    try:
        for i, start in enumerate(range(0, n, chunk)):
            part = generate(min(chunk, n - start), seed + i, start).to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(path, part.schema)
            writer.write_table(part, row_group_size=ROW_GROUP)
    finally:
        if writer is not None:
            writer.close()
    return path
