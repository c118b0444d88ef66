"""Intrusion: entry times against geometry worked by hand, and random cases against a brute-force
oracle that samples the path every second with pyproj (sharing no code with detect/ or geo/)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.detect import Candidate
from deconfliction.detect.intrusion import (
    RESOLUTION_S,
    Intrusion,
    intrusions,
    swept_boxes,
    swept_boxes_many,
)
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
)
from deconfliction.geo import prepare
from tests.common import GEOD, T0, footprint

NOW = T0


def track(
    lon: float,
    lat: float,
    trk: float,
    gs: float,
    *,
    alt: float = 1000.0,
    vs: float = 0.0,
    party: str = "p",
    ago_s: float = 0.0,
) -> Track:
    return Track(
        party, "a", TrackDomain.AIR, lat, lon, alt, gs, trk, vs,
        NOW - timedelta(seconds=ago_s), 30.0, Audience.of(ALL),
    )  # fmt: skip


def circle(lon: float, lat: float, radius_m: float) -> Footprint:
    return Footprint(FootprintKind.CIRCLE, (((lon, lat),),), radius_m)


def cand(
    fp: Footprint,
    *,
    party: str = "q",
    start_s: float = -3600.0,
    end_s: float = 3600.0,
    lower: float | None = None,
    upper: float | None = None,
    buffers: Buffers | None = None,
) -> Candidate:
    window = TimeWindow(NOW + timedelta(seconds=start_s), NOW + timedelta(seconds=end_s))
    return Candidate("n#0", party, window, AltitudeBand(lower, upper), prepare(fp), buffers)


def one(t: Track, c: Candidate, lookahead_s: float = 300.0, h: float = 0.0) -> Intrusion | None:
    got = intrusions([t], [c], [(0, 0)], NOW, lookahead_s, Buffers(h_m=h))
    assert len(got) <= 1
    return got[0] if got else None


def ahead(lon: float, lat: float, az: float, dist_m: float) -> tuple[float, float, float]:
    """The point dist_m along the geodesic, and the geodesic's azimuth there."""
    x, y, back = GEOD.fwd(lon, lat, az, dist_m)
    return float(x), float(y), float(back) + 180.0


# --- geometry worked by hand ----------------------------------------------------------------------


@pytest.mark.parametrize("ago_s", [0.0, 60.0])
def test_flying_straight_at_a_circle_enters_at_distance_over_speed(ago_s: float) -> None:
    lon, lat = 10.0, 50.0
    clon, clat, _ = ahead(lon, lat, 37.0, 20_000.0)
    t = track(lon, lat, 37.0, 100.0, ago_s=ago_s)
    hit = one(t, cand(circle(clon, clat, 2_000.0)), h=500.0)
    assert hit is not None
    expected = (20_000.0 - 2_000.0 - 500.0) / 100.0 - ago_s
    assert expected - 1.0 <= hit.t_in_s <= expected + 1e-6  # never later than the truth
    assert hit.distance_m == pytest.approx(20_000.0 - 2_000.0 - 100.0 * ago_s, abs=10)


def test_flying_north_into_a_polygon_edge() -> None:
    sq = footprint("square_left")  # its south edge runs from (10.0, 50.0) to (10.1, 50.0)
    _, _, d = GEOD.inv(10.05, 49.9, 10.05, 50.0)  # the geodesic edge bulges north by ~1 m
    hit = one(track(10.05, 49.9, 0.0, 80.0), cand(sq), h=300.0)
    assert hit is not None
    assert (d - 300.0) / 80.0 - 1.0 <= hit.t_in_s <= (d - 300.0 + 2.0) / 80.0


@pytest.mark.parametrize(("gap_m", "reported"), [(21.0, False), (1.0, True)])
def test_passing_beside_the_buffer(gap_m: float, reported: bool) -> None:
    """The path passes the circle at h + gap: outside by more than max(10 m, 0.5 %) is clear,
    anything inside is reported."""
    h, r = 2_000.0, 3_000.0
    plon, plat, az = ahead(10.0, 50.0, 70.0, 12_000.0)  # the closest point, halfway along
    clon, clat, _ = ahead(plon, plat, az + 90.0, r + h + (gap_m if not reported else -gap_m))
    t = track(10.0, 50.0, 70.0, 80.0)
    # the setup: the path's closest approach to the circle is where it was meant to be
    taus = np.arange(0.0, 300.01, 0.05)
    x, y, _ = GEOD.fwd(np.full(len(taus), 10.0), np.full(len(taus), 50.0), np.full(len(taus), 70.0),
                       80.0 * taus)  # fmt: skip
    _, _, dc = GEOD.inv(x, y, np.full(len(taus), clon), np.full(len(taus), clat))
    closest = float(np.min(dc)) - r
    assert closest == pytest.approx(h + (gap_m if not reported else -gap_m), abs=0.1)
    assert (one(t, cand(circle(clon, clat, r)), h=h) is not None) is reported


@pytest.mark.parametrize(("lookahead_s", "t_in"), [(300.0, None), (400.0, 380.0)])
def test_climbing_into_the_band_only_after_the_lookahead(
    lookahead_s: float, t_in: float | None
) -> None:
    """Over the volume all along, climbing at 5 m/s from 0: the band from 2,000 m widened by
    100 m is reached after 380 s."""
    c = cand(circle(10.0, 50.0, 5_000.0), lower=2_000.0, upper=3_000.0)
    t = track(10.0, 50.0, 0.0, 10.0, alt=0.0, vs=5.0)
    got = intrusions([t], [c], [(0, 0)], NOW, lookahead_s, Buffers(h_m=0.0, v_m=100.0))
    assert [g.t_in_s for g in got] == ([] if t_in is None else [pytest.approx(t_in, abs=1e-3)])


@pytest.mark.parametrize(("start_s", "reported"), [(300.0 + 600.0 + 1.0, False), (899.0, True)])
def test_window_starting_after_the_lookahead_and_time_buffer(
    start_s: float, reported: bool
) -> None:
    c = cand(circle(10.0, 50.0, 5_000.0), start_s=start_s, end_s=start_s + 3600.0)
    t = track(10.0, 50.0, 90.0, 10.0)
    got = intrusions([t], [c], [(0, 0)], NOW, 300.0, Buffers(t_s=600.0))
    assert [g.t_in_s for g in got] == (
        [pytest.approx(start_s - 600.0, abs=1e-3)] if reported else []
    )


def test_notice_buffers_raise_the_defaults() -> None:
    clon, clat, _ = ahead(10.0, 50.0, 0.0, 5_000.0)  # 4 km from the circle, flying away
    c = cand(circle(clon, clat, 1_000.0), buffers=Buffers(h_m=4_000.0))
    hit = one(track(10.0, 50.0, 180.0, 50.0), c, lookahead_s=60.0, h=100.0)
    assert hit is not None and hit.t_in_s == 0.0
    assert one(track(10.0, 50.0, 180.0, 50.0), cand(circle(clon, clat, 1_000.0)), h=100.0) is None


def test_already_inside() -> None:
    hit = one(track(10.05, 50.05, 90.0, 200.0), cand(footprint("square_left")))
    assert hit == Intrusion(0, 0, 0.0, 0.0)


def test_own_party_volumes_are_skipped() -> None:
    t = track(10.05, 50.05, 90.0, 200.0, party="p")
    own, other = cand(footprint("square_left"), party="p"), cand(footprint("square_left"))
    got = intrusions([t], [own, other], [(0, 0), (0, 1), (0, 1)], NOW, 300.0, Buffers())
    assert [(g.track, g.volume) for g in got] == [(0, 1)]


def test_across_the_antimeridian() -> None:
    c = cand(circle(-179.95, -16.5, 1_000.0))
    t = track(179.9, -16.5, 90.0, 200.0)
    _, _, d = GEOD.inv(179.9, -16.5, -179.95, -16.5)
    hit = one(t, c, h=500.0)
    assert hit is not None
    expected = (d - 1_500.0) / 200.0
    assert expected - 1.0 <= hit.t_in_s <= expected + 0.01
    assert len(swept_boxes(t, NOW, 300.0, Buffers(h_m=500.0))) == 2


def test_a_narrower_window_is_decided_on_its_own_stretch_of_path() -> None:
    """Both volumes lie on the path over the lookahead, but the track passes the second before
    its window opens: one vectorized call over the whole path must not report it."""
    t = track(10.0, 50.0, 90.0, 100.0)
    whole = cand(circle(*ahead(10.0, 50.0, 90.0, 25_000.0)[:2], 1_000.0))
    later = cand(circle(*ahead(10.0, 50.0, 90.0, 5_000.0)[:2], 1_000.0), start_s=200.0)
    got = intrusions([t], [whole, later], [(0, 0), (0, 1)], NOW, 300.0, Buffers())
    assert [g.volume for g in got] == [0]
    assert got[0].t_in_s == pytest.approx(240.0, abs=1.0)


def test_a_stationary_track_is_a_point() -> None:
    c = cand(circle(*ahead(10.0, 50.0, 0.0, 1_500.0)[:2], 1_000.0), start_s=100.0)
    assert one(track(10.0, 50.0, 0.0, 0.0), c, h=400.0) is None
    hit = one(track(10.0, 50.0, 0.0, 0.0), c, h=600.0)
    assert hit is not None and hit.t_in_s == pytest.approx(100.0, abs=1e-3)


def test_negative_lookahead_is_refused() -> None:
    with pytest.raises(ValueError, match="lookahead_s"):
        intrusions([], [], [], NOW, -1.0, Buffers())


# --- the oracle -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    track: Track
    centre: tuple[float, float]
    radius_m: float
    lower: float | None
    upper: float | None
    start_s: float
    end_s: float
    buffers: Buffers
    lookahead_s: float


def sampled(t: Track, lookahead_s: float, now: datetime) -> tuple[np.ndarray, ...]:
    """Every whole second of the lookahead and its end: tau, lon, lat, alt."""
    taus = np.append(np.arange(0.0, math.floor(lookahead_s) + 1.0), lookahead_s)
    dt = (now - t.time).total_seconds() + taus
    n = len(taus)
    lon, lat, _ = GEOD.fwd(np.full(n, t.lon), np.full(n, t.lat), np.full(n, t.trk_deg),
                           t.gs_mps * dt)  # fmt: skip
    return taus, np.asarray(lon), np.asarray(lat), t.alt_m + t.vs_mps * dt


def oracle(case: Case, loose: bool) -> tuple[float | None, float]:
    """The first sample inside the widened volume, and the distance at now.

    Strict: exactly the buffers (a 1 cm margin under h): whatever it finds must be reported, no
    later. Loose: widened by what half a second of motion covers and by the Safety rule's
    tolerance on h: whatever the code reports must show up here, within a second.
    """
    t, buf = case.track, case.buffers
    taus, lon, lat, alt = sampled(t, case.lookahead_s, NOW)
    n = len(taus)
    _, _, dc = GEOD.inv(lon, lat, np.full(n, case.centre[0]), np.full(n, case.centre[1]))
    d = np.maximum(0.0, np.asarray(dc) - case.radius_m)
    h, v, ts = buf.h_m - 0.01, buf.v_m, buf.t_s
    if loose:
        h = buf.h_m + max(10.0, 0.005 * buf.h_m) + abs(t.gs_mps) * 0.5 + 0.5
        v = buf.v_m + abs(t.vs_mps) * 0.5 + 1e-3
        ts = buf.t_s + 0.5 + 1e-3
    lo = -math.inf if case.lower is None else case.lower
    hi = math.inf if case.upper is None else case.upper
    ok = (
        (d <= h)
        & (lo - v <= alt) & (alt <= hi + v)
        & (case.start_s - ts <= taus) & (taus <= case.end_s + ts)
    )  # fmt: skip
    first = float(taus[np.argmax(ok)]) if ok.any() else None
    return first, float(d[0])


places = st.one_of(
    st.tuples(st.floats(-180, 180), st.floats(-80, 80)),
    st.tuples(st.floats(179.5, 180.0) | st.floats(-180.0, -179.5), st.floats(-60, 60)),
    st.tuples(st.floats(-180, 180), st.floats(84.0, 89.5) | st.floats(-89.5, -84.0)),
)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    lon, lat = draw(places)
    gs = draw(st.sampled_from([0.0, 5.0]) | st.floats(0.0, 300.0))
    ago_s = draw(st.floats(0.0, 60.0))
    t = track(
        lon, lat, draw(st.floats(0.0, 360.0)), gs,
        alt=draw(st.floats(0.0, 5_000.0)), vs=draw(st.sampled_from([0.0]) | st.floats(-20, 20)),
        ago_s=ago_s,
    )  # fmt: skip
    lookahead_s = draw(st.sampled_from([0.0, 300.0]) | st.floats(0.0, 600.0))
    buffers = Buffers(
        draw(st.floats(0.0, 5_000.0)), draw(st.floats(0.0, 300.0)), draw(st.floats(0.0, 600.0))
    )
    radius = draw(st.floats(10.0, 10_000.0))
    if draw(st.booleans()):  # anywhere near
        where = (lon, lat)
        dist = draw(st.floats(0.0, 60_000.0))
    else:  # the path grazes the widened circle, give or take, somewhere in the lookahead
        along = t.gs_mps * (ago_s + draw(st.floats(0.0, lookahead_s)))
        x, y, _ = GEOD.fwd(lon, lat, t.trk_deg, along)
        where = (float(x), float(y))
        dist = max(0.0, radius + buffers.h_m + draw(st.floats(-1_000.0, 1_000.0)))
    cx, cy, _ = GEOD.fwd(*where, draw(st.floats(0.0, 360.0)), dist)
    lower = upper = None
    if draw(st.booleans()):  # else unbounded, like most sites
        lower = draw(st.none() | st.floats(-500.0, 5_000.0))
        upper = draw(st.none() | st.floats(0.0, 3_000.0).map(lambda x: x + (lower or 0.0)))
    start = draw(st.floats(-900.0, 900.0))
    end = start + draw(st.floats(1.0, 3_600.0))
    return Case(t, (float(cx), float(cy)), radius, lower, upper, start, end, buffers, lookahead_s)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_random_cases_against_the_sampling_oracle(case: Case) -> None:
    c = Candidate(
        "n#0", "q",
        TimeWindow(NOW + timedelta(seconds=case.start_s), NOW + timedelta(seconds=case.end_s)),
        AltitudeBand(case.lower, case.upper), prepare(circle(*case.centre, case.radius_m)), None,
    )  # fmt: skip
    got = intrusions([case.track], [c], [(0, 0)], NOW, case.lookahead_s, case.buffers)
    strict, d0 = oracle(case, loose=False)
    loose, _ = oracle(case, loose=True)
    if strict is not None:
        assert got, f"missed: the oracle finds the track within the volume at {strict} s"
        assert got[0].t_in_s <= strict + 1e-6
    if got:
        assert loose is not None, "reported, but the oracle finds no sample even near the volume"
        assert got[0].t_in_s >= loose - 2 * RESOLUTION_S - 1e-6
        assert got[0].distance_m == pytest.approx(d0, abs=max(10.0, 0.005 * d0) + 1.0)


@settings(max_examples=100, deadline=None)
@given(cases(), st.floats(0.0, 360.0), st.booleans())
def test_swept_boxes_hold_the_path_widened_by_the_defaults(
    case: Case, az: float, many: bool
) -> None:
    t, buf = case.track, case.buffers
    if many:  # the vectorized form, with another track beside it
        other = track(-170.0, -60.0, 45.0, 300.0)
        owners, all_boxes = swept_boxes_many([other, t], NOW, case.lookahead_s, buf)
        boxes = [b for o, b in zip(owners, all_boxes, strict=True) if o == 1]
    else:
        boxes = swept_boxes(t, NOW, case.lookahead_s, buf)
    taus, lon, lat, alt = sampled(t, case.lookahead_s, NOW)
    n = len(taus)
    # each sampled position, and a point h away from it in some direction
    ox, oy, _ = GEOD.fwd(lon, lat, np.full(n, az), np.full(n, buf.h_m))
    when = NOW.timestamp() + taus
    for x, y in ((lon, lat), (np.asarray(ox), np.asarray(oy))):
        for k in range(n):
            assert any(
                b.lon_min <= x[k] <= b.lon_max and b.lat_min <= y[k] <= b.lat_max
                and b.alt_min <= alt[k] - buf.v_m and alt[k] + buf.v_m <= b.alt_max
                and b.t_min <= when[k] - buf.t_s and when[k] + buf.t_s <= b.t_max
                for b in boxes
            ), (k, float(x[k]), float(y[k]), boxes)  # fmt: skip
