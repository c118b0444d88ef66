"""Conflict detection: strategic (notice x notice) over prepared shapes and index boxes."""

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
    "conflicts_with",
    "detect_all",
    "effective_buffers",
    "index_boxes",
    "search_boxes",
]
