"""Conflict detection: strategic (notice x notice) over prepared shapes and index boxes, intrusion
(track x notice), deviation (track x its own movement notice)."""

from deconfliction.detect.conformance import (
    Conformance,
    Deviation,
    DeviationReason,
    deviations,
    stopped_since,
)
from deconfliction.detect.intrusion import Intrusion, intrusions, swept_boxes
from deconfliction.detect.settings import ScanSettings
from deconfliction.detect.strategic import (
    Candidate,
    Found,
    conflicts_with,
    detect_all,
    effective_buffers,
    index_boxes,
    search_boxes,
)

__all__ = [
    "Candidate",
    "Conformance",
    "Deviation",
    "DeviationReason",
    "Found",
    "Intrusion",
    "ScanSettings",
    "conflicts_with",
    "detect_all",
    "deviations",
    "effective_buffers",
    "index_boxes",
    "intrusions",
    "search_boxes",
    "stopped_since",
    "swept_boxes",
]
