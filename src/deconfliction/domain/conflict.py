"""Conflicts: pairs the line has detected, and how they are told to each side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from deconfliction.domain.notice import Audience
from deconfliction.domain.volume import TimeWindow

__all__ = [
    "Conflict",
    "ConflictAck",
    "ConflictKind",
    "ConflictStatus",
    "Retell",
    "Severity",
    "TrackConflict",
]


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


@dataclass(frozen=True, slots=True)
class ConflictAck:
    """A party's word that it has seen a conflict and is acting: by ``member`` (``None`` where
    the member is not the viewer's to know), at ``at``, when the conflict was at ``severity``.

    It holds while the conflict stays at that severity or below; a conflict that escalates above
    it is open again for that party, so a warning is never silenced by the acknowledgement of an
    advisory.
    """

    party: str
    member: str | None
    at: datetime
    severity: Severity

    def holds_at(self, severity: Severity) -> bool:
        return not severity.above(self.severity)


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

    def differs_materially(self, told: TrackConflict, retell: Retell) -> bool:
        """Whether this fresh finding of an encounter is worth telling again, after ``told``.

        Material: status, severity, either side or who may see it, an instant (``t_in``,
        ``t_out``, ``cpa``) moved by ``retell.time_s`` or more (or newly known, or no longer),
        the distance by both ``retell.distance_fraction`` of itself and ``retell.distance_m`` (or,
        for distances under twice that, by half the larger distance and at least
        ``retell.least_m``: two convoys closing from 95 m to nothing is news). For an intrusion
        with its entry predicted, the distance to the volume is what ``t_in`` implies: only
        reaching it is material. The ``detail`` text is not: it follows what is material.
        """
        sides = (
            self.party_b, self.track_b, self.notice_a, self.volume_a, self.notice_b,
            self.volume_b, self.movement, self.reason, self.agreement,
            self.told, self.visible_a, self.visible_b,
        )  # fmt: skip
        told_sides = (
            told.party_b, told.track_b, told.notice_a, told.volume_a, told.notice_b,
            told.volume_b, told.movement, told.reason, told.agreement,
            told.told, told.visible_a, told.visible_b,
        )  # fmt: skip
        if (self.status, self.severity, sides) != (told.status, told.severity, told_sides):
            return True
        for now, then in ((self.t_in, told.t_in), (self.t_out, told.t_out), (self.cpa, told.cpa)):
            if (now is None) != (then is None):
                return True
            if now is not None and then is not None:
                if abs((now - then).total_seconds()) >= retell.time_s:
                    return True
        if (self.distance_m is None) != (told.distance_m is None):
            return True
        if self.kind is ConflictKind.INTRUSION and self.t_in is not None and told.t_in is not None:
            # a track closing on a volume as predicted: its distance shrinks as ``t_in`` says it
            # will (an aircraft at 220 m/s, every scan); only reaching it, inside, is news
            return (self.distance_m == 0) != (told.distance_m == 0)
        if self.distance_m is not None and told.distance_m is not None:
            moved = abs(self.distance_m - told.distance_m)
            # near distances (two convoys under a 100 m minimum) count at half their size
            larger = max(self.distance_m, told.distance_m)
            floor = max(retell.least_m, min(retell.distance_m, 0.5 * larger))
            return moved >= floor and moved >= retell.distance_fraction * told.distance_m
        return False


@dataclass(frozen=True, slots=True)
class Retell:
    """When a continuing encounter is told again (``TrackConflict.differs_materially``): an
    instant moved by ``time_s``, the distance by ``distance_fraction`` of itself and at least
    ``distance_m`` (near distances: half the larger, at least ``least_m``). Below that, a scan
    that finds it again changes nothing anyone is told."""

    time_s: float = 10.0
    distance_fraction: float = 0.1
    distance_m: float = 100.0
    least_m: float = 10.0
