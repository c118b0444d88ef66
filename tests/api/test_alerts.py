"""What a duty officer sees of conflicts: alert levels, quiet events, stable strategic conflicts
and acknowledgements, over HTTP with a test clock."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from deconfliction import service
from deconfliction.service.record import advance
from tests.api.conftest import NOW, Api, Clock, notice, square
from tests.api.test_scan import bus, conflicts, line, movement, scan
from tests.api.test_tracks import report, send, z

__all__ = ["line"]  # the fixture, over both databases

KINDS = "conflict.opened,conflict.updated,conflict.closed"


def head_on(api: Api, clock: Clock, blue_audience: Any = None, **red: Any) -> None:
    """The head-on pair of ``tests.api.test_scan``, reports good for five minutes: dead reckoned,
    they close by themselves with no report sent again. Blue shares its jet with nobody unless
    ``blue_audience`` says otherwise; red with all."""
    at = z(clock.now)
    east = {"lat": 35.0, "lon": 40.0, "trk_deg": 90.0, "gs_mps": 200.0, "time": at}
    if blue_audience is not None:
        east["audience"] = blue_audience
    send(api, "blue", [report("b1", stale_s=300, **east)])
    west = {"lat": 35.0, "lon": 40.5, "trk_deg": 270.0, "gs_mps": 200.0, "time": at, **red}
    send(api, "red", [report("r1", stale_s=300, audience="all", **west)])


def told(api: Api, who: str) -> list[dict[str, Any]]:
    """The conflict events ``who`` received, oldest first."""
    return list(api.get(who, "/v1/events", kinds=KINDS).json()["events"])


def since(api: Api, who: str, at: str) -> list[dict[str, Any]]:
    return list(api.get(who, "/v1/conflicts", since=at).json()["conflicts"])


def story(api: Api, who: str) -> Counter[str]:
    return Counter(e["kind"] for e in told(api, who))


# -- tracks: graded, and told again only on a material change ---------------------------------


def test_head_on_tracks_reported_once_are_told_once_until_their_level_changes(
    line: tuple[Api, Clock],
) -> None:
    api, clock = line
    head_on(api, clock)  # separation lost in ~91 s: caution
    for _ in range(40):  # scanned every 0.5 s for 20 s
        scan(api)
        clock.advance(0.5)
    assert story(api, "blue") == {"conflict.opened": 1}
    [c] = conflicts(api, "blue", "tactical")
    assert c["severity"] == "caution"
    clock.advance(15)  # 56 s to go: warning, told once
    scan(api)
    scan(api)
    assert story(api, "blue") == {"conflict.opened": 1, "conflict.updated": 1}
    [c] = conflicts(api, "blue", "tactical")
    assert c["severity"] == "warning" and c["updated_at"] == z(clock.now)
    assert told(api, "red")[-1]["conflict"]["severity"] == "warning"


def test_tracks_drawing_apart_after_their_closest_approach_are_not_news(
    line: tuple[Api, Clock],
) -> None:
    api, clock = line
    head_on(api, clock)
    scan(api)
    [first] = conflicts(api, "blue", "tactical")
    clock.advance(100)  # separation lost at ~91 s: a warning
    scan(api)
    [lost] = conflicts(api, "blue", "tactical")
    while clock.now < NOW + timedelta(seconds=136):  # through the closest approach at ~114 s
        clock.advance(0.5)
        scan(api)
    assert story(api, "blue") == {"conflict.opened": 1, "conflict.updated": 1}
    [passed] = conflicts(api, "blue", "tactical")
    assert (passed["cpa"], passed["distance_m"]) == (lost["cpa"], lost["distance_m"])
    clock.advance(5)  # 9.3 km apart again at ~137 s: separation regained
    scan(api)
    assert story(api, "blue") == {"conflict.opened": 1, "conflict.updated": 1, "conflict.closed": 1}
    assert first["id"] == conflicts(api, "blue", "tactical")[0]["id"]


def test_far_off_tracks_are_an_advisory(line: tuple[Api, Clock]) -> None:
    api, clock = line
    head_on(api, clock, lon=40.9)  # 82 km apart closing at 400 m/s: ~182 s to go
    scan(api)
    [c] = conflicts(api, "blue", "tactical")
    assert c["severity"] == "advisory"


def test_a_stopped_convoy_is_told_once_until_it_moves(line: tuple[Api, Clock]) -> None:
    api, clock = line
    move = movement(api)
    bus(api, clock, move, gs_mps=0.0)
    clock.advance(31 * 60)
    for _ in range(11):  # reported and scanned every minute for ten minutes
        bus(api, clock, move, gs_mps=0.0)
        scan(api)
        clock.advance(60)
    events = told(api, "aid")
    assert [(e["kind"], e["conflict"]["reason"]) for e in events] == [
        ("conflict.opened", "stopped")
    ]
    assert events[0]["conflict"]["severity"] == "warning"  # the movement is protected
    assert events[0]["conflict"]["detail"] == "stopped since 12:00Z"
    bus(api, clock, move, gs_mps=8.0)  # moving again
    scan(api)
    assert [e["kind"] for e in told(api, "aid")] == ["conflict.opened", "conflict.closed"]


# -- strategic: graded, kept through a notice's change, raised as the overlap nears ----------


def test_strategic_levels(line: tuple[Api, Clock]) -> None:
    api, _ = line
    far = {"start": "2026-11-25T15:00:00Z", "end": "2026-11-25T17:00:00Z"}  # 3 h away
    api.post("red", notice(square(40.0, 35.0, **far)))
    [later] = api.post("blue", notice(square(40.05, 35.05, **far))).json()["conflicts"]
    assert later["severity"] == "advisory"
    soon = {"start": "2026-11-25T12:30:00Z", "end": "2026-11-25T13:30:00Z"}
    api.post("red", notice(square(42.0, 35.0, **soon)))
    [near] = api.post("blue", notice(square(42.05, 35.05, **soon))).json()["conflicts"]
    assert near["severity"] == "caution"  # the overlap starts within the hour
    hospital = {**notice(square(44.0, 35.0, **far), kind="site"), "protected": True}
    api.post("aid", hospital)
    [guarded] = api.post("blue", notice(square(44.05, 35.05, **far))).json()["conflicts"]
    assert guarded["severity"] == "caution"  # a protected notice is involved


def test_an_advisory_rises_to_caution_as_its_overlap_nears(line: tuple[Api, Clock]) -> None:
    api, clock = line
    far = {"start": "2026-11-25T15:00:00Z", "end": "2026-11-25T17:00:00Z"}
    api.post("red", notice(square(40.0, 35.0, **far)))
    [c] = api.post("blue", notice(square(40.05, 35.05, **far))).json()["conflicts"]
    clock.advance(2 * 3600 - 1)  # 1 h and 1 s before the overlap: still advisory
    assert service.deadline_duties(api.line) == 0
    clock.advance(1)
    assert service.deadline_duties(api.line) == 1
    assert service.deadline_duties(api.line) == 0  # raised once
    [raised] = conflicts(api, "red", "strategic")
    assert (raised["id"], raised["severity"]) == (c["id"], "caution")
    assert [e["kind"] for e in told(api, "red")] == ["conflict.opened", "conflict.updated"]
    # a client catching up since a moment ago finds it changed; since later, nothing changed
    just_before, after = z(clock.now - timedelta(seconds=1)), z(clock.now + timedelta(seconds=1))
    assert [x["id"] for x in since(api, "blue", just_before)] == [c["id"]]
    assert since(api, "blue", after) == []
    clock.advance(60)
    ack(api, "blue", c["id"])  # an acknowledgement is a change too
    assert [x["id"] for x in since(api, "red", z(clock.now))] == [c["id"]]


def test_a_changed_notice_keeps_the_conflicts_of_pairs_still_in_conflict(
    line: tuple[Api, Clock],
) -> None:
    api, _ = line
    api.post("red", notice(square(40.0, 35.0)))
    made = api.post("blue", notice(square(40.05, 35.05), square(45.0, 35.0))).json()
    [first] = made["conflicts"]
    blue_id = made["notice"]["id"]

    def put(*volumes: dict[str, Any], version: int) -> Any:
        r = api.client.put(
            f"/v1/notices/{blue_id}",
            json=notice(*volumes),
            headers=api.headers("blue", **{"If-Match": f'"{version}"'}),
        )
        assert r.status_code == 200, r.text
        return r.json()

    # the title and the far volume change; the pair that conflicts does not
    changed = put(square(40.05, 35.05), square(46.0, 35.0), version=1)
    [same] = changed["conflicts"]
    assert same["id"] == first["id"] and same["status"] == "open"
    assert same["mine"]["version"] == 2
    [c] = conflicts(api, "red", "strategic")
    assert (c["id"], c["other"]["version"], c["status"]) == (first["id"], 2, "open")
    assert [e["kind"] for e in told(api, "red")] == ["conflict.opened", "conflict.updated"]
    # acknowledged, then the pair's window changes: the conflict is the pair's, asked again
    assert ack(api, "red", first["id"]).json()["status"] == "acknowledged"
    later = {"start": "2026-11-25T14:00:00Z", "end": "2026-11-25T16:00:00Z"}
    [moved] = put(square(40.05, 35.05, **later), version=2)["conflicts"]
    assert moved["id"] == first["id"] and moved["acknowledged_by"] == []
    assert conflicts(api, "red", "strategic")[0]["status"] == "open"
    # moved away: resolved, the same conflict
    put(square(48.0, 35.0), version=3)
    [c] = conflicts(api, "red", "strategic")
    assert (c["id"], c["status"]) == (first["id"], "resolved")


# -- acknowledgement --------------------------------------------------------------------------


def ack(api: Api, who: str, conflict_id: str) -> Any:
    return api.client.post(f"/v1/conflicts/{conflict_id}/ack", headers=api.headers(who))


def test_a_party_acknowledges_a_conflict_for_itself(line: tuple[Api, Clock]) -> None:
    api, clock = line
    head_on(api, clock)
    scan(api)
    [c] = conflicts(api, "blue", "tactical")
    r = ack(api, "blue", c["id"])
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["status"] == "acknowledged"
    [by] = shown["acknowledged_by"]
    assert by["party"] == "blue" and by["at"] == z(clock.now) and by["severity"] == "caution"
    assert by["member"]  # its own member, for blue
    # red sees that blue acknowledged, not who; the conflict is still open for red
    [for_red] = conflicts(api, "red", "tactical")
    assert for_red["status"] == "open"
    assert for_red["acknowledged_by"] == [
        {"party": "blue", "at": z(clock.now), "severity": "caution"}
    ]
    # one event, to both; acknowledging again changes nothing
    assert story(api, "red") == {"conflict.opened": 1, "conflict.updated": 1}
    assert ack(api, "blue", c["id"]).json()["status"] == "acknowledged"
    assert story(api, "red") == {"conflict.opened": 1, "conflict.updated": 1}
    assert told(api, "red")[-1]["conflict"]["acknowledged_by"][0]["party"] == "blue"


def test_the_record_names_no_member_of_another_party(line: tuple[Api, Clock]) -> None:
    api, clock = line
    head_on(api, clock, blue_audience="all")
    scan(api)
    [c] = conflicts(api, "red", "tactical")
    assert c["redacted"] is False  # each shares its track with all: red reads blue's side
    blue_member = ack(api, "blue", c["id"]).json()["acknowledged_by"][0]["member"]
    advance(api.line)  # the record takes in the events so far
    entries = api.get("red", "/v1/record/entries", start=1).json()["entries"]
    assert any("acks" in str(e) for e in entries)  # red reads the acknowledgement in clear
    assert blue_member not in str(entries)


def test_an_escalation_reopens_an_acknowledged_conflict(line: tuple[Api, Clock]) -> None:
    api, clock = line
    head_on(api, clock)
    scan(api)
    [c] = conflicts(api, "blue", "tactical")
    ack(api, "blue", c["id"])
    clock.advance(40)  # now within a minute: warning
    scan(api)
    [now] = conflicts(api, "blue", "tactical")
    assert (now["severity"], now["status"]) == ("warning", "open")
    assert ack(api, "blue", c["id"]).json()["status"] == "acknowledged"


def test_a_retold_conflict_still_says_who_acknowledged_it(line: tuple[Api, Clock]) -> None:
    api, clock = line
    head_on(api, clock)
    scan(api)
    [c] = conflicts(api, "blue", "tactical")
    ack(api, "red", c["id"])
    clock.advance(40)  # a warning now: retold
    scan(api)
    retold = told(api, "blue")[-1]["conflict"]
    assert retold["severity"] == "warning"
    assert [a["party"] for a in retold["acknowledged_by"]] == ["red"]


def test_an_encounter_back_after_it_ended_is_acknowledged_anew(line: tuple[Api, Clock]) -> None:
    api, clock = line
    head_on(api, clock)
    scan(api)
    [c] = conflicts(api, "blue", "tactical")
    ack(api, "blue", c["id"])
    clock.advance(5)
    head_on(api, clock, trk_deg=0.0)  # red turns away: resolved
    scan(api)
    clock.advance(5)
    head_on(api, clock)  # and back within two minutes: the same conflict, open again
    scan(api)
    [back] = conflicts(api, "blue", "tactical")
    assert (back["id"], back["status"], back["acknowledged_by"]) == (c["id"], "open", [])


def test_who_may_acknowledge(line: tuple[Api, Clock]) -> None:
    api, clock = line
    head_on(api, clock)
    scan(api)
    [c] = conflicts(api, "blue", "tactical")
    assert ack(api, "blue-observer", c["id"]).status_code == 403
    assert ack(api, "aid", c["id"]).status_code == 404  # not told of it: as if it did not exist
    assert ack(api, "blue", "no-such-conflict").status_code == 404
    clock.advance(5)
    head_on(api, clock, trk_deg=0.0)  # red turns away: resolved
    scan(api)
    r = ack(api, "blue", c["id"])
    assert r.status_code == 409 and "resolved" in r.json()["message"]


def test_the_audience_of_a_deviation_cannot_acknowledge_it(line: tuple[Api, Clock]) -> None:
    api, clock = line
    bus(api, clock, movement(api), lat=35.1)  # off its corridor; blue is the movement's audience
    scan(api)
    [c] = [c for c in conflicts(api, "blue", "deviation")]
    r = ack(api, "blue", c["id"])
    assert r.status_code == 403, r.text
    assert ack(api, "aid", c["id"]).status_code == 200
