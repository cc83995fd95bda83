"""``make demo``: generate sample submissions for Putuo's 10 街镇 and check them.

Usage: ``python -m source_check.demo [OUT_DIR]`` (default ``demo-out``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl

from .cli import main as cli_main
from .formats import USCC_ALPHABET, uscc_check_char
from .pack.loader import load_pack

__all__ = ["main", "sample_labor_102"]


def _codes(rng: np.random.Generator, n: int) -> list[str]:
    alphabet = np.array(list(USCC_ALPHABET))
    out = []
    for _ in range(n):
        body = "913101" + "07" + "".join(rng.choice(alphabet, 9))
        out.append(body + uscc_check_char(body))
    return out


def sample_labor_102(n: int = 600, seed: int = 7) -> pl.DataFrame:
    """A 102 submission for Putuo with a few planted errors (for the demo only)."""
    rng = np.random.default_rng(seed)
    towns = list(load_pack("labor-102").codelists["towns"].codes)
    emp_avg = np.maximum(1, rng.lognormal(3.0, 1.1, n).round()).astype(int)
    emp_end = np.maximum(1, (emp_avg * rng.uniform(0.9, 1.1, n)).round()).astype(int)
    monthly = rng.lognormal(np.log(11000), 0.35, n).clip(3000, 60000)
    df = pl.DataFrame({
        "credit_code": _codes(rng, n),
        "name": [f"上海示例企业{i:04d}有限公司" for i in range(n)],
        "town_code": rng.choice(towns, n),
        "period": ["202412"] * n,
        "emp_end": emp_end,
        "emp_female": (emp_end * rng.uniform(0.2, 0.6, n)).round().astype(int),
        "emp_dispatch": (emp_end * rng.uniform(0, 0.1, n)).round().astype(int),
        "emp_avg": emp_avg,
        "wages": (monthly * emp_avg * 12 / 1000).round(1),
    })
    planted = rng.choice(n, 12, replace=False)
    df = df.with_row_index("i").with_columns(
        pl.when(pl.col("i").is_in(planted[:4].tolist())).then(pl.col("wages") * 1000).otherwise(pl.col("wages"))
        .alias("wages"),
        pl.when(pl.col("i").is_in(planted[4:8].tolist())).then(pl.col("emp_end") + 5).otherwise(pl.col("emp_female"))
        .alias("emp_female"),
        pl.when(pl.col("i") == int(planted[8])).then(pl.lit("91310107MA1G00000X")).otherwise(pl.col("credit_code"))
        .alias("credit_code"),
    ).drop("i")
    return df


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "demo-out")
    inputs = out / "input"
    inputs.mkdir(parents=True, exist_ok=True)
    data = sample_labor_102()
    paths = []
    for (town,), part in data.group_by(["town_code"], maintain_order=True):
        path = inputs / f"102_{town}.csv"
        part.write_csv(path)
        paths.append(str(path))
    print(f"已生成 {len(paths)} 个街镇的 102 表样例数据：{inputs}")
    args = ["check", *sorted(paths), "--pack", "labor-102", "--out", str(out), "--fail-on", "never"]
    return cli_main([*args, "--format", "xlsx,json"])


if __name__ == "__main__":
    sys.exit(main())
