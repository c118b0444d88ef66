"""Tactical detection: which pairs of tracks, each extrapolated along its geodesic, come within the
minima in the next T seconds; the closest point of approach for each, all pairs at once in numpy.

How it stays fast: swept boxes in ECEF and altitude, one per time slice, are joined through a grid
of cells (sorted by cell, then swept by altitude), so the work grows with the pairs that come near
each other, not with N². Every surviving pair is then decided with one linear model in a plane
tangent between the two tracks, then decided again, tightly, in a plane re-centred where they meet.

How it stays safe (the error bound): a track moves along a geodesic of the WGS84 ellipsoid at
constant ground speed g, so its acceleration is normal to the surface and at most g²·κ, where
κ = 1/(a(1-e²)) is the largest normal curvature of the ellipsoid (the meridian at the equator).
Linearise both tracks at a time t0 and look at them in the plane normal to u, the bisector of
their two surface normals at t0; each normal makes an angle θ with u, and turns at most g·κ per
second. The plane position of a track then leaves its straight line by at most

    e(g, θ, d) = g²κ (g κ d³ / 6 + θ d² / 2)     after |t - t0| = d seconds,

and the plane distance never exceeds the geodesic one (a chord is shorter than any surface path;
a projection is shorter than the chord). So a pair less than R apart on the ellipsoid is less
than R + e(g_i, θ, d) + e(g_j, θ, d) apart in the model: widening R by that sum never misses a
conflict. First pass: t0 = 0, d = T (about 15 m for two airliners at 257 m/s starting 150 km
apart, T = 300 s). Second pass: t0 = the middle of the first pass's window, states there from
``pyproj.Geod.fwd`` (exact), d = half the window: at most 0.65 m for two airliners over 300 s
(the first pass proved the pair never closer than R outside the window). A false alarm is then
within twice that of R, plus at most a few decimetres for the chord's tilt out of the plane.

A ground or sea track reported without its height (``alt_m`` NaN) is on the surface at a height
nobody told: its vertical distance to any track is taken as within every minimum, so its pairs
are decided on horizontal distance alone (erring toward reporting; docs/conflicts.md). A track
whose height is uncertain (``alt_unc_m``, e.g. a barometric altitude from ADS-B) widens the
vertical minimum of each of its pairs by its uncertainty: H + u_i + u_j.

Here: the swept boxes and the two passes. ``states``: the track columns and their motion;
``sweep``: which boxes meet; ``cpa``: the closed-form intervals, closest approach and drift bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deconfliction.detect.tactical.cpa import (
    STILL_MPS,
    band,
    bisector,
    disk,
    drift_bound_m,
    planar,
)
from deconfliction.detect.tactical.states import (
    F64,
    I64,
    K_MAX,
    MAX_ALT_M,
    MAX_SPEED_MPS,
    States,
    ecef,
    forward,
)
from deconfliction.detect.tactical.sweep import distinct, meeting_keys
from deconfliction.domain.track import Minima

__all__ = [
    "DEFAULT_MINIMA",
    "K_MAX",
    "MAX_ALT_M",
    "MAX_SPEED_MPS",
    "Encounters",
    "States",
    "detect",
    "drift_bound_m",
]

DEFAULT_MINIMA = Minima()
_CHUNK = 1 << 18  # pairs per numpy pass: bounds the temporaries to tens of MB
_ROUNDING_M = 1e-6  # ECEF differences of 6e6 m round at 1e-9 m, Geod.fwd is good to 2e-8 m


@dataclass(frozen=True)
class Encounters:
    """Conflicting pairs as columns, sorted by (i, j), i < j (rows of the detected States).

    ``t_in_s``: when separation is first lost (0 if already lost); ``t_out_s``: when the
    straight-line encounter ends, not clipped to the look-ahead (``inf`` if never);
    ``tcpa_s``: the closest horizontal approach, clipped to [0, T]; ``dcpa_m``: the horizontal
    distance then.
    """

    i: I64
    j: I64
    t_in_s: F64
    t_out_s: F64
    tcpa_s: F64
    dcpa_m: F64

    def __len__(self) -> int:
        return len(self.i)


def detect(
    states: States,
    lookahead_s: float = 300.0,
    minima: Minima = DEFAULT_MINIMA,
    all_pairs: bool = False,
) -> Encounters:
    """The pairs of tracks (of different groups unless ``all_pairs``) that, each extrapolated
    along its geodesic, come within the minima between their domains at some τ in
    [0, ``lookahead_s``]: horizontal (geodesic) distance < R and vertical distance < H.

    Never misses such a pair; reports one that does not only when it comes within a proven
    bound (under 1 m for airliners over 300 s, see the module docstring) of R.

    >>> s = States.of([52.0, 52.2], [4.0, 4.0], [3000, 3000], [200, 200], [0, 180], [0, 0])
    >>> e = detect(s)
    >>> e.i.tolist(), e.j.tolist(), [round(float(t), 1) for t in (e.t_in_s[0], e.tcpa_s[0])]
    ([0], [1], [32.5, 55.6])
    """
    if not (np.isfinite(lookahead_s) and lookahead_s > 0):
        raise ValueError("lookahead_s must be a positive number of seconds")
    t = float(lookahead_s)
    tracks = _Tracks.of(states)
    h_tab, v_tab = _tables(minima)
    i, j = _candidates(states, tracks, t, h_tab, v_tab, all_pairs)
    pairs: list[tuple[I64, I64]] = [(i[:0], j[:0])]
    found: list[tuple[F64, F64, F64, F64]] = [(np.empty(0),) * 4]
    for k in range(0, len(i), _CHUNK):
        ci, cj = i[k : k + _CHUNK], j[k : k + _CHUNK]
        keep, a, b = _screen(states, tracks, ci, cj, t, h_tab, v_tab)
        ci, cj = ci[keep], cj[keep]
        keep, cols = _refine(states, ci, cj, a[keep], b[keep], t, h_tab, v_tab)
        pairs.append((ci[keep], cj[keep]))
        found.append(cols)
    ij = [np.concatenate(c) for c in zip(*pairs, strict=True)]
    t_in, t_out, tcpa, dcpa = (np.concatenate(c) for c in zip(*found, strict=True))
    return Encounters(ij[0], ij[1], t_in, t_out, tcpa, dcpa)


@dataclass(frozen=True)
class _Tracks:
    """Per-track ECEF vectors: surface point x, unit normal nrm, velocity v (all (n, 3))."""

    x: F64
    nrm: F64
    v: F64

    @classmethod
    def of(cls, s: States) -> _Tracks:
        return cls(*ecef(s.lat, s.lon, s.trk_deg, s.gs_mps))


def _tables(minima: Minima) -> tuple[F64, F64]:
    tab = minima.table()
    h = np.array([[m.h_m for m in row] for row in tab], dtype=np.float64)
    v = np.array([[m.v_m for m in row] for row in tab], dtype=np.float64)
    if not (
        np.all(np.isfinite(h)) and np.all(h >= 0) and np.all(np.isfinite(v)) and np.all(v >= 0)
    ):
        raise ValueError("minima must be non-negative numbers of metres")
    return h, v


def _candidates(
    s: States, tr: _Tracks, t: float, h_tab: F64, v_tab: F64, all_pairs: bool
) -> tuple[I64, I64]:
    """Every pair whose swept boxes meet in some time slice (i < j, sorted, each once).

    In slice [ta, tb] a track's surface point stays within g²κ·tb²/2 of its straight ECEF
    extrapolation (the acceleration bound), so the box of that segment widened by this and by
    half the largest minimum its domain has with any domain holds every point it can be in
    conflict from; the altitude range is exact, widened the same way.
    """
    n = len(s)
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    dom = s.domain.astype(np.intp)
    reach_h = h_tab.max(axis=1)[dom] / 2
    reach_v = v_tab.max(axis=1)[dom] / 2
    group = None if all_pairs else s.group
    # short slices make small boxes: about four reaches of travel each, at most eight
    reach = max(float(np.median(reach_h)), 1.0)
    k = int(np.clip(np.ceil(float(np.median(s.gs_mps)) * t / (4 * reach)), 1, 8))
    keys: list[I64] = []
    for q in range(k):
        ta, tb = t * q / k, t * (q + 1) / k
        pa = tr.x + tr.v * ta
        pb = tr.x + tr.v * tb
        grow = (s.gs_mps**2 * K_MAX * tb * tb / 2 + reach_h)[:, None]
        za = s.alt_m + s.vs_mps * ta
        zb = s.alt_m + s.vs_mps * tb
        lo, hi = np.minimum(pa, pb) - grow, np.maximum(pa, pb) + grow
        zlo = np.minimum(za, zb) - reach_v - s.alt_unc_m
        zhi = np.maximum(za, zb) + reach_v + s.alt_unc_m
        zlo, zhi = _every_altitude(zlo, zhi)
        keys.append(meeting_keys(lo, hi, zlo, zhi, group))
    pairs = distinct(np.concatenate(keys))
    return pairs // n, pairs % n


def _every_altitude(zlo: F64, zhi: F64) -> tuple[F64, F64]:
    """Altitude ranges with those of tracks of unknown height (NaN) spanning all the others'."""
    unknown = np.isnan(zlo)
    if not unknown.any():
        return zlo, zhi
    known = ~unknown
    bottom = float(zlo[known].min()) if known.any() else 0.0
    top = float(zhi[known].max()) if known.any() else 0.0
    return np.where(unknown, bottom, zlo), np.where(unknown, top, zhi)


def _vertical(s: States, i: I64, j: I64, half: F64) -> tuple[F64, F64]:
    """The open interval of τ where pairs (i, j) are within ``half`` vertically, widened by both
    heights' uncertainties; all of time when either height is unknown (a surface track reported
    without it)."""
    dz = s.alt_m[j] - s.alt_m[i]
    unknown = np.isnan(dz)
    half = half + s.alt_unc_m[i] + s.alt_unc_m[j]
    lo, hi = band(np.where(unknown, 0.0, dz), s.vs_mps[j] - s.vs_mps[i], half)
    return np.where(unknown, -np.inf, lo), np.where(unknown, np.inf, hi)


def _screen(
    s: States, tr: _Tracks, i: I64, j: I64, t: float, h_tab: F64, v_tab: F64
) -> tuple[npt.NDArray[np.bool_], F64, F64]:
    """First pass, linearised at 0 over [0, T]: which pairs may conflict, and the window
    [a, b] of [0, T] that holds every instant they can."""
    di, dj = s.domain[i].astype(np.intp), s.domain[j].astype(np.intp)
    vlo, vhi = _vertical(s, i, j, v_tab[di, dj])
    a, b = np.maximum(vlo, 0.0), np.minimum(vhi, t)
    live = np.flatnonzero((a < b) & (h_tab[di, dj] > 0))  # nothing is closer than 0 m
    li, lj = i[live], j[live]
    u, theta = bisector(tr.nrm[li], tr.nrm[lj])
    grow = drift_bound_m(s.gs_mps[li], theta, t) + drift_bound_m(s.gs_mps[lj], theta, t)
    grow += _ROUNDING_M + STILL_MPS * t
    r, w = planar(tr.x[lj] - tr.x[li], tr.v[lj] - tr.v[li], u)
    hlo, hhi, _ = disk(r, w, h_tab[di[live], dj[live]] + grow)
    a[live] = np.maximum(a[live], hlo)
    b[live] = np.minimum(b[live], hhi)
    keep = np.zeros(len(i), dtype=bool)
    keep[live] = a[live] < b[live]
    return keep, a, b


def _refine(
    s: States, i: I64, j: I64, a: F64, b: F64, t: float, h_tab: F64, v_tab: F64
) -> tuple[npt.NDArray[np.bool_], tuple[F64, F64, F64, F64]]:
    """Second pass, linearised at the middle of each pair's window [a, b], with the exact
    states there: which pairs conflict, and their t_in, t_out, tcpa, dcpa."""
    mid, half = (a + b) / 2, (b - a) / 2
    xi, ni, vi = ecef(*forward(s.lat[i], s.lon[i], s.trk_deg[i], s.gs_mps[i] * mid), s.gs_mps[i])
    xj, nj, vj = ecef(*forward(s.lat[j], s.lon[j], s.trk_deg[j], s.gs_mps[j] * mid), s.gs_mps[j])
    u, theta = bisector(ni, nj)
    grow = drift_bound_m(s.gs_mps[i], theta, half) + drift_bound_m(s.gs_mps[j], theta, half)
    grow += _ROUNDING_M + STILL_MPS * half
    r, w = planar(xj - xi, vj - vi, u)
    di, dj = s.domain[i].astype(np.intp), s.domain[j].astype(np.intp)
    hlo, hhi, at = disk(r, w, h_tab[di, dj] + grow)
    vlo, vhi = _vertical(s, i, j, v_tab[di, dj])
    lo, hi = np.maximum(hlo + mid, vlo), np.minimum(hhi + mid, vhi)
    keep = np.maximum(lo, a) < np.minimum(hi, b)
    tcpa = np.clip(at + mid, 0.0, t)
    dcpa = np.linalg.norm(r + w * (tcpa - mid)[:, None], axis=1)
    return keep, (np.maximum(lo, 0.0)[keep], hi[keep], tcpa[keep], dcpa[keep])
