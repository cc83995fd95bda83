from __future__ import annotations

import polars as pl
import pytest

from source_check import CheckResult, check, load_pack

UNIT = {"credit_code": "91310107MA1G00000Q", "name": "上海甲有限公司", "town_code": "310107005", "period": "202412",
        "emp_end": 10, "emp_female": 3, "emp_dispatch": 0, "emp_avg": 10, "wages": 1200.0}


def sample_frame() -> pl.DataFrame:
    rows = [
        UNIT,
        {**UNIT, "credit_code": "91310107MA1G00001U", "name": "上海乙有限公司", "emp_female": 12},
        {**UNIT, "credit_code": "91310107MA1G000032", "name": "上海丙有限公司", "wages": 300.0},
        {**UNIT, "credit_code": "91310107MA1G000045", "name": "上海丁有限公司", "town_code": "310107014",
         "wages": 1200000.0},
        {**UNIT, "credit_code": "91310107MA1G00000X", "name": "上海戊有限公司", "town_code": "310107014"},
    ]
    return pl.DataFrame(rows).with_columns(
        pl.lit("102_sample.xlsx").alias("source_file"), pl.lit("102表").alias("source_sheet"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + 4).alias("source_row"),
    )


@pytest.fixture
def sample_result() -> CheckResult:
    result = check(sample_frame(), load_pack("labor-102"))
    result.meta.update(started="2024-12-31T08:00:00+00:00", finished="2024-12-31T08:00:01+00:00", duration_s=1.0)
    return result
