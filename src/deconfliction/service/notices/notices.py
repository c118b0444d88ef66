"""Notice use cases: declare, change, withdraw, read — with need-to-know on every read, and every
change charged to its party's budgets and watched for probing (``service.probing``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from deconfliction.domain import (
    Conflict,
    ConflictStatus,
    Event,
    EventKind,
    Footprint,
    Member,
    Notice,
    NoticeDraft,
    NoticeKind,
    NoticeState,
)
from deconfliction.domain.paging import DEFAULT_LIMIT, Page, page_of
from deconfliction.domain.view import ConflictView
from deconfliction.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionRequired,
    StateConflict,
    VersionMismatch,
)
from deconfliction.geo import Box4
from deconfliction.service.conflicts import views_of
from deconfliction.service.line import Line
from deconfliction.service.notices.receipts import ack_due_for
from deconfliction.service.notices.strategic import detect_and_index, prepare_volumes
from deconfliction.service.probing import charge, watch
from deconfliction.service.told import conflict_events, notice_event
from deconfliction.store.base import NoticeQuery, Tx

__all__ = [
    "DraftSource",
    "NoticeFilter",
    "NoticeResult",
    "create_notice",
    "footprints_in_force",
    "get_notice",
    "list_notices",
    "update_notice",
    "withdraw_notice",
]

DraftSource = NoticeDraft | Callable[[], NoticeDraft]
"""A draft, or how to read one: a front door hands the reading (parsing geometry costs) to the
use case, which reads it only once the member may write."""


@dataclass(frozen=True, slots=True)
class NoticeResult:
    notice: Notice
    conflicts: list[ConflictView]
    committed: bool = False
    """Whether the notice's party has agreed to keep out of some area (then the notice may
    breach it: ``service.declare`` looks)."""


@dataclass(frozen=True, slots=True)
class NoticeFilter:
    bbox: tuple[float, float, float, float] | None = None  # lon_min, lat_min, lon_max, lat_max
    start: datetime | None = None
    end: datetime | None = None
    kind: NoticeKind | None = None
    party: str | None = None
    limit: int = DEFAULT_LIMIT
    after: tuple[datetime, str] | None = None
    """Start after this (created_at, id): the key the previous page ended at."""


def _draft(actor: Member, source: DraftSource, now: datetime) -> NoticeDraft:
    """The checked draft, once the actor may write notices."""
    actor.role.require_writer("notices")
    draft = source() if callable(source) else source
    draft.check(now)
    return draft


def _check_audience(tx: Tx, draft: NoticeDraft) -> None:
    for i, slug in enumerate(sorted(draft.audience.parties)):
        if tx.get_party(slug) is None:
            raise InvalidInput(f"no party {slug!r} on this line", f"/audience/{i}")


def create_notice(line: Line, actor: Member, source: DraftSource) -> NoticeResult:
    """Declare a notice; detect its strategic conflicts in the same transaction as the write."""
    now = line.clock()
    draft = _draft(actor, source, now)
    prepared = prepare_volumes(draft.volumes)
    notice = Notice(
        id=line.new_id(),
        party=actor.party,
        kind=draft.kind,
        volumes=draft.volumes,
        audience=draft.audience,
        created_at=now,
        updated_at=now,
        title=draft.title,
        protected=draft.protected,
        buffers=draft.buffers,
    )
    with line.store.transaction() as tx:
        _check_audience(tx, draft)
        tx.lock_for_notice_write()
        charge(tx, line, actor.party, line.budgets.create(), now)
        found = detect_and_index(line, tx, notice, prepared)
        tx.insert_notice(notice, found.rows)
        tx.insert_conflicts(found.conflicts)
        _add_ack_due(tx, notice, draft, now)
        committed = tx.is_committed(notice.party)
        # conflicts opened by this write: nobody has acknowledged them yet
        views = views_of(tx, found.conflicts, actor.party, found.audiences, acks={})
        logged = tx.append_events(
            [
                notice_event(EventKind.NOTICE_CREATED, notice, now),
                *conflict_events(EventKind.CONFLICT_OPENED, found.conflicts, now),
                *_watched(tx, line, actor.party, found.conflicts, views, now),
            ]
        )
    line.signal.notify(logged[-1].seq)
    line.meter.notice("created", found.conflicts)
    return NoticeResult(notice, views, committed)


def _own_notice(tx: Tx, actor: Member, notice_id: str) -> Notice:
    notice = tx.get_notice(notice_id)
    if notice is None or not notice.visible_to(actor.party):
        raise NotFound(f"no notice {notice_id!r}", "/id")
    if notice.party != actor.party:
        raise PermissionDenied("only the party that declared a notice can change it", "/id")
    return notice


def _check_version(notice: Notice, if_match: int | None, required: bool) -> None:
    if if_match is None:
        if required:
            raise PreconditionRequired(
                f"send If-Match with the version you are changing (now {notice.version})",
                "/headers/if-match",
            )
        return
    if if_match != notice.version:
        raise VersionMismatch(
            f"the notice is at version {notice.version}, not {if_match}; fetch it and retry",
            "/headers/if-match",
        )


def update_notice(
    line: Line, actor: Member, notice_id: str, source: DraftSource, if_match: int | None
) -> NoticeResult:
    """Replace a notice as a new version and detect its conflicts again.

    A pair of volumes that still conflicts keeps its conflict (same id, ``conflict.updated``
    with the new versions and window); a pair that no longer does is resolved; a new pair opens.
    """
    now = line.clock()
    draft = _draft(actor, source, now)
    prepared = prepare_volumes(draft.volumes)
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        current = _own_notice(tx, actor, notice_id)
        _check_version(current, if_match, required=True)
        if not current.state_at(now).accepts_update():
            raise StateConflict(
                f"the notice is {current.state_at(now).value}; it cannot change", "/state"
            )
        _check_audience(tx, draft)
        charge(tx, line, actor.party, line.budgets.change(current, now, draft.buffers), now)
        notice = replace(
            current,
            kind=draft.kind,
            volumes=draft.volumes,
            audience=draft.audience,
            title=draft.title,
            protected=draft.protected,
            buffers=draft.buffers,
            version=current.version + 1,
            updated_at=now,
        )
        found = detect_and_index(line, tx, notice, prepared)
        held = tx.live_conflicts_of(notice_id)
        kept, opened, closed = _carried(held, found.conflicts)
        tx.update_notice(notice, found.rows)
        tx.update_conflicts([*kept, *closed], now)
        tx.drop_conflict_acks(_moved(held, kept))
        tx.insert_conflicts(opened)
        _add_ack_due(tx, notice, draft, now)
        committed = tx.is_committed(notice.party)
        acks = tx.conflict_acks([c.id for c in kept])
        views = views_of(tx, [*kept, *opened], actor.party, found.audiences, acks)
        logged = tx.append_events(
            [
                notice_event(EventKind.NOTICE_UPDATED, notice, now),
                *conflict_events(EventKind.CONFLICT_CLOSED, closed, now),
                *conflict_events(EventKind.CONFLICT_UPDATED, kept, now, acks),
                *conflict_events(EventKind.CONFLICT_OPENED, opened, now),
                *_watched(tx, line, actor.party, opened, views[len(kept) :], now),
            ]
        )
    line.signal.notify(logged[-1].seq)
    line.meter.notice("updated", opened)
    return NoticeResult(notice, views, committed)


def _watched(
    tx: Tx,
    line: Line,
    party: str,
    opened: list[Conflict],
    views: list[ConflictView],
    now: datetime,
) -> list[Event]:
    """``probing.suspected`` for the hidden notices this write opened conflicts with: those
    whose view the writer gets redacted (the writer's notice is always side a)."""
    hidden = [(c.notice_b, c.party_b) for c, v in zip(opened, views, strict=True) if v.redacted]
    return watch(tx, line, party, hidden, now) if hidden else []


def _add_ack_due(tx: Tx, notice: Notice, draft: NoticeDraft, now: datetime) -> None:
    due = ack_due_for(notice, draft.ack_by, now)
    if due is not None:
        tx.add_ack_due(due)


def _pair(c: Conflict) -> frozenset[tuple[str, int]]:
    return frozenset({(c.notice_a, c.volume_a), (c.notice_b, c.volume_b)})


def _carried(
    held: list[Conflict], found: list[Conflict]
) -> tuple[list[Conflict], list[Conflict], list[Conflict]]:
    """Match the conflicts a changed notice had with those found for its new version, by pair of
    volumes: (kept, with the new versions, distance, window and severity; opened; resolved)."""
    by_pair = {_pair(c): c for c in found}
    kept: list[Conflict] = []
    closed: list[Conflict] = []
    for h in held:
        f = by_pair.pop(_pair(h), None)
        if f is None:
            closed.append(replace(h, status=ConflictStatus.RESOLVED))
            continue
        # the conflict keeps its id, its sides' order, its status and when it was detected
        same_order = (f.notice_a, f.volume_a) == (h.notice_a, h.volume_a)
        kept.append(
            replace(
                h,
                version_a=f.version_a if same_order else f.version_b,
                version_b=f.version_b if same_order else f.version_a,
                distance_m=f.distance_m,
                window=f.window,
                severity=f.severity,
            )
        )
    return kept, list(by_pair.values()), closed


def _moved(held: list[Conflict], kept: list[Conflict]) -> list[str]:
    """The kept conflicts whose window or distance changed: what each side acknowledged was
    another conflict, so both are asked again."""
    before = {c.id: (c.window, c.distance_m) for c in held}
    return [c.id for c in kept if before[c.id] != (c.window, c.distance_m)]


def _resolved(conflicts: list[Conflict]) -> list[Conflict]:
    return [replace(c, status=ConflictStatus.RESOLVED) for c in conflicts]


def withdraw_notice(line: Line, actor: Member, notice_id: str, if_match: int | None) -> Notice:
    """Withdraw a notice: it stops raising conflicts, its live ones resolve, its history stays."""
    actor.role.require_writer("notices")
    now = line.clock()
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        current = _own_notice(tx, actor, notice_id)
        _check_version(current, if_match, required=False)
        if current.state is NoticeState.WITHDRAWN:
            return current
        charge(tx, line, actor.party, line.budgets.withdrawal(current, now), now)
        notice = replace(
            current, state=NoticeState.WITHDRAWN, version=current.version + 1, updated_at=now
        )
        resolved = _resolved(tx.resolve_conflicts(notice_id, now))
        tx.update_notice(notice, ())
        logged = tx.append_events(
            [
                notice_event(EventKind.NOTICE_WITHDRAWN, notice, now),
                *conflict_events(EventKind.CONFLICT_CLOSED, resolved, now),
            ]
        )
    line.signal.notify(logged[-1].seq)
    line.meter.notice("withdrawn")
    return notice


def get_notice(line: Line, actor: Member, notice_id: str) -> Notice:
    """The notice if the actor's party may see it; otherwise NotFound, as if it did not exist."""
    with line.store.read() as tx:
        notice = tx.get_notice(notice_id)
    if notice is None or not notice.visible_to(actor.party):
        raise NotFound(f"no notice {notice_id!r}", "/id")
    line.deliveries.delivered(actor, [(notice.id, notice.version, notice.party)])
    return _as_seen(notice, line.clock())


def _as_seen(notice: Notice, now: datetime) -> Notice:
    state = notice.state_at(now)
    return notice if state is notice.state else replace(notice, state=state)


def _notice_key(n: Notice) -> tuple[datetime, str]:
    return (n.created_at, n.id)


def footprints_in_force(line: Line, page: int = 1000) -> Iterator[Footprint]:
    """The footprints of every notice's volumes whose window has not ended, read page by page in
    short transactions: for the line's own housekeeping (the outlines the console draws, made
    ahead of the first sign-in), never an answer to a party."""
    after: tuple[datetime, str] | None = None
    while True:
        with line.store.read() as tx:
            notices = tx.list_notices(NoticeQuery(start=line.clock(), limit=page, after=after))
        for n in notices:
            if n.state is NoticeState.ACTIVE:
                yield from (v.footprint for v in n.volumes)
        if len(notices) < page:
            return
        after = _notice_key(notices[-1])


def list_notices(line: Line, actor: Member, query: NoticeFilter) -> Page[Notice]:
    """A page of the notices the actor may see, oldest first (created_at, id); each one read is
    delivered to the actor's party."""
    boxes: tuple[Box4, ...] = ()
    if query.bbox is not None:
        lon_min, lat_min, lon_max, lat_max = query.bbox
        spans = (
            [(lon_min, lon_max)] if lon_min <= lon_max else [(lon_min, 180.0), (-180.0, lon_max)]
        )
        boxes = tuple(Box4(lo, lat_min, -1e9, -1e12, hi, lat_max, 1e9, 1e12) for lo, hi in spans)
    with line.store.read() as tx:
        notices = tx.list_notices(
            NoticeQuery(
                viewer=actor.party,
                boxes=boxes,
                start=query.start,
                end=query.end,
                kind=query.kind,
                party=query.party,
                limit=query.limit + 1,
                after=query.after,
            )
        )
    page = page_of(notices, query.limit, _notice_key)
    now = line.clock()
    line.deliveries.delivered(actor, [(n.id, n.version, n.party) for n in page.items])
    return Page([_as_seen(n, now) for n in page.items], page.after)
