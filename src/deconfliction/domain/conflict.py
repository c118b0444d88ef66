"""Conflicts: pairs the line has detected, and how they are told to each side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from deconfliction.domain.notice import Audience
from deconfliction.domain.volume import TimeWindow

__all__ = ["Conflict", "ConflictKind", "ConflictStatus", "Severity", "TrackConflict"]


class ConflictKind(StrEnum):
    STRATEGIC = "strategic"
    TACTICAL = "tactical"
    INTRUSION = "intrusion"
    DEVIATION = "deviation"


class Severity(StrEnum):
    """A conflict's alert level, most urgent first (see docs/conflicts.md for the rules).

    ``warning``: act now (separation lost, or lost within a minute); ``caution``: act soon;
    ``advisory``: know of it and plan.
    """

    WARNING = "warning"
    CAUTION = "caution"
    ADVISORY = "advisory"

    @property
    def rank(self) -> int:
        """0 for ``warning``, 2 for ``advisory``: sorts the urgent first."""
        return _RANK[self]

    def above(self, other: Severity) -> bool:
        """Whether this level is more urgent than ``other``."""
        return self.rank < other.rank


_RANK = {Severity.WARNING: 0, Severity.CAUTION: 1, Severity.ADVISORY: 2}


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
    severity: Severity = Severity.ADVISORY

    def involves(self, party: str) -> bool:
        return party in (self.party_a, self.party_b)


@dataclass(frozen=True, slots=True)
class TrackConflict:
    """A conflict on live tracks, followed from scan to scan while it lasts.

    ``tactical``: track ``track_a`` of ``party_a`` against track ``track_b`` of ``party_b``.
    ``intrusion``: track a predicted to enter volume ``volume_b`` of notice ``notice_b``.
    ``deviation``: track a off its own ``movement`` notice (``reason``); for ``near-volume``,
    ``notice_b``/``volume_b`` name the other party's volume.

    ``key`` names the encounter (the same pair, or track and volume, or track and reason): a scan
    that finds it again updates this conflict rather than opening another. ``t_in`` is when
    separation is (or was) lost, ``t_out`` when it is predicted to be regained (``None``: not on
    present tracks), ``cpa`` the closest horizontal approach and ``distance_m`` its distance
    (tactical) or the present distance (intrusion, deviation).

    ``told`` are the parties told besides the two sides (a deviation's movement audience);
    ``visible_a``/``visible_b`` who may see each side in clear (its track's or notice's audience).
    """

    id: str
    kind: ConflictKind
    status: ConflictStatus
    key: str
    party_a: str
    track_a: str | None
    party_b: str | None
    track_b: str | None
    notice_b: str | None
    volume_b: int | None
    movement: str | None
    reason: str | None
    t_in: datetime
    t_out: datetime | None
    cpa: datetime | None
    distance_m: float | None
    detail: str
    told: Audience
    visible_a: Audience
    visible_b: Audience
    detected_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    agreement: str | None = None
    """A breach: the accepted request (message id) whose area side a's party agreed to keep
    out of; ``party_b`` is the party it agreed with."""
    notice_a: str | None = None
    volume_a: int | None = None
    """A notice's breach of an agreement: side a is this volume of this notice, not a track."""
    severity: Severity = Severity.ADVISORY

    def involves(self, party: str) -> bool:
        """Whether ``party`` is told of this conflict: a side, or in ``told``.

        A deviation is told to the movement's party and its audience only: the party whose
        volume a convoy nears is not told unless the movement is shared with it.
        """
        if party == self.party_a or self.told.includes(party):
            return True
        return party == self.party_b and self.kind is not ConflictKind.DEVIATION

    def same_encounter(self, other: TrackConflict) -> bool:
        """Whether a fresh finding changes nothing a reader would see (times to the second)."""

        def s(t: datetime | None) -> int | None:
            return None if t is None else round(t.timestamp())

        return (
            (s(self.t_in), s(self.t_out), s(self.cpa), self.detail)
            == (s(other.t_in), s(other.t_out), s(other.cpa), other.detail)
            and (self.distance_m is None) == (other.distance_m is None)
            and abs((self.distance_m or 0.0) - (other.distance_m or 0.0)) < 1.0
            and (self.told, self.visible_a, self.visible_b)
            == (other.told, other.visible_a, other.visible_b)
        )
