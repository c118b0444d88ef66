"""A track's vertical uncertainty (``alt_unc_m``) is paid against a notice's band: an aircraft on a
barometric altitude just above a protected site's band may be inside it, and is reported."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.conftest import NOW, Api, Clock, notice
from tests.api.test_scan import bus, deviations, line, movement, scan
from tests.api.test_tracks import report, send, z

__all__ = ["line"]  # the fixture, over both databases

HOURS = {"start": z(NOW - timedelta(hours=1)), "end": z(NOW + timedelta(hours=2))}


def protected_site(api: Api, lower_m: float, upper_m: float, lon: float, lat: float) -> None:
    site = {
        "footprint": {"type": "Point", "coordinates": [lon, lat]},
        "radius_m": 1000,
        "altitude": {"lower_m": lower_m, "upper_m": upper_m},
        "time": HOURS,
    }
    r = api.post("red", {**notice(site, audience=["blue"]), "protected": True})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(("unc_m", "found"), [(0.0, 0), (189.0, 0), (191.0, 1), (647.0, 1)])
def test_an_aircraft_on_a_barometric_altitude_over_a_protected_site(
    line: tuple[Api, Clock], unc_m: float, found: int
) -> None:
    api, _ = line
    protected_site(api, 0.0, 3000.0, lon=40.2, lat=35.0)
    # flying straight over it at 3,190 m: 190 m above the band as reported
    jet = report("adsb", lat=35.0, lon=40.0, alt_m=3190.0, alt_unc_m=unc_m, trk_deg=90.0)
    assert send(api, "blue", [jet]).json()["accepted"] == 1
    assert scan(api)["intrusion"] == found


def test_a_convoy_near_a_volume_its_uncertain_height_may_reach(line: tuple[Api, Clock]) -> None:
    api, clock = line
    move = movement(api)
    circle: dict[str, Any] = {
        "footprint": {"type": "Point", "coordinates": [39.5, 35.03]},  # 3.3 km north of the bus
        "radius_m": 1800,
        "altitude": {"lower_m": 500.0, "upper_m": 1000.0},
        "time": HOURS,
    }
    api.post("red", notice(circle, audience=[]))
    bus(api, clock, move)  # at 300 m: 200 m under the band
    scan(api)
    assert deviations(api) == {}
    clock.advance(1)
    bus(api, clock, move, alt_unc_m=250.0)
    scan(api)
    assert set(deviations(api)) == {"near-volume"}
