"""What each change appends to the event log, and who is told of it.

The log keeps every event in full (a notice as its party declared it; a conflict with both
sides); ``told`` names the parties that may receive it in some form. What each of them receives
is decided on the way out (``service.events.received``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from deconfliction.domain import (
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
from deconfliction.domain.party import MemberKey
from deconfliction.domain.probing import HOST_PARTY
from deconfliction.domain.receipt import MessageReceipt, Receipt
from deconfliction.wire import (
    ack_record,
    conflict_record,
    key_json,
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


def receipt_events(receipts: Iterable[tuple[Receipt, str]], at: datetime) -> list[Event]:
    """One event per notice version with new receipts (``owner`` is the notice's party), told to
    the notice's party — the one that needs to know who has it; the receiving parties know — a
    batch of deliveries being one event, not one per party."""
    grouped: dict[tuple[str, int], tuple[str, list[Receipt]]] = {}
    for r, owner in receipts:
        grouped.setdefault((r.notice, r.version), (owner, []))[1].append(r)
    out = []
    for (notice, _), (owner, rs) in grouped.items():
        body = {"receipts": [receipt_json(r) for r in sorted(rs, key=lambda r: r.party)]}
        out.append(Event(0, EventKind.RECEIPT_RECORDED, at, notice, owner, _to(owner), body))
    return out


def message_receipt_events(
    receipts: Iterable[tuple[MessageReceipt, str]], at: datetime
) -> list[Event]:
    """One event per message with new receipts (``author`` is its party), told to that party."""
    grouped: dict[str, tuple[str, list[MessageReceipt]]] = {}
    for r, author in receipts:
        grouped.setdefault(r.message, (author, []))[1].append(r)
    out = []
    for message, (author, rs) in grouped.items():
        body = {"receipts": [message_receipt_json(r) for r in sorted(rs, key=lambda r: r.party)]}
        out.append(Event(0, EventKind.RECEIPT_RECORDED, at, message, author, _to(author), body))
    return out


def thread_event(thread: Thread) -> Event:
    """A thread opened: told to its parties, so its subject and parties are on the record."""
    return Event(
        0, EventKind.THREAD_OPENED, thread.created_at, thread.id, thread.party,
        Audience(parties=thread.parties), {"thread": thread_json(thread)},
    )  # fmt: skip


def message_event(thread: Thread, m: Message, at: datetime) -> Event:
    """A message sent: told to the thread's parties."""
    return Event(
        0, EventKind.MESSAGE_SENT, at, m.id, m.party, Audience(parties=thread.parties),
        {"message": message_json(m, at)},
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


def key_event(key: MemberKey) -> Event:
    """A member's public key registered: told to everyone, for anyone to check signatures with."""
    return Event(
        0, EventKind.KEY_REGISTERED, key.registered_at, key.member, key.party,
        Audience(everyone=True), {"key": key_json(key)},
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
