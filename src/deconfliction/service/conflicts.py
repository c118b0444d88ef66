"""Conflict use cases: the conflicts a party is told of, strategic and on tracks, as it may see
them (the need-to-know rules: ``domain.view``).

Conflicts on tracks (tactical, intrusion, deviation) live in their own table, followed from scan
to scan; here both kinds become one list, newest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from deconfliction.domain import Audience, Conflict, Member
from deconfliction.domain.view import ConflictView, strategic_view, track_view
from deconfliction.errors import NotFound
from deconfliction.service.line import Line
from deconfliction.store.base import Tx

__all__ = ["get_conflict", "list_conflicts", "views_of"]


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
        strategic_view(c, party, audiences.get(other))
        for c, other in zip(conflicts, others, strict=True)
    ]


def list_conflicts(
    line: Line, actor: Member, live_only: bool = False, limit: int = 1000
) -> list[ConflictView]:
    """The conflicts the actor's party is told of, strategic and on tracks, newest first."""
    with line.store.read() as tx:
        conflicts = tx.list_conflicts(actor.party, live_only=live_only, limit=limit)
        views = views_of(tx, conflicts, actor.party)
        on_tracks = tx.list_track_conflicts(actor.party, live_only=live_only, limit=limit)
    views += [track_view(c, actor.party) for c in on_tracks]
    views.sort(key=lambda v: (v.detected_at, v.id), reverse=True)
    return views[:limit]


def get_conflict(line: Line, actor: Member, conflict_id: str) -> ConflictView:
    with line.store.read() as tx:
        conflict = tx.get_conflict(conflict_id)
        if conflict is not None and conflict.involves(actor.party):
            return views_of(tx, [conflict], actor.party)[0]
        on_track = tx.get_track_conflict(conflict_id)
        if on_track is not None and on_track.involves(actor.party):
            return track_view(on_track, actor.party)
    raise NotFound(f"no conflict {conflict_id!r}", "/id")
