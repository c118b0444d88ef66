"""What each party receives of the event log: its own view of each event, exactly as the API
would show it — a notice only when it is shared with it, a conflict redacted past need-to-know as
``GET /v1/conflicts`` would show it, its own members by id and others' by label — decided here,
once, for the JSON route and every push.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deconfliction.domain import Audience, ConflictAck, Event, EventKind, Member
from deconfliction.domain.labels import Labels, is_label, key_scope, notice_scope, thread_scope
from deconfliction.domain.view import track_view
from deconfliction.service.conflicts import views_of
from deconfliction.service.deliveries import delivered_from_events
from deconfliction.service.line import Line
from deconfliction.store.base import Tx
from deconfliction.wire import (
    ack_from_record,
    conflict_from_record,
    conflict_json,
    track_conflict_from_record,
    utc_z,
)

__all__ = [
    "EventViews",
    "Received",
    "Subscription",
    "Views",
    "clear_to",
    "events_for",
    "last_event_seq",
    "received",
    "views_after",
]


@dataclass(frozen=True, slots=True)
class Received:
    """Events as one party receives them, and where to resume from."""

    events: list[dict[str, Any]]
    last: int
    """The newest sequence number read for this party: resume with ``after=last``."""
    more: bool = False
    """The read stopped at its limit: more events may follow ``last`` (read again from it)."""


def _view(
    tx: Tx,
    event: Event,
    party: str,
    known: Mapping[str, tuple[str, Audience]] | None = None,
) -> dict[str, Any] | None:
    """``party``'s view of ``event``, or ``None`` when it does not receive it; ``known``: the
    party and audience of notices already read (``views_of``)."""
    body = event.body
    if "notice" in body:
        if not (event.party == party or event.told.includes(party)):
            return None
        return {"notice": body["notice"]}
    if "conflict" in body:
        c = conflict_from_record(body["conflict"])
        if not c.involves(party):
            return None
        acks = {c.id: _acks(body)}
        return {"conflict": conflict_json(views_of(tx, [c], party, known, acks)[0])}
    if "thread" in body:
        # a thread opened, to its parties
        return dict(body) if event.told.includes(party) else None
    if "receipts" in body:
        # first receipts, to the notice's party and the receiving parties
        return dict(body) if event.told.includes(party) else None
    if "track_conflict" in body:
        t = track_conflict_from_record(body["track_conflict"])
        if not t.involves(party):
            return None
        return {"conflict": conflict_json(track_view(t, party, _acks(body)))}
    if "message" in body or "escalation" in body:
        # a thread's message to its parties; a missed reply deadline to both sides
        return dict(body) if event.told.includes(party) else None
    if "key" in body:
        # a member's public key, to everyone: anyone may check its signatures
        return dict(body) if event.told.includes(party) else None
    if "probing" in body:
        # a suspicion of probing: the notice to its party only; the host learns who and whom
        if party == event.party:
            return dict(body)
        if not event.told.includes(party):
            return None
        return {"probing": {k: v for k, v in body["probing"].items() if k != "notice"}}
    return None


class _OwnIds:
    """A party's own members' ids read back from the labels the log names every member by
    (``service.told``): the party's members are listed once, and labelled once per scope."""

    def __init__(self, tx: Tx, labels: Labels, party: str) -> None:
        self._tx = tx
        self._labels = labels
        self._party = party
        self._members: list[str] | None = None
        self._known: dict[str, dict[str, str]] = {}

    def _id(self, scope: str, party: str, name: Any) -> Any:
        if party != self._party or not isinstance(name, str) or not is_label(name):
            return name
        known = self._known.get(scope)
        if known is None:
            if self._members is None:
                self._members = [m.id for m in self._tx.list_members(self._party)]
            known = self._known[scope] = self._labels.known(scope, party, self._members)
        return known.get(name, name)

    def _named(self, item: dict[str, Any], scope: str) -> dict[str, Any]:
        """``item`` (a thread, message, receipt or key) with its members by id where they are
        the party's own: a copy, so the event as read stays as the log holds it."""
        party = str(item.get("party"))
        out = dict(item)
        if "member" in out:
            out["member"] = self._id(scope, party, out["member"])
        signed = out.get("signed")
        if isinstance(signed, dict) and "member" in signed:
            out["signed"] = {**signed, "member": self._id(scope, party, signed["member"])}
        return out

    def view(self, view: dict[str, Any]) -> dict[str, Any]:
        if isinstance(thread := view.get("thread"), dict):
            return {**view, "thread": self._named(thread, thread_scope(str(thread["id"])))}
        if isinstance(message := view.get("message"), dict):
            scope = thread_scope(str(message["thread"]))
            return {**view, "message": self._named(message, scope)}
        if isinstance(key := view.get("key"), dict):
            return {**view, "key": self._named(key, key_scope(str(key["public_key"])))}
        if isinstance(receipts := view.get("receipts"), list):
            return {**view, "receipts": [self._receipt(r) for r in receipts]}
        return view

    def _receipt(self, r: dict[str, Any]) -> dict[str, Any]:
        if "notice" in r:
            return self._named(r, notice_scope(str(r["notice"])))
        return self._named(r, thread_scope(str(r["thread"])))


def _acks(body: dict[str, Any]) -> list[ConflictAck]:
    """The acknowledgements a conflict's event carries: who had acknowledged it then."""
    return [ack_from_record(a) for a in body.get("acks", ())]


def clear_to(tx: Tx, event: Event, party: str) -> bool:
    """Whether ``party`` may read the event's whole record (its entry in the record in clear):
    it receives the event, and its view of it hides nothing."""
    view = _view(tx, event, party)
    if view is None:
        return False
    if "conflict" in view:
        return not view["conflict"]["redacted"]
    if "probing" in view:
        return "notice" in view["probing"]
    return True


def received(
    tx: Tx,
    actor: Member,
    after: int,
    limit: int = 1000,
    kinds: Sequence[EventKind] | None = None,
    *,
    labels: Labels,
) -> Received:
    """The events after ``after`` that the actor's party receives, each as it may see it
    (members named by ``labels``)."""
    events = tx.events_after(after, actor.party, limit)
    own = _OwnIds(tx, labels, actor.party)
    out = []
    for e in events:
        if kinds is not None and e.kind not in kinds:
            continue
        entry = _entry(tx, e, actor.party, own)
        if entry is not None:
            out.append(entry)
    return Received(out, events[-1].seq if events else after, len(events) >= limit)


def _entry(
    tx: Tx,
    e: Event,
    party: str,
    own: _OwnIds,
    known: Mapping[str, tuple[str, Audience]] | None = None,
) -> dict[str, Any] | None:
    """The event as ``party`` receives it (``received`` and ``views_after``: one form)."""
    view = _view(tx, e, party, known)
    if view is None:
        return None
    return {
        "seq": e.seq,
        "kind": e.kind.value,
        "at": utc_z(e.at),
        "subject": e.subject,
        "party": e.party,
        **own.view(view),
    }


@dataclass(frozen=True, slots=True)
class EventViews:
    """One event as each of the listening parties that receive it sees it: ``views`` holds
    each distinct view once, with the parties that see it so (a notice shared with five
    parties is one view for five)."""

    seq: int
    kind: str
    party: str
    """Whose change it is."""
    views: list[tuple[tuple[str, ...], dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Views:
    """What one read of the log gives the listening parties (``views_after``)."""

    events: list[EventViews]
    last: int
    """The newest sequence number read: every listening party's views up to it are here."""
    more: bool
    """The read stopped at its limit: read again from ``last``."""


def views_after(
    tx: Tx, after: int, parties: Collection[str], limit: int = 1000, *, labels: Labels
) -> Views:
    """The events after ``after``, each as every party of ``parties`` that receives it may see
    it — for each party exactly what ``received`` gives it, from one read of the log and one
    query of the conflicts' notices' audiences, however many parties listen."""
    events = tx.events_after(after, None, limit)
    conflicts = [conflict_from_record(e.body["conflict"]) for e in events if "conflict" in e.body]
    sides = [n for c in conflicts for n in (c.notice_a, c.notice_b)]
    known = tx.notice_audiences(sides) if sides else {}
    owns: dict[str, _OwnIds] = {}
    out = []
    for e in events:
        told = e.told
        groups: list[tuple[list[str], dict[str, Any]]] = []
        for party in parties:
            if not (party == e.party or told.includes(party)):
                continue  # as the store's read for one party (``events_after``) leaves it out
            own = owns.get(party)
            if own is None:
                own = owns[party] = _OwnIds(tx, labels, party)
            entry = _entry(tx, e, party, own, known)
            if entry is None:
                continue
            for same, view in groups:
                if view == entry:  # the same objects mostly: compared by identity first
                    same.append(party)
                    break
            else:
                groups.append(([party], entry))
        if groups:
            out.append(EventViews(e.seq, e.kind.value, e.party, [(tuple(p), v) for p, v in groups]))
    return Views(out, events[-1].seq if events else after, len(events) >= limit)


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
        got = received(tx, actor, after, limit, labels=line.labels)
    if subscription is not None:
        got = Received([e for e in got.events if subscription.admits(e)], got.last)
    line.deliveries.delivered(actor, delivered_from_events(got.events))
    return got


def last_event_seq(line: Line) -> int:
    """Use case: the newest sequence number of the log (a stream that starts from now resumes
    after it)."""
    with line.store.read() as tx:
        return tx.last_event_seq()
