"""The detector contract: a registry of kinds, their parameters, their input and output.

A detector is a pure function of a typed frame and its parameters. It returns
unit-level anomalies (one row per flagged record and field) and/or group-level
anomalies (one row per 街镇, field and statistic). The engine collects the detector
frame in the same streaming pass as the rules, runs every detector, turns unit-level
anomalies into findings and keeps everything in ``CheckResult.anomalies``.

Examples
--------
>>> import source_check.detectors
>>> "shared_contact" in DETECTORS
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import polars as pl
from pydantic import BaseModel, ConfigDict

from ..pack.model import Pack

__all__ = [
    "DETECTORS",
    "GROUP",
    "GROUP_SCHEMA",
    "ROW",
    "UNIT_SCHEMA",
    "DetectorContext",
    "DetectorKind",
    "DetectorOutput",
    "DetectorParams",
    "detector",
    "empty_groups",
    "empty_units",
]

ROW = "__row"
GROUP = "__group"

#: Unit-level anomalies: the record (``row``), the field, a score (larger = more
#: suspicious), a Chinese message, the values read (JSON) and, where the detector can
#: propose one, a corrected value.
UNIT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "row": pl.Int64,
    "field": pl.String,
    "score": pl.Float64,
    "message": pl.String,
    "values": pl.String,
    "suggested": pl.Float64,
}
#: Group-level anomalies: the group (null = all groups together), field, the statistic
#: and its value, how many values it rests on, its class (e.g. Nigrini's conformity
#: class), whether the test was applicable, a Chinese message and the test's details
#: (JSON: e.g. chi-square, per-digit z).
GROUP_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "group": pl.String,
    "field": pl.String,
    "statistic": pl.String,
    "value": pl.Float64,
    "n": pl.Int64,
    "class": pl.String,
    "applicable": pl.Boolean,
    "flagged": pl.Boolean,
    "message": pl.String,
    "values": pl.String,
}


class DetectorParams(BaseModel):
    """Base of every detector's parameters: unknown keys are load errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=DetectorParams)


@dataclass(frozen=True)
class DetectorContext:
    """What a detector reads.

    ``frame`` holds one row per input record: ``__row`` (the record's position), the
    pack's key columns, ``__group`` (the group code as text, null without a group),
    every field the detectors name (typed) and, when previous data was given,
    ``__prev__<field>`` for those fields.
    """

    pack: Pack
    frame: pl.DataFrame
    has_previous: bool


@dataclass
class DetectorOutput:
    """Unit-level and group-level anomalies of one detector run.

    ``items`` is the number of (record, field) pairs the detector judged and ``na`` how
    many of them it could not test (no previous value, stratum too small...); when
    ``items`` is ``None`` the runner counts every record once per field read.
    """

    units: pl.DataFrame = field(default_factory=lambda: empty_units())
    groups: pl.DataFrame = field(default_factory=lambda: empty_groups())
    items: int | None = None
    na: int = 0


def empty_units() -> pl.DataFrame:
    return pl.DataFrame(schema=UNIT_SCHEMA)


def empty_groups() -> pl.DataFrame:
    return pl.DataFrame(schema=GROUP_SCHEMA)


@dataclass(frozen=True)
class DetectorKind(Generic[P]):
    """A registered detector kind."""

    kind: str
    params: type[P]
    run: Callable[[DetectorContext, P], DetectorOutput]
    fields: Callable[[P, Pack], list[str]]
    title: str
    needs_previous: bool = False
    dimension: str = "plausibility"


DETECTORS: dict[str, DetectorKind[Any]] = {}


def detector(
    kind: str,
    params: type[P],
    *,
    title: str,
    fields: Callable[[P, Pack], list[str]],
    needs_previous: bool = False,
    dimension: str = "plausibility",
) -> Callable[[Callable[[DetectorContext, P], DetectorOutput]], Callable[[DetectorContext, P], DetectorOutput]]:
    """Register a detector function under ``kind`` (decorator).

    ``fields(params, pack)`` names the pack fields the detector reads, so the loader can
    check them and the engine can collect them (with their previous-period values when
    previous data is given). A detector that re-checks rules after a correction may
    name the fields those rules read. ``dimension`` is the quality dimension its
    unit-level findings count against (``plausibility``, or e.g. ``uniqueness``).
    """

    def register(fn: Callable[[DetectorContext, P], DetectorOutput]) -> Callable[[DetectorContext, P], DetectorOutput]:
        DETECTORS[kind] = DetectorKind(kind, params, fn, fields, title, needs_previous, dimension)
        return fn

    return register
