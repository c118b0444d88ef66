"""Conflicts: pairs the line has detected, and how they are told to each side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from deconfliction.domain.volume import TimeWindow

__all__ = ["Conflict", "ConflictKind", "ConflictStatus"]


class ConflictKind(StrEnum):
    STRATEGIC = "strategic"
    TACTICAL = "tactical"
    INTRUSION = "intrusion"
    DEVIATION = "deviation"


class ConflictStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    EXPIRED = "expired"

    def is_live(self) -> bool:
        return self in (ConflictStatus.OPEN, ConflictStatus.ACKNOWLEDGED)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A conflict between volume ``volume_a`` of notice ``notice_a`` and one of ``notice_b``.

    ``window`` is the part of the two time windows that overlaps once the buffers are applied;
    ``distance_m`` is the geodesic distance between the footprints (0 when they touch or overlap).
    """

    id: str
    kind: ConflictKind
    status: ConflictStatus
    party_a: str
    notice_a: str
    volume_a: int
    version_a: int
    party_b: str
    notice_b: str
    volume_b: int
    version_b: int
    distance_m: float
    window: TimeWindow
    detected_at: datetime

    def involves(self, party: str) -> bool:
        return party in (self.party_a, self.party_b)
