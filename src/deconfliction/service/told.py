"""What each change appends to the event log, and who is told of it.

The log keeps every event in full (a notice as its party declared it; a conflict with both
sides); ``told`` names the parties that may receive it in some form. What each of them receives
is decided on the way out (``service.events.received``).

Every party told of an event may read its record entry byte for byte, so the log names members
by their labels only (``domain.labels``: per thread, per notice's receipts, per key), never by
id; a party reading its own members' events gets their ids back on the way out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from deconfliction.domain import (
    HOST_PARTY,
    Audience,
    Conflict,
    ConflictAck,
    ConflictKind,
    Event,
    EventKind,
    Message,
    Notice,
    Thread,
    TrackConflict,
)
from deconfliction.domain.labels import Labels, key_scope, notice_scope, thread_scope
from deconfliction.domain.party import MemberKey
from deconfliction.domain.receipt import MessageReceipt, Receipt
from deconfliction.wire import (
    ack_record,
    conflict_record,
    key_json,
    key_text,
    message_json,
    message_receipt_json,
    notice_json,
    receipt_json,
    thread_json,
    track_conflict_record,
    utc_z,
)

__all__ = [
    "conflict_events",
    "escalation_event",
    "key_event",
    "message_event",
    "message_receipt_events",
    "notice_event",
    "probing_event",
    "receipt_events",
    "thread_event",
    "track_conflict_events",
]


def _with(audience: Audience, *parties: str | None) -> Audience:
    if audience.everyone:
        return audience
    return Audience(parties=audience.parties | {p for p in parties if p})


def _to(*parties: str) -> Audience:
    return Audience(parties=frozenset(parties))


def notice_event(kind: EventKind, notice: Notice, at: datetime) -> Event:
    """A notice created, updated or withdrawn: told to its party and its audience only."""
    return Event(
        0, kind, at, notice.id, notice.party, _with(notice.audience, notice.party),
        {"notice": notice_json(notice)},
    )  # fmt: skip


Acks = Mapping[str, Sequence[ConflictAck]]
"""Acknowledgements by conflict id: what a conflict's events carry beside it, so that each party's
view of the event says who had acknowledged it then."""


def _with_acks(body: dict[str, Any], acks: Sequence[ConflictAck]) -> dict[str, Any]:
    if acks:
        body["acks"] = [ack_record(a) for a in acks]
    return body


def conflict_events(
    kind: EventKind, conflicts: Iterable[Conflict], at: datetime, acks: Acks | None = None
) -> list[Event]:
    """Strategic conflicts opened, updated or closed: told to their two parties."""
    acks = acks or {}
    return [
        Event(
            0,
            kind,
            at,
            c.id,
            c.party_a,
            _to(c.party_a, c.party_b),
            _with_acks({"conflict": conflict_record(c)}, acks.get(c.id, ())),
        )  # fmt: skip
        for c in conflicts
    ]


def track_conflict_events(
    kind: EventKind, conflicts: Iterable[TrackConflict], at: datetime, acks: Acks | None = None
) -> list[Event]:
    """Conflicts on tracks opened, updated or closed: told to whoever the conflict is told to."""
    acks = acks or {}
    out = []
    for c in conflicts:
        told = _with(c.told, c.party_a)
        if c.party_b is not None and c.kind is not ConflictKind.DEVIATION:
            told = _with(told, c.party_b)
        body = _with_acks({"track_conflict": track_conflict_record(c)}, acks.get(c.id, ()))
        out.append(Event(0, kind, at, c.id, c.party_a, told, body))
    return out


def receipt_events(
    receipts: Iterable[tuple[Receipt, str]], at: datetime, labels: Labels
) -> list[Event]:
    """One event per notice version with new receipts (``owner`` is the notice's party), told to
    the notice's party — the one that needs to know who has it; the receiving parties know — a
    batch of deliveries being one event, not one per party."""
    grouped: dict[tuple[str, int], tuple[str, list[Receipt]]] = {}
    for r, owner in receipts:
        grouped.setdefault((r.notice, r.version), (owner, []))[1].append(r)
    out = []
    for (notice, _), (owner, rs) in grouped.items():
        name = labels.naming(notice_scope(notice), None)
        body = {"receipts": [receipt_json(r, name) for r in sorted(rs, key=lambda r: r.party)]}
        out.append(Event(0, EventKind.RECEIPT_RECORDED, at, notice, owner, _to(owner), body))
    return out


def message_receipt_events(
    receipts: Iterable[tuple[MessageReceipt, str]], at: datetime, labels: Labels
) -> list[Event]:
    """One event per message with new receipts (``author`` is its party), told to that party."""
    grouped: dict[str, tuple[str, list[MessageReceipt]]] = {}
    for r, author in receipts:
        grouped.setdefault(r.message, (author, []))[1].append(r)
    out = []
    for message, (author, rs) in grouped.items():
        name = labels.naming(thread_scope(rs[0].thread), None)
        ordered = sorted(rs, key=lambda r: r.party)
        body = {"receipts": [message_receipt_json(r, name) for r in ordered]}
        out.append(Event(0, EventKind.RECEIPT_RECORDED, at, message, author, _to(author), body))
    return out


def thread_event(thread: Thread, labels: Labels) -> Event:
    """A thread opened: told to its parties, so its subject and parties are on the record."""
    name = labels.naming(thread_scope(thread.id), None)
    return Event(
        0, EventKind.THREAD_OPENED, thread.created_at, thread.id, thread.party,
        Audience(parties=thread.parties), {"thread": thread_json(thread, name)},
    )  # fmt: skip


def message_event(thread: Thread, m: Message, at: datetime, labels: Labels) -> Event:
    """A message sent: told to the thread's parties."""
    name = labels.naming(thread_scope(thread.id), None)
    return Event(
        0, EventKind.MESSAGE_SENT, at, m.id, m.party, Audience(parties=thread.parties),
        {"message": message_json(m, at, name)},
    )  # fmt: skip


def escalation_event(request: Message, at: datetime) -> Event:
    """A request's deadline passed unanswered: told to the party that asked and the one asked."""
    assert request.to is not None and request.deadline is not None
    body = {
        "about": "request",
        "message": request.id,
        "thread": request.thread,
        "deadline": utc_z(request.deadline),
        "from": request.party,
        "to": request.to,
    }
    return Event(
        0, EventKind.ESCALATION_RAISED, at, request.id, request.party,
        _to(request.party, request.to), {"escalation": body},
    )  # fmt: skip


def key_event(key: MemberKey, labels: Labels) -> Event:
    """A member's public key registered: told to everyone, for anyone to check signatures with.
    Its subject is the key (a signature names it); its member, a label of this key alone."""
    public_key = key_text(key)
    body = key_json(key, labels.naming(key_scope(public_key), None))
    return Event(
        0, EventKind.KEY_REGISTERED, key.registered_at, public_key, key.party,
        Audience(everyone=True), {"key": body},
    )  # fmt: skip


def probing_event(
    suspicion: str,
    prober: str,
    notice_id: str,
    owner: str,
    opens: int,
    since: datetime,
    at: datetime,
) -> Event:
    """A party kept opening conflicts with a notice it may not see: told to the notice's party
    (the event is its, like a receipt) and to the host. ``subject`` is the suspicion's own id,
    so that the host's copy names no notice; only the notice's party is shown ``notice``
    (``service.events``)."""
    body = {
        "probing": {
            "party": prober,
            "notice": notice_id,
            "owner": owner,
            "opens": opens,
            "since": utc_z(since),
        }
    }
    return Event(
        0, EventKind.PROBING_SUSPECTED, at, suspicion, owner, _to(owner, HOST_PARTY), body
    )  # fmt: skip
