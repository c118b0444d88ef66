"""Threads and messages in the store: round trips, a party's threads, one answer, due requests."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from deconfliction.domain import (
    Message,
    MessageKind,
    ReplyKind,
    RequestKind,
    RequestState,
    Thread,
    TimeWindow,
)
from deconfliction.errors import AlreadyExists, StateConflict
from deconfliction.store import SqlStore

from .common import CIRCLE, T0, volume

MIN = timedelta(minutes=1)


def thread(id: str = "t-1", parties: tuple[str, ...] = ("blue", "red"), at: int = 0) -> Thread:
    when = T0 + at * MIN
    return Thread(id, "Palmyra road", frozenset(parties), parties[0], "m-blue", when, when)


def request(id: str = "q-1", deadline_min: int = 30, **kw: object) -> Message:
    base = Message(
        id=id,
        thread="t-1",
        kind=MessageKind.REQUEST,
        party="blue",
        member="m-blue",
        created_at=T0,
        text="vacate, please",
        request=RequestKind.VACATE,
        to="red",
        notices=("n-1", "n-2"),
        conflicts=("c-1",),
        volume=volume(CIRCLE),
        deadline=T0 + deadline_min * MIN,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def reply(id: str, to: str, kind: ReplyKind = ReplyKind.ACCEPT, **kw: object) -> Message:
    base = Message(
        id=id,
        thread="t-1",
        kind=MessageKind.REPLY,
        party="red",
        member="m-red",
        created_at=T0 + MIN,
        in_reply_to=to,
        reply=kind,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_threads_round_trip_and_list_by_party_newest_activity_first(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.insert_thread(thread("t-1", at=0))
        tx.insert_thread(thread("t-2", ("red", "aid", "blue"), at=1))
        tx.insert_thread(thread("t-3", ("aid", "red"), at=2))
    with store.read() as tx:
        assert tx.get_thread("t-2") == thread("t-2", ("red", "aid", "blue"), at=1)
        assert tx.get_thread("nope") is None
        assert [t.id for t in tx.list_threads("blue")] == ["t-2", "t-1"]
        assert [t.id for t in tx.list_threads("aid", limit=1)] == ["t-3"]
        assert tx.list_threads("host") == []
    with store.transaction() as tx:
        tx.insert_message(request(created_at=T0 + 5 * MIN))  # t-1 is now the newest
    with store.read() as tx:
        assert [t.id for t in tx.list_threads("blue")] == ["t-1", "t-2"]
        assert tx.get_thread("t-1").updated_at == T0 + 5 * MIN  # type: ignore[union-attr]
    with pytest.raises(AlreadyExists), store.transaction() as tx:
        tx.insert_thread(thread("t-1"))


def test_messages_round_trip_oldest_first(store: SqlStore) -> None:
    window = TimeWindow(T0 + 60 * MIN, T0 + 120 * MIN)
    counter = reply("r-1", "q-1", ReplyKind.COUNTER, reason="later", window=window)
    note = Message("o-1", "t-1", MessageKind.NOTE, "blue", "m-blue", T0 + 2 * MIN, text="a\nb")
    with store.transaction() as tx:
        tx.insert_thread(thread())
        tx.insert_message(request())
        tx.insert_message(counter)
        tx.insert_message(note)
    with store.read() as tx:
        got = tx.list_messages("t-1")
        assert got == [request(answer=ReplyKind.COUNTER), counter, note]
        assert got[0].state_at(T0) is RequestState.COUNTERED
        assert tx.get_message("r-1") == counter
        assert tx.get_message("nope") is None
        assert tx.list_messages("t-2") == []


def test_a_request_takes_one_answer(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.insert_thread(thread())
        tx.insert_message(request())
        tx.insert_message(reply("r-1", "q-1"))
    with pytest.raises(StateConflict), store.transaction() as tx:
        tx.insert_message(reply("r-2", "q-1", ReplyKind.DECLINE, reason="no"))
    with store.read() as tx:
        assert [m.id for m in tx.list_messages("t-1")] == ["q-1", "r-1"]
        assert tx.get_message("q-1").answer is ReplyKind.ACCEPT  # type: ignore[union-attr]


def test_due_requests_are_the_unanswered_unescalated_past_their_deadline(
    store: SqlStore,
) -> None:
    with store.transaction() as tx:
        tx.insert_thread(thread())
        tx.insert_message(request("q-late", deadline_min=20))
        tx.insert_message(request("q-early", deadline_min=10))
        tx.insert_message(request("q-answered", deadline_min=10))
        tx.insert_message(reply("r-1", "q-answered"))
        tx.insert_message(request("q-later", deadline_min=40))
        tx.insert_message(Message("o-1", "t-1", MessageKind.NOTE, "red", "m-red", T0, text="x"))
    with store.read() as tx:
        assert tx.due_requests(T0 + 5 * MIN) == []
        assert [m.id for m in tx.due_requests(T0 + 20 * MIN)] == ["q-early", "q-late"]
        assert [m.id for m in tx.due_requests(T0 + 20 * MIN, limit=1)] == ["q-early"]
    with store.transaction() as tx:
        tx.mark_requests_escalated(["q-early"], T0 + 15 * MIN)
        tx.mark_requests_escalated(["q-early"], T0 + 16 * MIN)  # the first mark stays
    with store.read() as tx:
        assert [m.id for m in tx.due_requests(T0 + 60 * MIN)] == ["q-late", "q-later"]
        early = tx.get_message("q-early")
    assert early is not None and early.escalated_at == T0 + 15 * MIN
    assert early.state_at(T0 + 15 * MIN) is RequestState.EXPIRED
    assert early.state_at(T0 + 9 * MIN) is RequestState.OPEN


def test_accepting_a_counter_agrees_its_request(store: SqlStore) -> None:
    window = TimeWindow(T0 + 60 * MIN, T0 + 120 * MIN)
    with store.transaction() as tx:
        tx.insert_thread(thread())
        tx.insert_message(request())
        tx.insert_message(reply("r-1", "q-1", ReplyKind.COUNTER, window=window))
    with store.read() as tx:
        assert [m.id for m in tx.replies_to(["q-1", "nope"])] == ["r-1"]
        assert tx.commitments() == []
        assert not tx.is_committed("red")  # a counter commits nobody until it is accepted
    accept = reply("a-1", "r-1", party="blue", member="m-blue", created_at=T0 + 2 * MIN)
    with store.transaction() as tx:
        tx.insert_message(accept)
    with store.read() as tx:
        asked, counter = tx.get_message("q-1"), tx.get_message("r-1")
        assert asked is not None and asked.answer is ReplyKind.ACCEPT
        assert counter is not None and counter.answer is ReplyKind.ACCEPT
        assert counter.state_at(T0) is RequestState.ACCEPTED
        assert [m.id for m in tx.commitments()] == ["q-1"]
        assert (tx.is_committed("red"), tx.is_committed("blue")) == (True, False)
        assert [m.id for m in tx.replies_to(["r-1"])] == ["a-1"]
        assert tx.replies_to([]) == []
    with pytest.raises(StateConflict), store.transaction() as tx:
        tx.insert_message(replace(accept, id="a-2"))
