"""Tactical-detection workloads (track states made with numpy from one seed) and two reference
earth models for judging the pairs on which two detectors disagree.

Workloads (every array in the units ``States.of`` takes: degrees, metres, m/s, true track
degrees, m/s up):

- :func:`uniform`: ``n`` tracks uniform over a 500 km x 500 km box centred at 52 N 4 E (latitude
  and longitude uniform over the box's extent, 250 km each way from the centre, in degrees of
  the WGS84 meridian and parallel there), ground speed uniform 200-500 kt, altitude uniform
  0-40,000 ft, track uniform 0-360, vertical speed uniform -2,000..+2,000 fpm.
- :func:`world`: ``n`` tracks clustered like world traffic, see its docstring.

Reference models (:func:`min_separation`): the minimum over tau in [0, t_end] of the normalized
separation s(tau) = max(d_h(tau) / R, d_v(tau) / H) of two tracks extrapolated from their
states; a pair is in conflict under a model when that minimum over [0, T] is below 1.

- ``"flat"``: BlueSky's geometry (``bluesky.traffic.asas``): the relative position from the
  equirectangular approximation on a sphere of radius 6,371,000 m at the pair's mean latitude,
  both velocities constant in (east, north); the relative motion is a straight line in that plane.
- ``"wgs84"``: each track follows the WGS84 geodesic that leaves its position along its track at
  its ground speed (``pyproj.Geod.fwd``); d_h is the geodesic distance between the two positions
  at tau (``Geod.inv``).

Both extrapolate altitude linearly (alt + vs tau) and measure d_v as the altitude difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "FPM",
    "FT",
    "KT",
    "NM",
    "Hubs",
    "Tracks",
    "hubs",
    "min_separation",
    "uniform",
    "world",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

NM = 1852.0
FT = 0.3048
KT = NM / 3600.0
FPM = FT / 60.0

_A = 6_378_137.0
_E2 = 6.694379990141316e-3
_R_MEAN = 6_371_008.8  # only to place synthetic tracks; the models say which radius they use
_R_BLUESKY = 6_371_000.0


@dataclass(frozen=True)
class Tracks:
    """``n`` track states as columns, and what made them."""

    lat: F64
    lon: F64
    alt_m: F64
    gs_mps: F64
    trk_deg: F64
    vs_mps: F64
    kind: I64  # world: 0 near a hub (climbing/descending), 1 en route; uniform: all 1

    def __len__(self) -> int:
        return len(self.lat)

    def head(self, n: int) -> Tracks:
        return Tracks(
            self.lat[:n], self.lon[:n], self.alt_m[:n], self.gs_mps[:n], self.trk_deg[:n],
            self.vs_mps[:n], self.kind[:n],
        )  # fmt: skip


def _wrap_lon(lon: F64) -> F64:
    return (lon + 180.0) % 360.0 - 180.0


# --------------------------------------------------------------------------------------------
# case 1: uniform


def uniform(
    rng: np.random.Generator,
    n: int,
    centre: tuple[float, float] = (52.0, 4.0),
    half_m: float = 250_000.0,
) -> Tracks:
    """``n`` tracks uniform over a (2 half_m)-wide box centred at ``centre`` (lat, lon)."""
    lat0 = math.radians(centre[0])
    w = math.sqrt(1.0 - _E2 * math.sin(lat0) ** 2)
    m_per_deg_lat = math.radians(1.0) * _A * (1.0 - _E2) / w**3
    m_per_deg_lon = math.radians(1.0) * _A / w * math.cos(lat0)
    dlat = half_m / m_per_deg_lat
    dlon = half_m / m_per_deg_lon
    lat = rng.uniform(centre[0] - dlat, centre[0] + dlat, n)
    lon = rng.uniform(centre[1] - dlon, centre[1] + dlon, n)
    gs = rng.uniform(200.0, 500.0, n) * KT
    alt = rng.uniform(0.0, 40_000.0, n) * FT
    trk = rng.uniform(0.0, 360.0, n)
    vs = rng.uniform(-2_000.0, 2_000.0, n) * FPM
    return Tracks(lat, lon, alt, gs, trk, vs, np.ones(n, dtype=np.int64))


# --------------------------------------------------------------------------------------------
# case 2: world

# (name, lat range, lon range (may run past 180), hubs, traffic weight factor)
_REGIONS: tuple[tuple[str, tuple[float, float], tuple[float, float], int, float], ...] = (
    ("Europe", (36.0, 62.0), (-10.0, 30.0), 90, 1.5),
    ("North America", (25.0, 50.0), (-124.0, -70.0), 80, 1.5),
    ("East Asia", (20.0, 45.0), (100.0, 145.0), 60, 1.5),
    ("South and South-East Asia", (-8.0, 28.0), (70.0, 125.0), 25, 1.0),
    ("Middle East", (20.0, 38.0), (35.0, 60.0), 12, 1.0),
    ("South America", (-35.0, 5.0), (-75.0, -35.0), 15, 0.7),
    ("Africa", (-34.0, 35.0), (-15.0, 45.0), 12, 0.5),
    ("Oceania", (-40.0, -12.0), (115.0, 178.0), 10, 0.7),
    ("Pacific, antimeridian south", (-25.0, -10.0), (170.0, 190.0), 6, 0.4),
    ("Bering, antimeridian north", (50.0, 67.0), (170.0, 190.0), 6, 0.4),
    ("High latitude", (64.0, 82.0), (-180.0, 180.0), 12, 0.4),
)


@dataclass(frozen=True)
class Hubs:
    lat: F64
    lon: F64
    weight: F64  # sums to 1
    region: I64

    def __len__(self) -> int:
        return len(self.lat)


def hubs(rng: np.random.Generator) -> Hubs:
    """328 synthetic hubs: uniform within each region's box, weighted log-normally (sigma 1)
    times the region's factor, so Europe, North America and East Asia carry most traffic."""
    lat: list[F64] = []
    lon: list[F64] = []
    w: list[F64] = []
    reg: list[I64] = []
    for k, (_, (la0, la1), (lo0, lo1), count, factor) in enumerate(_REGIONS):
        # area-uniform in latitude: uniform in sin(lat)
        s = rng.uniform(math.sin(math.radians(la0)), math.sin(math.radians(la1)), count)
        lat.append(np.degrees(np.arcsin(s)))
        lon.append(_wrap_lon(rng.uniform(lo0, lo1, count)))
        w.append(rng.lognormal(0.0, 1.0, count) * factor)
        reg.append(np.full(count, k, dtype=np.int64))
    weight = np.concatenate(w)
    return Hubs(np.concatenate(lat), np.concatenate(lon), weight / weight.sum(),
                np.concatenate(reg))  # fmt: skip


def _unit(lat: F64, lon: F64) -> F64:
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _latlon(u: F64) -> tuple[F64, F64]:
    return (
        np.degrees(np.arctan2(u[..., 2], np.hypot(u[..., 0], u[..., 1]))),
        np.degrees(np.arctan2(u[..., 1], u[..., 0])),
    )


def _bearing(lat1: F64, lon1: F64, lat2: F64, lon2: F64) -> F64:
    """Initial great-circle bearing from 1 to 2, degrees 0..360 (sphere)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.degrees(np.arctan2(y, x)) % 360.0


def _destination(lat: F64, lon: F64, brg: F64, dist_m: F64) -> tuple[F64, F64]:
    """Great-circle destination (sphere of the mean radius)."""
    p, lam, b = np.radians(lat), np.radians(lon), np.radians(brg)
    d = dist_m / _R_MEAN
    p2 = np.arcsin(np.sin(p) * np.cos(d) + np.cos(p) * np.sin(d) * np.cos(b))
    lam2 = lam + np.arctan2(np.sin(b) * np.sin(d) * np.cos(p), np.cos(d) - np.sin(p) * np.sin(p2))
    return np.degrees(p2), _wrap_lon(np.degrees(lam2))


def world(rng: np.random.Generator, n: int, near_hub: float = 0.3) -> Tracks:
    """``n`` tracks clustered like world traffic around the :func:`hubs` (drawn first, same rng).

    - A share ``near_hub`` (30 %) are terminal traffic: a hub drawn by weight; the track 3-90 km
      from it (area-uniform), at an altitude on a ~3 degree profile (5.5 % of the distance,
      +-300 m, 30-7,000 m); half climb out (track = bearing away from the hub +-20 degrees,
      +6..+15 m/s), half descend in (bearing to the hub +-20 degrees, -12..-4 m/s); ground speed
      75-115 m/s plus 0.02/s times the altitude (150-450 kt).
    - The rest are en route: an origin and a destination hub drawn by weight (distinct, 300 to
      12,000 km apart, redrawn otherwise); the track at a uniform 5-95 % of the great circle
      between them, its track the great-circle bearing to the destination from there. 90 % cruise
      at a flight level, FL290-FL410 by the semicircular rule (odd thousands eastbound, even
      westbound), +-10 m of altimetry noise, vertical speed 0; 10 % change level, anywhere in
      FL200-FL400 at +-3..10 m/s. Ground speed 210-260 m/s (410-505 kt).

    The hub boxes put a few dozen hubs across the antimeridian (Fiji-Samoa, Bering) and above
    64 N, so routes cross 180 degrees and pass near the pole.
    """
    hb = hubs(rng)
    kind = (rng.random(n) >= near_hub).astype(np.int64)
    lat = np.empty(n)
    lon = np.empty(n)
    alt = np.empty(n)
    gs = np.empty(n)
    trk = np.empty(n)
    vs = np.zeros(n)

    # terminal traffic
    t = np.flatnonzero(kind == 0)
    m = len(t)
    h = rng.choice(len(hb), size=m, p=hb.weight)
    r = np.sqrt(rng.uniform(3_000.0**2, 90_000.0**2, m))
    out_brg = rng.uniform(0.0, 360.0, m)
    la, lo = _destination(hb.lat[h], hb.lon[h], out_brg, r)
    climbing = rng.random(m) < 0.5
    to_hub = _bearing(la, lo, hb.lat[h], hb.lon[h])
    away = (to_hub + 180.0) % 360.0
    lat[t], lon[t] = la, lo
    trk[t] = (np.where(climbing, away, to_hub) + rng.normal(0.0, 20.0, m)) % 360.0
    alt[t] = np.clip(0.055 * r + rng.normal(0.0, 300.0, m), 30.0, 7_000.0)
    vs[t] = np.where(climbing, rng.uniform(6.0, 15.0, m), rng.uniform(-12.0, -4.0, m))
    gs[t] = rng.uniform(75.0, 115.0, m) + 0.02 * alt[t]

    # en route
    e = np.flatnonzero(kind == 1)
    k = len(e)
    o = rng.choice(len(hb), size=k, p=hb.weight)
    d = rng.choice(len(hb), size=k, p=hb.weight)
    uo = _unit(hb.lat[o], hb.lon[o])
    for _ in range(100):
        ud = _unit(hb.lat[d], hb.lon[d])
        ang = np.arccos(np.clip((uo * ud).sum(axis=1), -1.0, 1.0))
        bad = (o == d) | (ang * _R_MEAN < 300_000.0) | (ang * _R_MEAN > 12_000_000.0)
        if not bad.any():
            break
        d[bad] = rng.choice(len(hb), size=int(bad.sum()), p=hb.weight)
    else:  # pragma: no cover - the weights make this vanishingly unlikely
        raise RuntimeError("could not draw route ends")
    f = rng.uniform(0.05, 0.95, k)
    sin_ang = np.sin(ang)
    u = (np.sin((1.0 - f) * ang) / sin_ang)[:, None] * uo + (np.sin(f * ang) / sin_ang)[
        :, None
    ] * ud
    la, lo = _latlon(u)
    lat[e], lon[e] = la, lo
    trk[e] = _bearing(la, lo, hb.lat[d], hb.lon[d])
    gs[e] = rng.uniform(210.0, 260.0, k)
    eastbound = trk[e] < 180.0
    level = rng.integers(0, 7, k)  # 7 odd levels FL290..FL410, 6 even FL300..FL400
    fl = np.where(eastbound, 290 + 20 * level, 300 + 20 * np.minimum(level, 5))
    cruise = rng.random(k) < 0.9
    alt[e] = np.where(
        cruise, fl * 100.0 * FT + rng.normal(0.0, 10.0, k), rng.uniform(20_000, 40_000, k) * FT
    )
    vs[e] = np.where(
        cruise, 0.0, rng.uniform(3.0, 10.0, k) * np.where(rng.random(k) < 0.5, 1.0, -1.0)
    )
    return Tracks(lat, lon, alt, gs, trk, vs, kind)


# --------------------------------------------------------------------------------------------
# reference models for the disagreements


def _flat_sep(tr: Tracks, i: I64, j: I64, tau: F64, r_m: float, h_m: float) -> F64:
    """BlueSky's geometry; ``tau`` has shape (K, S) for the K pairs (i, j)."""
    lat1, lat2 = np.radians(tr.lat[i]), np.radians(tr.lat[j])
    dlon = np.radians(_wrap_lon(tr.lon[j] - tr.lon[i]))
    cav = np.cos(0.5 * (lat1 + lat2))
    dx = _R_BLUESKY * dlon * cav  # j relative to i, east
    dy = _R_BLUESKY * (lat2 - lat1)  # north
    ti, tj = np.radians(tr.trk_deg[i]), np.radians(tr.trk_deg[j])
    wx = tr.gs_mps[j] * np.sin(tj) - tr.gs_mps[i] * np.sin(ti)
    wy = tr.gs_mps[j] * np.cos(tj) - tr.gs_mps[i] * np.cos(ti)
    dh = np.hypot(dx[:, None] + wx[:, None] * tau, dy[:, None] + wy[:, None] * tau)
    return np.maximum(dh / r_m, _dv(tr, i, j, tau) / h_m)


def _dv(tr: Tracks, i: I64, j: I64, tau: F64) -> F64:
    dz = tr.alt_m[j] - tr.alt_m[i]
    wz = tr.vs_mps[j] - tr.vs_mps[i]
    return np.abs(dz[:, None] + wz[:, None] * tau)


def _wgs84_sep(tr: Tracks, i: I64, j: I64, tau: F64, r_m: float, h_m: float) -> F64:
    from pyproj import Geod

    g = Geod(ellps="WGS84")
    shape = tau.shape

    def at(k: I64) -> tuple[F64, F64]:
        lon, lat, _ = g.fwd(
            np.broadcast_to(tr.lon[k][:, None], shape).ravel(),
            np.broadcast_to(tr.lat[k][:, None], shape).ravel(),
            np.broadcast_to(tr.trk_deg[k][:, None], shape).ravel(),
            (tr.gs_mps[k][:, None] * tau).ravel(),
        )
        return np.asarray(lon), np.asarray(lat)

    lon1, lat1 = at(i)
    lon2, lat2 = at(j)
    _, _, dh = g.inv(lon1, lat1, lon2, lat2)
    return np.maximum(np.asarray(dh).reshape(shape) / r_m, _dv(tr, i, j, tau) / h_m)


_MODELS = {"flat": _flat_sep, "wgs84": _wgs84_sep}


def min_separation(
    model: str,
    tr: Tracks,
    i: I64,
    j: I64,
    t_end: float,
    r_m: float,
    h_m: float,
    step_s: float = 0.5,
) -> tuple[F64, F64]:
    """Per pair: the minimum over tau in [0, t_end] of max(d_h / R, d_v / H), and the tau where
    it is reached.

    s(tau) is convex in the flat model (a maximum of two norms of affine functions) and very
    nearly so along geodesics, so the minimum on a ``step_s`` grid lies within one step of the
    true one; that bracket is then sampled every ``step_s`` / 100 (a relative speed of 1,000 m/s
    moves 5 m in that time, 0.05 % of 5 NM).
    """
    sep = _MODELS[model]
    if len(i) == 0:
        return np.empty(0), np.empty(0)
    coarse = np.append(np.arange(0.0, t_end, step_s), t_end)
    s = sep(tr, i, j, np.broadcast_to(coarse, (len(i), len(coarse))), r_m, h_m)
    k = s.argmin(axis=1)
    lo = np.maximum(coarse[k] - step_s, 0.0)
    hi = np.minimum(coarse[k] + step_s, t_end)
    fine = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, 201)[None, :]
    s2 = sep(tr, i, j, fine, r_m, h_m)
    k2 = s2.argmin(axis=1)
    rows = np.arange(len(i))
    return s2[rows, k2], fine[rows, k2]
