"""Conflict use cases: the conflicts a party is told of, strategic and on tracks, as it may see
them (the need-to-know rules: ``domain.view``).

Conflicts on tracks (tactical, intrusion, deviation) live in their own table, followed from scan
to scan; here both kinds become one list, newest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from deconfliction.domain import Audience, Conflict, ConflictKind, Member
from deconfliction.domain.paging import DEFAULT_LIMIT, Page, page_of
from deconfliction.domain.view import ConflictView, strategic_view, track_view
from deconfliction.errors import NotFound
from deconfliction.service.line import Line
from deconfliction.store.base import ConflictQuery, Tx

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
    line: Line,
    actor: Member,
    live_only: bool = False,
    limit: int = DEFAULT_LIMIT,
    query: ConflictQuery | None = None,
) -> Page[ConflictView]:
    """A page of the conflicts the actor's party is told of, strategic and on tracks, newest
    first: both tables page as one list on (detected_at, id), after ``query.after``.

    ``query.notice`` matches a side only where the party sees it in clear: a redacted side never
    names its notice, not even to a filter.
    """
    q = query or ConflictQuery()
    party = actor.party
    found: list[ConflictView] = []
    with line.store.read() as tx:
        if q.notice is not None and not _sees_notice(tx, party, q.notice):
            return Page([])
        while True:
            batch, more = _batch(tx, party, live_only, limit + 1, q)
            found += [v for v in batch if q.notice is None or _names(v, q.notice)]
            if len(found) > limit or not more:
                break
            q = replace(q, after=_key(batch[-1]))
    return page_of(found, limit, _key)


def _key(v: ConflictView) -> tuple[datetime, str]:
    return (v.detected_at, v.id)


def _batch(
    tx: Tx, party: str, live_only: bool, n: int, q: ConflictQuery
) -> tuple[list[ConflictView], bool]:
    """The first ``n`` views of both tables after ``q.after``, and whether more may follow."""
    kinds = q.kinds or frozenset(ConflictKind)
    strategic: list[Conflict] = []
    if ConflictKind.STRATEGIC in kinds:
        strategic = tx.list_conflicts(party, live_only, n, q)
    on_tracks = []
    if kinds - {ConflictKind.STRATEGIC}:
        on_tracks = tx.list_track_conflicts(party, live_only, n, q)
    views = views_of(tx, strategic, party) + [track_view(c, party) for c in on_tracks]
    views.sort(key=_key, reverse=True)
    # more may follow where a table filled its share, or the merge left some over
    return views[:n], len(views) > n or len(strategic) == n or len(on_tracks) == n


def _sees_notice(tx: Tx, party: str, notice_id: str) -> bool:
    owner, audience = tx.notice_audiences([notice_id]).get(notice_id, ("", Audience()))
    return owner == party or (bool(owner) and audience.includes(party))


def _names(v: ConflictView, notice_id: str) -> bool:
    return any(s is not None and s.notice == notice_id for s in (v.mine, v.other))


def get_conflict(line: Line, actor: Member, conflict_id: str) -> ConflictView:
    with line.store.read() as tx:
        conflict = tx.get_conflict(conflict_id)
        if conflict is not None and conflict.involves(actor.party):
            return views_of(tx, [conflict], actor.party)[0]
        on_track = tx.get_track_conflict(conflict_id)
        if on_track is not None and on_track.involves(actor.party):
            return track_view(on_track, actor.party)
    raise NotFound(f"no conflict {conflict_id!r}", "/id")
