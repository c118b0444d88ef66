"""Ground and sea reports without ``alt_m``: accepted (JSON and NDJSON), shown without it, and
detected with their height unknown (docs/conflicts.md); an air report without it is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.conftest import NOW, Api, Clock, notice
from tests.api.test_scan import conflicts, line, scan
from tests.api.test_tracks import report, send, z

__all__ = ["line"]  # the fixture, over both databases


def surface(uid: str, domain: str = "ground", **kw: Any) -> dict[str, Any]:
    """A report with no alt_m at all, unless given."""
    r = report(uid, domain=domain, gs_mps=10.0, **kw)
    if "alt_m" not in kw:
        del r["alt_m"]
    return r


def test_surface_reports_may_omit_alt_m_and_air_ones_may_not(line: tuple[Api, Clock]) -> None:
    api, _ = line
    r = send(api, "blue", [surface("convoy"), {**surface("boat", "sea"), "alt_m": None}])
    assert r.json() == {"accepted": 2, "ignored": 0, "rejected": 0}, r.text
    r = send(api, "red", [surface("truck"), surface("ferry", "sea")], ndjson=True)
    assert r.json()["accepted"] == 2, r.text
    shown = {t["uid"]: t for t in api.get("blue", "/v1/tracks").json()["tracks"]}
    assert set(shown) == {"convoy", "boat"} and all("alt_m" not in t for t in shown.values())
    for body, ndjson in (([surface("jet", "air")], False), ([surface("jet", "air")], True)):
        r = send(api, "blue", body, ndjson=ndjson)
        assert r.status_code == 422, r.text
        assert r.json()["pointer"] == "/0/alt_m" and "air track needs alt_m" in r.json()["message"]
    r = send(api, "blue", [{**surface("jet", "air"), "alt_m": None}])
    assert r.json()["pointer"] == "/0/alt_m"
    # a later report may give the height
    later = z(NOW + timedelta(seconds=1))
    assert send(api, "blue", [surface("convoy", alt_m=250.0, time=later)]).json()["accepted"] == 1
    [convoy] = [t for t in api.get("blue", "/v1/tracks").json()["tracks"] if t["uid"] == "convoy"]
    assert convoy["alt_m"] == 250.0


def test_two_surface_tracks_without_heights_head_on(line: tuple[Api, Clock]) -> None:
    api, _ = line
    send(api, "blue", [surface("c1", lat=35.0, lon=40.0, trk_deg=90.0)])
    send(api, "red", [surface("c2", "sea", lat=35.0, lon=40.01, trk_deg=270.0)])  # 911 m
    assert scan(api)["tactical"] == 1
    [c] = conflicts(api, "blue", "tactical")
    # ground-ground minima 100 m: lost after about (911 - 100) / 20 s
    assert z(NOW + timedelta(seconds=39)) <= c["t_in"] <= z(NOW + timedelta(seconds=42))


def test_a_surface_track_without_height_under_an_aircraft(line: tuple[Api, Clock]) -> None:
    api, clock = line
    # blue's convoy without a height; red's aircraft at 3,000 m passes 1 km beside it
    send(api, "blue", [surface("c1", lat=35.0, lon=40.0, trk_deg=90.0)])
    send(api, "red", [report("r1", lat=35.009, lon=40.2, trk_deg=270.0, gs_mps=100.0)])
    assert scan(api)["tactical"] == 1  # the height unknown: reported (docs/conflicts.md)
    clock.advance(1)
    send(api, "blue", [surface("c1", lat=35.0, lon=40.0, trk_deg=90.0, alt_m=250.0,
                               time=z(clock.now))])  # fmt: skip
    send(api, "red", [report("r1", lat=35.009, lon=40.2, trk_deg=270.0, gs_mps=100.0,
                             time=z(clock.now))])  # fmt: skip
    summary = scan(api)
    assert (summary["tactical"], summary["closed"]) == (0, 1)  # 2,750 m below it: clear


def test_a_surface_track_without_height_under_a_volume(line: tuple[Api, Clock]) -> None:
    api, _ = line
    high = {
        "footprint": {"type": "Point", "coordinates": [40.03, 35.0]},
        "radius_m": 1000,
        "altitude": {"lower_m": 3000, "upper_m": 6000},
        "time": {"start": z(NOW - timedelta(hours=1)), "end": z(NOW + timedelta(hours=2))},
    }
    assert api.post("red", notice(high, audience=[])).status_code == 201
    send(api, "blue", [surface("c1", lat=35.0, lon=40.0, trk_deg=90.0)])
    assert scan(api)["intrusion"] == 1  # in every band while its height is unknown
    send(api, "blue", [surface("c1", lat=35.0, lon=40.0, trk_deg=90.0, alt_m=250.0,
                               time=z(NOW + timedelta(seconds=1)))])  # fmt: skip
    assert scan(api)["intrusion"] == 0  # 250 m is below the band
