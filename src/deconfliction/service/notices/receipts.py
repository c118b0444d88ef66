"""Receipts of notices: who has received which version of a notice, who has acknowledged it,
and when; and the deadlines by which they must.

A party has *received* a version when one of its members fetched it or was pushed it
(``service.deliveries`` records that); it has *acknowledged* it when a member said so, recorded
at once. New receipts are events told to the notice's party. Acknowledging a message:
``service.conversation.receipts``.

A protected notice must be acknowledged by every party in its audience within an hour of each
version (or by the notice's own ``ack_by``); a version still missing acknowledgements at its
deadline raises one escalation event, to the notice's party, the parties missing and the host.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deconfliction.domain import (
    HOST_PARTY,
    Audience,
    Event,
    EventKind,
    Member,
    Notice,
    NoticeState,
    Role,
)
from deconfliction.domain.limits import PROTECTED_ACK_WITHIN
from deconfliction.domain.receipt import AckDue, MessageReceipt, Receipt
from deconfliction.errors import InvalidInput, NotFound, PermissionDenied, StateConflict
from deconfliction.record import statement
from deconfliction.record.statement import Signed
from deconfliction.service.line import Line
from deconfliction.service.parties.keys import signed_by
from deconfliction.service.told import receipt_events
from deconfliction.store.base import Tx
from deconfliction.wire import utc_z

__all__ = [
    "ReceiptsView",
    "ack_due_for",
    "acknowledge",
    "check_deadlines",
    "is_news",
    "receipts_of",
]


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
        events = receipt_events([(receipt, notice.party)], now, line.labels) if news else []
        logged = tx.append_events(events)
    if logged:
        line.signal.notify(logged[-1].seq)
    return receipt


@dataclass(frozen=True, slots=True)
class ReceiptsView:
    notice: str
    receipts: list[Receipt]
    due: list[tuple[AckDue, list[str]]]
    """Each acknowledgement deadline and the parties still missing: every one for the notice's
    party; for an audience party, the deadlines it is asked to meet, missing itself or no one."""


def _audience_parties(tx: Tx, notice: Notice) -> list[str]:
    """The parties asked to acknowledge: the audience but the notice's own party and the host's
    (told of escalations rather than asked; its admins acknowledge nothing). Every other party
    is asked, whoever its members are."""
    if notice.audience.everyone:
        parties = [p.slug for p in tx.list_parties()]
    else:
        parties = sorted(notice.audience.parties)
    return [p for p in parties if p not in (notice.party, HOST_PARTY)]


def receipts_of(line: Line, actor: Member, notice_id: str) -> ReceiptsView:
    """All receipts and deadlines of the notice for its own party; a party's own receipts, and
    the deadlines it is asked to meet, for the others."""
    with line.store.read() as tx:
        notice = _visible_notice(tx, actor, notice_id)
        own = notice.party == actor.party
        receipts = tx.get_receipts(notice_id, None if own else actor.party)
        due: list[tuple[AckDue, list[str]]] = []
        versions = {n.version: n for n in tx.get_notice_versions(notice_id)}
        for d in tx.ack_dues(notice_id):
            acked = {r.party for r in receipts if r.version == d.version and r.acknowledged_at}
            asked = _audience_parties(tx, versions[d.version])
            if not own:
                # an audience party is told the deadlines it is asked to meet, and of itself only
                if actor.party not in asked:
                    continue
                asked = [actor.party]
            due.append((d, [p for p in asked if p not in acked]))
    return ReceiptsView(notice_id, receipts, due)


def ack_due_for(notice: Notice, ack_by: datetime | None, now: datetime) -> AckDue | None:
    """The acknowledgement deadline a new version carries: its own, or a protected notice's."""
    if ack_by is not None:
        return AckDue(notice.id, notice.version, ack_by)
    if notice.protected:
        return AckDue(notice.id, notice.version, now + PROTECTED_ACK_WITHIN)
    return None


def check_deadlines(line: Line) -> list[Event]:
    """Escalate every acknowledgement deadline passed with parties still missing; once each."""
    now = line.clock()
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        events: list[Event] = []
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
            told = Audience(parties=frozenset({notice.party, *missing, HOST_PARTY}))
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
