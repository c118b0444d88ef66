"""Events: what each change appends to the log, and what each party receives of it.

The log keeps every event in full (a notice as its party declared it; a conflict with both
sides). A party receives a notice event only when the notice is shared with it, and a conflict
event as its own view of the conflict, redacted past need-to-know exactly as ``GET
/v1/conflicts`` would show it — decided here, once, for the JSON route and every push.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deconfliction.domain import (
    Audience,
    Conflict,
    ConflictKind,
    ConflictStatus,
    Event,
    EventKind,
    Member,
    Notice,
    TimeWindow,
    TrackConflict,
)
from deconfliction.service.conflicts import track_view, views_of
from deconfliction.service.line import Line
from deconfliction.service.receipts import delivered_from_events
from deconfliction.service.wire import conflict_json, notice_json, opt_utc_z, utc_z
from deconfliction.store.base import Tx

__all__ = [
    "Received",
    "Subscription",
    "clear_to",
    "events_for",
    "conflict_events",
    "notice_event",
    "received",
    "track_conflict_events",
]


# -- what a change appends ----------------------------------------------------------------------


def _with(audience: Audience, *parties: str | None) -> Audience:
    if audience.everyone:
        return audience
    return Audience(parties=audience.parties | {p for p in parties if p})


def notice_event(kind: EventKind, notice: Notice, at: datetime) -> Event:
    """A notice created, updated or withdrawn: told to its party and its audience only."""
    return Event(
        0, kind, at, notice.id, notice.party, _with(notice.audience, notice.party),
        {"notice": notice_json(notice)},
    )  # fmt: skip


def _strategic_record(c: Conflict) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind.value,
        "status": c.status.value,
        "party_a": c.party_a,
        "notice_a": c.notice_a,
        "volume_a": c.volume_a,
        "version_a": c.version_a,
        "party_b": c.party_b,
        "notice_b": c.notice_b,
        "volume_b": c.volume_b,
        "version_b": c.version_b,
        "distance_m": c.distance_m,
        "window": {"start": utc_z(c.window.start), "end": utc_z(c.window.end)},
        "detected_at": utc_z(c.detected_at),
    }


def _strategic_from(r: dict[str, Any]) -> Conflict:
    return Conflict(
        id=r["id"],
        kind=ConflictKind(r["kind"]),
        status=ConflictStatus(r["status"]),
        party_a=r["party_a"],
        notice_a=r["notice_a"],
        volume_a=r["volume_a"],
        version_a=r["version_a"],
        party_b=r["party_b"],
        notice_b=r["notice_b"],
        volume_b=r["volume_b"],
        version_b=r["version_b"],
        distance_m=r["distance_m"],
        window=TimeWindow(_dt(r["window"]["start"]), _dt(r["window"]["end"])),
        detected_at=_dt(r["detected_at"]),
    )


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _track_record(c: TrackConflict) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind.value,
        "status": c.status.value,
        "key": c.key,
        "party_a": c.party_a,
        "track_a": c.track_a,
        "party_b": c.party_b,
        "track_b": c.track_b,
        "notice_b": c.notice_b,
        "volume_b": c.volume_b,
        "movement": c.movement,
        "reason": c.reason,
        "t_in": utc_z(c.t_in),
        "t_out": opt_utc_z(c.t_out),
        "cpa": opt_utc_z(c.cpa),
        "distance_m": c.distance_m,
        "detail": c.detail,
        "told": c.told.to_json(),
        "visible_a": c.visible_a.to_json(),
        "visible_b": c.visible_b.to_json(),
        "detected_at": utc_z(c.detected_at),
        "updated_at": utc_z(c.updated_at),
        "resolved_at": opt_utc_z(c.resolved_at),
        "agreement": c.agreement,
        "notice_a": c.notice_a,
        "volume_a": c.volume_a,
    }


def _track_from(r: dict[str, Any]) -> TrackConflict:
    def when(key: str) -> datetime | None:
        return None if r[key] is None else _dt(r[key])

    return TrackConflict(
        id=r["id"],
        kind=ConflictKind(r["kind"]),
        status=ConflictStatus(r["status"]),
        key=r["key"],
        party_a=r["party_a"],
        track_a=r["track_a"],
        party_b=r["party_b"],
        track_b=r["track_b"],
        notice_b=r["notice_b"],
        volume_b=r["volume_b"],
        movement=r["movement"],
        reason=r["reason"],
        t_in=_dt(r["t_in"]),
        t_out=when("t_out"),
        cpa=when("cpa"),
        distance_m=r["distance_m"],
        detail=r["detail"],
        told=Audience.of(r["told"]),
        visible_a=Audience.of(r["visible_a"]),
        visible_b=Audience.of(r["visible_b"]),
        detected_at=_dt(r["detected_at"]),
        updated_at=_dt(r["updated_at"]),
        resolved_at=when("resolved_at"),
        agreement=r.get("agreement"),
        notice_a=r.get("notice_a"),
        volume_a=r.get("volume_a"),
    )


def conflict_events(kind: EventKind, conflicts: Iterable[Conflict], at: datetime) -> list[Event]:
    """Strategic conflicts opened or closed: told to their two parties."""
    return [
        Event(
            0,
            kind,
            at,
            c.id,
            c.party_a,
            Audience(parties=frozenset({c.party_a, c.party_b})),
            {"conflict": _strategic_record(c)},
        )  # fmt: skip
        for c in conflicts
    ]


def track_conflict_events(
    kind: EventKind, conflicts: Iterable[TrackConflict], at: datetime
) -> list[Event]:
    """Conflicts on tracks opened, updated or closed: told to whoever the conflict is told to."""
    out = []
    for c in conflicts:
        told = _with(c.told, c.party_a)
        if c.party_b is not None and c.kind is not ConflictKind.DEVIATION:
            told = _with(told, c.party_b)
        out.append(Event(0, kind, at, c.id, c.party_a, told, {"track_conflict": _track_record(c)}))
    return out


# -- what a party receives ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Received:
    """Events as one party receives them, and where to resume from."""

    events: list[dict[str, Any]]
    last: int
    """The newest sequence number read for this party: resume with ``after=last``."""


def _view(tx: Tx, event: Event, party: str) -> dict[str, Any] | None:
    body = event.body
    if "notice" in body:
        if not (event.party == party or event.told.includes(party)):
            return None
        return {"notice": body["notice"]}
    if "conflict" in body:
        c = _strategic_from(body["conflict"])
        if not c.involves(party):
            return None
        return {"conflict": conflict_json(views_of(tx, [c], party)[0])}
    if "thread" in body:
        # a thread opened, to its parties
        return dict(body) if event.told.includes(party) else None
    if "receipts" in body:
        # first receipts, to the notice's party and the receiving parties
        return dict(body) if event.told.includes(party) else None
    if "track_conflict" in body:
        t = _track_from(body["track_conflict"])
        if not t.involves(party):
            return None
        return {"conflict": conflict_json(track_view(t, party))}
    if "message" in body or "escalation" in body:
        # a thread's message to its parties; a missed reply deadline to both sides
        return dict(body) if event.told.includes(party) else None
    if "key" in body:
        # a member's public key, to everyone: anyone may check its signatures
        return dict(body) if event.told.includes(party) else None
    return None


def clear_to(tx: Tx, event: Event, party: str) -> bool:
    """Whether ``party`` may read the event's whole record (its entry in the record in clear):
    it receives the event, and its view of it hides nothing."""
    view = _view(tx, event, party)
    if view is None:
        return False
    if "conflict" in view:
        return not view["conflict"]["redacted"]
    return True


def received(
    tx: Tx,
    actor: Member,
    after: int,
    limit: int = 1000,
    kinds: Sequence[EventKind] | None = None,
) -> Received:
    """The events after ``after`` that the actor's party receives, each as it may see it."""
    events = tx.events_after(after, actor.party, limit)
    out = []
    for e in events:
        if kinds is not None and e.kind not in kinds:
            continue
        view = _view(tx, e, actor.party)
        if view is None:
            continue
        out.append(
            {
                "seq": e.seq,
                "kind": e.kind.value,
                "at": utc_z(e.at),
                "subject": e.subject,
                "party": e.party,
                **view,
            }
        )
    return Received(out, events[-1].seq if events else after)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A member's filter on the events its party receives; ``None`` lets everything through.

    ``area`` (lon_min, lat_min, lon_max, lat_max; lon_min > lon_max crosses the antimeridian)
    narrows notice events to notices with a volume that may meet it. Conflicts, messages,
    receipts and escalations are about your party: an area never hides them.
    """

    kinds: frozenset[str] | None = None
    parties: frozenset[str] | None = None
    area: tuple[float, float, float, float] | None = None

    def admits(self, event: dict[str, Any]) -> bool:
        if self.kinds is not None and event["kind"] not in self.kinds:
            return False
        if self.parties is not None and event["party"] not in self.parties:
            return False
        if self.area is not None and "notice" in event:
            return any(_meets(self.area, v) for v in event["notice"]["volumes"])
        return True


_M_PER_DEG = (
    110_574.0  # the shortest degree of latitude; longitude's is this times cos(lat) or more
)


def _positions(coords: Any) -> Iterable[tuple[float, float]]:
    if coords and isinstance(coords[0], int | float):
        yield float(coords[0]), float(coords[1])
        return
    for c in coords:
        yield from _positions(c)


def _meets(area: tuple[float, float, float, float], volume: dict[str, Any]) -> bool:
    """Whether the volume's footprint may meet the area (a conservative box test)."""
    pts = list(_positions(volume["footprint"]["coordinates"]))
    lons = [p[0] for p in pts]
    lats = [p[1] for p in pts]
    pad_m = float(volume.get("radius_m") or volume.get("half_width_m") or 0.0) + 1.0
    dlat = pad_m / _M_PER_DEG
    lat0, lat1 = min(lats) - dlat, max(lats) + dlat
    if lat1 < area[1] or lat0 > area[3]:
        return False
    widest = min(89.0, max(abs(lat0), abs(lat1)))
    if max(abs(lat0), abs(lat1)) >= 89.0 or max(lons) - min(lons) > 180.0:
        return True  # near a pole, or across the antimeridian: keep it
    dlon = pad_m / (_M_PER_DEG * math.cos(math.radians(widest)))
    lon0, lon1 = min(lons) - dlon, max(lons) + dlon
    spans = [(area[0], area[2])] if area[0] <= area[2] else [(area[0], 180.0), (-180.0, area[2])]
    return any(not (lon1 < a or lon0 > b) for a, b in spans)


def events_for(
    line: Line,
    actor: Member,
    after: int,
    limit: int = 1000,
    subscription: Subscription | None = None,
) -> Received:
    """Use case: the events after ``after`` the actor's party receives, as it may see them,
    narrowed by the member's ``subscription``."""
    with line.store.read() as tx:
        got = received(tx, actor, after, limit)
    if subscription is not None:
        got = Received([e for e in got.events if subscription.admits(e)], got.last)
    line.deliveries.delivered(actor, delivered_from_events(got.events))
    return got
