"""The running detector over HTTP: scripted track sequences, scanned on demand with a test clock.

Tactical pairs, intrusions and each kind of deviation; one conflict per continuing encounter,
resolved when it ends and expired when a track goes stale; need-to-know on all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.api.conftest import NOW, Api, Clock, make_api, notice
from tests.api.test_tracks import report, send, z
from tests.conftest import STORE_KINDS, MakeStore
from tests.waiting import wait_for


@pytest.fixture(params=STORE_KINDS)
def line(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[tuple[Api, Clock]]:
    clock = Clock()
    made = make_api(make_store(request.param), clock=clock)
    with made.client:
        yield made, clock


def scan(api: Api, who: str = "admin") -> dict[str, Any]:
    r = api.client.post("/v1/scan", headers=api.headers(who))
    assert r.status_code == 200, r.text
    return dict(r.json())


def conflicts(api: Api, who: str, kind: str | None = None) -> list[dict[str, Any]]:
    found = api.get(who, "/v1/conflicts").json()["conflicts"]
    return [c for c in found if kind is None or c["kind"] == kind]


def head_on(api: Api, clock: Clock, red_audience: Any = "all", **red: Any) -> None:
    """Blue heads east, red west, on the same parallel and level: 400 m/s closing."""
    at = z(clock.now)
    send(api, "blue", [report("b1", lat=35.0, lon=40.0, trk_deg=90.0, gs_mps=200.0, time=at)])
    west = {"lat": 35.0, "lon": 40.5, "trk_deg": 270.0, "gs_mps": 200.0, "time": at, **red}
    send(api, "red", [report("r1", audience=red_audience, **west)])


def test_head_on_pair_is_one_tactical_conflict_told_to_both(line: tuple[Api, Clock]) -> None:
    api, clock = line
    head_on(api, clock)
    summary = scan(api)
    assert (summary["tracks"], summary["tactical"], summary["opened"]) == (2, 1, 1)
    [blue] = conflicts(api, "blue", "tactical")
    [red] = conflicts(api, "red", "tactical")
    assert blue["id"] == red["id"]
    assert blue["mine"] == {"party": "blue", "track": "b1"}
    assert blue["other"] == {"party": "red", "track": "r1"}  # red shares with all
    assert red["redacted"] is True and red["other"] == {"party": "blue"}  # blue shares with none
    assert "distance_m" not in red and red["t_in"] == blue["t_in"]
    # 45.6 km apart closing at 400 m/s: separation (9,260 m) lost after ~91 s, CPA at ~114 s
    t_in = blue["t_in"]
    assert z(NOW + timedelta(seconds=89)) <= t_in <= z(NOW + timedelta(seconds=93))
    assert z(NOW + timedelta(seconds=112)) <= blue["cpa"] <= z(NOW + timedelta(seconds=116))
    assert blue["distance_m"] < 100
    assert conflicts(api, "aid") == []


def test_continuing_encounter_is_updated_then_resolved(line: tuple[Api, Clock]) -> None:
    api, clock = line
    head_on(api, clock)
    scan(api)
    [first] = conflicts(api, "blue", "tactical")
    clock.advance(5)
    head_on(api, clock, lon=40.48)  # both report again; red has moved on a little less
    again = scan(api)
    assert (again["opened"], again["tactical"]) == (0, 1)
    [same] = conflicts(api, "blue", "tactical")
    assert same == first  # t_in moved by about 2 s: nothing material, nothing retold
    clock.advance(5)
    head_on(api, clock, lon=40.40)  # red 7 km nearer, blue 2 km back: separation lost ~13 s sooner
    assert scan(api)["opened"] == 0
    [same] = conflicts(api, "blue", "tactical")
    assert same["id"] == first["id"] and same["status"] == "open"
    assert same["updated_at"] == z(clock.now)
    assert same["t_in"] < first["t_in"]
    clock.advance(5)
    head_on(api, clock, trk_deg=0.0)  # red turns north: no conflict any more
    gone = scan(api)
    assert (gone["tactical"], gone["closed"]) == (0, 1)
    [resolved] = conflicts(api, "red", "tactical")
    assert resolved["id"] == first["id"] and resolved["status"] == "resolved"
    assert scan(api)["opened"] == 0
    # the same story in red's events: opened, updated (red moved), closed; redacted for red
    told = api.get("red", "/v1/events", kinds="conflict.opened,conflict.updated,conflict.closed")
    story = [
        (e["kind"], e["conflict"]["id"], e["conflict"]["redacted"]) for e in told.json()["events"]
    ]
    assert [k for k, _, _ in story][0] == "conflict.opened"
    assert [k for k, _, _ in story][-1] == "conflict.closed"
    assert {cid for _, cid, _ in story} == {first["id"]}
    assert all(redacted for _, _, redacted in story)  # blue's track is shared with nobody


def test_an_encounter_back_soon_after_it_cleared_reopens_its_conflict(
    line: tuple[Api, Clock],
) -> None:
    api, clock = line
    head_on(api, clock)
    scan(api)
    [first] = conflicts(api, "blue", "tactical")
    clock.advance(5)
    head_on(api, clock, trk_deg=0.0)  # red turns away: resolved
    assert scan(api)["closed"] == 1
    clock.advance(5)
    head_on(api, clock)  # and back: the same encounter, within two minutes
    again = scan(api)
    assert (again["opened"], again["tactical"]) == (0, 1)
    [same] = conflicts(api, "blue", "tactical")
    assert same["id"] == first["id"] and same["status"] == "open"
    assert same["detected_at"] == first["detected_at"]
    clock.advance(5)
    head_on(api, clock, trk_deg=0.0)
    scan(api)
    clock.advance(180)  # cleared for longer than two minutes: a new encounter is a new conflict
    head_on(api, clock)
    assert scan(api)["opened"] == 1
    assert len(conflicts(api, "blue", "tactical")) == 2


def test_conflict_expires_when_a_track_goes_stale(line: tuple[Api, Clock]) -> None:
    api, clock = line
    head_on(api, clock)
    scan(api)
    clock.advance(10)
    send(
        api,
        "blue",
        [report("b1", lat=35.0, lon=40.02, trk_deg=90.0, gs_mps=200.0, time=z(clock.now))],
    )
    clock.advance(25)  # red's report is now 35 s old: stale (air: 30 s)
    summary = scan(api)
    assert summary["tracks"] == 1 and summary["closed"] == 1
    [c] = conflicts(api, "blue", "tactical")
    assert c["status"] == "expired"


def test_intrusion_into_another_partys_volume(line: tuple[Api, Clock]) -> None:
    api, clock = line
    square = {
        "footprint": {
            "type": "Polygon",
            "coordinates": [
                [[40.3, 34.95], [40.4, 34.95], [40.4, 35.05], [40.3, 35.05], [40.3, 34.95]]
            ],
        },
        "time": {"start": z(NOW - timedelta(hours=1)), "end": z(NOW + timedelta(hours=2))},
    }
    held = api.post("red", notice(square, audience=[])).json()["notice"]
    send(api, "blue", [report("b1", lat=35.0, lon=40.0, trk_deg=90.0, gs_mps=200.0)])
    send(api, "red", [report("own", lat=35.0, lon=40.0, trk_deg=90.0, gs_mps=200.0, alt_m=9000)])
    summary = scan(api)
    assert summary["intrusion"] == 1  # red's own track into red's volume is not one
    [blue] = conflicts(api, "blue", "intrusion")
    [red] = conflicts(api, "red", "intrusion")
    assert blue["id"] == red["id"]
    assert blue["other"] == {"party": "red"} and blue["redacted"] is True  # the volume is private
    assert red["mine"] == {"party": "red", "notice": held["id"], "volume": 0}
    assert red["other"] == {"party": "blue"}  # blue's track is shared with nobody
    # 27.3 km to the volume's western edge at 200 m/s
    assert z(NOW + timedelta(seconds=133)) <= blue["t_in"] <= z(NOW + timedelta(seconds=141))


CORRIDOR = [[39.0, 35.0], [40.0, 35.0]]


def movement(api: Api, start_h: float = -1.0, end_h: float = 3.0, audience: Any = None) -> str:
    body = {
        "kind": "movement",
        "title": "convoy",
        "audience": audience if audience is not None else ["blue"],
        "protected": True,
        "volumes": [
            {
                "footprint": {"type": "LineString", "coordinates": CORRIDOR},
                "half_width_m": 2000,
                "time": {
                    "start": z(NOW + timedelta(hours=start_h)),
                    "end": z(NOW + timedelta(hours=end_h)),
                },
            }
        ],
    }
    r = api.post("aid", body)
    assert r.status_code == 201, r.text
    return str(r.json()["notice"]["id"])


def bus(api: Api, clock: Clock, move: str, **kw: Any) -> None:
    fields = {"lat": 35.0, "lon": 39.5, "alt_m": 300.0, "gs_mps": 10.0, "trk_deg": 90.0, **kw}
    r = send(
        api, "aid", [report("bus-1", domain="ground", movement=move, time=z(clock.now), **fields)]
    )
    assert r.status_code == 200, r.text


def deviations(api: Api, who: str = "aid") -> dict[str, dict[str, Any]]:
    live = [c for c in conflicts(api, who, "deviation") if c["status"] == "open"]
    return {c["reason"]: c for c in live}


def test_convoy_on_its_corridor_and_schedule_conforms(line: tuple[Api, Clock]) -> None:
    api, clock = line
    bus(api, clock, movement(api))
    assert scan(api)["deviation"] == 0


def test_off_corridor_told_to_the_movement_audience_only(line: tuple[Api, Clock]) -> None:
    api, clock = line
    bus(api, clock, movement(api), lat=35.1)  # 11 km north of the corridor
    scan(api)
    [reason] = deviations(api)
    assert reason == "off-corridor"
    off = deviations(api)["off-corridor"]
    assert off["mine"]["track"] == "bus-1" and off["distance_m"] > 8000
    told = deviations(api, "blue")["off-corridor"]  # blue is in the movement's audience
    assert told["id"] == off["id"] and "mine" not in told
    assert told["other"]["party"] == "aid"
    assert deviations(api, "red") == {}


def test_off_schedule(line: tuple[Api, Clock]) -> None:
    api, clock = line
    bus(api, clock, movement(api, start_h=1.0, end_h=3.0))  # an hour early
    scan(api)
    assert set(deviations(api)) == {"off-schedule"}


def test_stopped_longer_than_thirty_minutes(line: tuple[Api, Clock]) -> None:
    api, clock = line
    move = movement(api)
    bus(api, clock, move, gs_mps=0.0)
    clock.advance(29 * 60)
    bus(api, clock, move, gs_mps=0.0)
    scan(api)
    assert deviations(api) == {}
    clock.advance(2 * 60)
    bus(api, clock, move, gs_mps=0.1)
    scan(api)
    assert set(deviations(api)) == {"stopped"}
    clock.advance(10)
    bus(api, clock, move, gs_mps=8.0)  # moving again
    assert scan(api)["closed"] == 1
    assert deviations(api) == {}


def test_near_another_partys_volume(line: tuple[Api, Clock]) -> None:
    api, clock = line
    move = movement(api)
    circle = {
        "footprint": {"type": "Point", "coordinates": [39.5, 35.03]},  # 3.3 km north of the bus
        "radius_m": 1800,
        "time": {"start": z(NOW - timedelta(hours=1)), "end": z(NOW + timedelta(hours=2))},
    }
    api.post("red", notice(circle, audience=[]))
    bus(api, clock, move)
    scan(api)
    near = deviations(api)["near-volume"]
    assert near["other"] == {"party": "red"} and near["redacted"] is True
    assert deviations(api, "red") == {}  # the convoy is not shared with red


def test_observers_cannot_scan(line: tuple[Api, Clock]) -> None:
    api, _ = line
    assert api.client.post("/v1/scan", headers=api.headers("blue-observer")).status_code == 403


def test_the_server_scans_by_itself(make_store: MakeStore) -> None:
    from fastapi.testclient import TestClient

    from deconfliction.api.app import create_app

    clock = Clock()  # the tracks stay live however long the scanner takes to come round
    made = make_api(make_store("sqlite"), clock=clock)
    app = create_app(made.line, scan_interval_s=0.05)
    with TestClient(app) as client:
        api = Api(client, made.line, made.tokens)
        head_on(api, clock)
        found = wait_for(
            lambda: conflicts(api, "blue", "tactical"), "the scanner found the head-on pair"
        )
        assert [c["status"] for c in found] == ["open"]
        scanner = app.state.scanner
        assert scanner.failures == 0 and scanner.last.tracks == 2
    assert not scanner._thread.is_alive()  # stopped with the app
