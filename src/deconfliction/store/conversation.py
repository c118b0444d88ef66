"""Threads and their messages, for ``SqlTx`` (a mixin: same connection, same transaction).

A thread's parties are also rows of ``thread_party``, so a party's threads are one indexed read.
A request row carries its ``answer`` once replied to (``accept`` once the requester accepted a
counter to it: the counter's row carries that answer too) and ``escalated_us`` once its deadline was
told; a partial index holds only the requests still waiting for either, all the deadline check
reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from deconfliction.domain import (
    Message,
    MessageKind,
    ReplyKind,
    RequestKind,
    Thread,
    TimeWindow,
)
from deconfliction.errors import AlreadyExists, StateConflict
from deconfliction.store import schema
from deconfliction.store.codec import (
    dt_from_us,
    dt_to_us,
    opt_from_us,
    opt_to_us,
    stored_volume_json,
    volume_from_stored_json,
)
from deconfliction.store.keyset import after_key
from deconfliction.store.receipts import signed_from_text, signed_to_text

__all__ = ["ThreadRows"]

_T = schema.thread
_P = schema.thread_party
_M = schema.message


def thread_from_row(r: Any) -> Thread:
    return Thread(
        id=r.id,
        subject=r.subject,
        parties=frozenset(p for p in r.parties.split(",") if p),
        party=r.party,
        member=r.member,
        created_at=dt_from_us(r.created_us),
        updated_at=dt_from_us(r.updated_us),
    )


def message_to_row(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "thread_id": m.thread,
        "kind": m.kind.value,
        "party": m.party,
        "member": m.member,
        "created_us": dt_to_us(m.created_at),
        "text": m.text,
        "request": None if m.request is None else m.request.value,
        "to_party": m.to,
        "notices": orjson.dumps(list(m.notices)).decode(),
        "conflicts": orjson.dumps(list(m.conflicts)).decode(),
        "volume": None if m.volume is None else orjson.dumps(stored_volume_json(m.volume)).decode(),
        "deadline_us": opt_to_us(m.deadline),
        "answer": None if m.answer is None else m.answer.value,
        "escalated_us": opt_to_us(m.escalated_at),
        "in_reply_to": m.in_reply_to,
        "reply": None if m.reply is None else m.reply.value,
        "reason": m.reason,
        "window_start_us": None if m.window is None else dt_to_us(m.window.start),
        "window_end_us": None if m.window is None else dt_to_us(m.window.end),
        "withdrawn_us": opt_to_us(m.withdrawn_at),
        "signed": signed_to_text(m.signed),
    }


def message_from_row(r: Any) -> Message:
    window = None
    if r.window_start_us is not None:
        window = TimeWindow(dt_from_us(r.window_start_us), dt_from_us(r.window_end_us))
    return Message(
        id=r.id,
        thread=r.thread_id,
        kind=MessageKind(r.kind),
        party=r.party,
        member=r.member,
        created_at=dt_from_us(r.created_us),
        text=r.text,
        request=None if r.request is None else RequestKind(r.request),
        to=r.to_party,
        notices=tuple(orjson.loads(r.notices)),
        conflicts=tuple(orjson.loads(r.conflicts)),
        volume=None if r.volume is None else volume_from_stored_json(orjson.loads(r.volume)),
        deadline=opt_from_us(r.deadline_us),
        answer=None if r.answer is None else ReplyKind(r.answer),
        escalated_at=opt_from_us(r.escalated_us),
        in_reply_to=r.in_reply_to,
        reply=None if r.reply is None else ReplyKind(r.reply),
        reason=r.reason,
        window=window,
        withdrawn_at=opt_from_us(r.withdrawn_us),
        signed=signed_from_text(r.signed),
    )


_pending = sa.and_(_M.c.answer.is_(None), _M.c.escalated_us.is_(None))
"""The partial index's predicate: a query must state it to use the index."""


_committed = sa.text(
    "SELECT 1 FROM message WHERE to_party = :party AND kind = 'request' "
    "AND request IN ('vacate', 'keep-clear') AND answer = 'accept' AND withdrawn_us IS NULL "
    "LIMIT 1"
)


class ThreadRows:
    """The thread and message methods of ``store.repos.ConversationRepo``; mixed into ``SqlTx``."""

    _conn: sa.Connection

    def insert_thread(self, thread: Thread) -> None:
        row = {
            "id": thread.id,
            "subject": thread.subject,
            "party": thread.party,
            "member": thread.member,
            "parties": "," + "".join(p + "," for p in sorted(thread.parties)),
            "created_us": dt_to_us(thread.created_at),
            "updated_us": dt_to_us(thread.updated_at),
        }
        try:
            with self._conn.begin_nested():
                self._conn.execute(_T.insert(), row)
        except IntegrityError:
            raise AlreadyExists(f"a thread with id {thread.id!r} already exists", "/id") from None
        members = [{"party": p, "thread_id": thread.id} for p in sorted(thread.parties)]
        self._conn.execute(_P.insert(), members)

    def get_thread(self, thread_id: str) -> Thread | None:
        row = self._conn.execute(sa.select(_T).where(_T.c.id == thread_id)).first()
        return None if row is None else thread_from_row(row)

    def list_threads(
        self, party: str, limit: int = 100, after: tuple[datetime, str] | None = None
    ) -> list[Thread]:
        query = sa.select(_T).join(_P, _P.c.thread_id == _T.c.id).where(_P.c.party == party)
        if after is not None:
            key = (dt_to_us(after[0]), after[1])
            query = query.where(after_key(_T.c.updated_us, _T.c.id, key, newest=True))
        query = query.order_by(_T.c.updated_us.desc(), _T.c.id.desc()).limit(limit)
        return [thread_from_row(r) for r in self._conn.execute(query)]

    def insert_message(self, message: Message) -> None:
        if message.kind is MessageKind.REPLY:
            assert message.in_reply_to is not None and message.reply is not None
            answered = self._conn.execute(
                _M.update()
                .where(_M.c.id == message.in_reply_to, _M.c.answer.is_(None))
                .values(answer=message.reply.value)
            )
            if answered.rowcount != 1:
                raise StateConflict("the request is answered already", "/in_reply_to")
            if message.reply is ReplyKind.ACCEPT:
                # a counter accepted by the requester: its request is agreed, on the counter's terms
                request_id = self._conn.execute(
                    sa.select(_M.c.in_reply_to).where(
                        _M.c.id == message.in_reply_to, _M.c.reply == ReplyKind.COUNTER.value
                    )
                ).scalar()
                if request_id is not None:
                    self._conn.execute(
                        _M.update()
                        .where(_M.c.id == request_id, _M.c.answer == ReplyKind.COUNTER.value)
                        .values(answer=ReplyKind.ACCEPT.value)
                    )
        try:
            with self._conn.begin_nested():
                self._conn.execute(_M.insert(), message_to_row(message))
        except IntegrityError:
            raise AlreadyExists(
                f"a message with id {message.id!r} (or a reply to its request) exists", "/id"
            ) from None
        self._conn.execute(
            _T.update()
            .where(_T.c.id == message.thread)
            .values(updated_us=dt_to_us(message.created_at))
        )

    def get_message(self, message_id: str) -> Message | None:
        row = self._conn.execute(sa.select(_M).where(_M.c.id == message_id)).first()
        return None if row is None else message_from_row(row)

    def list_messages(
        self, thread_id: str, limit: int = 1000, after: tuple[datetime, str] | None = None
    ) -> list[Message]:
        query = sa.select(_M).where(_M.c.thread_id == thread_id)
        if after is not None:
            key = (dt_to_us(after[0]), after[1])
            query = query.where(after_key(_M.c.created_us, _M.c.id, key, newest=False))
        query = query.order_by(_M.c.created_us, _M.c.id).limit(limit)
        return [message_from_row(r) for r in self._conn.execute(query)]

    def due_requests(self, now: datetime, limit: int = 1000) -> list[Message]:
        query = (
            sa.select(_M)
            .where(_pending, _M.c.deadline_us <= dt_to_us(now))
            .order_by(_M.c.deadline_us, _M.c.id)
            .limit(limit)
        )
        return [message_from_row(r) for r in self._conn.execute(query)]

    def mark_requests_escalated(self, message_ids: Sequence[str], at: datetime) -> None:
        if message_ids:
            self._conn.execute(
                _M.update()
                .where(_M.c.id.in_(list(message_ids)), _M.c.escalated_us.is_(None))
                .values(escalated_us=dt_to_us(at))
            )

    def commitments(self) -> list[Message]:
        """Accepted vacate and keep-clear requests not withdrawn: the agreements in force."""
        rows = self._conn.execute(
            sa.select(_M).where(
                _M.c.kind == MessageKind.REQUEST.value,
                _M.c.request.in_([RequestKind.VACATE.value, RequestKind.KEEP_CLEAR.value]),
                _M.c.answer == ReplyKind.ACCEPT.value,
                _M.c.withdrawn_us.is_(None),
            )
        )
        return [message_from_row(r) for r in rows]

    def is_committed(self, party: str) -> bool:
        """Whether ``party`` has agreed to keep out of some area (an accepted vacate or keep-clear
        asked of it, not withdrawn): one indexed probe, for the write path."""
        return self._conn.execute(_committed, {"party": party}).first() is not None

    def replies_to(self, message_ids: Sequence[str]) -> list[Message]:
        """The replies answering these messages (at most one each)."""
        if not message_ids:
            return []
        rows = self._conn.execute(
            sa.select(_M).where(
                _M.c.kind == MessageKind.REPLY.value, _M.c.in_reply_to.in_(list(message_ids))
            )
        )
        return [message_from_row(r) for r in rows]

    def withdraw_commitment(self, request_id: str, at: datetime) -> bool:
        """Mark the accepted request withdrawn; False if it was already."""
        done = self._conn.execute(
            _M.update()
            .where(_M.c.id == request_id, _M.c.withdrawn_us.is_(None))
            .values(withdrawn_us=dt_to_us(at))
        )
        return bool(done.rowcount)
