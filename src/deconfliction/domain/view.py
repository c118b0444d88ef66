"""Conflicts as each party is told of them: always both sides, redacted past need-to-know.

A party sees the other side of a conflict in full when it is in the other notice's (or track's)
audience. Otherwise it learns only the other party's slug and when — the time window the two
overlap, rounded out to quarter hours, or when separation is lost, exactly — no geometry, no
notice or track id, no distance: enough to pick up the line and talk, not enough to read a hidden
notice's window from one long notice of one's own (docs/security.md, "Probing"). These are the
rules; ``service.conflicts`` reads what they need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from deconfliction.domain.conflict import (
    Conflict,
    ConflictAck,
    ConflictKind,
    ConflictStatus,
    Severity,
    TrackConflict,
)
from deconfliction.domain.notice import Audience
from deconfliction.domain.probing import coarsened
from deconfliction.domain.volume import TimeWindow

__all__ = ["ConflictView", "Side", "strategic_view", "track_view"]


@dataclass(frozen=True, slots=True)
class Side:
    party: str
    notice: str | None
    volume: int | None
    version: int | None
    track: str | None = None


@dataclass(frozen=True, slots=True)
class ConflictView:
    """A conflict oriented for one party: ``mine`` is its side, ``other`` the other party's.

    A deviation is told to the movement's audience too: for those parties ``mine`` is ``None``
    and ``other`` is the movement's side. Conflicts on tracks carry ``t_in`` (separation lost),
    ``t_out`` (regained, if known), ``cpa`` (closest approach) and ``updated_at``; a deviation
    its ``reason``; ``window`` is only for strategic conflicts.
    """

    id: str
    kind: ConflictKind
    status: ConflictStatus
    mine: Side | None
    other: Side | None
    window: TimeWindow | None
    distance_m: float | None
    detected_at: datetime
    redacted: bool
    t_in: datetime | None = None
    t_out: datetime | None = None
    cpa: datetime | None = None
    reason: str | None = None
    detail: str | None = None
    updated_at: datetime | None = None
    agreement: str | None = None
    severity: Severity = Severity.ADVISORY
    acknowledged_by: tuple[ConflictAck, ...] = ()
    """Each side's acknowledgement, oldest first; the member only for the viewer's own."""


def _acks(
    status: ConflictStatus, severity: Severity, acks: Sequence[ConflictAck], party: str
) -> tuple[ConflictStatus, tuple[ConflictAck, ...]]:
    """The status ``party`` sees (``acknowledged`` while its acknowledgement holds) and the
    acknowledgements it is shown."""
    shown = tuple(
        a if a.party == party else ConflictAck(a.party, None, a.at, a.severity)
        for a in sorted(acks, key=lambda a: a.at)
    )
    if status.is_live():
        held = any(a.party == party and a.holds_at(severity) for a in acks)
        status = ConflictStatus.ACKNOWLEDGED if held else ConflictStatus.OPEN
    return status, shown


def strategic_view(
    conflict: Conflict,
    party: str,
    other_notice: tuple[str, Audience] | None,
    acks: Sequence[ConflictAck] = (),
) -> ConflictView:
    """Orient a strategic conflict for ``party`` (one of its two parties); ``other_notice`` is
    the party and audience of the other side's notice (``None``: unknown, so not shared);
    ``acks`` the parties' acknowledgements of it."""
    if conflict.party_a == party:
        mine = Side(conflict.party_a, conflict.notice_a, conflict.volume_a, conflict.version_a)
        other = Side(conflict.party_b, conflict.notice_b, conflict.volume_b, conflict.version_b)
    else:
        mine = Side(conflict.party_b, conflict.notice_b, conflict.volume_b, conflict.version_b)
        other = Side(conflict.party_a, conflict.notice_a, conflict.volume_a, conflict.version_a)
    shared = other_notice is not None and (
        other_notice[0] == party or other_notice[1].includes(party)
    )
    if not shared:
        other = Side(other.party, None, None, None)
    status, shown = _acks(conflict.status, conflict.severity, acks, party)
    return ConflictView(
        id=conflict.id,
        kind=conflict.kind,
        status=status,
        mine=mine,
        other=other,
        window=conflict.window if shared else coarsened(conflict.window),
        distance_m=conflict.distance_m if shared else None,
        detected_at=conflict.detected_at,
        redacted=not shared,
        severity=conflict.severity,
        acknowledged_by=shown,
    )


def track_view(c: TrackConflict, party: str, acks: Sequence[ConflictAck] = ()) -> ConflictView:
    """Orient a conflict on tracks for ``party`` (a side, or told as the movement's audience);
    ``acks`` the sides' acknowledgements of it."""
    a = Side(c.party_a, c.notice_a or c.movement, c.volume_a, None, c.track_a)
    b = None
    if c.party_b is not None:
        b = Side(c.party_b, c.notice_b, c.volume_b, None, c.track_b)
    clear_a = party == c.party_a or c.visible_a.includes(party)
    clear_b = b is not None and (party == b.party or c.visible_b.includes(party))
    if b is not None and not clear_b:
        b = Side(b.party, None, None, None, None)
    if not clear_a:
        a = Side(a.party, None, None, None, None)
    mine: Side | None
    if party == c.party_a:
        mine, other, clear = a, b, clear_b or b is None
    elif b is not None and party == b.party and c.kind is not ConflictKind.DEVIATION:
        mine, other, clear = b, a, clear_a
    else:
        mine, other, clear = None, a, clear_a and (clear_b or b is None)
    status, shown = _acks(c.status, c.severity, acks, party)
    return ConflictView(
        id=c.id,
        kind=c.kind,
        status=status,
        mine=mine,
        other=other,
        window=None,
        distance_m=c.distance_m if clear else None,
        detected_at=c.detected_at,
        redacted=not clear,
        t_in=c.t_in,
        t_out=c.t_out,
        cpa=c.cpa,
        reason=c.reason,
        detail=c.detail if clear else None,
        updated_at=c.updated_at,
        agreement=c.agreement,
        severity=c.severity,
        acknowledged_by=shown,
    )
