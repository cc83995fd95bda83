"""Read submission files into one LazyFrame with provenance.

This first version reads UTF-8 CSV, parquet, Arrow IPC and the first sheet of an
Excel workbook whose first row is the header. The full reader (title rows, GBK/GB18030,
header detection and column mapping) replaces it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..errors import InputError
from ..pack.model import Pack
from ..result import InputInfo

__all__ = ["Submission", "file_sha256", "read_submission"]


@dataclass
class Submission:
    """What was read: one LazyFrame (with ``source_file``/``source_sheet``/``source_row``)
    plus, per input, its hash, rows read and skipped, and a reading log."""

    frame: pl.LazyFrame
    inputs: list[InputInfo] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_one(path: Path) -> pl.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix in (".arrow", ".ipc", ".feather"):
            return pl.read_ipc(path)
        if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
            return pl.read_excel(path, engine="calamine", infer_schema_length=0)
        if suffix in (".csv", ".txt", ".tsv"):
            sep = "\t" if suffix == ".tsv" else ","
            return pl.read_csv(path, separator=sep, infer_schema=False, encoding="utf8-lossy")
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise InputError(f"无法读取文件：{str(exc).splitlines()[0]}", None) from None
    raise InputError(f"不支持的文件类型：{path.name}（支持 xlsx/xls/ods/csv/tsv/txt/parquet/arrow）")


def read_submission(paths: Sequence[str | Path] | str | Path, pack: Pack, **options: object) -> Submission:
    """Read one or more files for ``pack`` and concatenate them with provenance."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    frames: list[pl.DataFrame] = []
    inputs: list[InputInfo] = []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise InputError(f"文件不存在：{path}")
        df = _read_one(path)
        header_rows = 0 if path.suffix.lower() in (".parquet", ".arrow", ".ipc", ".feather") else 1
        df = df.with_columns(
            pl.lit(str(path)).alias("source_file"),
            pl.lit(None, dtype=pl.String).alias("source_sheet"),
            (pl.int_range(pl.len(), dtype=pl.Int64) + 1 + header_rows).alias("source_row"),
        )
        frames.append(df)
        inputs.append(InputInfo(str(path), file_sha256(path), df.height, 0))
    frame = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    return Submission(frame.lazy(), inputs)
