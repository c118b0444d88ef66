"""The line's limits on what a party may send, in one place: every front door and rule reads
them here, so a limit the API documents is the limit the use case enforces.
"""

from __future__ import annotations

from datetime import timedelta

__all__ = [
    "ALT_RANGE_M",
    "MAX_ALT_UNC_M",
    "MAX_ACK_WITHIN",
    "MAX_ACROSS_M",
    "MAX_BODY_BYTES",
    "MAX_DEADLINE",
    "MAX_ENTRIES",
    "MAX_FUTURE",
    "MAX_GS_MPS",
    "MAX_H_BUFFER_M",
    "MAX_POLYGONS",
    "MAX_RADIUS_M",
    "MAX_REFERENCES",
    "MAX_REPORTS",
    "MAX_STALE_S",
    "MAX_SUBJECT",
    "MAX_TEXT",
    "MAX_THREAD_PARTIES",
    "MAX_TITLE",
    "MAX_T_BUFFER_S",
    "MAX_VERTICES",
    "MAX_VOLUMES",
    "MAX_VS_MPS",
    "MAX_V_BUFFER_M",
    "PROTECTED_ACK_WITHIN",
]

# -- any request
MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest request body the HTTP API reads."""

# -- notices
MAX_VOLUMES = 100
MAX_TITLE = 200
MAX_H_BUFFER_M = 100_000.0
MAX_V_BUFFER_M = 10_000.0
MAX_T_BUFFER_S = 86_400.0
MAX_ACK_WITHIN = timedelta(days=30)
"""Latest ``ack_by`` a notice may ask for."""
PROTECTED_ACK_WITHIN = timedelta(hours=1)
"""How long the audience of a protected notice has to acknowledge each version, by default."""

# -- footprints
MAX_POLYGONS = 100
"""A MultiPolygon becomes one volume per polygon; a notice has at most 100 volumes."""
MAX_VERTICES = 10_000
"""Most positions one footprint may have (all its rings together)."""
MAX_ACROSS_M = 2_000_000.0
"""Largest footprint, measured across (including a circle's radius or a corridor's half-width)."""
MAX_RADIUS_M = 1_000_000.0
"""Largest circle radius or corridor half-width."""

# -- track reports
MAX_REPORTS = 10_000
"""Reports in one batch; more is refused whole (send several batches)."""
MAX_FUTURE = timedelta(seconds=60)
"""How far ahead of the line's clock a report's time may be."""
MAX_GS_MPS = 2_000.0
MAX_VS_MPS = 300.0
ALT_RANGE_M = (-1_000.0, 100_000.0)
MAX_STALE_S = 86_400.0
MAX_ALT_UNC_M = 5000.0
"""The widest vertical uncertainty a report may give (a barometric altitude at FL600 needs less)."""

# -- threads and messages
MAX_THREAD_PARTIES = 50
MAX_SUBJECT = 200
MAX_TEXT = 2000
MAX_REFERENCES = 100
MAX_DEADLINE = timedelta(days=7)

# -- the record
MAX_ENTRIES = 1000
"""Entries of the record served in one request."""
