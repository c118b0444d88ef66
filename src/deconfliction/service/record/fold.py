"""The event log folded into what each served row must be (``ServedFold``): for every row, the
sequence number of the event that last told it, and the few values a row takes from later
events (a thread's last activity; a request's answer, withdrawal and escalation).

Only the events' columns are read, but for messages, receipts and escalations, whose rows
depend on what their bodies name; ``service.record.served`` reads the bodies it compares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from deconfliction.domain import EventKind
from deconfliction.store.base import EventRow

__all__ = ["ServedFold"]

_NOTICE = {EventKind.NOTICE_CREATED, EventKind.NOTICE_UPDATED, EventKind.NOTICE_WITHDRAWN}
_CONFLICT = {EventKind.CONFLICT_OPENED, EventKind.CONFLICT_UPDATED, EventKind.CONFLICT_CLOSED}
_BODIES = {EventKind.MESSAGE_SENT, EventKind.RECEIPT_RECORDED, EventKind.ESCALATION_RAISED}


@dataclass
class ServedFold:
    """What the log says each served row is, folded from its events in sequence order: the
    sequence number of the event that last told each row, and the values rows derive from
    later events. Ids are the events' subjects (what the record holds them to)."""

    notices: dict[str, list[int]] = field(default_factory=dict)
    """Each notice's events, one per version: version ``k`` is at index ``k - 1``."""
    conflicts: dict[str, int] = field(default_factory=dict)
    acks: dict[str, tuple[int, bool]] = field(default_factory=dict)
    """The event that last said who had acknowledged each conflict, and whether anyone had."""
    threads: dict[str, int] = field(default_factory=dict)
    activity: dict[str, str] = field(default_factory=dict)
    """A thread's newest activity: when its last message was sent."""
    messages: dict[str, int] = field(default_factory=dict)
    answers: dict[str, tuple[str, int]] = field(default_factory=dict)
    """A request's (or a counter's) answer, and the reply that gave it."""
    counters: dict[str, str] = field(default_factory=dict)
    withdrawn: dict[str, tuple[str, int]] = field(default_factory=dict)
    escalated: dict[str, tuple[int, int]] = field(default_factory=dict)
    """A request's escalation: when (µs) and by which event."""
    receipts: dict[tuple[Any, ...], int] = field(default_factory=dict)
    """(notice, version, party) of a receipt, and the event that last told it."""
    message_receipts: dict[tuple[Any, ...], int] = field(default_factory=dict)
    """(message, party) of a receipt, and the event that last told it."""
    keys: dict[str, int] = field(default_factory=dict)
    unreadable: list[tuple[int, str]] = field(default_factory=list)

    def add(self, row: EventRow) -> None:
        """Fold in the next event of the log."""
        try:
            kind = EventKind(row.kind)
        except ValueError:
            return  # a kind this version does not re-derive anything from
        subject, seq = row.subject, row.seq
        if kind in _NOTICE:
            self.notices.setdefault(subject, []).append(seq)
        elif kind in _CONFLICT:
            self.conflicts[subject] = seq
            # canonical JSON sorts keys: "acks" comes first when the event carries any
            carried = row.body.startswith('{"acks":')
            if kind is not EventKind.CONFLICT_CLOSED or carried:
                self.acks[subject] = (seq, carried)
        elif kind is EventKind.THREAD_OPENED:
            self.threads[subject] = seq
        elif kind is EventKind.KEY_REGISTERED:
            self.keys[subject] = seq
        elif kind in _BODIES:
            try:
                self._add_body(kind, seq, row.at_us, orjson.loads(row.body))
            except (KeyError, TypeError, ValueError) as exc:
                self.unreadable.append((seq, f"event {seq} ({kind.value}) has no {exc} field"))

    def _add_body(self, kind: EventKind, seq: int, at_us: int, body: dict[str, Any]) -> None:
        if kind is EventKind.MESSAGE_SENT:
            m = body["message"]
            self.messages[m["id"]] = seq
            self.activity[m["thread"]] = m["created_at"]
            replied = m.get("in_reply_to")
            if m["kind"] == "reply":
                self.answers[replied] = (m["reply"], seq)
                if m["reply"] == "counter":
                    self.counters[m["id"]] = replied
                elif m["reply"] == "accept" and replied in self.counters:
                    request = self.counters[replied]
                    if self.answers.get(request, ("",))[0] == "counter":
                        self.answers[request] = ("accept", seq)
            elif m["kind"] == "withdraw":
                self.withdrawn.setdefault(replied, (m["created_at"], seq))
        elif kind is EventKind.RECEIPT_RECORDED:
            for r in body["receipts"]:
                if "notice" in r:
                    self.receipts[r["notice"], r["version"], r["party"]] = seq
                else:
                    self.message_receipts[r["message"], r["party"]] = seq
        else:
            e = body["escalation"]
            if e.get("about") == "request":
                self.escalated.setdefault(e["message"], (at_us, seq))
