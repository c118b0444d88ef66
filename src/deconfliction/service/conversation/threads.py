"""Conversation use cases: open a thread, send requests, replies and notes, escalate deadlines.

Only the parties of a thread see it, and a request names only notices every one of them may
see. A counter is answered by the requester's ``accept`` (the request is then agreed on the
counter's terms). Every message appends one ``message.sent`` event
told to the thread's parties; a request whose deadline passes unanswered appends one
``escalation.raised`` event told to both sides, once (``expire_requests``, run on a clock).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from deconfliction.domain import (
    Audience,
    Member,
    Message,
    MessageDraft,
    MessageKind,
    ReplyKind,
    Thread,
    check_slug,
)
from deconfliction.domain.conversation import check_text
from deconfliction.domain.limits import MAX_SUBJECT, MAX_THREAD_PARTIES
from deconfliction.domain.paging import DEFAULT_LIMIT, Key, Page, page_of
from deconfliction.errors import InvalidInput, NotFound, StateConflict
from deconfliction.record import RecordError, statement
from deconfliction.record.statement import Signed
from deconfliction.service.line import Line
from deconfliction.service.parties.keys import signed_by
from deconfliction.service.told import escalation_event, message_event, thread_event
from deconfliction.store.base import Tx
from deconfliction.wire import utc_z

__all__ = [
    "ThreadView",
    "expire_requests",
    "get_thread",
    "list_threads",
    "open_thread",
    "post_message",
]

THREADS = "on threads"
"""What a coordinator writes here and an observer cannot (the refusal names it)."""


@dataclass(frozen=True, slots=True)
class ThreadView:
    thread: Thread
    messages: list[Message]
    """Oldest first: one page."""
    at: datetime
    """When it was read: the instant request states hold at."""
    after: Key | None = None
    """Where the next page of messages starts (``None``: this page is the last)."""


def _thread_of(tx: Tx, actor: Member, thread_id: str) -> Thread:
    thread = tx.get_thread(thread_id)
    if thread is None or not thread.includes(actor.party):
        raise NotFound(f"no thread {thread_id!r}", "/id")
    return thread


def open_thread(line: Line, actor: Member, parties: Sequence[str], subject: str) -> Thread:
    """Open a thread between the actor's party and ``parties`` (every one on the line)."""
    actor.role.require_writer(THREADS)
    check_text(subject, MAX_SUBJECT, "/subject")
    if not subject.strip():
        raise InvalidInput("a thread needs a subject", "/subject")
    for i, slug in enumerate(parties):
        check_slug(slug, f"/parties/{i}")
    members = frozenset({actor.party, *parties})
    if len(members) > MAX_THREAD_PARTIES:
        raise InvalidInput(f"a thread has at most {MAX_THREAD_PARTIES} parties", "/parties")
    if len(members) < 2:
        raise InvalidInput("a thread is between two or more parties: name another", "/parties")
    now = line.clock()
    thread = Thread(line.new_id(), subject, members, actor.party, actor.id, now, now)
    with line.store.transaction() as tx:
        known = {p.slug for p in tx.list_parties()}
        for i, slug in enumerate(parties):
            if slug not in known:
                raise InvalidInput(f"no party {slug!r} on this line", f"/parties/{i}")
        tx.lock_for_notice_write()
        tx.insert_thread(thread)
        logged = tx.append_events([thread_event(thread, line.labels)])
    line.signal.notify(logged[-1].seq)
    return thread


def _thread_key(t: Thread) -> tuple[datetime, str]:
    return (t.updated_at, t.id)


def _message_key(m: Message) -> tuple[datetime, str]:
    return (m.created_at, m.id)


def list_threads(
    line: Line,
    actor: Member,
    limit: int = DEFAULT_LIMIT,
    after: tuple[datetime, str] | None = None,
) -> Page[Thread]:
    """A page of the threads of the actor's party, newest activity first (updated_at, id)."""
    with line.store.read() as tx:
        found = tx.list_threads(actor.party, limit + 1, after)
    return page_of(found, limit, _thread_key)


def get_thread(
    line: Line,
    actor: Member,
    thread_id: str,
    limit: int = DEFAULT_LIMIT,
    after: tuple[datetime, str] | None = None,
) -> ThreadView:
    """A thread of the actor's party with a page of its messages, oldest first (created_at,
    id; NotFound for others' threads); each message another party sent is delivered to the
    actor's party."""
    with line.store.read() as tx:
        thread = _thread_of(tx, actor, thread_id)
        page = page_of(tx.list_messages(thread.id, limit + 1, after), limit, _message_key)
    messages = page.items
    line.deliveries.delivered_messages(actor, [(m.id, m.thread, m.party) for m in messages])
    return ThreadView(thread, messages, line.clock(), page.after)


def _sees(owner: str, audience: Audience, party: str) -> bool:
    """Whether ``party`` may see a notice of ``owner`` (``""``: no such notice) and ``audience``."""
    return bool(owner) and (owner == party or audience.includes(party))


def _check_request(tx: Tx, actor: Member, thread: Thread, draft: MessageDraft) -> None:
    if draft.to == actor.party:
        raise InvalidInput("a request asks another party of the thread, not your own", "/to")
    if draft.to is None or not thread.includes(draft.to):
        raise InvalidInput(f"{draft.to!r} is not a party of this thread", "/to")
    seen = tx.notice_audiences(draft.notices)
    for i, notice_id in enumerate(draft.notices):
        owner, audience = seen.get(notice_id, ("", Audience()))
        if not _sees(owner, audience, actor.party):
            # the same words whether it exists or not: its existence is not the caller's
            raise InvalidInput(f"no notice {notice_id!r} shared with you", f"/notices/{i}")
        if blind := sorted(p for p in thread.parties if not _sees(owner, audience, p)):
            # every party of the thread reads the request: its notices must be theirs to see
            raise InvalidInput(
                f"notice {notice_id!r} is not shared with {', '.join(blind)}, on this thread; "
                "a request names only notices every party of its thread may see (share the "
                "notice with them, or give the area as a volume)",
                f"/notices/{i}",
            )
    for i, conflict_id in enumerate(draft.conflicts):
        strategic = tx.get_conflict(conflict_id)
        on_tracks = None if strategic else tx.get_track_conflict(conflict_id)
        found = strategic or on_tracks
        if found is None or not found.involves(actor.party):
            raise InvalidInput(f"no conflict {conflict_id!r} of yours", f"/conflicts/{i}")


def _withdraw(tx: Tx, actor: Member, thread: Thread, draft: MessageDraft, now: datetime) -> None:
    """End the commitment of an accepted vacate or keep-clear request on this thread; either
    the party committed or the party it agreed with may."""
    assert draft.in_reply_to is not None
    request = tx.get_message(draft.in_reply_to)
    if request is None or request.thread != thread.id:
        raise InvalidInput(f"no message {draft.in_reply_to!r} on this thread", "/in_reply_to")
    if request.withdrawn_at is not None:
        raise StateConflict(
            f"the commitment was withdrawn at {utc_z(request.withdrawn_at)}", "/in_reply_to"
        )
    if not request.commits():
        named = f" (name the request {request.in_reply_to!r})" if request.in_reply_to else ""
        raise InvalidInput(
            f"only an accepted vacate or keep-clear request is a commitment{named}",
            "/in_reply_to",
        )
    if actor.party not in (request.to, request.party):
        raise InvalidInput("only the two parties of the agreement withdraw it", "/in_reply_to")
    tx.withdraw_commitment(request.id, now)


def _check_acceptance(
    tx: Tx, actor: Member, draft: MessageDraft, counter: Message, now: datetime
) -> None:
    """The requester answers a counter to its request: it may accept it, once, while its terms
    last (the request is then accepted on the counter's terms)."""
    assert counter.in_reply_to is not None
    request = tx.get_message(counter.in_reply_to)
    assert request is not None
    if request.party != actor.party:
        raise InvalidInput(
            f"the counter answers a request of {request.party!r}; only that party accepts it",
            "/in_reply_to",
        )
    if draft.reply is not ReplyKind.ACCEPT:
        raise InvalidInput(
            "a counter is accepted, or left unanswered; to propose other terms send a new request",
            "/reply",
        )
    if counter.answer is not None:
        raise StateConflict(f"the counter is {counter.answer.state.value} already", "/in_reply_to")
    ends = counter.terms_end()
    if ends is not None and ends < now:
        raise StateConflict(f"the counter's terms ended at {utc_z(ends)}", "/in_reply_to")


def _check_reply(tx: Tx, actor: Member, thread: Thread, draft: MessageDraft, now: datetime) -> None:
    assert draft.in_reply_to is not None
    request = tx.get_message(draft.in_reply_to)
    if request is None or request.thread != thread.id:
        raise InvalidInput(f"no message {draft.in_reply_to!r} on this thread", "/in_reply_to")
    if request.reply is ReplyKind.COUNTER:
        _check_acceptance(tx, actor, draft, request, now)
        return
    if request.kind is not MessageKind.REQUEST or request.deadline is None:
        raise InvalidInput(
            f"that message is a {request.kind.value}; only a request, or a counter to your "
            "party's request, takes a reply",
            "/in_reply_to",
        )
    if request.to != actor.party:
        raise InvalidInput(
            f"the request asks {request.to!r}; only that party replies to it", "/in_reply_to"
        )
    if request.answer is not None:
        raise StateConflict(
            f"the request is {request.answer.state.value} already; {request.party!r} may send a "
            "new one",
            "/in_reply_to",
        )
    if now >= request.deadline:
        raise StateConflict(
            f"the deadline to reply passed at {utc_z(request.deadline)}; the request has expired",
            "/in_reply_to",
        )


def _signed(
    tx: Tx, line: Line, actor: Member, thread: Thread, body: Mapping[str, Any], signature: str
) -> Signed:
    try:
        said = statement.send(line.origin, thread.id, body)
    except RecordError as e:
        raise InvalidInput(str(e), "/signature") from None
    expected = (
        f'the RFC 8785 canonical JSON of {{"act":"send","line":"{line.origin}","message":<this '
        f'body without its signature>,"thread":"{thread.id}"}}'
    )
    return signed_by(tx, actor, said, signature, expected)


def post_message(
    line: Line,
    actor: Member,
    thread_id: str,
    source: MessageDraft | Callable[[], MessageDraft],
    signature: str | None = None,
    body: Mapping[str, Any] | None = None,
) -> Message:
    """Send a request, reply or note on a thread of the actor's party; with ``signature``,
    signed by the actor over ``statement.send`` of ``body``, the JSON body as the client sent it
    (parsed), of which ``draft`` is the reading. ``source`` is the draft or how to read it
    (geometry costs: it is read once the member may write)."""
    actor.role.require_writer(THREADS)
    draft = source() if callable(source) else source
    if signature is not None and body is None:
        raise ValueError("a signed message needs the body it was signed over")
    now = line.clock()
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()  # a reply and the deadline check must see each other
        thread = _thread_of(tx, actor, thread_id)
        draft.check(now)
        if draft.kind is MessageKind.REQUEST:
            _check_request(tx, actor, thread, draft)
        elif draft.kind is MessageKind.REPLY:
            _check_reply(tx, actor, thread, draft, now)
        elif draft.kind is MessageKind.WITHDRAW:
            _withdraw(tx, actor, thread, draft, now)
        signed = None
        if signature is not None:
            assert body is not None
            signed = _signed(tx, line, actor, thread, body, signature)
        message = Message(
            id=line.new_id(),
            thread=thread.id,
            kind=draft.kind,
            party=actor.party,
            member=actor.id,
            created_at=now,
            text=draft.text,
            request=draft.request,
            to=draft.to,
            notices=tuple(dict.fromkeys(draft.notices)),
            conflicts=tuple(dict.fromkeys(draft.conflicts)),
            volume=draft.volume,
            deadline=None if draft.deadline is None else draft.deadline.astimezone(UTC),
            in_reply_to=draft.in_reply_to,
            reply=draft.reply,
            reason=draft.reason,
            window=draft.window,
            signed=signed,
        )
        tx.insert_message(message)
        logged = tx.append_events([message_event(thread, message, now, line.labels)])
    line.signal.notify(logged[-1].seq)
    return message


def expire_requests(line: Line, limit: int = 1000) -> list[Message]:
    """Escalate every request whose deadline passed unanswered, once each; return them.

    Run on a clock (the server's deadline duties). A read finds whether any are due, so an idle
    line takes no write lock.
    """
    now = line.clock()
    with line.store.read() as tx:
        if not tx.due_requests(now, 1):
            return []
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        due = tx.due_requests(now, limit)
        tx.mark_requests_escalated([m.id for m in due], now)
        logged = tx.append_events([escalation_event(m, now) for m in due])
    if logged:
        line.signal.notify(logged[-1].seq)
    return [replace(m, escalated_at=now) for m in due]
