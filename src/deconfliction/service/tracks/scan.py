"""The running detector: one scan of every live track, and the conflicts it keeps up to date.

A scan brings every live track to the same instant, then finds (``service.tracks.findings``)
tactical pairs, intrusions, deviations and breaches of agreements. Each finding has a key naming the
encounter; a finding whose key is
already a live conflict updates it, a new key opens a conflict, and a live conflict no longer
found is resolved — or expired, when one of its tracks went stale and nothing more can be said.
So a continuing encounter is one conflict for as long as it lasts, not one per scan; found again
within two minutes of closing, it reopens.

Reconciliation runs under the same write lock as notice writes, so scans from several processes
(or the background loop and an on-demand scan) never open one encounter twice.
"""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from deconfliction.bus import Periodic
from deconfliction.detect.settings import ScanSettings
from deconfliction.domain import (
    AlertLevels,
    Audience,
    ConflictKind,
    ConflictStatus,
    Event,
    EventKind,
    Member,
    Notice,
    Retell,
    Role,
    Track,
    TrackConflict,
)
from deconfliction.errors import PermissionDenied
from deconfliction.service.line import Line
from deconfliction.service.probing import watch
from deconfliction.service.told import track_conflict_events
from deconfliction.service.tracks.findings import (
    Finding,
    NoticeSide,
    TacticalFound,
    find_all,
    notice_breaches,
)
from deconfliction.service.tracks.live import live_columns
from deconfliction.service.tracks.steady import Told, quiet
from deconfliction.store.base import Tx
from deconfliction.store.codec import dt_to_us

__all__ = ["ScanResult", "Scanner", "breaches_of", "require_scanner", "scan"]

REOPEN_WITHIN = timedelta(minutes=2)
"""An encounter found again this soon after its conflict closed reopens that conflict."""


@dataclass(frozen=True)
class ScanResult:
    at: datetime
    tracks: int
    opened: list[TrackConflict]
    updated: list[TrackConflict]
    """Found again; a tactical pair that goes on as told is here as it was stored."""
    closed: list[TrackConflict]
    """Resolved (the encounter ended) or expired (a track went stale)."""
    elapsed_s: float

    def count(self, kind: ConflictKind) -> int:
        """Live conflicts of ``kind`` this scan found (opened or still going)."""
        return sum(c.kind is kind for c in (*self.opened, *self.updated))


def require_scanner(actor: Member) -> None:
    """PermissionDenied for observers: a scan on demand is work for the line."""
    if actor.role is Role.OBSERVER:
        raise PermissionDenied("an observer cannot start a scan; a coordinator or admin can")


def scan(line: Line, settings: ScanSettings | None = None) -> ScanResult:
    """Scan every live track once at ``line.clock()`` and store what changed."""
    settings = settings or ScanSettings()
    started = time.perf_counter()
    now = line.clock()
    with _collection_paused():
        with line.store.read() as tx:
            columns = live_columns(line, tx, now)
            found = find_all(tx, line, columns, now, settings)
        tracks = columns.tracks
        live_keys = set(columns.keys)
        with line.store.transaction() as tx:
            tx.lock_for_notice_write()
            seq = tx.last_event_seq()
            held = _held_since(line, seq)
            opened, updated, closed, logged = _reconcile(
                tx, line, found.others, live_keys, now, settings.retell, held, found.tactical
            )
    _keep(line, logged or seq, held)
    if logged:
        line.signal.notify(logged)
    elapsed_s = time.perf_counter() - started
    line.meter.scanned(len(tracks), elapsed_s, opened)
    return ScanResult(now, len(tracks), opened, updated, closed, elapsed_s)


_PAUSE_LOCK = threading.Lock()
_paused = [0, False]  # scans under way in this process; whether collection was on before them


@contextmanager
def _collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a scan runs (in any thread of the process).

    A scan of 100,000 tracks allocates some 400,000 short-lived containers, every one freed by
    its reference count; yet each 700 allocations start a collection that walks the young
    objects, and now and then one walks all of the process's objects (the live tracks and their
    conflicts, some 600,000): a quarter of the scan's CPU time, spent finding no cycles.
    Collection resumes when the last scan under way ends; what cycles other threads made
    meanwhile are collected then.
    """
    with _PAUSE_LOCK:
        if _paused[0] == 0:
            _paused[1] = gc.isenabled()
            gc.disable()
        _paused[0] += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _paused[0] -= 1
            if _paused[0] == 0 and _paused[1]:
                gc.enable()


def breaches_of(line: Line, notice: Notice) -> list[TrackConflict]:
    """The live breaches of agreements by ``notice`` (just written), opening those the running
    detector has not yet found, so that the call that declared the notice answers with them."""
    now = line.clock()
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        findings = notice_breaches(tx, now, notice)
        if not findings:
            return []
        live = {c.key: c for c in tx.live_track_conflicts()}
        held = [live[f.key] for f in findings if f.key in live]
        opened = [
            _conflict(f, line.new_id(), now, line.alerts)
            for f in {f.key: f for f in findings if f.key not in live}.values()
        ]
        tx.insert_track_conflicts(opened)
        logged = tx.append_events(track_conflict_events(EventKind.CONFLICT_OPENED, opened, now))
    if logged:
        line.signal.notify(logged[-1].seq)
    line.meter.opened(opened)
    return [*held, *opened]


# -- keeping conflicts up to date -------------------------------------------------------------


@dataclass
class _Held:
    """The conflicts on tracks as stored after a scan's reconciliation: the live ones and the
    newest closed one of each key, by key; None until read or made."""

    live: dict[str, TrackConflict] | None = None
    closed: dict[str, TrackConflict] | None = None
    told: Told = field(default_factory=Told)


_HELD: weakref.WeakKeyDictionary[object, tuple[int, _Held]] = weakref.WeakKeyDictionary()
_HELD_LOCK = threading.Lock()


def _held_since(line: Line, seq: int) -> _Held:
    """What the last scan of this process stored, if the event log has not moved since it did
    (``seq``, read under the notice write lock): every write of a conflict on tracks, by any
    process, appends events in its transaction, so an unmoved log means the rows are as this
    process left them. Otherwise nothing: the scan reads them from the store."""
    with _HELD_LOCK:
        kept = _HELD.get(line.store)
    if kept is None or kept[0] != seq:
        return _Held()
    return _Held(kept[1].live, kept[1].closed, kept[1].told)


def _keep(line: Line, seq: int, held: _Held) -> None:
    """Remember ``held`` as the store's state at event ``seq`` (after its commit)."""
    if held.live is None or held.closed is None:
        return
    with _HELD_LOCK:
        _HELD[line.store] = (seq, held)


def _at(now: datetime, seconds: float | None) -> datetime | None:
    return None if seconds is None else now + timedelta(seconds=seconds)


def _conflict(
    f: Finding,
    cid: str,
    now: datetime,
    alerts: AlertLevels,
    *,
    status: ConflictStatus = ConflictStatus.OPEN,
    t_in: datetime | None = None,
    detected_at: datetime | None = None,
) -> TrackConflict:
    """The conflict ``f`` makes, open (or in ``status``), entered at ``now`` plus its ``t_in_s``
    (or at ``t_in``), detected at ``now`` (or ``detected_at``)."""
    if t_in is None:
        t_in = now + timedelta(seconds=f.t_in_s)
    protected = f.movement is not None and f.movement.protected
    return TrackConflict(
        id=cid,
        kind=f.kind,
        status=status,
        key=f.key,
        party_a=f.a.party,
        track_a=f.a.uid if isinstance(f.a, Track) else None,
        notice_a=f.a.notice if isinstance(f.a, NoticeSide) else None,
        volume_a=f.a.volume if isinstance(f.a, NoticeSide) else None,
        party_b=f.party_b,
        track_b=None if f.track_b is None else f.track_b.uid,
        notice_b=f.notice_b,
        volume_b=f.volume_b,
        movement=None if f.movement is None else f.movement.id,
        reason=f.reason,
        t_in=t_in,
        t_out=_at(now, f.t_out_s),
        cpa=_at(now, f.tcpa_s),
        distance_m=f.distance_m,
        detail=f.detail,
        told=Audience() if f.movement is None else f.movement.audience,
        visible_a=f.a.audience,
        visible_b=f.visible_b,
        detected_at=now if detected_at is None else detected_at,
        updated_at=now,
        agreement=f.agreement,
        severity=alerts.on_tracks(f.kind, f.t_in_s, protected),
    )


def _passed(t: datetime | None, now: datetime) -> bool:
    return t is not None and t <= now


def _carried(f: Finding, held: TrackConflict, now: datetime, alerts: AlertLevels) -> TrackConflict:
    """The conflict ``held`` as ``f``, a finding of the same encounter at ``now``, makes it."""
    # a loss of separation already under way keeps the time it began
    t_in = now + timedelta(seconds=f.t_in_s)
    if t_in <= now and held.t_in <= now:
        t_in = held.t_in
    fresh = _conflict(
        f, held.id, now, alerts, status=held.status, t_in=t_in, detected_at=held.detected_at
    )
    if _passed(held.cpa, now) and _passed(fresh.cpa, now):
        # a closest approach already passed keeps when and how close it was: the tracks
        # drawing apart are not news until separation is regained
        fresh = replace(fresh, cpa=held.cpa, distance_m=held.distance_m, detail=held.detail)
    return fresh


def _reconcile(
    tx: Tx,
    line: Line,
    findings: Sequence[Finding],
    live_keys: set[str],
    now: datetime,
    retell: Retell,
    kept: _Held | None = None,
    pairs: TacticalFound | None = None,
) -> tuple[list[TrackConflict], list[TrackConflict], list[TrackConflict], int]:
    """Open, update and close conflicts on tracks, with their events; the last event's seq.

    A conflict still found is stored and told again only when it changed materially since it
    was last told (``TrackConflict.differs_materially``): the stored row is what was told.
    ``pairs``: the scan's tactical pairs as columns, taken before ``findings``; those that go on
    unchanged (``steady.quiet``) count as updated with their conflict as stored, and only the
    others are made into findings. ``kept``: the stored conflicts, when known without reading
    them; set to what is stored after this reconciliation."""
    since = now - REOPEN_WITHIN
    if kept is not None and kept.live is not None and kept.closed is not None:
        live = kept.live
        recent = {
            k: c
            for k, c in kept.closed.items()
            if c.resolved_at is not None and c.resolved_at >= since
        }
    else:
        live = {c.key: c for c in tx.live_track_conflicts()}
        recent = {c.key: c for c in tx.closed_track_conflicts_since(since)}
    opened: list[TrackConflict] = []
    updated: list[TrackConflict] = []
    changed: list[TrackConflict] = []
    reacknowledge: list[str] = []
    found: set[str] = set()

    def take(f: Finding) -> None:
        held = live.get(f.key)
        if held is None and f.key in recent:
            # the same encounter again soon after it cleared (a closest approach hovering at the
            # minimum, a track back from stale): the conflict it was, open again
            back = recent[f.key]
            reopened = _conflict(f, back.id, now, line.alerts, detected_at=back.detected_at)
            reacknowledge.append(back.id)  # it ended: what was acknowledged then is over
            updated.append(reopened)
            changed.append(reopened)
            return
        if held is None:
            opened.append(_conflict(f, line.new_id(), now, line.alerts))
            return
        fresh = _carried(f, held, now, line.alerts)
        updated.append(fresh)
        if fresh.differs_materially(held, retell):
            changed.append(fresh)

    if pairs is not None and len(pairs):
        helds = [live.get(k) for k in pairs.keys]
        told = kept.told if kept is not None else Told()
        steady = quiet(pairs, helds, dt_to_us(now), retell, line.alerts, told).tolist()
        for k, (key, held) in enumerate(zip(pairs.keys, helds, strict=True)):
            if key in found:
                continue
            found.add(key)
            if steady[k] and held is not None:
                updated.append(held)  # goes on as told: nothing to store or tell
            else:
                take(pairs.finding(k))
    for f in findings:
        if f.key in found:
            continue
        found.add(f.key)
        take(f)
    closed = []
    for key, held in live.items():
        if key in found or held.detected_at > now:
            # found again; or opened since this scan read the tracks (a breach answered to the
            # call that declared its notice), which this scan could not have found
            continue
        sides = [] if held.track_a is None else [f"{held.party_a}/{held.track_a}"]
        if held.track_b is not None:
            sides.append(f"{held.party_b}/{held.track_b}")
        stale = any(s not in live_keys for s in sides)
        status = ConflictStatus.EXPIRED if stale else ConflictStatus.RESOLVED
        closed.append(replace(held, status=status, resolved_at=now, updated_at=now))
    tx.insert_track_conflicts(opened)
    tx.update_track_conflicts(changed + closed)
    tx.drop_conflict_acks(reacknowledge)
    if kept is not None:  # what the rows are now
        stored = dict(live)
        stored.update((c.key, c) for c in (*opened, *changed))
        ended = dict(recent)
        for c in changed:
            ended.pop(c.key, None)  # reopened
        for c in closed:
            stored.pop(c.key, None)
            ended[c.key] = c
        kept.live, kept.closed = stored, ended
    acks = tx.conflict_acks([c.id for c in (*changed, *closed)])
    events = tx.append_events(
        [
            *track_conflict_events(EventKind.CONFLICT_OPENED, opened, now),
            *track_conflict_events(EventKind.CONFLICT_UPDATED, changed, now, acks),
            *track_conflict_events(EventKind.CONFLICT_CLOSED, closed, now, acks),
            *_watched(tx, line, opened, now),
        ]
    )
    return opened, updated, closed, events[-1].seq if events else 0


def _watched(tx: Tx, line: Line, opened: Sequence[TrackConflict], now: datetime) -> list[Event]:
    """``probing.suspected`` for hidden volumes that tracks keep being aimed at: an intrusion
    answers where a volume is (``t_in`` is exact, to keep people alive), so a party's intrusions
    into a notice it may not see count with its conflicts with that notice."""
    hidden: dict[str, list[tuple[str, str]]] = {}
    for c in opened:
        if c.kind is not ConflictKind.INTRUSION or c.notice_b is None or c.party_b is None:
            continue
        if c.party_b != c.party_a and not c.visible_b.includes(c.party_a):
            hidden.setdefault(c.party_a, []).append((c.notice_b, c.party_b))
    return [e for party, ns in sorted(hidden.items()) for e in watch(tx, line, party, ns, now)]


# -- the background loop ----------------------------------------------------------------------


class Scanner(Periodic):
    """Scans the line every ``interval_s`` seconds in a daemon thread until stopped; ``last`` is
    the newest scan's result.

    Among nodes over one database only the holder of the scanner's lease scans (``leading``);
    the others try to take it every interval, so one of them takes over within an interval of
    the holder's death (``store.lease``). On SQLite the lease is always held.
    """

    def __init__(
        self, line: Line, interval_s: float = 1.0, settings: ScanSettings | None = None
    ) -> None:
        super().__init__(interval_s, self._scan, "scanner")
        self.line = line
        self.settings = settings or ScanSettings()
        self.last: ScanResult | None = None
        self.lease = line.store.lease("scanner")
        self.leading = False

    def _scan(self) -> None:
        self.leading = self.lease.hold()
        if self.leading:
            self.last = scan(self.line, self.settings)

    def stop(self) -> None:
        super().stop()
        self.lease.release()
