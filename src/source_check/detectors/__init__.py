"""Statistical anomaly detectors, registered by kind in :data:`DETECTORS`.

Importing this package registers every kind.
"""

from . import shared_contact  # noqa: F401  (registers the kind)
from .base import DETECTORS, DetectorContext, DetectorKind, DetectorOutput, DetectorParams, detector
from .runner import run_detectors

__all__ = ["DETECTORS", "DetectorContext", "DetectorKind", "DetectorOutput", "DetectorParams", "detector",
           "run_detectors"]
