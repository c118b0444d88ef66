"""Receipts of messages: a party of a thread acknowledges a message another party sent on it
(signed, if it likes), and the author's party sees every party's receipts.

Deliveries of messages are recorded with those of notices (``service.deliveries``).
"""

from __future__ import annotations

from deconfliction.domain import Member, Message
from deconfliction.domain.receipt import MessageReceipt
from deconfliction.errors import NotFound, StateConflict
from deconfliction.record import statement
from deconfliction.service.line import Line
from deconfliction.service.notices.receipts import is_news
from deconfliction.service.parties.keys import signed_by
from deconfliction.service.told import message_receipt_events
from deconfliction.store.base import Tx

__all__ = ["acknowledge_message", "message_receipts_of"]


def _message_of(tx: Tx, actor: Member, thread_id: str, message_id: str) -> Message:
    thread = tx.get_thread(thread_id)
    if thread is None or not thread.includes(actor.party):
        raise NotFound(f"no thread {thread_id!r}", "/thread_id")
    message = tx.get_message(message_id)
    if message is None or message.thread != thread.id:
        raise NotFound(f"no message {message_id!r} on this thread", "/message_id")
    return message


def acknowledge_message(
    line: Line, actor: Member, thread_id: str, message_id: str, signature: str | None = None
) -> MessageReceipt:
    """The actor's party, in the thread, acknowledges a message another party sent on it; with
    ``signature``, signed by the actor over ``statement.ack_message`` (as ``acknowledge`` of a
    notice: a signature may come later; the first one stands)."""
    now = line.clock()
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        message = _message_of(tx, actor, thread_id, message_id)
        if message.party == actor.party:
            raise StateConflict("a party does not acknowledge its own message", "/message_id")
        signed = None
        if signature is not None:
            said = statement.ack_message(line.origin, message.thread, message.id)
            signed = signed_by(tx, actor, said, signature)
        before = tx.get_message_receipts(message.id, actor.party)
        receipt = tx.acknowledge_message(
            message.id, message.thread, actor.party, actor.id, now, signed
        )
        news = is_news(before[0] if before else None, signed)
        told = [(receipt, message.party)]
        events = message_receipt_events(told, now, line.labels) if news else []
        logged = tx.append_events(events)
    if logged:
        line.signal.notify(logged[-1].seq)
    return receipt


def message_receipts_of(
    line: Line, actor: Member, thread_id: str, message_id: str
) -> list[MessageReceipt]:
    """Every party's receipts of a message for its author's party; a party's own for others."""
    with line.store.read() as tx:
        message = _message_of(tx, actor, thread_id, message_id)
        own = message.party == actor.party
        return tx.get_message_receipts(message.id, None if own else actor.party)
