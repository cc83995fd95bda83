"""Statistical anomaly detectors, registered by kind in :data:`DETECTORS`.

Importing this package registers every kind.
"""

from . import (  # noqa: F401  (importing a module registers its kind)
    benford,
    duplicates,
    hb,
    heaping,
    peer_outlier,
    shared_contact,
    unit_error,
)
from .base import DETECTORS, DetectorContext, DetectorKind, DetectorOutput, DetectorParams, detector
from .runner import run_detectors

__all__ = ["DETECTORS", "DetectorContext", "DetectorKind", "DetectorOutput", "DetectorParams", "detector",
           "run_detectors"]
