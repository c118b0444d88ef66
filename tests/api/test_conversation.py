"""Threads and messages: the seed's exchange, request states, deadlines, need-to-know, bad input.

Blue asks red to vacate an area; red accepts, declines (with a reason) or counters (with an
alternative); a request left unanswered escalates once at its deadline. Only a thread's parties
see it or its events.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deconfliction import service
from tests.api.conftest import Api, Clock, make_api, notice, square
from tests.conftest import STORE_KINDS, MakeStore
from tests.waiting import delivered

DEADLINE = "2026-11-25T12:30:00Z"  # the test clock starts at 12:00Z


@pytest.fixture(params=STORE_KINDS)
def talk(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[tuple[Api, Clock]]:
    clock = Clock()
    made = make_api(make_store(request.param), clock=clock)
    with made.client:
        yield made, clock


def open_thread(api: Api, who: str, parties: Any, subject: str = "Palmyra road") -> Any:
    body = {"parties": parties, "subject": subject}
    return api.client.post("/v1/threads", json=body, headers=api.headers(who))


def send(api: Api, who: str, thread: str, body: dict[str, Any]) -> Any:
    return api.client.post(f"/v1/threads/{thread}/messages", json=body, headers=api.headers(who))


def vacate(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "request",
        "request": "vacate",
        "to": "red",
        "volume": square(40.0, 35.0),
        "deadline": DEADLINE,
        "text": "Pull your aircraft from this box, 13:00-15:00Z.",
        **extra,
    }


def answer(request_id: str, reply: str = "accept", **extra: Any) -> dict[str, Any]:
    return {"kind": "reply", "in_reply_to": request_id, "reply": reply, **extra}


def thread_with_request(api: Api) -> tuple[str, str]:
    r = open_thread(api, "blue", ["red"])
    assert r.status_code == 201, r.text
    thread = r.json()["id"]
    r = send(api, "blue", thread, vacate())
    assert r.status_code == 201, r.text
    return thread, r.json()["id"]


def events(api: Api, who: str, **params: Any) -> list[dict[str, Any]]:
    r = api.get(who, "/v1/events", **params)
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def state_of(api: Api, who: str, thread: str, message: str) -> str:
    messages = api.get(who, f"/v1/threads/{thread}").json()["messages"]
    return str(next(m for m in messages if m["id"] == message)["state"])


def test_the_seeds_exchange(talk: tuple[Api, Clock]) -> None:
    api, _ = talk
    r = open_thread(api, "blue", ["red"], "Deconfliction, Deir ez-Zor")
    assert r.status_code == 201, r.text
    thread = r.json()
    assert thread["parties"] == ["blue", "red"] and thread["party"] == "blue"
    assert r.headers["location"] == f"/v1/threads/{thread['id']}"

    r = send(api, "blue", thread["id"], vacate())
    assert r.status_code == 201, r.text
    request = r.json()
    assert (request["kind"], request["request"], request["to"]) == ("request", "vacate", "red")
    assert request["state"] == "open" and request["deadline"] == DEADLINE
    assert request["thread"] == thread["id"] and request["party"] == "blue"
    assert request["volume"]["time"] == {
        "start": "2026-11-25T13:00:00Z",
        "end": "2026-11-25T15:00:00Z",
    }

    r = send(api, "red", thread["id"], answer(request["id"], text="Wilco."))
    assert r.status_code == 201, r.text
    reply = r.json()
    assert reply["reply"] == "accept" and reply["in_reply_to"] == request["id"]
    assert state_of(api, "blue", thread["id"], request["id"]) == "accepted"
    delivered(api.line, "blue", messages=[reply["id"]])  # blue has read red's reply

    again = send(api, "red", thread["id"], answer(request["id"], "decline", reason="changed"))
    assert again.status_code == 409 and again.json()["pointer"] == "/in_reply_to"

    for party in ("blue", "red"):
        opened, *got = events(api, party, kinds="thread.opened,message.sent")
        assert opened["kind"] == "thread.opened" and opened["thread"]["id"] == thread["id"]
        assert [e["kind"] for e in got] == ["message.sent", "message.sent"]
        first, second = (e["message"] for e in got)
        assert (first["id"], first["state"]) == (request["id"], "open")
        assert (second["reply"], second["in_reply_to"]) == ("accept", request["id"])
        assert all(e["message"]["thread"] == thread["id"] for e in got)
    # red, the reply's author, is told that blue has it
    [told] = events(api, "red", kinds="receipt.recorded")
    assert [(x["message"], x["party"]) for x in told["receipts"]] == [(reply["id"], "blue")]
    assert events(api, "aid") == []
    assert api.get("aid", f"/v1/threads/{thread['id']}").status_code == 404


def test_a_decline_needs_a_reason_and_a_counter_an_alternative(talk: tuple[Api, Clock]) -> None:
    api, _ = talk
    thread, first = thread_with_request(api)
    bare = send(api, "red", thread, answer(first, "decline"))
    assert bare.status_code == 422 and bare.json()["pointer"] == "/reason"
    r = send(api, "red", thread, answer(first, "decline", reason="a convoy is on that road"))
    assert r.status_code == 201, r.text
    assert state_of(api, "blue", thread, first) == "declined"

    # the requester may ask again; a counter is an answer, and needs something to propose
    second = send(api, "blue", thread, vacate()).json()["id"]
    bare = send(api, "red", thread, answer(second, "counter"))
    assert bare.status_code == 422 and bare.json()["pointer"] == "/volume"
    later = {"start": "2026-11-25T16:00:00Z", "end": "2026-11-25T18:00:00Z"}
    r = send(api, "red", thread, answer(second, "counter", window=later))
    assert r.status_code == 201, r.text
    assert r.json()["window"] == later
    assert state_of(api, "blue", thread, second) == "countered"
    assert send(api, "red", thread, answer(second)).status_code == 409

    third = send(api, "blue", thread, vacate()).json()["id"]
    elsewhere = square(40.5, 35.5, start="2026-11-25T13:00:00Z", end="2026-11-25T15:00:00Z")
    r = send(api, "red", thread, answer(third, "counter", volume=elsewhere, reason="west"))
    assert r.status_code == 201, r.text
    assert r.json()["volume"]["footprint"]["coordinates"][0][0] == [40.5, 35.5]


def test_an_unanswered_request_escalates_once_at_its_deadline(talk: tuple[Api, Clock]) -> None:
    api, clock = talk
    thread, request = thread_with_request(api)
    answered = send(api, "blue", thread, vacate()).json()["id"]
    assert send(api, "red", thread, answer(answered)).status_code == 201

    clock.advance(29 * 60)
    assert service.expire_requests(api.line) == []
    assert state_of(api, "blue", thread, request) == "open"

    clock.advance(60)  # past 12:30Z
    [escalated] = service.expire_requests(api.line)
    assert escalated.id == request and escalated.escalated_at == clock.now
    assert service.expire_requests(api.line) == []  # once

    for party in ("blue", "red"):
        raised = events(api, party, kinds="escalation.raised")
        assert [e["escalation"] for e in raised] == [
            {
                "about": "request",
                "message": request,
                "thread": thread,
                "deadline": DEADLINE,
                "from": "blue",
                "to": "red",
            }
        ]
    assert events(api, "aid") == []
    [shown] = [
        m for m in api.get("red", f"/v1/threads/{thread}").json()["messages"] if m["id"] == request
    ]
    assert shown["state"] == "expired" and shown["escalated_at"] == "2026-11-25T12:30:00Z"

    late = send(api, "red", thread, answer(request))
    assert late.status_code == 409 and late.json()["pointer"] == "/in_reply_to"
    assert DEADLINE in late.json()["message"]


def test_a_request_expires_at_its_deadline_even_before_the_check(talk: tuple[Api, Clock]) -> None:
    api, clock = talk
    thread, request = thread_with_request(api)
    clock.advance(30 * 60)  # exactly the deadline: too late to answer
    assert state_of(api, "red", thread, request) == "expired"
    assert send(api, "red", thread, answer(request)).status_code == 409


def test_only_a_threads_parties_see_it(talk: tuple[Api, Clock]) -> None:
    api, clock = talk
    thread, _ = thread_with_request(api)
    clock.advance(60)
    other = open_thread(api, "red", ["aid", "blue"], "Convoy timings").json()["id"]
    assert (
        send(api, "aid", other, {"kind": "note", "text": "Convoy leaves 06:00Z"}).status_code == 201
    )

    assert [t["id"] for t in api.get("blue", "/v1/threads").json()["threads"]] == [other, thread]
    assert [t["id"] for t in api.get("aid", "/v1/threads").json()["threads"]] == [other]
    assert [t["id"] for t in api.get("blue-observer", "/v1/threads").json()["threads"]] == [
        other,
        thread,
    ]
    assert api.get("aid", f"/v1/threads/{thread}").status_code == 404
    note = send(api, "aid", thread, {"kind": "note", "text": "hello?"})
    assert note.status_code == 404 and note.json()["pointer"] == "/id"
    assert api.get("blue", "/v1/threads/nope").status_code == 404
    # aid hears only of the thread it is in: its opening and its note
    told = events(api, "aid", kinds="message.sent")
    assert [e["message"]["text"] for e in told] == ["Convoy leaves 06:00Z"]


def test_requests_may_reference_notices_and_conflicts(talk: tuple[Api, Clock]) -> None:
    api, _ = talk
    mine = api.post("blue", notice(square(40.0, 35.0), audience=["red", "aid"])).json()
    theirs = api.post("red", notice(square(40.05, 35.05), audience="all")).json()
    [conflict] = theirs["conflicts"]
    private = api.post("aid", notice(square(50.0, 10.0), audience=[])).json()["notice"]
    thread = open_thread(api, "blue", ["red", "aid"]).json()["id"]

    body = vacate(
        notices=[mine["notice"]["id"], theirs["notice"]["id"]], conflicts=[conflict["id"]]
    )
    del body["volume"]
    r = send(api, "blue", thread, body)
    assert r.status_code == 201, r.text
    assert r.json()["notices"] == [mine["notice"]["id"], theirs["notice"]["id"]]
    assert r.json()["conflicts"] == [conflict["id"]]
    assert "volume" not in r.json()

    hold = {"kind": "request", "request": "hold", "to": "aid", "deadline": DEADLINE}
    assert send(api, "red", thread, hold).status_code == 201

    unseen = send(api, "red", thread, {**hold, "notices": [private["id"]]})
    assert unseen.status_code == 422 and unseen.json()["pointer"] == "/notices/0"
    not_aids = send(api, "aid", thread, {**hold, "to": "blue", "conflicts": ["x", conflict["id"]]})
    assert not_aids.status_code == 422 and not_aids.json()["pointer"] == "/conflicts/0"
    not_aids = send(api, "aid", thread, {**hold, "to": "blue", "conflicts": [conflict["id"]]})
    assert not_aids.status_code == 422 and not_aids.json()["pointer"] == "/conflicts/0"


def test_observers_read_but_do_not_write(talk: tuple[Api, Clock]) -> None:
    api, _ = talk
    thread, _ = thread_with_request(api)
    assert open_thread(api, "blue-observer", ["red"]).status_code == 403
    note = send(api, "blue-observer", thread, {"kind": "note", "text": "hi"})
    assert note.status_code == 403
    assert open_thread(api, "admin", ["red"]).status_code == 403
    assert len(api.get("blue-observer", f"/v1/threads/{thread}").json()["messages"]) == 1


THREAD_CASES = [
    ("unknown party", {"parties": ["red", "nobody"]}, "/parties/1"),
    ("not a slug", {"parties": ["Red Army"]}, "/parties/0"),
    ("a thousand parties", {"parties": [f"p{i}" for i in range(1000)]}, "/parties"),
    ("only your own party", {"parties": ["blue"]}, "/parties"),
    ("no parties", {"parties": []}, "/parties"),
    ("control character", {"subject": "vacate\x07now"}, "/subject"),
    ("long subject", {"subject": "x" * 201}, "/subject"),
    ("blank subject", {"subject": "  "}, "/subject"),
    ("stray field", {"colour": "red"}, "/colour"),
]


@pytest.mark.parametrize(
    ("name", "change", "pointer"), THREAD_CASES, ids=[c[0] for c in THREAD_CASES]
)
def test_bad_threads_name_the_field(
    talk: tuple[Api, Clock], name: str, change: dict[str, Any], pointer: str
) -> None:
    api, _ = talk
    body = {"parties": ["red"], "subject": "Palmyra road", **change}
    r = api.client.post("/v1/threads", json=body, headers=api.headers("blue"))
    assert r.status_code == 422, r.text
    assert r.json()["pointer"] == pointer
    assert api.get("blue", "/v1/threads").json()["threads"] == []


def _two_polygons() -> dict[str, Any]:
    a = square(40.0, 35.0)["footprint"]["coordinates"]
    b = square(41.0, 35.0)["footprint"]["coordinates"]
    return {**square(0, 0), "footprint": {"type": "MultiPolygon", "coordinates": [a, b]}}


MESSAGE_CASES: list[tuple[str, str, Any, int, str]] = [
    ("unknown kind", "blue", {"kind": "threat"}, 422, "/kind"),
    ("huge text", "blue", vacate(text="x" * 2001), 422, "/text"),
    ("control character", "blue", {"kind": "note", "text": "a\x1b[2Jb"}, 422, "/text"),
    ("empty note", "blue", {"kind": "note", "text": " "}, 422, "/text"),
    (
        "note with a deadline",
        "blue",
        {"kind": "note", "text": "hi", "deadline": DEADLINE},
        422,
        "/deadline",
    ),
    ("unknown request", "blue", vacate(request="strike"), 422, "/request"),
    ("no deadline", "blue", vacate(deadline=None), 422, "/deadline"),
    ("deadline passed", "blue", vacate(deadline="2026-11-25T11:59:00Z"), 422, "/deadline"),
    ("deadline a week away", "blue", vacate(deadline="2026-12-02T12:00:01Z"), 422, "/deadline"),
    ("deadline without zone", "blue", vacate(deadline="2026-11-25T12:30:00"), 422, "/deadline"),
    ("asking yourself", "blue", vacate(to="blue"), 422, "/to"),
    ("asking an outsider", "blue", vacate(to="aid"), 422, "/to"),
    ("vacate nowhere", "blue", vacate(volume=None), 422, "/volume"),
    ("unknown notice", "blue", vacate(notices=["nope"]), 422, "/notices/0"),
    ("too many references", "blue", vacate(conflicts=["c"] * 101), 422, "/conflicts"),
    (
        "bad latitude",
        "blue",
        vacate(volume=square(40.0, 89.99)),
        422,
        "/volume/footprint/coordinates/0/2/1",
    ),
    ("two polygons", "blue", vacate(volume=_two_polygons()), 422, "/volume/footprint"),
    (
        "volume already over",
        "blue",
        vacate(volume=square(40.0, 35.0, start="2026-11-25T10:00:00Z", end="2026-11-25T11:00:00Z")),
        422,
        "/volume/time/end",
    ),
    ("request with a reply", "blue", vacate(reply="accept"), 422, "/reply"),
    ("reply to nothing", "red", answer("nope"), 422, "/in_reply_to"),
    ("reply to your own request", "blue", answer("{request}"), 422, "/in_reply_to"),
    ("reply to a reply", "blue", answer("{reply}"), 422, "/in_reply_to"),
    ("reply to a note", "red", answer("{note}"), 422, "/in_reply_to"),
    ("accept with a reason", "red", answer("{request}", reason="fine"), 422, "/reason"),
    (
        "counter window backwards",
        "red",
        answer(
            "{request}",
            "counter",
            window={"start": "2026-11-25T16:00:00Z", "end": "2026-11-25T15:00:00Z"},
        ),
        422,
        "/window/end",
    ),
    ("unknown reply", "red", answer("{request}", "maybe"), 422, "/reply"),
]


@pytest.mark.parametrize(
    ("name", "who", "body", "status", "pointer"), MESSAGE_CASES, ids=[c[0] for c in MESSAGE_CASES]
)
def test_bad_messages_name_the_field(
    talk: tuple[Api, Clock], name: str, who: str, body: Any, status: int, pointer: str
) -> None:
    api, _ = talk
    thread, request = thread_with_request(api)
    replied = send(api, "blue", thread, vacate()).json()["id"]
    reply = send(api, "red", thread, answer(replied)).json()["id"]
    note = send(api, "blue", thread, {"kind": "note", "text": "standing by"}).json()["id"]
    ids = {"{request}": request, "{reply}": reply, "{note}": note}
    if body.get("in_reply_to") in ids:
        body = {**body, "in_reply_to": ids[body["in_reply_to"]]}
    body = {k: v for k, v in body.items() if v is not None}
    before = len(events(api, "blue"))
    r = send(api, who, thread, body)
    assert r.status_code == status, r.text
    assert r.json()["pointer"] == pointer, r.json()
    assert len(events(api, "blue")) == before
