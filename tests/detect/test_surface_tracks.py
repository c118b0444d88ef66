"""Ground and sea tracks reported without a height (``alt_m`` NaN in the columns, ``None`` on a
``Track``): on the surface, height unknown, so the vertical test passes against every track and
every altitude band (docs/conflicts.md, "Surface tracks without a height")."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from deconfliction.detect import Candidate, tactical
from deconfliction.detect.intrusion import intrusions, swept_boxes, swept_boxes_many
from deconfliction.detect.tactical import States, detect
from deconfliction.domain import (
    ALL,
    AltitudeBand,
    Audience,
    Buffers,
    Footprint,
    FootprintKind,
    TimeWindow,
    Track,
    TrackDomain,
    Volume,
)
from deconfliction.geo import prepare

A = 6_378_137.0
NAN = math.nan
AIR, GROUND, SEA = 0, 1, 2
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def east(m: float) -> float:
    return math.degrees(m / A)


def states(*rows: tuple[float, ...], domain: list[int]) -> States:
    """Rows (lat, lon, alt_m, gs_mps, trk_deg, vs_mps) along the equator."""
    return States.of(*zip(*rows, strict=True), domain=domain)


@pytest.mark.parametrize("domains", [[GROUND, GROUND], [SEA, GROUND], [SEA, SEA]])
def test_two_surface_tracks_without_heights_meet_head_on(domains: list[int]) -> None:
    # 900 m apart closing at 20 m/s: within the surface minimum of 100 m after 40 s
    s = states((0, 0, NAN, 10, 90, 0), (0, east(900), NAN, 10, 270, 0), domain=domains)
    e = detect(s)
    assert (e.i.tolist(), e.j.tolist()) == ([0], [1])
    assert float(e.t_in_s[0]) == pytest.approx(40.0, abs=0.05)
    assert float(e.tcpa_s[0]) == pytest.approx(45.0, abs=0.05)
    # the same two with heights 1,000 m apart are separated: the height is what was missing
    known = states((0, 0, 0, 10, 90, 0), (0, east(900), 1000, 10, 270, 0), domain=domains)
    assert len(detect(known)) == 0
    # and one with a height against one without: unknown still passes the vertical test
    mixed = states((0, 0, 0, 10, 90, 0), (0, east(900), NAN, 10, 270, 0), domain=domains)
    assert len(detect(mixed)) == 1


def test_a_surface_track_without_height_against_an_aircraft_at_3000_m() -> None:
    # the aircraft passes 1 km beside the convoy, 3,000 m up: air-ground minima 1,852 m / 152.4 m
    s = states((0, 0, NAN, 10, 90, 0), (0.009, east(20_000), 3000, 100, 270, 0), domain=[1, 0])
    e = detect(s)
    assert len(e) == 1 and float(e.dcpa_m[0]) == pytest.approx(1000, abs=10)  # reported
    told = states((0, 0, 250, 10, 90, 0), (0.009, east(20_000), 3000, 100, 270, 0), domain=[1, 0])
    assert len(detect(told)) == 0  # with its height given, 2,750 m below: clear
    far = states((0, 0, NAN, 10, 90, 0), (0.05, east(20_000), 3000, 100, 270, 0), domain=[1, 0])
    assert len(detect(far)) == 0  # 5.5 km beside it: clear on horizontal distance alone


def test_surface_tracks_among_many_are_found_as_by_every_pair() -> None:
    rng = np.random.default_rng(7)
    n = 80
    lat = rng.uniform(-0.05, 0.05, n)
    lon = rng.uniform(-0.05, 0.05, n)
    dom = rng.integers(0, 3, n)
    alt = np.where(dom == AIR, rng.uniform(0, 2000, n), np.where(rng.random(n) < 0.7, NAN, 0.0))
    gs, trk, vs = rng.uniform(0, 50, n), rng.uniform(0, 360, n), rng.uniform(-5, 5, n)
    s = States.of(lat, lon, alt, gs, trk, vs, domain=dom)
    e = detect(s, 60.0)
    found = set(zip(e.i.tolist(), e.j.tolist(), strict=True))
    assert found and any(np.isnan(alt[[i, j]]).any() for i, j in found)
    # every pair, one at a time, with the unknown heights written as the other's height
    for i in range(n):
        for j in range(i + 1, n):
            unknown = bool(np.isnan(alt[[i, j]]).any())
            z = [0.0, 0.0] if unknown else alt[[i, j]]
            climb = vs[[i, j]] * (0.0 if unknown else 1.0)
            pair = States.of(lat[[i, j]], lon[[i, j]], z, gs[[i, j]], trk[[i, j]], climb,
                             domain=dom[[i, j]])  # fmt: skip
            assert (len(detect(pair, 60.0)) == 1) == ((i, j) in found), (i, j)


def test_all_surface_tracks_without_heights() -> None:
    s = states((0, 0, NAN, 0, 0, 0), (0, east(50), NAN, 0, 0, 0), domain=[1, 2])
    assert len(detect(s)) == 1 and len(detect(s.advanced(10.0))) == 1


def test_an_air_track_needs_its_height() -> None:
    with pytest.raises(ValueError, match=re.escape("alt_m[1] is unknown (NaN)")):
        states((0, 0, NAN, 0, 0, 0), (0, 0, NAN, 0, 0, 0), domain=[1, 0])
    with pytest.raises(ValueError, match=re.escape("alt_m[0] is not finite")):
        states((0, 0, math.inf, 0, 0, 0), (0, 0, 0, 0, 0, 0), domain=[1, 1])


# -- against volumes ---------------------------------------------------------------------------


def convoy(alt_m: float | None, lon: float = 40.0) -> Track:
    return Track("red", "c1", TrackDomain.GROUND, 35.0, lon, alt_m, 15.0, 90.0, 0.0, NOW, 120.0,
                 Audience.of(ALL))  # fmt: skip


def airspace(lower_m: float | None, upper_m: float | None) -> Candidate:
    """Blue's volume 2 km east of the convoy, 1 km across, for the next hour."""
    footprint = Footprint(FootprintKind.CIRCLE, (((40.0 + 2.0 / 91.3, 35.0),),), 500.0)
    window = TimeWindow(NOW, NOW + timedelta(hours=1))
    volume = Volume(footprint, window, AltitudeBand(lower_m, upper_m))
    return Candidate.of("n#0", "blue", volume, prepare(footprint))


@pytest.mark.parametrize(("lower_m", "upper_m"), [(None, 500), (3000, 6000), (None, None)])
def test_a_surface_track_without_height_is_in_every_band(
    lower_m: float | None, upper_m: float | None
) -> None:
    volume = airspace(lower_m, upper_m)
    [found] = intrusions([convoy(None)], [volume], [(0, 0)], NOW, 300.0, Buffers())
    assert 80 < found.t_in_s < 110  # about 1.3 km to its edge at 15 m/s
    at_250 = intrusions([convoy(250.0)], [volume], [(0, 0)], NOW, 300.0, Buffers())
    assert len(at_250) == int(lower_m is None)  # a given height is held to the band


def test_a_surface_track_without_height_searches_every_altitude() -> None:
    [box] = swept_boxes(convoy(None), NOW, 300.0, Buffers())
    owners, boxes = swept_boxes_many([convoy(None), convoy(250.0)], NOW, 300.0, Buffers())
    assert owners == [0, 1]
    assert box.alt_min <= -1e8 and box.alt_max >= 1e8
    assert boxes[0].alt_min <= -1e8 and boxes[0].alt_max >= 1e8
    assert boxes[1].alt_min == pytest.approx(250.0, abs=0.01)


def test_tactical_columns_keep_nan_moving() -> None:
    s = tactical.States.of([0.0], [0.0], [NAN], [10.0], [90.0], [1.0], domain=[2])
    assert math.isnan(float(s.advanced(30.0).alt_m[0]))
