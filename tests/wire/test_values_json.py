"""Notices, volumes and tracks as the API answers them and events carry them, pinned by hand,
and the one time format (RFC 3339, UTC, ``Z``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from deconfliction.domain import (
    ALL,
    Audience,
    Buffers,
    Notice,
    NoticeKind,
    NoticeState,
    Track,
    TrackDomain,
)
from deconfliction.wire import (
    notice_json,
    opt_utc_z,
    track_json,
    utc_z,
    volume_json,
)
from tests.common import GEOMETRIES, T0, volume

PLUS1 = timezone(timedelta(hours=1))
S = timedelta(seconds=1)

# -- time -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "text"),
    [
        (datetime(2025, 6, 1, 6, 0, tzinfo=UTC), "2025-06-01T06:00:00Z"),
        (datetime(2025, 6, 1, 8, 30, tzinfo=timezone(timedelta(hours=2))), "2025-06-01T06:30:00Z"),
        (
            datetime(2025, 5, 31, 23, 0, tzinfo=timezone(-timedelta(hours=7))),
            "2025-06-01T06:00:00Z",
        ),
        (datetime(2025, 6, 1, 6, 0, 0, 1, tzinfo=UTC), "2025-06-01T06:00:00.000001Z"),
        (datetime(1970, 1, 1, tzinfo=UTC), "1970-01-01T00:00:00Z"),
    ],
)
def test_utc_z_writes_utc_with_a_z(when: datetime, text: str) -> None:
    assert utc_z(when) == text
    assert datetime.fromisoformat(text) == when  # the same instant, read back


def test_opt_utc_z_keeps_an_unknown_instant_unknown() -> None:
    assert opt_utc_z(None) is None
    assert opt_utc_z(T0.astimezone(PLUS1)) == "2025-06-01T06:00:00Z"


# -- notices and volumes ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_a_volume_gives_back_the_footprint_declared(name: str) -> None:
    geometry, size = GEOMETRIES[name]
    out = volume_json(volume(name))
    assert out["footprint"] == geometry
    kind = geometry["type"]
    assert out.get("radius_m") == (size if kind == "Point" else None)
    assert out.get("half_width_m") == (size if kind == "LineString" else None)
    assert "altitude" not in out  # unbounded: every altitude
    assert out["time"] == {"start": "2025-06-01T06:00:00Z", "end": "2025-06-01T08:00:00Z"}


@pytest.mark.parametrize(
    ("lower", "upper"), [(0.0, 3000.0), (None, 500.0), (-50.0, None), (1200.0, 1200.0)]
)
def test_a_bounded_side_gives_the_altitude_with_null_for_the_open_one(
    lower: float | None, upper: float | None
) -> None:
    out = volume_json(volume("square_left", lower=lower, upper=upper))
    assert out["altitude"] == {"lower_m": lower, "upper_m": upper}


NOTICE = Notice(
    id="n-1",
    party="un-ocha",
    kind=NoticeKind.SITE,
    volumes=(
        volume("circle_5km", lower=0.0, upper=3000.0),
        volume("corridor_bends", start_h=1.0, upper=500.0),
        volume("square_left"),
    ),
    audience=Audience.of(["coalition", "blue"]),
    created_at=datetime(2025, 6, 1, 6, 0, tzinfo=PLUS1),
    updated_at=datetime(2025, 6, 1, 7, 15, tzinfo=PLUS1),
    title="Field hospital",
    protected=True,
    buffers=Buffers(1000.0, 300.0, 600.0),
    version=2,
)


def test_notice_json_is_pinned() -> None:
    assert notice_json(NOTICE) == {
        "id": "n-1",
        "party": "un-ocha",
        "kind": "site",
        "title": "Field hospital",
        "protected": True,
        "audience": ["blue", "coalition"],
        "state": "active",
        "version": 2,
        "created_at": "2025-06-01T05:00:00Z",
        "updated_at": "2025-06-01T06:15:00Z",
        "buffers": {"h_m": 1000.0, "v_m": 300.0, "t_s": 600.0},
        "volumes": [
            {
                "footprint": {"type": "Point", "coordinates": [11.15, 50.35]},
                "radius_m": 5000.0,
                "altitude": {"lower_m": 0.0, "upper_m": 3000.0},
                "time": {"start": "2025-06-01T06:00:00Z", "end": "2025-06-01T08:00:00Z"},
            },
            {
                "footprint": {
                    "type": "LineString",
                    "coordinates": [[10.3, 49.9], [10.5, 50.05], [10.4, 50.2], [10.6, 50.3]],
                },
                "half_width_m": 1000.0,
                "altitude": {"lower_m": None, "upper_m": 500.0},
                "time": {"start": "2025-06-01T07:00:00Z", "end": "2025-06-01T09:00:00Z"},
            },
            {
                "footprint": {
                    "type": "Polygon",
                    "coordinates": [
                        [[10.0, 50.0], [10.1, 50.0], [10.1, 50.1], [10.0, 50.1], [10.0, 50.0]]
                    ],
                },
                "time": {"start": "2025-06-01T06:00:00Z", "end": "2025-06-01T08:00:00Z"},
            },
        ],
    }


def test_notice_json_without_buffers_and_shared_with_all() -> None:
    out = notice_json(
        replace(NOTICE, buffers=None, audience=Audience.of(ALL), state=NoticeState.WITHDRAWN)
    )
    assert (out["buffers"], out["audience"], out["state"]) == (None, "all", "withdrawn")


# -- tracks -----------------------------------------------------------------------------------

TRACK = Track(
    party="coalition",
    uid="hawk-1",
    domain=TrackDomain.AIR,
    lat=50.1,
    lon=10.2,
    alt_m=3000.0,
    gs_mps=120.0,
    trk_deg=90.0,
    vs_mps=-2.5,
    time=datetime(2025, 6, 1, 7, 0, 5, tzinfo=PLUS1),
    stale_s=30.0,
    audience=Audience.of(["un-ocha"]),
    callsign="HAWK1",
    received_at=T0 + 6 * S,
)


def test_track_json_is_pinned() -> None:
    assert track_json(TRACK) == {
        "party": "coalition",
        "uid": "hawk-1",
        "domain": "air",
        "lat": 50.1,
        "lon": 10.2,
        "alt_m": 3000.0,
        "gs_mps": 120.0,
        "trk_deg": 90.0,
        "vs_mps": -2.5,
        "time": "2025-06-01T06:00:05Z",
        "stale_s": 30.0,
        "audience": ["un-ocha"],
        "callsign": "HAWK1",
    }


def test_track_json_adds_movement_and_stop_when_known() -> None:
    bus = replace(
        TRACK,
        domain=TrackDomain.GROUND,
        callsign=None,
        movement="n-move",
        stopped_since=T0,
        audience=Audience.of(ALL),
    )
    out = track_json(bus)
    assert "callsign" not in out
    assert (out["domain"], out["movement"], out["stopped_since"], out["audience"]) == (
        "ground",
        "n-move",
        "2025-06-01T06:00:00Z",
        "all",
    )
