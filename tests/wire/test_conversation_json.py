"""Receipts, keys, threads and messages as the API answers them, pinned by hand; a request with
its state at ``now``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from deconfliction.domain import (
    Message,
    MessageKind,
    ReplyKind,
    RequestKind,
    Thread,
    TimeWindow,
)
from deconfliction.domain.party import MemberKey
from deconfliction.domain.receipt import AckDue, MessageReceipt, Receipt
from deconfliction.record.statement import Signed
from deconfliction.wire import (
    ack_due_json,
    key_json,
    message_json,
    message_receipt_json,
    receipt_json,
    thread_json,
)
from tests.common import T0, volume

PLUS1 = timezone(timedelta(hours=1))
S = timedelta(seconds=1)
SIGNED = Signed("mem-4", '{"act":"acknowledge"}', "c2ln")


def by_id(party: str, member: str) -> str:
    """A reader shown every member by id (its own party's, as each party is)."""
    return member


def by_label(party: str, member: str) -> str:
    """A reader of another party: every member by a label."""
    return f"{party}#{member[-1]}"


# -- receipts and keys ------------------------------------------------------------------------


def test_receipt_json_delivered_not_yet_acknowledged() -> None:
    r = Receipt("n-1", 3, "un-ocha", delivered_at=T0.astimezone(PLUS1), delivered_by="mem-4")
    assert receipt_json(r, by_id) == {
        "notice": "n-1",
        "version": 3,
        "party": "un-ocha",
        "delivered_at": "2025-06-01T06:00:00Z",
        "acknowledged_at": None,
    }


def test_receipt_json_carries_the_signed_acknowledgement() -> None:
    r = Receipt(
        "n-1",
        3,
        "un-ocha",
        delivered_at=T0,
        delivered_by="mem-4",
        acknowledged_at=T0 + 90 * S,
        acknowledged_by="mem-4",
        signed=SIGNED,
    )
    out = receipt_json(r, by_id)
    assert out["acknowledged_at"] == "2025-06-01T06:01:30Z"
    assert out["signed"] == {
        "member": "mem-4",
        "statement": '{"act":"acknowledge"}',
        "signature": "c2ln",
    }


def test_message_receipt_json_is_pinned() -> None:
    r = MessageReceipt("m-1", "th-1", "coalition", acknowledged_at=T0, acknowledged_by="mem-2")
    assert message_receipt_json(r, by_id) == {
        "message": "m-1",
        "thread": "th-1",
        "party": "coalition",
        "delivered_at": None,
        "acknowledged_at": "2025-06-01T06:00:00Z",
    }


def test_ack_due_json_lists_who_is_missing() -> None:
    due = AckDue("n-1", 3, due=T0 + timedelta(hours=1))
    assert ack_due_json(due, ["icrc", "red"]) == {
        "version": 3,
        "due": "2025-06-01T07:00:00Z",
        "escalated_at": None,
        "missing": ["icrc", "red"],
    }
    escalated = ack_due_json(replace(due, escalated_at=T0 + timedelta(hours=1, seconds=5)), [])
    assert (escalated["escalated_at"], escalated["missing"]) == ("2025-06-01T07:00:05Z", [])


def test_key_json_gives_the_raw_key_in_base64() -> None:
    key = MemberKey("mem-4", "un-ocha", bytes(range(32)), datetime(2025, 6, 1, 7, tzinfo=PLUS1))
    assert key_json(key, by_id) == {
        "party": "un-ocha",
        "member": "mem-4",
        "public_key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "registered_at": "2025-06-01T06:00:00Z",
    }


# -- threads and messages ---------------------------------------------------------------------


def test_thread_json_lists_its_parties_sorted() -> None:
    t = Thread(
        "th-1",
        "convoy through sector north",
        frozenset({"un-ocha", "coalition", "icrc"}),
        "un-ocha",
        "mem-4",
        T0,
        T0 + 300 * S,
    )
    assert thread_json(t, by_id) == {
        "id": "th-1",
        "subject": "convoy through sector north",
        "parties": ["coalition", "icrc", "un-ocha"],
        "party": "un-ocha",
        "member": "mem-4",
        "created_at": "2025-06-01T06:00:00Z",
        "updated_at": "2025-06-01T06:05:00Z",
    }


DEADLINE = T0 + timedelta(hours=1)
REQUEST = Message(
    id="m-1",
    thread="th-1",
    kind=MessageKind.REQUEST,
    party="un-ocha",
    member="mem-4",
    created_at=T0,
    text="please vacate until 08:00Z",
    request=RequestKind.VACATE,
    to="coalition",
    notices=("n-a",),
    conflicts=("c-1",),
    volume=volume("circle_5km"),
    deadline=DEADLINE,
)


def test_an_open_request_is_pinned() -> None:
    assert message_json(REQUEST, T0 + 600 * S, by_id) == {
        "id": "m-1",
        "thread": "th-1",
        "kind": "request",
        "party": "un-ocha",
        "member": "mem-4",
        "created_at": "2025-06-01T06:00:00Z",
        "text": "please vacate until 08:00Z",
        "request": "vacate",
        "to": "coalition",
        "notices": ["n-a"],
        "conflicts": ["c-1"],
        "deadline": "2025-06-01T07:00:00Z",
        "state": "open",
        "volume": {
            "footprint": {"type": "Point", "coordinates": [11.15, 50.35]},
            "radius_m": 5000.0,
            "time": {"start": "2025-06-01T06:00:00Z", "end": "2025-06-01T08:00:00Z"},
        },
    }


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (DEADLINE - S, "open"),
        (DEADLINE, "expired"),  # no answer by the deadline
        (DEADLINE + timedelta(days=1), "expired"),
    ],
)
def test_an_unanswered_request_expires_at_its_deadline(now: datetime, state: str) -> None:
    assert message_json(REQUEST, now, by_id)["state"] == state


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        (ReplyKind.ACCEPT, "accepted"),
        (ReplyKind.DECLINE, "declined"),
        (ReplyKind.COUNTER, "countered"),
    ],
)
def test_an_answered_request_keeps_its_answer_past_the_deadline(
    answer: ReplyKind, state: str
) -> None:
    out = message_json(replace(REQUEST, answer=answer), DEADLINE + timedelta(days=1), by_id)
    assert out["state"] == state
    assert ("commitment" in out) is (answer is ReplyKind.ACCEPT)


def test_an_accepted_vacate_is_a_commitment_until_withdrawn() -> None:
    accepted = replace(REQUEST, answer=ReplyKind.ACCEPT)
    assert message_json(accepted, T0, by_id)["commitment"] == "in force"
    withdrawn = replace(accepted, withdrawn_at=T0 + timedelta(hours=2))
    out = message_json(withdrawn, T0 + timedelta(hours=3), by_id)
    assert (out["state"], out["commitment"], out["withdrawn_at"]) == (
        "accepted",
        "withdrawn",
        "2025-06-01T08:00:00Z",
    )


def test_an_accepted_hold_commits_to_no_area() -> None:
    hold = replace(REQUEST, request=RequestKind.HOLD, volume=None, answer=ReplyKind.ACCEPT)
    out = message_json(hold, T0, by_id)
    assert out["state"] == "accepted" and "commitment" not in out and "volume" not in out


def test_an_escalated_request_says_when() -> None:
    out = message_json(replace(REQUEST, escalated_at=DEADLINE + S), DEADLINE + 60 * S, by_id)
    assert out["escalated_at"] == "2025-06-01T07:00:01Z"


def test_a_counter_reply_is_pinned() -> None:
    counter = Message(
        id="m-2",
        thread="th-1",
        kind=MessageKind.REPLY,
        party="coalition",
        member="mem-2",
        created_at=T0 + 300 * S,
        in_reply_to="m-1",
        reply=ReplyKind.COUNTER,
        window=TimeWindow(T0 + timedelta(hours=3), T0 + timedelta(hours=4)),
        signed=SIGNED,
    )
    assert message_json(counter, T0 + timedelta(days=30), by_id) == {
        "id": "m-2",
        "thread": "th-1",
        "kind": "reply",
        "party": "coalition",
        "member": "mem-2",
        "created_at": "2025-06-01T06:05:00Z",
        "text": "",
        "in_reply_to": "m-1",
        "reply": "counter",
        "state": "open",  # until the requester accepts it
        "window": {"start": "2025-06-01T09:00:00Z", "end": "2025-06-01T10:00:00Z"},
        "signed": {"member": "mem-4", "statement": '{"act":"acknowledge"}', "signature": "c2ln"},
    }
    accepted = message_json(replace(counter, answer=ReplyKind.ACCEPT), T0, by_id)
    assert accepted["state"] == "accepted"


def test_a_decline_gives_its_reason() -> None:
    decline = Message(
        "m-3",
        "th-1",
        MessageKind.REPLY,
        "coalition",
        "mem-2",
        T0,
        in_reply_to="m-1",
        reply=ReplyKind.DECLINE,
        reason="area in use",
    )
    out = message_json(decline, T0, by_id)
    assert (out["reply"], out["reason"]) == ("decline", "area in use")
    assert "state" not in out and "deadline" not in out


@pytest.mark.parametrize(
    ("kind", "extra"),
    [(MessageKind.NOTE, {}), (MessageKind.WITHDRAW, {"in_reply_to": "m-1"})],
)
def test_notes_and_withdrawals_carry_no_state(kind: MessageKind, extra: dict[str, Any]) -> None:
    m = Message("m-4", "th-1", kind, "un-ocha", "mem-4", T0, text="noted", **extra)
    assert message_json(m, T0, by_id) == {
        "id": "m-4",
        "thread": "th-1",
        "kind": kind.value,
        "party": "un-ocha",
        "member": "mem-4",
        "created_at": "2025-06-01T06:00:00Z",
        "text": "noted",
        **extra,
    }


def test_another_partys_reader_sees_labels_where_members_are_named() -> None:
    keyed = replace(SIGNED, key="a2V5")
    counter = Message(
        "m-2", "th-1", MessageKind.REPLY, "coalition", "mem-2", T0, in_reply_to="m-1",
        reply=ReplyKind.COUNTER, window=TimeWindow(T0, T0 + S), signed=keyed,
    )  # fmt: skip
    out = message_json(counter, T0, by_label)
    assert out["member"] == "coalition#2" and out["party"] == "coalition"
    assert out["signed"] == {
        "member": "coalition#4",  # the signer, named the same way
        "statement": '{"act":"acknowledge"}',
        "signature": "c2ln",
        "key": "a2V5",  # what its registration is found by
    }
    thread = Thread("th-1", "s", frozenset({"coalition", "icrc"}), "icrc", "mem-7", T0, T0)
    assert thread_json(thread, by_label)["member"] == "icrc#7"
    r = Receipt("n-1", 3, "un-ocha", acknowledged_at=T0, acknowledged_by="mem-4", signed=keyed)
    assert receipt_json(r, by_label)["signed"]["member"] == "un-ocha#4"
    key = MemberKey("mem-4", "un-ocha", bytes(32), T0)
    assert key_json(key, by_label)["member"] == "un-ocha#4"
