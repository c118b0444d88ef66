"""Receipts: delivered on fetch and push, acknowledged on request, escalated when missing.

The seed's failure, made checkable: a protected site notified to every party, one party never
acknowledges it, and at the deadline the line tells the notifying party, the silent party and
the host — with an injected clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deconfliction.service.duties import deadline_duties
from tests.api.conftest import Api, Clock, make_api, notice, square
from tests.conftest import STORE_KINDS, MakeStore
from tests.waiting import delivered


@pytest.fixture(params=STORE_KINDS)
def clocked(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[tuple[Api, Clock]]:
    clock = Clock()
    made = make_api(make_store(request.param), clock=clock)
    with made.client:
        yield made, clock


def receipts(api: Api, who: str, notice_id: str) -> dict[str, Any]:
    r = api.get(who, f"/v1/notices/{notice_id}/receipts")
    assert r.status_code == 200, r.text
    return dict(r.json())


def ack(api: Api, who: str, notice_id: str, **body: Any) -> Any:
    return api.client.post(
        f"/v1/notices/{notice_id}/ack", json=body or None, headers=api.headers(who)
    )


def hospital(**extra: Any) -> dict[str, Any]:
    body = notice(square(40.1, 35.3, 0.01), audience="all", kind="site")
    return {**body, "title": "Field hospital", "protected": True, **extra}


def test_delivered_on_fetch_and_acknowledged_on_request(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    made = api.post("aid", hospital()).json()["notice"]
    clock.advance(60)
    assert api.get("red", f"/v1/notices/{made['id']}").status_code == 200
    delivered(api.line, "red", [made["id"]])
    [red] = receipts(api, "red", made["id"])["receipts"]
    assert red == {
        "notice": made["id"],
        "version": 1,
        "party": "red",
        "delivered_at": "2026-11-25T12:01:00Z",
        "acknowledged_at": None,
    }
    clock.advance(60)
    acked = ack(api, "red", made["id"])
    assert acked.status_code == 200 and acked.json()["acknowledged_at"] == "2026-11-25T12:02:00Z"
    assert ack(api, "red", made["id"]).json()["acknowledged_at"] == "2026-11-25T12:02:00Z"
    # the notifying party sees every party; the others only their own
    own = receipts(api, "aid", made["id"])
    assert [(r["party"], r["acknowledged_at"] is not None) for r in own["receipts"]] == [
        ("red", True)
    ]
    [due] = own["due"]
    assert due["missing"] == ["blue"] and due["due"] == "2026-11-25T13:00:00Z"
    assert receipts(api, "blue", made["id"])["receipts"] == []
    # an audience party is told its own deadline, and whether it still owes it
    [blue_due] = receipts(api, "blue", made["id"])["due"]
    assert blue_due["missing"] == ["blue"] and blue_due["due"] == "2026-11-25T13:00:00Z"
    assert [d["missing"] for d in receipts(api, "red", made["id"])["due"]] == [[]]


def test_pushed_events_count_as_delivered(clocked: tuple[Api, Clock]) -> None:
    api, _ = clocked
    made = api.post("aid", hospital()).json()["notice"]
    assert api.get("blue", "/v1/events").status_code == 200
    delivered(api.line, "blue", [made["id"]])
    assert [r["party"] for r in receipts(api, "aid", made["id"])["receipts"]] == ["blue"]
    told = api.get("aid", "/v1/events", kinds="receipt.recorded").json()["events"]
    assert [[(r["party"], r["version"]) for r in e["receipts"]] for e in told] == [[("blue", 1)]]
    # the receipt event reaches the notice's party only (blue knows it has it)
    for who in ("red", "blue"):
        assert api.get(who, "/v1/events", kinds="receipt.recorded").json()["events"] == []


def test_missing_acknowledgement_escalates_once_at_the_deadline(
    clocked: tuple[Api, Clock],
) -> None:
    api, clock = clocked
    made = api.post("aid", hospital()).json()["notice"]
    ack(api, "blue", made["id"])
    clock.advance(59 * 60)
    assert deadline_duties(api.line) == 0
    clock.advance(60)
    assert deadline_duties(api.line) == 1
    assert deadline_duties(api.line) == 0  # once
    for who in ("aid", "red", "admin"):
        [e] = api.get(who, "/v1/events", kinds="escalation.raised").json()["events"]
        assert e["escalation"]["missing"] == ["red"]  # the host is told, not asked
        assert e["escalation"]["notice"] == made["id"] and e["escalation"]["version"] == 1
    assert api.get("blue", "/v1/events", kinds="escalation.raised").json()["events"] == []


def test_a_new_version_needs_its_own_acknowledgement(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    made = api.post("aid", hospital(audience=["red"])).json()["notice"]
    ack(api, "red", made["id"])
    changed = api.client.put(
        f"/v1/notices/{made['id']}",
        json=hospital(audience=["red"], title="Field hospital, moved"),
        headers=api.headers("aid", **{"If-Match": '"1"'}),
    )
    assert changed.status_code == 200, changed.text
    clock.advance(3601)
    assert deadline_duties(api.line) == 1  # version 2 was never acknowledged
    assert ack(api, "red", made["id"], version=1).json()["version"] == 1


def test_ack_by_on_any_notice_and_its_limits(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    body = notice(square(40.0, 35.0), audience=["blue"])
    made = api.post("red", {**body, "ack_by": "2026-11-25T12:10:00Z"}).json()["notice"]
    clock.advance(601)
    assert deadline_duties(api.line) == 1
    too_far = api.post("red", {**body, "ack_by": "2027-11-25T12:00:00Z"})
    assert too_far.status_code == 422 and too_far.json()["pointer"] == "/ack_by"
    past = api.post("red", {**body, "ack_by": "2026-11-25T11:00:00Z"})
    assert past.status_code == 422
    assert ack(api, "red", made["id"]).status_code == 409  # its own notice
    assert ack(api, "aid", made["id"]).status_code == 404  # not shared with aid
    assert ack(api, "blue", made["id"], version=9).json()["pointer"] == "/version"
    assert ack(api, "admin", made["id"]).status_code == 403
