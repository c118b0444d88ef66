"""Conflict detection: strategic (notice x notice) over prepared shapes and index boxes, intrusion
(track x notice)."""

from deconfliction.detect.intrusion import Intrusion, intrusions, swept_boxes
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
    "Found",
    "Intrusion",
    "conflicts_with",
    "detect_all",
    "effective_buffers",
    "index_boxes",
    "intrusions",
    "search_boxes",
    "swept_boxes",
]
