"""Every kind of event in words: who, which asset or notice, how urgent, when, how far; never
``None``, ``vNone`` or ``?``."""

from __future__ import annotations

from typing import Any

import pytest

from deconfliction.cli.names import Names
from deconfliction.cli.sayings import say, summary
from deconfliction.domain import EventKind

AT = "2026-11-25T12:00:00Z"
NOTICE = "01a2495b-0000-7000-8000-00000000a1b2"
OTHER = "01a2495b-0001-7000-8000-0000000fc3d4"
MESSAGE = "01a2495b-0002-7000-8000-00000077e5f6"
THREAD = "01a2495b-0003-7000-8000-000000099aa0"


def names() -> Names:
    n = Names()
    n.learn_notices([{"id": NOTICE, "title": "Convoy north"}, {"id": OTHER, "title": ""}])
    n.learn_tracks([{"party": "blue", "uid": "b-1", "callsign": "BLU101"}])
    n.learn({"thread": {"id": THREAD, "subject": "Palmyra road", "parties": ["blue", "red"]}})
    return n


def event(kind: EventKind, **body: Any) -> dict[str, Any]:
    return {"seq": 7, "kind": kind.value, "at": AT, "party": "blue", **body}


def notice(**over: Any) -> dict[str, Any]:
    return {
        "id": NOTICE, "party": "blue", "kind": "movement", "title": "Convoy north",
        "protected": True, "audience": ["red"], "state": "active", "version": 2,
        "volumes": [{"time": {"start": "2026-11-25T13:00:00Z", "end": "2026-11-25T15:00:00Z"}}],
    } | over  # fmt: skip


def tactical(**over: Any) -> dict[str, Any]:
    return {
        "id": OTHER, "kind": "tactical", "status": "open", "severity": "warning",
        "mine": {"party": "blue", "track": "b-1"}, "other": {"party": "red", "track": "r-9"},
        "t_in": "2026-11-25T12:02:10Z", "cpa": "2026-11-25T12:03:00Z", "distance_m": 1200.0,
        "detected_at": AT, "redacted": False,
    } | over  # fmt: skip


CASES = [
    (
        event(EventKind.NOTICE_CREATED, notice=notice(version=1)),
        'blue declared movement (protected) "Convoy north" v1, 11-25 13:00Z to 15:00Z, '
        "shared with red",
    ),
    (
        event(EventKind.NOTICE_UPDATED, notice=notice()),
        'blue updated movement (protected) "Convoy north" to v2, 11-25 13:00Z to 15:00Z, '
        "shared with red",
    ),
    (
        event(EventKind.NOTICE_WITHDRAWN, notice=notice(state="withdrawn", title="")),
        "blue withdrew movement (protected) untitled, 00a1b2 (v2)",
    ),
    (
        event(EventKind.CONFLICT_OPENED, conflict=tactical()),
        "warning new tactical conflict with red: your BLU101 (b-1) and red's r-9, loses "
        "separation in 2 min 10 s (12:02:10Z), closest approach 1.2 km "
        "(0.6 NM) at 12:03:00Z",
    ),
    (
        event(EventKind.CONFLICT_UPDATED, conflict=tactical(t_in="2026-11-25T11:59:00Z")),
        "warning updated tactical conflict with red: your BLU101 (b-1) and red's r-9, "
        "separation lost since 11:59:00Z, closest approach 1.2 km (0.6 NM) at 12:03:00Z",
    ),
    (
        event(
            EventKind.CONFLICT_UPDATED,
            conflict=tactical(
                status="acknowledged",
                acknowledged_by=[{"party": "blue", "at": "2026-11-25T12:00:30Z",
                                  "severity": "warning", "member": "m-1"}],
            ),
        ),
        "warning updated tactical conflict with red: your BLU101 (b-1) and red's r-9, loses "
        "separation in 2 min 10 s (12:02:10Z), closest approach 1.2 km (0.6 NM) at 12:03:00Z, "
        "acknowledged by blue at 12:00:30Z",
    ),
    (
        event(EventKind.CONFLICT_CLOSED,
              conflict=tactical(status="resolved", severity="advisory", other={"party": "red"})),
        "advisory resolved tactical conflict with red: your BLU101 (b-1) and red's side (not "
        "shared with you), ended (resolved), closest approach 1.2 km (0.6 NM) at 12:03:00Z",
    ),
    (
        event(EventKind.CONFLICT_OPENED, conflict={
            "id": OTHER, "kind": "strategic", "status": "open", "severity": "caution",
            "mine": {"party": "blue", "notice": NOTICE, "volume": 0, "version": 2},
            "other": {"party": "red"}, "redacted": True,
            "window": {"start": "2026-11-25T13:00:00Z", "end": "2026-11-25T14:00:00Z"},
        }),
        'caution new strategic conflict with red: your "Convoy north" and red\'s side (not '
        "shared with you), 11-25 13:00Z to 14:00Z",
    ),
    (
        event(EventKind.CONFLICT_OPENED, conflict={
            "id": OTHER, "kind": "intrusion", "status": "open", "severity": "caution",
            "mine": {"party": "blue", "notice": NOTICE, "volume": 0},
            "other": {"party": "red", "track": "r-9"}, "t_in": "2026-11-25T12:00:40Z",
            "distance_m": 2500.0, "detail": "predicted to enter the volume in 40 s",
        }),
        'caution new intrusion conflict with red: your "Convoy north" and red\'s r-9, in 40 s '
        "(12:00:40Z), 2.5 km (1.3 NM) away now, predicted to enter the volume in 40 s",
    ),
    (   # a deviation of one's own convoy: no other side at all
        event(EventKind.CONFLICT_OPENED, conflict={
            "id": OTHER, "kind": "deviation", "status": "open", "severity": "advisory",
            "mine": {"party": "blue", "notice": NOTICE, "track": "b-1"},
            "t_in": AT, "distance_m": 1300.0, "reason": "off-corridor",
            "detail": "1,300 m outside its corridor (tolerance 500 m)",
        }),
        "advisory new deviation conflict: your BLU101 (b-1) off its corridor, since 12:00:00Z, "
        "1,300 m outside its corridor (tolerance 500 m)",
    ),
    (   # told to the movement's audience: the convoy is another party's
        event(EventKind.CONFLICT_OPENED, conflict={
            "id": OTHER, "kind": "deviation", "status": "open", "severity": "advisory",
            "other": {"party": "un-ocha", "notice": NOTICE, "track": "truck-3"},
            "t_in": AT, "reason": "stopped", "detail": "stopped for 12 min",
        }),
        "advisory new deviation conflict: un-ocha's truck-3 stopped, since 12:00:00Z, "
        "stopped for 12 min",
    ),
    (
        event(EventKind.THREAD_OPENED,
              thread={"id": THREAD, "subject": "Palmyra road", "party": "blue",
                      "parties": ["blue", "red"]}),
        'blue opened thread "Palmyra road" with red',
    ),
    (
        event(EventKind.MESSAGE_SENT, message={
            "kind": "request", "request": "vacate", "party": "blue", "to": "red",
            "deadline": "2026-11-25T13:00:00Z", "text": "clear the valley"}),
        'blue: request vacate to red, answer by 2026-11-25 13:00:00Z: "clear the valley"',
    ),
    (
        event(EventKind.MESSAGE_SENT,
              message={"kind": "reply", "reply": "decline", "party": "red",
                       "reason": "convoy inbound"}),
        "red: reply decline (convoy inbound)",
    ),
    (
        event(EventKind.MESSAGE_SENT,
              message={"kind": "withdraw", "party": "red", "in_reply_to": MESSAGE}),
        "red: withdraw the commitment of request 77e5f6",
    ),
    (
        event(EventKind.RECEIPT_RECORDED, receipts=[
            {"party": "aid", "notice": NOTICE, "version": 1, "acknowledged_at": None},
            {"party": "red", "notice": NOTICE, "version": 1, "acknowledged_at": AT}]),
        'aid received and red acknowledged "Convoy north" v1',
    ),
    (   # receipts of a message: no notice, no version
        event(EventKind.RECEIPT_RECORDED, receipts=[
            {"party": "red", "message": MESSAGE, "thread": THREAD, "acknowledged_at": AT,
             "signed": {"member": "m"}}]),
        'red acknowledged (signed) message 77e5f6 on "Palmyra road"',
    ),
    (
        event(EventKind.ESCALATION_RAISED, escalation={
            "about": "acknowledgement", "party": "aid", "notice": NOTICE, "title": "Hospital",
            "version": 2, "missing": ["red"], "due": "2026-11-25T13:00:00Z"}),
        'aid: "Hospital" v2 not acknowledged by red, due 2026-11-25 13:00:00Z',
    ),
    (
        event(EventKind.ESCALATION_RAISED, escalation={
            "about": "request", "message": MESSAGE, "thread": THREAD, "from": "blue",
            "to": "red", "deadline": "2026-11-25T13:00:00Z"}),
        "request 77e5f6 from blue to red unanswered, due 2026-11-25 13:00:00Z",
    ),
    (
        event(EventKind.KEY_REGISTERED, key={
            "party": "red", "member": "01a2495b-0004-7000-8000-0000000c0ffe"}),
        "red registered a signing key for member 0c0ffe",
    ),
    (   # another party's: the label of that key alone names no one, so it is not shown
        event(EventKind.KEY_REGISTERED, key={"party": "red", "member": "red#0w2mzz"}),
        "red registered a signing key",
    ),
    (   # to the probed notice's party: which notice
        event(EventKind.PROBING_SUSPECTED, probing={
            "party": "red", "notice": NOTICE, "owner": "blue", "opens": 4,
            "since": "2026-11-24T12:00:00Z"}),
        'probing suspected: red opened 4 conflicts with your "Convoy north" since '
        "2026-11-24 12:00:00Z",
    ),
    (   # to the host: who and whom, no notice
        event(EventKind.PROBING_SUSPECTED, probing={
            "party": "red", "owner": "blue", "opens": 5, "since": "2026-11-24T12:00:00Z"}),
        "probing suspected: red opened 5 conflicts with a notice of blue it may not see since "
        "2026-11-24 12:00:00Z",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("event", "line"), CASES, ids=[c[0]["kind"] for c in CASES])
def test_each_event_reads_as_a_sentence(event: dict[str, Any], line: str) -> None:
    said = summary(event, names())
    assert said == line
    for word in ("None", "vNone", "?"):
        assert word not in said.split() and f" {word}" not in said


def test_every_event_kind_has_a_case() -> None:
    assert {c[0]["kind"] for c in CASES} == {k.value for k in EventKind}


def test_severity_is_coloured() -> None:
    spans = say(event(EventKind.CONFLICT_OPENED, conflict=tactical()), names()).spans
    assert spans[0].style == "bold red" and (spans[0].start, spans[0].end) == (0, 7)


def test_an_event_of_a_kind_not_yet_known_shows_its_body() -> None:
    assert summary({"seq": 9, "kind": "x.y", "odd": [1]}) == '{"odd":[1]}'
