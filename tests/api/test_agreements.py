"""The seed's exchange end to end: A asks B to vacate, B accepts, B's aircraft later heads in.

An accepted vacate is an agreement the line enforces: the running detector reports B's track
predicted to enter the area as a breach, to both parties, until the agreement is withdrawn.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.conftest import NOW, Api, Clock
from tests.api.test_conversation import answer, events, open_thread, send, talk
from tests.api.test_scan import conflicts, scan
from tests.api.test_tracks import report, z
from tests.api.test_tracks import send as send_tracks

__all__ = ["talk"]  # the fixture, over both databases

AREA = {
    "footprint": {"type": "Point", "coordinates": [40.3, 35.0]},
    "radius_m": 5000,
    "time": {"start": z(NOW), "end": z(NOW + timedelta(hours=2))},
}


def agreed(api: Api, reply: str = "accept", **extra: Any) -> tuple[str, str]:
    thread = open_thread(api, "blue", ["red"]).json()["id"]
    request = send(
        api,
        "blue",
        thread,
        {
            "kind": "request",
            "request": "vacate",
            "to": "red",
            "volume": AREA,
            "deadline": z(NOW + timedelta(minutes=30)),
            "text": "Pull your aircraft from this area for two hours.",
        },
    ).json()["id"]
    r = send(api, "red", thread, answer(request, reply, **extra))
    assert r.status_code == 201, r.text
    return thread, request


def red_heads_east(api: Api, clock: Clock) -> None:
    """Red's jet 27 km west of the area, eastbound at 200 m/s: inside in about 112 s."""
    jet = report("r1", lat=35.0, lon=40.0, trk_deg=90.0, gs_mps=200.0, time=z(clock.now))
    assert send_tracks(api, "red", [jet]).status_code == 200


def breaches(api: Api, who: str) -> list[dict[str, Any]]:
    return [c for c in conflicts(api, who, "intrusion") if c.get("reason") == "breach"]


def test_vacate_accepted_then_entered_is_a_breach_told_to_both(talk: tuple[Api, Clock]) -> None:
    api, clock = talk
    thread, request = agreed(api)
    red_heads_east(api, clock)
    assert scan(api)["intrusion"] == 1
    [to_red] = breaches(api, "red")
    [to_blue] = breaches(api, "blue")
    assert to_red["id"] == to_blue["id"] and to_red["agreement"] == request
    assert to_red["mine"] == {"party": "red", "track": "r1"}
    assert to_blue["mine"] == {"party": "blue"} and to_blue["other"]["party"] == "red"
    # 27.3 km to the circle's centre less its 5 km radius, at 200 m/s
    assert z(NOW + timedelta(seconds=108)) <= to_red["t_in"] <= z(NOW + timedelta(seconds=115))
    assert "agreed with blue to vacate" in to_red["detail"]
    assert breaches(api, "aid") == []
    # the thread shows the agreement in force; withdrawing it is a message on the thread
    [req] = [m for m in api.get("red", f"/v1/threads/{thread}").json()["messages"]
             if m["id"] == request]  # fmt: skip
    assert req["commitment"] == "in force"
    withdrawn = send(api, "blue", thread, {"kind": "withdraw", "in_reply_to": request})
    assert withdrawn.status_code == 201, withdrawn.text
    again = send(api, "red", thread, {"kind": "withdraw", "in_reply_to": request})
    assert again.status_code == 409
    clock.advance(5)
    red_heads_east(api, clock)
    assert scan(api)["closed"] == 1
    assert [c["status"] for c in breaches(api, "blue")] == ["resolved"]


def test_declined_or_countered_requests_commit_nobody(talk: tuple[Api, Clock]) -> None:
    api, clock = talk
    agreed(api, "decline", reason="We have a medevac flight inbound.")
    red_heads_east(api, clock)
    assert scan(api)["intrusion"] == 0


def test_only_an_accepted_area_request_can_be_withdrawn(talk: tuple[Api, Clock]) -> None:
    api, _ = talk
    thread, request = agreed(api, "decline", reason="No.")
    r = send(api, "blue", thread, {"kind": "withdraw", "in_reply_to": request})
    assert r.status_code == 422 and r.json()["pointer"] == "/in_reply_to"
    r = send(api, "blue", thread, {"kind": "withdraw"})
    assert r.status_code == 422 and r.json()["pointer"] == "/in_reply_to"


def test_a_notice_declared_inside_an_agreed_area_is_a_breach(talk: tuple[Api, Clock]) -> None:
    api, _ = talk
    thread, request = agreed(api)
    inside = {
        "footprint": {"type": "Point", "coordinates": [40.31, 35.0]},
        "radius_m": 1000,
        "time": {"start": z(NOW + timedelta(hours=1)), "end": z(NOW + timedelta(hours=3))},
    }
    elsewhere = {**inside, "footprint": {"type": "Point", "coordinates": [42.0, 35.0]}}
    later = {
        **inside,
        "time": {"start": z(NOW + timedelta(hours=3)), "end": z(NOW + timedelta(hours=4))},
    }
    made = api.post("red", {"kind": "operation", "audience": [], "volumes": [inside]}).json()
    # the answer to the call that declared it names the breach, not the next scan
    [answered] = made["conflicts"]
    assert (answered["kind"], answered["reason"]) == ("strategic", "breach")
    assert answered["severity"] == "caution"  # an agreement is broken
    other = api.post("red", {"kind": "operation", "audience": [], "volumes": [elsewhere, later]})
    assert other.json()["conflicts"] == []
    assert scan(api)["opened"] == 0  # the scan finds the same breach, already open
    [to_red] = [c for c in conflicts(api, "red", "strategic") if c.get("reason") == "breach"]
    [to_blue] = [c for c in conflicts(api, "blue", "strategic") if c.get("reason") == "breach"]
    assert to_red["id"] == to_blue["id"] == answered["id"] and to_blue["agreement"] == request
    # a filter on strategic conflicts finds it too, though the running detector keeps it
    strategic = api.get("blue", "/v1/conflicts", kind="strategic").json()["conflicts"]
    assert [c["id"] for c in strategic] == [answered["id"]]
    assert to_red["mine"] == {"party": "red", "notice": made["notice"]["id"], "volume": 0}
    assert to_blue["other"] == {"party": "red"} and to_blue["redacted"] is True  # red's notice
    assert to_red["t_in"] == z(NOW + timedelta(hours=1))
    assert scan(api)["opened"] == 0  # the same breach, still one conflict
    send(api, "blue", thread, {"kind": "withdraw", "in_reply_to": request})
    assert scan(api)["closed"] == 1


# -- a counter the requester accepts ------------------------------------------------------------

ELSEWHERE = {**AREA, "footprint": {"type": "Point", "coordinates": [41.0, 35.0]}}


def countered(api: Api, **terms: Any) -> tuple[str, str, str]:
    """Blue asks red to vacate AREA; red counters with ``terms``; blue accepts the counter."""
    thread, request = agreed(api, "counter", reason="We use that valley.", **terms)
    [counter] = [m for m in messages(api, "blue", thread) if m.get("in_reply_to") == request]
    assert counter["state"] == "open"
    r = send(api, "blue", thread, answer(counter["id"]))
    assert r.status_code == 201, r.text
    assert r.json()["in_reply_to"] == counter["id"] and r.json()["reply"] == "accept"
    return thread, request, counter["id"]


def messages(api: Api, who: str, thread: str) -> list[dict[str, Any]]:
    return list(api.get(who, f"/v1/threads/{thread}").json()["messages"])


def jet(api: Api, clock: Clock, uid: str, lon: float) -> None:
    """Red's jet at ``lon``, eastbound at 200 m/s."""
    r = report(uid, lat=35.0, lon=lon, trk_deg=90.0, gs_mps=200.0, time=z(clock.now))
    assert send_tracks(api, "red", [r]).status_code == 200


def test_an_accepted_counter_is_the_agreement_on_its_terms(talk: tuple[Api, Clock]) -> None:
    api, clock = talk
    thread, request, counter = countered(api, volume=ELSEWHERE)
    req, cnt, acc = messages(api, "red", thread)
    assert (req["id"], req["state"], req["commitment"]) == (request, "accepted", "in force")
    assert (cnt["id"], cnt["reply"], cnt["state"]) == (counter, "counter", "accepted")
    assert (acc["party"], acc["in_reply_to"]) == ("blue", counter)
    # the acceptance is a message like any other, told to both and in the record
    for who in ("red", "blue"):
        told = [e["message"] for e in events(api, who) if e["kind"] == "message.sent"]
        assert told[-1]["id"] == acc["id"]
    # heading into the area first asked for is no breach; into the counter's area it is
    jet(api, clock, "r1", 40.0)
    assert scan(api)["intrusion"] == 0
    jet(api, clock, "r2", 40.7)
    assert scan(api)["intrusion"] == 1
    [breach] = breaches(api, "blue")
    assert breach["agreement"] == request and breach["other"] == {"party": "red"}
    [to_red] = breaches(api, "red")
    assert to_red["mine"] == {"party": "red", "track": "r2"}
    # withdrawn as any agreement: naming the request
    r = send(api, "red", thread, {"kind": "withdraw", "in_reply_to": counter})
    assert r.status_code == 422 and request in r.json()["message"]
    assert send(api, "red", thread, {"kind": "withdraw", "in_reply_to": request}).status_code == 201


def test_a_countered_window_is_the_agreed_window(talk: tuple[Api, Clock]) -> None:
    api, clock = talk
    later = {"start": z(NOW + timedelta(hours=3)), "end": z(NOW + timedelta(hours=5))}
    countered(api, window=later)
    jet(api, clock, "r1", 40.0)
    assert scan(api)["intrusion"] == 0  # the area as asked, but not before 15:00Z
    clock.advance(3 * 3600)
    jet(api, clock, "r1", 40.0)
    assert scan(api)["intrusion"] == 1


def test_only_the_requester_accepts_a_counter_once(talk: tuple[Api, Clock]) -> None:
    api, clock = talk
    thread, request = agreed(api, "counter", volume=ELSEWHERE)
    [_, counter] = messages(api, "blue", thread)

    def refused(who: str, body: dict[str, Any], status: int, pointer: str) -> None:
        r = send(api, who, thread, body)
        assert (r.status_code, r.json()["pointer"]) == (status, pointer), r.text

    refused("red", answer(counter["id"]), 422, "/in_reply_to")  # red's own counter
    refused("blue", answer(counter["id"], "decline", reason="No."), 422, "/reply")
    refused("blue", answer(counter["id"], "counter", window=AREA["time"]), 422, "/reply")
    assert send(api, "blue", thread, answer(counter["id"])).status_code == 201
    refused("blue", answer(counter["id"]), 409, "/in_reply_to")
    [_, _, accepted] = messages(api, "blue", thread)
    refused("red", answer(accepted["id"]), 422, "/in_reply_to")  # an accept takes no reply
    # a counter whose terms have ended can no longer be accepted
    thread, _ = agreed(api, "counter", volume=ELSEWHERE)
    [_, counter] = messages(api, "blue", thread)
    clock.advance(3 * 3600)
    r = send(api, "blue", thread, answer(counter["id"]))
    assert (r.status_code, r.json()["pointer"]) == (409, "/in_reply_to")
    assert "ended" in r.json()["message"]
