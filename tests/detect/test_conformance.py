"""Deviation: a convoy scripted along a two-leg humanitarian corridor, each reason on and off."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from deconfliction.detect import Candidate, conformance
from deconfliction.detect.conformance import (
    Conformance,
    Deviation,
    DeviationReason,
    deviations,
    stopped_since,
)
from deconfliction.domain import (
    ALL,
    AltitudeBand,
    Audience,
    Footprint,
    FootprintKind,
    TimeWindow,
    Track,
    TrackDomain,
)
from deconfliction.geo import Shape, parse_footprints, prepare, within
from tests.common import GEOD, T0

ROUTE = [(10.0, 50.0), (10.2, 50.0), (10.4, 50.1)]
HALF_WIDTH = 500.0
TOL = Conformance().corridor_tolerance_m


def leg_candidates(lower: float | None = None, upper: float | None = None) -> list[Candidate]:
    """Leg i runs from ROUTE[i] to ROUTE[i + 1] from 06:00 + i hours, for an hour."""
    legs = []
    for i in range(len(ROUTE) - 1):
        geometry = {"type": "LineString", "coordinates": [list(p) for p in ROUTE[i : i + 2]]}
        (fp,) = parse_footprints(geometry, half_width_m=HALF_WIDTH)
        window = TimeWindow(T0 + timedelta(hours=i), T0 + timedelta(hours=i + 1))
        legs.append(
            Candidate(f"m#{i}", "ngo", window, AltitudeBand(lower, upper), prepare(fp), None)
        )
    return legs


LEGS = leg_candidates()


def on_leg(i: int, frac: float, off_m: float = 0.0) -> tuple[float, float]:
    """The point ``frac`` along leg i's centre line, moved ``off_m`` square to it (left < 0)."""
    (x0, y0), (x1, y1) = ROUTE[i], ROUTE[i + 1]
    az, _, length = GEOD.inv(x0, y0, x1, y1)
    x, y, back = GEOD.fwd(x0, y0, az, length * frac)
    if off_m == 0.0:
        return float(x), float(y)
    side = 90.0 if off_m > 0 else -90.0
    x, y, _ = GEOD.fwd(x, y, back + 180.0 + side, abs(off_m))
    return float(x), float(y)


def convoy(
    where: tuple[float, float],
    minutes: float,
    *,
    alt: float = 300.0,
    stopped: datetime | None = None,
) -> Track:
    lon, lat = where
    return Track(
        "ngo", "convoy-1", TrackDomain.GROUND, lat, lon, alt, 8.0, 90.0, 0.0,
        T0 + timedelta(minutes=minutes), 120.0, Audience.of(ALL), movement="m",
        stopped_since=stopped,
    )  # fmt: skip


def reasons(found: list[Deviation]) -> list[DeviationReason]:
    return [d.reason for d in found]


# --- on the corridor ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "minutes"),
    [
        (ROUTE[0], 1.0),
        (on_leg(0, 0.5), 30.0),
        (ROUTE[1], 60.0),
        (on_leg(1, 0.37), 100.0),
        (ROUTE[2], 119.0),
    ],
)
def test_exactly_on_the_centre_line_in_time_conforms(
    where: tuple[float, float], minutes: float
) -> None:
    assert deviations(convoy(where, minutes), LEGS, [], T0 + timedelta(minutes=minutes)) == []


def test_the_whole_route_as_one_corridor() -> None:
    geometry = {"type": "LineString", "coordinates": [list(p) for p in ROUTE]}
    (fp,) = parse_footprints(geometry, half_width_m=HALF_WIDTH)
    window = TimeWindow(T0, T0 + timedelta(hours=2))
    route = [Candidate("m#0", "ngo", window, AltitudeBand(), prepare(fp), None)]
    for where in (ROUTE[1], on_leg(1, 0.5), on_leg(0, 0.2, HALF_WIDTH + TOL - 12.0)):
        assert deviations(convoy(where, 60.0), route, [], T0) == []
    (off,) = deviations(convoy(on_leg(1, 0.5, -(HALF_WIDTH + 400.0)), 60.0), route, [], T0)
    assert off.reason is DeviationReason.OFF_CORRIDOR
    assert off.distance_m == pytest.approx(400.0, abs=10.0)


# --- off the corridor -----------------------------------------------------------------------------


@pytest.mark.parametrize("leg", [0, 1])
@pytest.mark.parametrize("side", [1.0, -1.0])
@pytest.mark.parametrize(
    ("beyond_m", "off"),
    [
        (TOL - 12.0, False),  # surely inside the tolerance (more than 10 m under it)
        (TOL + 0.5, True),  # any distance beyond the tolerance is reported
        (TOL + 5.0, True),
        (1_000.0, True),
    ],
)
def test_off_the_corridor_beyond_the_tolerance(
    leg: int, side: float, beyond_m: float, off: bool
) -> None:
    where = on_leg(leg, 0.5, side * (HALF_WIDTH + beyond_m))
    found = deviations(convoy(where, 60.0 * leg + 30.0), LEGS, [], T0)
    assert reasons(found) == ([DeviationReason.OFF_CORRIDOR] if off else [])
    if off:
        assert found[0].distance_m == pytest.approx(beyond_m, abs=10.0)
        assert found[0].volume is None
        assert "outside its corridor" in found[0].detail


@pytest.mark.parametrize("beyond_m", [TOL + 0.5, TOL + 3.0])
def test_off_the_corridor_even_when_within_errs_as_far_as_it_may(
    monkeypatch: pytest.MonkeyPatch, beyond_m: float
) -> None:
    """geo.within may call a pair near up to 0.8 * max(10 m, 0.5 %) beyond its h: even then a
    position beyond the corridor tolerance is reported."""

    def worst(a: Shape, bs: list[Shape], h_m: object, **kw: bool) -> tuple[object, object]:
        hit, dist = within(a, bs, h_m)  # type: ignore[arg-type]
        h = np.broadcast_to(np.asarray(h_m, dtype=np.float64), dist.shape)
        return dist <= h + 0.8 * np.maximum(10.0, 0.005 * h), dist

    monkeypatch.setattr(conformance, "within", worst)
    where = on_leg(0, 0.5, HALF_WIDTH + beyond_m)
    assert reasons(deviations(convoy(where, 30.0), LEGS, [], T0)) == [DeviationReason.OFF_CORRIDOR]


def test_off_the_corridor_is_not_also_off_schedule() -> None:
    found = deviations(convoy(on_leg(0, 0.5, 5_000.0), 300.0), LEGS, [], T0)
    assert reasons(found) == [DeviationReason.OFF_CORRIDOR]
    assert found[0].distance_m == pytest.approx(4_500.0, abs=10.0)


def test_no_movement_volume_is_off_the_corridor() -> None:
    (found,) = deviations(convoy(ROUTE[0], 0.0), [], [], T0)
    assert (found.reason, found.volume, found.distance_m) == (
        DeviationReason.OFF_CORRIDOR,
        None,
        None,
    )


# --- off the schedule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "detail"),
    [
        (40.0, "early for leg 2, whose window opens at 07:00Z"),  # 06:40 is beyond 15 min
        (50.0, None),
        (180.0 - 60.0 + 14.0, None),  # 08:14, leg 2 closed at 08:00
        (180.0 - 60.0 + 18.0, "late for leg 2, whose window closed at 08:00Z"),
    ],
)
def test_early_and_late_beyond_the_schedule_tolerance(minutes: float, detail: str | None) -> None:
    found = deviations(convoy(on_leg(1, 0.5), minutes), LEGS, [], T0)
    if detail is None:
        assert found == []
    else:
        assert found == [Deviation(DeviationReason.OFF_SCHEDULE, 1, None, detail)]


def test_late_on_the_first_leg_and_at_the_junction() -> None:
    (late,) = deviations(convoy(on_leg(0, 0.5), 80.0), LEGS, [], T0)
    assert (late.reason, late.volume, late.detail) == (
        DeviationReason.OFF_SCHEDULE,
        0,
        "late for leg 1, whose window closed at 07:00Z",
    )
    # where the legs meet, leg 2's window will do
    assert deviations(convoy(ROUTE[1], 80.0), LEGS, [], T0) == []


def test_outside_the_altitude_band() -> None:
    legs = leg_candidates(lower=0.0, upper=500.0)
    assert deviations(convoy(on_leg(0, 0.5), 30.0, alt=450.0), legs, [], T0) == []
    (found,) = deviations(convoy(on_leg(0, 0.5), 30.0, alt=800.0), legs, [], T0)
    assert (found.reason, found.volume) == (DeviationReason.OFF_SCHEDULE, 0)
    assert found.detail == "at 800 m, outside the altitude band of leg 1 (0 m to 500 m)"


# --- stopped --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stopped_min", "reported"), [(29.0, False), (30.0, True), (31.0, True)])
def test_stopped_too_long(stopped_min: float, reported: bool) -> None:
    now = T0 + timedelta(minutes=40)
    t = convoy(on_leg(0, 0.5), 39.0, stopped=now - timedelta(minutes=stopped_min))
    found = deviations(t, LEGS, [], now)
    if reported:
        assert found == [
            Deviation(
                DeviationReason.STOPPED, None, None, f"stopped since 06:{40 - stopped_min:02.0f}Z"
            )
        ]
    else:
        assert found == []


def test_stopped_since_follows_the_reports() -> None:
    s = Conformance()
    t1, t2 = T0, T0 + timedelta(minutes=5)
    assert stopped_since(None, t1, 0.1, s) == t1  # the first report, already stopped
    assert stopped_since(None, t1, 5.0, s) is None
    moving = convoy(ROUTE[0], 0.0)
    assert stopped_since(moving, t2, 0.4, s) == t2  # just stopped
    halted = convoy(ROUTE[0], 0.0, stopped=t1)
    assert stopped_since(halted, t2, 0.0, s) == t1  # still stopped: unchanged
    assert stopped_since(halted, t2, 0.5, s) is None  # at the stop speed it moves again
    assert stopped_since(halted, t1 - timedelta(minutes=1), 0.0, s) == t1 - timedelta(minutes=1)


# --- near other parties' volumes ------------------------------------------------------------------


def circle_at(
    where: tuple[float, float], az: float, edge_m: float, *, party: str = "army", end_h: float = 4
) -> Candidate:
    """A 1 km circle of ``party`` whose edge lies ``edge_m`` from ``where``."""
    x, y, _ = GEOD.fwd(*where, az, edge_m + 1_000.0)
    fp = Footprint(FootprintKind.CIRCLE, (((float(x), float(y)),),), 1_000.0)
    window = TimeWindow(T0 - timedelta(hours=1), T0 + timedelta(hours=end_h))
    return Candidate(f"{party}-op#0", party, window, AltitudeBand(), prepare(fp), None)


@pytest.mark.parametrize(("edge_m", "reported"), [(1_900.0, True), (2_100.0, False)])
def test_near_another_partys_volume(edge_m: float, reported: bool) -> None:
    where = on_leg(0, 0.5)
    other = circle_at(where, 0.0, edge_m)
    found = deviations(convoy(where, 30.0), LEGS, [other], T0)
    if not reported:
        assert found == []
        return
    (near,) = found
    assert (near.reason, near.volume) == (DeviationReason.NEAR_VOLUME, 0)
    assert near.distance_m == pytest.approx(edge_m, abs=10.0)
    assert near.detail == "1.9 km from volume army-op#0 of army"


def test_near_volume_only_for_active_volumes_of_other_parties() -> None:
    where = on_leg(0, 0.5)
    others = [
        circle_at(where, 0.0, 500.0, party="ngo"),  # the convoy's own party
        circle_at(where, 90.0, 500.0, end_h=0.25),  # closed at 06:15, before the report
        circle_at(where, 180.0, 1_500.0),
        circle_at(where, 270.0, -1_500.0),  # the convoy is inside it
    ]
    found = deviations(convoy(where, 30.0), LEGS, others, T0)
    assert [(d.reason, d.volume) for d in found] == [
        (DeviationReason.NEAR_VOLUME, 2),
        (DeviationReason.NEAR_VOLUME, 3),
    ]
    assert found[1].distance_m == 0.0
    assert found[1].detail == "inside volume army-op#0 of army"


def test_every_reason_at_once() -> None:
    now = T0 + timedelta(hours=3)
    where = on_leg(1, 0.5)
    t = convoy(where, 150.0, stopped=now - timedelta(hours=1))
    found = deviations(t, LEGS, [circle_at(where, 45.0, 100.0)], now)
    assert reasons(found) == [
        DeviationReason.OFF_SCHEDULE,
        DeviationReason.STOPPED,
        DeviationReason.NEAR_VOLUME,
    ]
    assert found[0].detail == "late for leg 2, whose window closed at 08:00Z"
