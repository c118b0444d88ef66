"""Notice use cases: declare, change, withdraw, read — with need-to-know on every read."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from deconfliction.domain import (
    Audience,
    Buffers,
    Conflict,
    ConflictStatus,
    EventKind,
    Member,
    Notice,
    NoticeKind,
    NoticeState,
    Volume,
)
from deconfliction.domain.volume import check_band, check_window
from deconfliction.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionRequired,
    StateConflict,
    VersionMismatch,
)
from deconfliction.service.conflicts import ConflictView, views_of
from deconfliction.service.detection import detect_and_index, prepare_volumes
from deconfliction.service.events import conflict_events, notice_event
from deconfliction.service.line import Line
from deconfliction.service.receipts import ack_due_for
from deconfliction.store.base import Box4, NoticeQuery, Tx

__all__ = [
    "MAX_VOLUMES",
    "NoticeDraft",
    "NoticeFilter",
    "NoticeResult",
    "create_notice",
    "get_notice",
    "list_notices",
    "require_writer",
    "update_notice",
    "withdraw_notice",
]

MAX_VOLUMES = 100
MAX_H_BUFFER_M = 100_000.0
MAX_V_BUFFER_M = 10_000.0
MAX_T_BUFFER_S = 86_400.0
MAX_TITLE = 200
MAX_ACK_WITHIN = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class NoticeDraft:
    """What a coordinator submits to create or replace a notice."""

    kind: NoticeKind
    volumes: tuple[Volume, ...]
    audience: Audience = Audience()
    title: str = ""
    protected: bool = False
    buffers: Buffers | None = None
    ack_by: datetime | None = None
    """Every audience party must acknowledge this version by then (protected: 1 h by default)."""


@dataclass(frozen=True, slots=True)
class NoticeResult:
    notice: Notice
    conflicts: list[ConflictView]


@dataclass(frozen=True, slots=True)
class NoticeFilter:
    bbox: tuple[float, float, float, float] | None = None  # lon_min, lat_min, lon_max, lat_max
    start: datetime | None = None
    end: datetime | None = None
    kind: NoticeKind | None = None
    party: str | None = None
    limit: int = 1000


def _check_draft(tx: Tx, draft: NoticeDraft, now: datetime) -> None:
    if not 1 <= len(draft.volumes) <= MAX_VOLUMES:
        raise InvalidInput(f"a notice has 1 to {MAX_VOLUMES} volumes", "/volumes")
    if len(draft.title) > MAX_TITLE:
        raise InvalidInput(f"a title has at most {MAX_TITLE} characters", "/title")
    for i, volume in enumerate(draft.volumes):
        check_window(volume.time.start, volume.time.end, f"/volumes/{i}/time")
        check_band(volume.altitude.lower_m, volume.altitude.upper_m, f"/volumes/{i}/altitude")
    if max(v.time.end for v in draft.volumes) < now:
        raise InvalidInput("every volume has already ended; nothing left to declare", "/volumes")
    if draft.buffers is not None:
        limits = {"h_m": MAX_H_BUFFER_M, "v_m": MAX_V_BUFFER_M, "t_s": MAX_T_BUFFER_S}
        for name, limit in limits.items():
            value = getattr(draft.buffers, name)
            if not (math.isfinite(value) and 0 <= value <= limit):
                raise InvalidInput(f"must be between 0 and {limit:g}", f"/buffers/{name}")
    for i, slug in enumerate(sorted(draft.audience.parties)):
        if tx.get_party(slug) is None:
            raise InvalidInput(f"no party {slug!r} on this line", f"/audience/{i}")


def require_writer(actor: Member) -> None:
    """PermissionDenied unless the actor may write notices (checked before any parsing)."""
    if not actor.role.writes_notices():
        raise PermissionDenied(
            f"a member with role {actor.role.value!r} cannot write notices; a coordinator can"
        )


def create_notice(line: Line, actor: Member, draft: NoticeDraft) -> NoticeResult:
    """Declare a notice; detect its strategic conflicts in the same transaction as the write."""
    require_writer(actor)
    prepared = prepare_volumes(draft.volumes)
    now = line.clock()
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
        _check_draft(tx, draft, now)
        tx.lock_for_notice_write()
        found = detect_and_index(line, tx, notice, prepared)
        tx.insert_notice(notice, found.rows)
        tx.insert_conflicts(found.conflicts)
        _ack_due(tx, notice, draft, now)
        views = views_of(tx, found.conflicts, actor.party, found.audiences)
        logged = tx.append_events(
            [
                notice_event(EventKind.NOTICE_CREATED, notice, now),
                *conflict_events(EventKind.CONFLICT_OPENED, found.conflicts, now),
            ]
        )
    line.signal.notify(logged[-1].seq)
    return NoticeResult(notice, views)


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
    line: Line, actor: Member, notice_id: str, draft: NoticeDraft, if_match: int | None
) -> NoticeResult:
    """Replace a notice as a new version; its old conflicts resolve, new ones are found."""
    require_writer(actor)
    prepared = prepare_volumes(draft.volumes)
    now = line.clock()
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        current = _own_notice(tx, actor, notice_id)
        _check_version(current, if_match, required=True)
        if not current.state_at(now).accepts_update():
            raise StateConflict(
                f"the notice is {current.state_at(now).value}; it cannot change", "/state"
            )
        _check_draft(tx, draft, now)
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
        resolved = _resolved(tx.resolve_conflicts(notice_id, now))
        found = detect_and_index(line, tx, notice, prepared)
        tx.update_notice(notice, found.rows)
        tx.insert_conflicts(found.conflicts)
        _ack_due(tx, notice, draft, now)
        views = views_of(tx, found.conflicts, actor.party, found.audiences)
        logged = tx.append_events(
            [
                notice_event(EventKind.NOTICE_UPDATED, notice, now),
                *conflict_events(EventKind.CONFLICT_CLOSED, resolved, now),
                *conflict_events(EventKind.CONFLICT_OPENED, found.conflicts, now),
            ]
        )
    line.signal.notify(logged[-1].seq)
    return NoticeResult(notice, views)


def _ack_due(tx: Tx, notice: Notice, draft: NoticeDraft, now: datetime) -> None:
    if draft.ack_by is not None and not now < draft.ack_by <= now + MAX_ACK_WITHIN:
        raise InvalidInput("ack_by must lie in the future, at most 30 days ahead", "/ack_by")
    due = ack_due_for(notice, draft.ack_by, now)
    if due is not None:
        tx.add_ack_due(due)


def _resolved(conflicts: list[Conflict]) -> list[Conflict]:
    return [replace(c, status=ConflictStatus.RESOLVED) for c in conflicts]


def withdraw_notice(line: Line, actor: Member, notice_id: str, if_match: int | None) -> Notice:
    """Withdraw a notice: it stops raising conflicts, its live ones resolve, its history stays."""
    require_writer(actor)
    now = line.clock()
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        current = _own_notice(tx, actor, notice_id)
        _check_version(current, if_match, required=False)
        if current.state is NoticeState.WITHDRAWN:
            return current
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


def list_notices(line: Line, actor: Member, query: NoticeFilter) -> list[Notice]:
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
                limit=query.limit,
            )
        )
    now = line.clock()
    line.deliveries.delivered(actor, [(n.id, n.version, n.party) for n in notices])
    return [_as_seen(n, now) for n in notices]
