"""Deliveries: which party received which notice version or message, recorded off the read path.

A party has *received* a notice version when one of its members fetched it (``GET
/v1/notices``) or was pushed it (an event, over any stream); a message, when a member fetched
its thread. Deliveries happen on reads, many at once, so they are written in batches
(``bus.Batch``: at most a quarter of a second late; flushed when the line stops). New receipts
are events told to the notice's (the message's) party, one event per notice version (message)
and batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deconfliction.bus import Batch, EventSignal
from deconfliction.domain import Member
from deconfliction.domain.labels import Labels
from deconfliction.service.told import message_receipt_events, receipt_events
from deconfliction.store.base import Store

__all__ = [
    "Deliveries",
    "DeliveryRecorder",
    "MessageDelivery",
    "NoticeDelivery",
    "delivered_from_events",
]

FLUSH_S = 0.25


@dataclass(frozen=True, slots=True)
class NoticeDelivery:
    """Version ``version`` of ``notice`` reached ``party``."""

    notice: str
    version: int
    party: str


@dataclass(frozen=True, slots=True)
class MessageDelivery:
    """Message ``message`` reached ``party``."""

    message: str
    party: str


_Key = NoticeDelivery | MessageDelivery
_By = tuple[str, str, str]
"""The member it reached, then: the notice's party and ``""``, or the thread and its author."""


@dataclass(frozen=True, slots=True)
class Deliveries:
    """What a batch of pushed events delivered: notice versions (id, version, notice's party)
    and messages (id, thread, author's party)."""

    notices: list[tuple[str, int, str]]
    messages: list[tuple[str, str, str]]


def delivered_from_events(events: Sequence[dict[str, Any]]) -> Deliveries:
    """The notice versions and messages among pushed events."""
    out = Deliveries([], [])
    for e in events:
        n = e.get("notice")
        if n is not None:
            out.notices.append((n["id"], n["version"], n["party"]))
        m = e.get("message")
        if isinstance(m, dict):  # a message sent (an escalation names its request by id only)
            out.messages.append((m["id"], m["thread"], m["party"]))
    return out


class DeliveryRecorder:
    """Collects deliveries from reads and pushes; writes them in batches from a daemon thread."""

    def __init__(
        self, store: Store, clock: Callable[[], datetime], signal: EventSignal, labels: Labels
    ) -> None:
        self._store = store
        self._clock = clock
        self._signal = signal
        self._labels = labels
        self._batch: Batch[_Key, _By] = Batch(self._write, FLUSH_S, "receipts")

    def delivered(
        self, member: Member, notices: Iterable[tuple[str, int, str]] | Deliveries
    ) -> None:
        """``member`` has received each (notice id, version, notice's party) not its own, or
        what a batch of pushed events carried (``delivered_from_events``)."""
        if isinstance(notices, Deliveries):
            self.delivered_messages(member, notices.messages)
            notices = notices.notices
        self._batch.add(
            (NoticeDelivery(notice, version, member.party), (member.id, owner, ""))
            for notice, version, owner in notices
            if owner != member.party
        )

    def delivered_messages(self, member: Member, messages: Iterable[tuple[str, str, str]]) -> None:
        """``member`` has received each (message id, thread id, author's party) not its own."""
        self._batch.add(
            (MessageDelivery(message, member.party), (member.id, thread, author))
            for message, thread, author in messages
            if author != member.party
        )

    def flush(self) -> int:
        """Write what is pending now; the number of new receipts."""
        return self._batch.flush()

    def _write(self, pending: dict[_Key, _By]) -> int:
        now = self._clock()
        notices, owners, messages, authors = [], {}, [], {}
        for key, (member, first, second) in pending.items():
            if isinstance(key, NoticeDelivery):
                notices.append((key.notice, key.version, key.party, member))
                owners[key.notice, key.version, key.party] = first
            else:
                messages.append((key.message, first, key.party, member))
                authors[key.message] = second
        with self._store.transaction() as tx:
            tx.lock_for_notice_write()
            fresh = tx.record_deliveries(notices, now)
            fresh_messages = tx.record_message_deliveries(messages, now)
            logged = tx.append_events(
                receipt_events(
                    ((r, owners[r.notice, r.version, r.party]) for r in fresh), now, self._labels
                )
                + message_receipt_events(
                    ((r, authors[r.message]) for r in fresh_messages), now, self._labels
                )
            )
        if logged:
            self._signal.notify(logged[-1].seq)
        return len(fresh) + len(fresh_messages)
