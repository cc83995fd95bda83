"""Read 说明 (explanations) back: the 问题清单 sheet of a filled-in report.xlsx, or a CSV.

The table needs a fingerprint column (``指纹`` or ``fingerprint``) and a text column
(``说明`` or ``text``); ``填写人``/``who`` and ``填写时间``/``when`` are kept if present.
Rows with an empty 说明 are ignored.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import InputError, Position

__all__ = ["read_explanations"]


def read_explanations(path: str | Path) -> pl.DataFrame:
    """A table of ``fingerprint, text`` from a filled report workbook or a CSV file."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"说明文件不存在：{p}")
    try:
        if p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
            import fastexcel

            sheets = fastexcel.read_excel(str(p)).sheet_names
            sheet = "问题清单" if "问题清单" in sheets else sheets[0]
            df = pl.read_excel(p, sheet_name=sheet, engine="calamine", infer_schema_length=0)
        else:
            df = pl.read_csv(p, infer_schema=False, encoding="utf8-lossy")
    except Exception as exc:  # fastexcel raises its own exception tree (CalamineError…), polars and OS errors
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"无法读取说明文件（文件已损坏或格式不对）(cannot read the explanations file)：{first}",
                         Position(str(p))) from None
    rename = {"指纹": "fingerprint", "说明": "text", "填写人": "who", "填写时间": "when"}
    df = df.rename({k: v for k, v in rename.items() if k in df.columns})
    if "fingerprint" not in df.columns or "text" not in df.columns:
        raise InputError(f"说明文件 {p.name} 缺少“指纹”或“说明”列（请使用 source-check 生成的问题清单填写）")
    keep = [c for c in ("fingerprint", "text", "who", "when") if c in df.columns]
    return df.select(keep).filter(pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != ""))
