"""Conflict use cases: the conflicts a party is told of, strategic and on tracks, as it may see
them (the need-to-know rules: ``domain.view``), and a party's acknowledgement of one.

Conflicts on tracks (tactical, intrusion, deviation) live in their own table, followed from scan
to scan; here both kinds become one list, newest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from deconfliction.domain import (
    Audience,
    Conflict,
    ConflictAck,
    ConflictKind,
    ConflictStatus,
    EventKind,
    Member,
    Severity,
    TrackConflict,
)
from deconfliction.domain.paging import DEFAULT_LIMIT, Page, page_of
from deconfliction.domain.probing import QUARTER, quarter_floor
from deconfliction.domain.view import ConflictView, strategic_view, track_view
from deconfliction.errors import NotFound, PermissionDenied, StateConflict
from deconfliction.service.line import Line
from deconfliction.service.told import conflict_events, track_conflict_events
from deconfliction.store.base import ConflictQuery, Tx

__all__ = [
    "acknowledge_conflict",
    "escalate_conflicts",
    "get_conflict",
    "list_conflicts",
    "track_views",
    "views_of",
]


def views_of(
    tx: Tx,
    conflicts: Sequence[Conflict],
    party: str,
    known: Mapping[str, tuple[str, Audience]] | None = None,
    acks: Mapping[str, Sequence[ConflictAck]] | None = None,
) -> list[ConflictView]:
    """Orient each conflict for ``party`` (one of its two parties) and apply need-to-know.

    ``known`` holds party and audience of notices the caller already has (a create's candidates);
    the others are read in one query. ``acks``: the acknowledgements to show (an event's, as
    they were then); by default, as they are now.
    """
    others = [c.notice_b if c.party_a == party else c.notice_a for c in conflicts]
    audiences = dict(known or {})
    missing = [n for n in others if n not in audiences]
    if missing:
        audiences.update(tx.notice_audiences(missing))
    if acks is None:
        acks = tx.conflict_acks([c.id for c in conflicts])
    return [
        strategic_view(c, party, audiences.get(other), acks.get(c.id, ()))
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
    names its notice, not even to a filter. ``query.statuses`` are as the party sees them: a live
    conflict is ``acknowledged`` for a party while its acknowledgement holds, ``open`` otherwise.
    """
    q = query or ConflictQuery()
    wanted = q.statuses
    if wanted & _LIVE:  # stored live conflicts are open; acknowledged is each party's own
        q = replace(q, statuses=wanted | _LIVE)
    party = actor.party
    found: list[ConflictView] = []
    with line.store.read() as tx:
        if q.notice is not None and not _sees_notice(tx, party, q.notice):
            return Page([])
        while True:
            batch, more = _batch(tx, party, live_only, limit + 1, q)
            found += [
                v
                for v in batch
                if (q.notice is None or _names(v, q.notice)) and (not wanted or v.status in wanted)
            ]
            if len(found) > limit or not more:
                break
            q = replace(q, after=_key(batch[-1]))
    return page_of(found, limit, _key)


_LIVE = frozenset(s for s in ConflictStatus if s.is_live())


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
    # the running detector's table holds strategic conflicts too: notices breaching agreements
    on_tracks = tx.list_track_conflicts(party, live_only, n, q)
    views = views_of(tx, strategic, party) + _track_views(tx, on_tracks, party)
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
        return _view(tx, _told(tx, actor, conflict_id), actor.party)


def _told(tx: Tx, actor: Member, conflict_id: str) -> Conflict | TrackConflict:
    """The conflict, if the actor's party is told of it; NotFound otherwise, as if it did not
    exist."""
    conflict = tx.get_conflict(conflict_id)
    if conflict is not None and conflict.involves(actor.party):
        return conflict
    on_track = tx.get_track_conflict(conflict_id)
    if on_track is not None and on_track.involves(actor.party):
        return on_track
    raise NotFound(f"no conflict {conflict_id!r}", "/id")


def _view(tx: Tx, c: Conflict | TrackConflict, party: str) -> ConflictView:
    if isinstance(c, Conflict):
        return views_of(tx, [c], party)[0]
    return _track_views(tx, [c], party)[0]


def _is_side(c: Conflict | TrackConflict, party: str) -> bool:
    """Whether ``party`` is a side of the conflict (the audience of a deviation is told of it,
    but it is not theirs to acknowledge)."""
    if party == c.party_a:
        return True
    return party == c.party_b and c.kind is not ConflictKind.DEVIATION


def acknowledge_conflict(line: Line, actor: Member, conflict_id: str) -> ConflictView:
    """The actor's party has seen the conflict and is acting: recorded with who and when, told to
    the parties of the conflict as one ``conflict.updated`` event.

    Coordinators and admins only, of a party that is a side of a live conflict. Acknowledging
    again at the same severity changes nothing; after an escalation it acknowledges the new level.
    """
    actor.role.require_writer("acknowledgements of conflicts")
    now = line.clock()
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()  # the scanner's lock: the conflict cannot change meanwhile
        c = _told(tx, actor, conflict_id)
        if not _is_side(c, actor.party):
            raise PermissionDenied(
                "your party is told of this deviation as the movement's audience; only the "
                "movement's party acknowledges it",
                "/id",
            )
        if not c.status.is_live():
            raise StateConflict(f"the conflict is {c.status.value}; nothing to acknowledge", "/id")
        acks = tx.conflict_acks([c.id]).get(c.id, [])
        if any(a.party == actor.party and a.holds_at(c.severity) for a in acks):
            return _view(tx, c, actor.party)
        ack = ConflictAck(actor.party, actor.id, now, c.severity)
        tx.put_conflict_ack(c.id, ack)
        acks = [a for a in acks if a.party != actor.party] + [ack]
        events = (
            conflict_events(EventKind.CONFLICT_UPDATED, [c], now, {c.id: acks})
            if isinstance(c, Conflict)
            else track_conflict_events(EventKind.CONFLICT_UPDATED, [c], now, {c.id: acks})
        )
        logged = tx.append_events(events)
        view = _view(tx, c, actor.party)
    line.signal.notify(logged[-1].seq)
    return view


def track_views(line: Line, party: str, conflicts: Sequence[TrackConflict]) -> list[ConflictView]:
    """Conflicts on tracks as ``party`` sees them now, acknowledgements included."""
    with line.store.read() as tx:
        return _track_views(tx, conflicts, party)


def _track_views(tx: Tx, conflicts: Sequence[TrackConflict], party: str) -> list[ConflictView]:
    """Orient each conflict on tracks for ``party``, with its acknowledgements (one query)."""
    acks = tx.conflict_acks([c.id for c in conflicts])
    return [track_view(c, party, acks.get(c.id, ())) for c in conflicts]


def escalate_conflicts(line: Line) -> list[Conflict]:
    """Strategic conflicts whose overlap now starts within the caution threshold rise from
    advisory to caution, each told as ``conflict.updated`` (a duty of the running line).

    As when detected (``notices.strategic.severity``), the overlap starts at the quarter hour it
    starts in: the moment of the rise tells a redacted side no more than its coarse window does."""
    now = line.clock()
    # quarter_floor(start) <= now + threshold  <=>  start < quarter_floor(now + threshold) + 15 min
    horizon = quarter_floor(now + timedelta(seconds=line.alerts.strategic_caution_s))
    before = horizon + QUARTER - timedelta(microseconds=1)
    with line.store.read() as tx:  # most ticks find nothing: look before taking the write lock
        if not tx.conflicts_to_escalate(Severity.ADVISORY, before):
            return []
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        due = tx.conflicts_to_escalate(Severity.ADVISORY, before)
        if not due:
            return []
        raised = [replace(c, severity=Severity.CAUTION) for c in due]
        tx.set_severity(raised, now)
        acks = tx.conflict_acks([c.id for c in raised])
        logged = tx.append_events(conflict_events(EventKind.CONFLICT_UPDATED, raised, now, acks))
    line.signal.notify(logged[-1].seq)
    return raised
