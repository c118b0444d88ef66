"""Receipts of messages: delivered when a thread is fetched or a message pushed, acknowledged on
request, seen in full by the author's party only.

Blue asks red to vacate an area; red reads the thread (delivered), says so (acknowledged), and
blue — and only blue — is told.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Api, Clock, make_api
from tests.api.test_conversation import thread_with_request
from tests.conftest import STORE_KINDS, MakeStore
from tests.waiting import delivered


@pytest.fixture(params=STORE_KINDS)
def talk(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[tuple[Api, Clock]]:
    clock = Clock()
    made = make_api(make_store(request.param), clock=clock)
    with made.client:
        yield made, clock


def receipts(api: Api, who: str, thread: str, message: str) -> Any:
    return api.get(who, f"/v1/threads/{thread}/messages/{message}/receipts")


def ack(api: Api, who: str, thread: str, message: str) -> Any:
    return api.client.post(f"/v1/threads/{thread}/messages/{message}/ack", headers=api.headers(who))


def told(api: Api, who: str) -> list[dict[str, Any]]:
    r = api.get(who, "/v1/events", kinds="receipt.recorded")
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def test_delivered_on_fetch_and_acknowledged_on_request(talk: tuple[Api, Clock]) -> None:
    api, clock = talk
    thread, message = thread_with_request(api)
    clock.advance(60)
    assert api.get("red", f"/v1/threads/{thread}").status_code == 200
    assert api.get("blue", f"/v1/threads/{thread}").status_code == 200  # its own: no receipt
    delivered(api.line, "red", messages=[message])
    r = receipts(api, "blue", thread, message)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "message": message,
        "receipts": [
            {
                "message": message,
                "thread": thread,
                "party": "red",
                "delivered_at": "2026-11-25T12:01:00Z",
                "acknowledged_at": None,
            }
        ],
    }
    clock.advance(60)
    acked = ack(api, "red", thread, message)
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged_at"] == "2026-11-25T12:02:00Z"
    assert acked.json()["delivered_at"] == "2026-11-25T12:01:00Z"
    clock.advance(60)
    again = ack(api, "red", thread, message)
    assert again.json()["acknowledged_at"] == "2026-11-25T12:02:00Z"  # the first time stays
    [own] = receipts(api, "red", thread, message).json()["receipts"]
    assert own["acknowledged_at"] == "2026-11-25T12:02:00Z"
    # first delivery and first acknowledgement: two events, to blue only
    events = told(api, "blue")
    assert [[(r["party"], r["acknowledged_at"]) for r in e["receipts"]] for e in events] == [
        [("red", None)],
        [("red", "2026-11-25T12:02:00Z")],
    ]
    assert all(e["subject"] == message and e["party"] == "blue" for e in events)
    assert told(api, "red") == [] and told(api, "aid") == []


def test_who_may_ack_and_see(talk: tuple[Api, Clock]) -> None:
    api, _ = talk
    thread, message = thread_with_request(api)
    assert ack(api, "blue", thread, message).status_code == 409  # its own message
    assert ack(api, "aid", thread, message).status_code == 404  # not in the thread
    assert receipts(api, "aid", thread, message).status_code == 404
    assert ack(api, "red", thread, "no-such-message").status_code == 404
    other = api.client.post(
        "/v1/threads", json={"parties": ["aid"], "subject": "Elsewhere"}, headers=api.headers("red")
    ).json()["id"]
    assert ack(api, "red", other, message).status_code == 404  # not on that thread
    assert ack(api, "red", thread, message).status_code == 200
    assert [r["party"] for r in receipts(api, "blue", thread, message).json()["receipts"]] == [
        "red"
    ]


def test_pushed_messages_count_as_delivered(talk: tuple[Api, Clock]) -> None:
    api, _ = talk
    thread, message = thread_with_request(api)
    assert api.get("red", "/v1/events").status_code == 200
    assert api.get("blue", "/v1/events").status_code == 200  # its own message
    delivered(api.line, "red", messages=[message])
    [red] = receipts(api, "blue", thread, message).json()["receipts"]
    assert red["party"] == "red" and red["delivered_at"] is not None
    assert red["acknowledged_at"] is None
    [event] = told(api, "blue")
    assert event["receipts"] == [red]
    assert told(api, "red") == []
