"""Tactical detection on encounters worked out by hand, the edge cases, and the pruning.

Distances along the equator are a·Δλ (the equator is a geodesic of the ellipsoid); meridian arcs
near a pole are a/√(1-e²)·Δφ. Times follow from closing speeds: 200 m/s head-on is 400 m/s.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from pyproj import Geod

from deconfliction.detect import tactical
from deconfliction.detect.tactical import Encounters, States, detect
from deconfliction.domain import Minima

GEOD = Geod(ellps="WGS84")
A = 6_378_137.0
E2 = 0.0066943799901413165
R, H = 9260.0, 304.8


def east(m: float) -> float:
    """The longitude, in degrees, m metres east of 0 along the equator."""
    return math.degrees(m / A)


def two(*rows: tuple[float, ...], **kw: list[int]) -> States:
    """States from rows (lat, lon, alt_m, gs_mps, trk_deg, vs_mps)."""
    return States.of(*zip(*rows, strict=True), **kw)


def only(e: Encounters) -> tuple[float, float, float, float]:
    assert len(e) == 1 and (int(e.i[0]), int(e.j[0])) == (0, 1)
    return float(e.t_in_s[0]), float(e.t_out_s[0]), float(e.tcpa_s[0]), float(e.dcpa_m[0])


def expect(e: Encounters, t_in: float, t_out: float, tcpa: float, dcpa: float) -> None:
    got = only(e)
    assert got[0] == pytest.approx(t_in, abs=0.01)
    assert got[1] == pytest.approx(t_out, abs=0.01)
    assert got[2] == pytest.approx(tcpa, abs=0.01)
    assert got[3] == pytest.approx(dcpa, abs=0.5)


def test_head_on() -> None:
    s = two((0, 0, 3000, 200, 90, 0), (0, east(50_000), 3000, 200, 270, 0))
    expect(detect(s), (50_000 - R) / 400, (50_000 + R) / 400, 125.0, 0.0)


def test_head_on_beyond_the_look_ahead_is_no_conflict() -> None:
    s = two((0, 0, 3000, 200, 90, 0), (0, east(130_000), 3000, 200, 270, 0))
    assert len(detect(s)) == 0  # loses separation at 302 s
    expect(detect(s, 310.0), (130_000 - R) / 400, (130_000 + R) / 400, 310.0, 130_000 - 400 * 310)


def test_overtaking() -> None:
    s = two((0, 0, 3000, 250, 90, 0), (0, east(20_000), 3000, 150, 90, 0))
    expect(detect(s), (20_000 - R) / 100, (20_000 + R) / 100, 200.0, 0.0)


def test_crossing_at_right_angles() -> None:
    # b starts 40 km south of a's position at 200 s, on the meridian, heading north
    lon_c = east(40_000)
    _, lat_b, _ = GEOD.fwd(lon_c, 0.0, 180.0, 40_000)
    s = two((0, 0, 3000, 200, 90, 0), (lat_b, lon_c, 3000, 200, 0, 0))
    half = R / (200 * math.sqrt(2))  # they close at 200·√2 m/s
    expect(detect(s), 200 - half, 200 + half, 200.0, 0.0)


def test_climbing_through_a_level() -> None:
    # both hold position 5 km apart; b climbs at 10 m/s from 1,000 m below a
    s = two((0, 0, 3000, 0, 0, 0), (0, east(5000), 2000, 0, 0, 10))
    expect(detect(s), (1000 - H) / 10, (1000 + H) / 10, 0.0, 5000.0)
    far = two((0, 0, 3000, 0, 0, 0), (0, east(9300), 2000, 0, 0, 10))
    assert len(detect(far)) == 0


def test_head_on_while_climbing_through() -> None:
    # horizontally within R over (101.85, 148.15); vertically within H over (139.04, 260.96)
    s = two((0, 0, 3000, 200, 90, 0), (0, east(50_000), 2000, 200, 270, 5))
    expect(detect(s), (1000 - H) / 5, (50_000 + R) / 400, 125.0, 0.0)


def test_parallel_at_the_same_speed_never_separate() -> None:
    # in trail on the same geodesic (the equator), 5 km apart
    s = two((0, 0, 3000, 200, 90, 0), (0, east(5000), 3000, 200, 90, 0))
    t_in, t_out, tcpa, dcpa = only(detect(s))
    assert (t_in, t_out, tcpa) == (0.0, math.inf, 0.0)
    assert dcpa == pytest.approx(5000.0, abs=0.01)


def test_parallel_diverging() -> None:
    s = two((0, 0, 3000, 200, 90, 0), (0, east(5000), 3000, 250, 90, 0))
    expect(detect(s), 0.0, (R - 5000) / 50, 0.0, 5000.0)


def test_already_in_loss_of_separation_and_closing() -> None:
    s = two((0, 0, 3000, 200, 90, 0), (0, east(5000), 3000, 200, 270, 0))
    expect(detect(s), 0.0, (5000 + R) / 400, 12.5, 0.0)


def test_already_in_loss_of_separation_and_diverging() -> None:
    s = two((0, 0, 3000, 200, 270, 0), (0, east(5000), 3000, 200, 90, 0))
    expect(detect(s), 0.0, (R - 5000) / 400, 0.0, 5000.0)


def test_same_place_same_motion() -> None:
    s = two((10, 20, 3000, 200, 45, 1), (10, 20, 3000, 200, 45, 1))
    assert only(detect(s)) == (0.0, math.inf, 0.0, 0.0)


def test_same_group_is_skipped_unless_all_pairs() -> None:
    rows = ((0, 0, 3000, 200, 90, 0), (0, east(50_000), 3000, 200, 270, 0))
    assert len(detect(two(*rows, group=[7, 7]))) == 0
    assert len(detect(two(*rows, group=[7, 7]), all_pairs=True)) == 1
    assert len(detect(two(*rows, group=[7, 8]))) == 1


@pytest.mark.parametrize(
    ("domains", "apart_m", "above_m", "conflict"),
    [
        ([1, 1], 80.0, 0.0, True),  # ground-ground: 100 m, 50 m
        ([1, 1], 150.0, 0.0, False),
        ([1, 2], 80.0, 0.0, True),  # sea counts as a surface domain
        ([0, 0], 150.0, 0.0, True),  # air-air: 5 NM
        ([0, 0], 9000.0, 300.0, True),
        ([0, 0], 9300.0, 0.0, False),
        ([1, 0], 1800.0, 150.0, True),  # ground-air: 1 NM, 500 ft
        ([1, 0], 1900.0, 0.0, False),
        ([0, 1], 150.0, 160.0, False),
    ],
)
def test_minima_per_pair_of_domains(
    domains: list[int], apart_m: float, above_m: float, conflict: bool
) -> None:
    s = two((0, 0, 0, 0, 0, 0), (0, east(apart_m), above_m, 0, 0, 0), domain=domains)
    assert len(detect(s)) == int(conflict)


def test_uniform_minima() -> None:
    s = two((0, 0, 0, 0, 0, 0), (0, east(150.0), 0, 0, 0, 0), domain=[1, 1])
    assert len(detect(s, minima=Minima.uniform(200.0, 10.0))) == 1
    assert len(detect(s, minima=Minima.uniform(100.0, 10.0))) == 0


@pytest.mark.parametrize(("h", "v"), [(0.0, 0.0), (0.0, 100.0), (100.0, 0.0)])
def test_zero_minima_never_conflict(h: float, v: float) -> None:
    same = two((0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0), (0, 0, 0, 10, 0, 0))
    assert len(detect(same, minima=Minima.uniform(h, v))) == 0
    with pytest.raises(ValueError, match="non-negative"):
        detect(same, minima=Minima.uniform(-1.0, v))


def test_across_the_antimeridian() -> None:
    gap = A * math.radians(0.02)  # 179.99 E to 179.99 W: 2,226 m
    s = two((0, 179.99, 3000, 200, 90, 0), (0, -179.99, 3000, 200, 270, 0))
    expect(detect(s), 0.0, (gap + R) / 400, gap / 400, 0.0)
    gap = A * math.radians(0.2)
    s = two((0, 179.9, 3000, 200, 90, 0), (0, -179.9, 3000, 200, 270, 0))
    expect(detect(s), (gap - R) / 400, (gap + R) / 400, gap / 400, 0.0)


def test_over_the_pole() -> None:
    arc = A / math.sqrt(1 - E2) * math.radians(0.1)  # 89.9 N to the pole: 11,169 m
    s = two((89.9, 0, 3000, 200, 0, 0), (89.9, 180, 3000, 200, 0, 0))  # head-on over the pole
    expect(detect(s), (2 * arc - R) / 400, (2 * arc + R) / 400, arc / 200, 0.0)
    s = two((89.9, 0, 3000, 200, 0, 0), (89.9, 90, 3000, 200, 0, 0))  # at right angles
    half = R / (200 * math.sqrt(2))
    expect(detect(s), arc / 200 - half, arc / 200 + half, arc / 200, 0.0)


def test_from_the_pole_itself() -> None:
    # at the pole a track is measured from the meridian of its longitude, as Geod.fwd does
    s = two((90, 0, 3000, 200, 0, 0), (90, 180, 3000, 200, 0, 0))
    t_in, t_out, tcpa, dcpa = only(detect(s))
    assert (t_in, tcpa, dcpa) == (0.0, 0.0, pytest.approx(0.0, abs=0.01))
    assert t_out == pytest.approx(R / 400, abs=0.01)


def test_results_are_sorted_pairs_and_never_nan() -> None:
    rng = np.random.default_rng(3)
    n = 300
    lat = rng.uniform(-0.5, 0.5, n)
    lon = rng.uniform(-0.5, 0.5, n)
    alt = rng.choice([0.0, 3000.0, 3100.0], n)
    gs = rng.choice([0.0, 1e-12, 100.0, 250.0], n)
    trk = rng.choice([0.0, 90.0, 359.9999], n)
    vs = rng.choice([0.0, 5e-324, -10.0], n)
    lat[:20], lon[:20] = 0.0, 0.0  # some share one point
    e = detect(States.of(lat, lon, alt, gs, trk, vs))
    assert len(e) > 100
    assert np.all(e.i < e.j)
    key = e.i * n + e.j
    assert np.all(np.diff(key) > 0)
    for col in (e.t_in_s, e.t_out_s, e.tcpa_s, e.dcpa_m):
        assert col.dtype == np.float64 and not np.isnan(col).any()
    assert np.all(np.isfinite(e.t_in_s) & np.isfinite(e.tcpa_s) & np.isfinite(e.dcpa_m))
    assert np.all((e.t_in_s >= 0) & (e.t_in_s < 300) & (e.t_out_s > e.t_in_s))
    assert np.all((e.tcpa_s >= 0) & (e.tcpa_s <= 300))


def test_fewer_than_two_tracks() -> None:
    empty = detect(States.of([], [], [], [], [], []))
    assert len(empty) == 0 and empty.i.dtype == np.int64 and empty.dcpa_m.dtype == np.float64
    assert len(detect(States.of([0], [0], [0], [0], [0], [0]))) == 0


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"lat": [91.0, 0.0]}, "lat[0] is outside -90..90"),
        ({"lon": [0.0, math.nan]}, "lon[1] is not finite"),
        ({"alt_m": [math.inf, 0.0]}, "alt_m[0] is not finite"),
        ({"gs_mps": [0.0, -1.0]}, "gs_mps[1] is negative"),
        ({"gs_mps": [1e9, 0.0]}, "gs_mps[0] is above"),
        ({"vs_mps": [0.0, -1e9]}, "vs_mps[1] is beyond"),
        ({"alt_m": [0.0, 1e12]}, "alt_m[1] is beyond"),
        ({"domain": [0, 3]}, "domain[1] is not 0"),
        ({"trk_deg": [0.0]}, "trk_deg has shape (1,), not (2,)"),
        ({"group": [1, 2, 3]}, "group has shape (3,)"),
    ],
)
def test_states_of_checks_its_columns(change: dict[str, list[float]], words: str) -> None:
    cols: dict[str, list[float]] = {
        "lat": [0.0, 0.0], "lon": [0.0, 1.0], "alt_m": [0.0, 0.0], "gs_mps": [1.0, 1.0],
        "trk_deg": [0.0, 0.0], "vs_mps": [0.0, 0.0],
    }  # fmt: skip
    with pytest.raises(ValueError, match=re.escape(words)):
        States.of(**{**cols, **change})  # type: ignore[arg-type]


def test_states_of_copies() -> None:
    lat = np.zeros(2)
    s = States.of(lat, lat, lat, lat, lat, lat)
    lat[0] = 45.0
    assert s.lat[0] == 0.0 and s.lat.dtype == np.float64 and len(s) == 2


def test_look_ahead_must_be_positive() -> None:
    s = two((0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0))
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="lookahead_s"):
            detect(s, bad)


def test_advanced_then_detected_is_the_same_encounter_later() -> None:
    s = two((0, 0, 3000, 200, 90, 0), (0, east(50_000), 3000, 200, 270, 0))
    t_in, t_out, tcpa, _ = only(detect(s.advanced(20.0)))
    assert (t_in, t_out, tcpa) == pytest.approx(((50_000 - R) / 400 - 20, 128.15, 105.0), abs=0.01)
    back = s.advanced(np.array([-10.0, 0.0]))
    assert back.lon[0] == pytest.approx(east(-2000.0), abs=1e-9)


# --- the pruning never loses a pair the exact stages would report ---------------------------


def every_pair(
    s: States, tr: object, t: float, h: object, v: object, all_pairs: bool
) -> tuple[np.ndarray, np.ndarray]:
    i, j = np.triu_indices(len(s), 1)
    keep = np.ones(len(i), bool) if all_pairs else s.group[i] != s.group[j]
    return i[keep].astype(np.int64), j[keep].astype(np.int64)


def crowd(seed: int, lat0: float, lon0: float, n: int, spread_m: float) -> States:
    rng = np.random.default_rng(seed)
    az = rng.uniform(0, 360, n)
    d = spread_m * np.sqrt(rng.uniform(0, 1, n))
    lon, lat, _ = GEOD.fwd(np.full(n, lon0), np.full(n, lat0), az, d)
    return States.of(
        lat, lon, rng.uniform(0, 4000, n), rng.choice([0.0, 5.0, 30.0, 150.0, 260.0], n),
        rng.uniform(0, 360, n), rng.uniform(-12, 12, n),
        group=rng.integers(0, 4, n), domain=rng.choice([0, 0, 0, 1, 2], n),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("seed", "lat0", "lon0", "spread_m"),
    [
        (1, 52.0, 4.0, 150_000.0),
        (2, 0.0, 180.0, 100_000.0),  # the antimeridian
        (3, 89.7, 0.0, 80_000.0),  # across the pole
        (4, -33.9, 151.2, 20_000.0),  # a crowded terminal area
    ],
)
@pytest.mark.parametrize("all_pairs", [False, True])
def test_pruning_loses_nothing(
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    lat0: float,
    lon0: float,
    spread_m: float,
    all_pairs: bool,
) -> None:
    s = crowd(seed, lat0, lon0, 400, spread_m)
    got = detect(s, all_pairs=all_pairs)
    assert len(got) > 20
    with monkeypatch.context() as m:
        m.setattr(tactical, "_candidates", every_pair)
        want = detect(s, all_pairs=all_pairs)
    assert np.array_equal(got.i, want.i) and np.array_equal(got.j, want.j)
    assert np.array_equal(got.t_in_s, want.t_in_s) and np.array_equal(got.dcpa_m, want.dcpa_m)


def test_a_wild_speed_meets_every_box_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    s = crowd(5, 10.0, 10.0, 300, 50_000.0)
    fast = States.of(
        np.r_[s.lat, 10.0], np.r_[s.lon, 9.0], np.r_[s.alt_m, 2000.0], np.r_[s.gs_mps, 9000.0],
        np.r_[s.trk_deg, 90.0], np.r_[s.vs_mps, 0.0], domain=np.r_[s.domain, 0],
    )  # fmt: skip
    got = detect(fast)
    assert np.any(got.j == 300)
    with monkeypatch.context() as m:
        m.setattr(tactical, "_candidates", every_pair)
        want = detect(fast)
    assert np.array_equal(got.i, want.i) and np.array_equal(got.j, want.j)


def test_far_apart_tracks_are_not_paired() -> None:
    # 2,000 tracks 60 km apart on a grid: the candidates grow with the neighbours, not N²
    side = 45
    lat, lon = (
        g.ravel()[:2000] for g in np.meshgrid(np.arange(side) * 0.54, np.arange(side) * 0.54)
    )
    n = len(lat)
    s = States.of(lat, lon, np.full(n, 3000.0), np.full(n, 250.0), np.full(n, 45.0), np.zeros(n))
    tr = tactical._Tracks.of(s)
    h, v = tactical._tables(tactical.DEFAULT_MINIMA)
    i, _ = tactical._candidates(s, tr, 300.0, h, v, False)
    assert len(i) < 20 * n
    assert len(detect(s)) == 0


def test_pruning_with_metre_minima_around_the_world(monkeypatch: pytest.MonkeyPatch) -> None:
    # tiny cells over the whole earth (the cells in use are numbered) and altitudes 20,000 km
    # apart (the altitude sweep goes coarser than a metre): still nothing lost
    rng = np.random.default_rng(7)
    n = 400
    centres = np.array([[52.0, 4.0], [-33.9, 151.2], [0.0, 179.99], [89.99, 45.0]])
    c = centres[rng.integers(0, 4, n)]
    lon, lat, _ = GEOD.fwd(c[:, 1], c[:, 0], rng.uniform(0, 360, n), rng.uniform(0, 60, n))
    alt = np.where(rng.random(n) < 0.05, rng.choice([-9e6, 9e6], n), rng.uniform(0, 10, n))
    s = States.of(lat, lon, alt, rng.uniform(0, 0.2, n), rng.uniform(0, 360, n), np.zeros(n))
    minima = Minima.uniform(30.0, 5.0)
    got = detect(s, 60.0, minima)
    assert len(got) > 100
    with monkeypatch.context() as m:
        m.setattr(tactical, "_candidates", every_pair)
        want = detect(s, 60.0, minima)
    assert np.array_equal(got.i, want.i) and np.array_equal(got.j, want.j)
