"""Receipts: who has received which version of a notice, or which message, who has acknowledged
it, and when.

A party has *received* a version when one of its members fetched it (``GET /v1/notices``) or was
pushed it (an event, over any stream); it has *acknowledged* it when a member said so. A message
likewise, by each party of its thread but the author's (fetched with ``GET /v1/threads/{id}``).
Deliveries happen on reads, many at once, so they are recorded in batches by a background writer
(at most a quarter of a second late; flushed when the line stops); acknowledgements are recorded
at once. New receipts are events told to the notice's (the message's) party, one event per notice
version (message) and batch. Acknowledging a message: ``service.message_receipts``.

A protected notice must be acknowledged by every party in its audience within an hour of each
version (or by the notice's own ``ack_by``); a version still missing acknowledgements at its
deadline raises one escalation event, to the notice's party, the parties missing and the host.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from deconfliction.domain import (
    Audience,
    Event,
    EventKind,
    Member,
    Notice,
    NoticeState,
    Role,
)
from deconfliction.domain.receipt import AckDue, MessageReceipt, Receipt
from deconfliction.errors import InvalidInput, NotFound, PermissionDenied, StateConflict
from deconfliction.record import statement
from deconfliction.record.statement import Signed
from deconfliction.service.signatures import signed_by
from deconfliction.service.wire import opt_utc_z, utc_z
from deconfliction.store.base import Tx

if TYPE_CHECKING:
    from deconfliction.service.line import Line

__all__ = [
    "PROTECTED_ACK_WITHIN",
    "Deliveries",
    "DeliveryRecorder",
    "ReceiptsView",
    "acknowledge",
    "check_deadlines",
    "delivered_from_events",
    "is_news",
    "message_receipt_events",
    "message_receipt_json",
    "receipt_events",
    "receipts_of",
]

PROTECTED_ACK_WITHIN = timedelta(hours=1)
"""How long the audience of a protected notice has to acknowledge each version, by default."""

_FLUSH_S = 0.25
_log = logging.getLogger(__name__)


def receipt_json(r: Receipt) -> dict[str, Any]:
    out: dict[str, Any] = {
        "notice": r.notice,
        "version": r.version,
        "party": r.party,
        "delivered_at": opt_utc_z(r.delivered_at),
        "acknowledged_at": opt_utc_z(r.acknowledged_at),
    }
    if r.signed is not None:
        out["signed"] = r.signed.to_json()
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
        told = Audience(parties=frozenset({owner}))
        body = {"receipts": [receipt_json(r) for r in sorted(rs, key=lambda r: r.party)]}
        out.append(Event(0, EventKind.RECEIPT_RECORDED, at, notice, owner, told, body))
    return out


def message_receipt_json(r: MessageReceipt) -> dict[str, Any]:
    out: dict[str, Any] = {
        "message": r.message,
        "thread": r.thread,
        "party": r.party,
        "delivered_at": opt_utc_z(r.delivered_at),
        "acknowledged_at": opt_utc_z(r.acknowledged_at),
    }
    if r.signed is not None:
        out["signed"] = r.signed.to_json()
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
        told = Audience(parties=frozenset({author}))
        body = {"receipts": [message_receipt_json(r) for r in sorted(rs, key=lambda r: r.party)]}
        out.append(Event(0, EventKind.RECEIPT_RECORDED, at, message, author, told, body))
    return out


@dataclass(frozen=True, slots=True)
class Deliveries:
    """What a batch of pushed events delivered: notice versions (id, version, notice's party)
    and messages (id, thread, author's party)."""

    notices: list[tuple[str, int, str]]
    messages: list[tuple[str, str, str]]


_Pending = dict[tuple[str, int, str], tuple[str, str]]
_PendingMessages = dict[tuple[str, str], tuple[str, str, str]]


class DeliveryRecorder:
    """Collects deliveries from reads and pushes; writes them in batches from a daemon thread."""

    def __init__(self, line: Line) -> None:
        self._line = line
        self._lock = threading.Lock()
        self._pending: _Pending = {}
        self._messages: _PendingMessages = {}
        """(message, receiving party) -> (member, thread, author's party)"""
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def delivered(
        self, member: Member, notices: Iterable[tuple[str, int, str]] | Deliveries
    ) -> None:
        """``member`` has received each (notice id, version, notice's party) not its own, or
        what a batch of pushed events carried (``delivered_from_events``)."""
        if isinstance(notices, Deliveries):
            self.delivered_messages(member, notices.messages)
            notices = notices.notices
        with self._lock:
            for notice, version, owner in notices:
                if owner != member.party:
                    self._pending.setdefault((notice, version, member.party), (member.id, owner))
            self._start()

    def delivered_messages(self, member: Member, messages: Iterable[tuple[str, str, str]]) -> None:
        """``member`` has received each (message id, thread id, author's party) not its own."""
        with self._lock:
            for message, thread, author in messages:
                if author != member.party:
                    self._messages.setdefault((message, member.party), (member.id, thread, author))
            self._start()

    def _start(self) -> None:
        if (self._pending or self._messages) and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="receipts", daemon=True)
            self._thread.start()

    def flush(self) -> int:
        """Write what is pending now; the number of new receipts."""
        with self._lock:
            pending, self._pending = self._pending, {}
            messages, self._messages = self._messages, {}
        if not pending and not messages:
            return 0
        line = self._line
        now = line.clock()
        items = [(n, v, p, m) for (n, v, p), (m, _) in pending.items()]
        owners = {(n, v, p): o for (n, v, p), (_, o) in pending.items()}
        said = [(m, t, p, who) for (m, p), (who, t, _) in messages.items()]
        authors = {m: a for (m, _), (_, _, a) in messages.items()}
        try:
            with line.store.transaction() as tx:
                tx.lock_for_notice_write()
                fresh = tx.record_deliveries(items, now)
                fresh_messages = tx.record_message_deliveries(said, now)
                logged = tx.append_events(
                    receipt_events(((r, owners[r.notice, r.version, r.party]) for r in fresh), now)
                    + message_receipt_events(((r, authors[r.message]) for r in fresh_messages), now)
                )
        except Exception:
            with self._lock:  # keep them for the next batch
                for key, value in pending.items():
                    self._pending.setdefault(key, value)
                for mkey, mvalue in messages.items():
                    self._messages.setdefault(mkey, mvalue)
            raise
        if logged:
            line.signal.notify(logged[-1].seq)
        return len(fresh) + len(fresh_messages)

    def _run(self) -> None:
        while True:
            self._wake.wait(_FLUSH_S)
            try:
                self.flush()
            except Exception:  # the thread must outlive one failed batch; the log says which
                _log.exception("recording deliveries failed")


def _visible_notice(tx: Tx, actor: Member, notice_id: str) -> Notice:
    notice = tx.get_notice(notice_id)
    if notice is None or not notice.visible_to(actor.party):
        raise NotFound(f"no notice {notice_id!r}", "/id")
    return notice


def is_news(before: Receipt | MessageReceipt | None, signed: Signed | None) -> bool:
    """Whether an acknowledgement is news: the first, or the first signature on one."""
    if before is None or before.acknowledged_at is None:
        return True
    return signed is not None and before.signed is None


def acknowledge(
    line: Line,
    actor: Member,
    notice_id: str,
    version: int | None = None,
    signature: str | None = None,
) -> Receipt:
    """The actor's party acknowledges (a version of, by default the current) a notice; with
    ``signature``, signed by the actor over ``statement.ack_notice`` (then ``version`` is needed).

    Acknowledging again changes nothing, but for a signature on a version acknowledged unsigned:
    it is recorded, and told, so a party can sign later; the first signature stands.
    """
    if actor.role is Role.ADMIN:
        raise PermissionDenied("the host does not acknowledge notices; a party's member does")
    if signature is not None and version is None:
        raise InvalidInput("a signed acknowledgement names the version it acknowledges", "/version")
    now = line.clock()
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        notice = _visible_notice(tx, actor, notice_id)
        if notice.party == actor.party:
            raise StateConflict("a party does not acknowledge its own notice", "/id")
        wanted = notice.version if version is None else version
        if not 1 <= wanted <= notice.version:
            raise InvalidInput(f"the notice has versions 1 to {notice.version}", "/version")
        signed = None
        if signature is not None:
            said = statement.ack_notice(line.origin, notice.id, wanted)
            signed = signed_by(tx, actor, said, signature)
        before = [r for r in tx.get_receipts(notice_id, actor.party) if r.version == wanted]
        receipt = tx.acknowledge(notice_id, wanted, actor.party, actor.id, now, signed)
        news = is_news(before[0] if before else None, signed)
        logged = tx.append_events(receipt_events([(receipt, notice.party)], now)) if news else []
    if logged:
        line.signal.notify(logged[-1].seq)
    return receipt


@dataclass(frozen=True, slots=True)
class ReceiptsView:
    notice: str
    receipts: list[Receipt]
    due: list[tuple[AckDue, list[str]]]
    """Each acknowledgement deadline and the parties still missing (for the notice's party)."""


def _audience_parties(tx: Tx, notice: Notice) -> list[str]:
    """The parties asked to acknowledge: the audience but the notice's own party (and, for
    ``all``, but the host, which is told of escalations rather than asked)."""
    if notice.audience.everyone:
        host = _host_parties(tx)
        parties = [p.slug for p in tx.list_parties() if p.slug not in host]
    else:
        parties = sorted(notice.audience.parties)
    return [p for p in parties if p != notice.party]


def receipts_of(line: Line, actor: Member, notice_id: str) -> ReceiptsView:
    """All receipts of the notice for its own party; a party's own receipts for the others."""
    with line.store.read() as tx:
        notice = _visible_notice(tx, actor, notice_id)
        own = notice.party == actor.party
        receipts = tx.get_receipts(notice_id, None if own else actor.party)
        due: list[tuple[AckDue, list[str]]] = []
        if own:
            versions = {n.version: n for n in tx.get_notice_versions(notice_id)}
            for d in tx.ack_dues(notice_id):
                acked = {r.party for r in receipts if r.version == d.version and r.acknowledged_at}
                missing = [p for p in _audience_parties(tx, versions[d.version]) if p not in acked]
                due.append((d, missing))
    return ReceiptsView(notice_id, receipts, due)


def ack_due_for(notice: Notice, ack_by: datetime | None, now: datetime) -> AckDue | None:
    """The acknowledgement deadline a new version carries: its own, or a protected notice's."""
    if ack_by is not None:
        return AckDue(notice.id, notice.version, ack_by)
    if notice.protected:
        return AckDue(notice.id, notice.version, now + PROTECTED_ACK_WITHIN)
    return None


def _host_parties(tx: Tx) -> set[str]:
    return {m.party for m in tx.list_members() if m.role is Role.ADMIN}


def check_deadlines(line: Line) -> list[Event]:
    """Escalate every acknowledgement deadline passed with parties still missing; once each."""
    now = line.clock()
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        events: list[Event] = []
        host: set[str] | None = None
        for due in tx.overdue_acks(now):
            versions = {n.version: n for n in tx.get_notice_versions(due.notice)}
            notice = versions.get(due.version)
            current = versions[max(versions)] if versions else None
            tx.mark_escalated(due, now)
            if notice is None or current is None or current.state is NoticeState.WITHDRAWN:
                continue
            acked = {
                r.party
                for r in tx.get_receipts(due.notice)
                if r.version == due.version and r.acknowledged_at
            }
            missing = [p for p in _audience_parties(tx, notice) if p not in acked]
            if not missing:
                continue
            if host is None:
                host = _host_parties(tx)
            told = Audience(parties=frozenset({notice.party, *missing, *host}))
            body = {
                "escalation": {
                    "about": "acknowledgement",
                    "notice": notice.id,
                    "version": due.version,
                    "title": notice.title,
                    "party": notice.party,
                    "due": utc_z(due.due),
                    "missing": missing,
                }
            }
            events.append(
                Event(0, EventKind.ESCALATION_RAISED, now, notice.id, notice.party, told, body)
            )
        logged = tx.append_events(events)
    if logged:
        line.signal.notify(logged[-1].seq)
    return logged


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
