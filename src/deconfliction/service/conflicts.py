"""Conflicts as each party is told of them: always both sides, redacted past need-to-know.

A party sees the other side of a conflict in full when it is in the other notice's audience.
Otherwise it learns only the other party's slug and the time window the two overlap — no
geometry, no notice id, no distance — enough to pick up the line and talk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from deconfliction.domain import (
    Audience,
    Conflict,
    ConflictKind,
    ConflictStatus,
    Member,
    TimeWindow,
)
from deconfliction.errors import NotFound
from deconfliction.service.line import Line
from deconfliction.store.base import Tx

__all__ = ["ConflictView", "Side", "get_conflict", "list_conflicts", "views_of"]


@dataclass(frozen=True, slots=True)
class Side:
    party: str
    notice: str | None
    volume: int | None
    version: int | None


@dataclass(frozen=True, slots=True)
class ConflictView:
    """A conflict oriented for one party: ``mine`` is its side, ``other`` the other party's."""

    id: str
    kind: ConflictKind
    status: ConflictStatus
    mine: Side
    other: Side
    window: TimeWindow
    distance_m: float | None
    detected_at: datetime
    redacted: bool


def views_of(
    tx: Tx,
    conflicts: Sequence[Conflict],
    party: str,
    known: Mapping[str, tuple[str, Audience]] | None = None,
) -> list[ConflictView]:
    """Orient each conflict for ``party`` (one of its two parties) and apply need-to-know.

    ``known`` holds party and audience of notices the caller already has (a create's candidates);
    the others are read in one query.
    """
    others = [c.notice_b if c.party_a == party else c.notice_a for c in conflicts]
    audiences = dict(known or {})
    missing = [n for n in others if n not in audiences]
    if missing:
        audiences.update(tx.notice_audiences(missing))
    return [
        _view(c, party, audiences.get(other)) for c, other in zip(conflicts, others, strict=True)
    ]


def _view(
    conflict: Conflict, party: str, other_notice: tuple[str, Audience] | None
) -> ConflictView:
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
    return ConflictView(
        id=conflict.id,
        kind=conflict.kind,
        status=conflict.status,
        mine=mine,
        other=other,
        window=conflict.window,
        distance_m=conflict.distance_m if shared else None,
        detected_at=conflict.detected_at,
        redacted=not shared,
    )


def list_conflicts(
    line: Line, actor: Member, live_only: bool = False, limit: int = 1000
) -> list[ConflictView]:
    """The conflicts the actor's party is part of, newest first."""
    with line.store.read() as tx:
        conflicts = tx.list_conflicts(actor.party, live_only=live_only, limit=limit)
        return views_of(tx, conflicts, actor.party)


def get_conflict(line: Line, actor: Member, conflict_id: str) -> ConflictView:
    with line.store.read() as tx:
        conflict = tx.get_conflict(conflict_id)
        if conflict is None or not conflict.involves(actor.party):
            raise NotFound(f"no conflict {conflict_id!r}", "/id")
        return views_of(tx, [conflict], actor.party)[0]
