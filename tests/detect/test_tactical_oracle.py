"""Tactical detection against a brute-force oracle that shares none of its code.

The oracle moves every track along its geodesic with ``pyproj.Geod.fwd`` at fine steps, measures
with ``Geod.inv``, and refines near the minimum and the threshold crossing (golden section,
bisection). The detector must report every pair the oracle finds closer than R inside the
vertical window, may report an extra one only within 0.1 % of R (plus 0.5 m) of the threshold,
and its t_in, tcpa and dcpa must hold up when the oracle checks them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from deconfliction.detect.tactical import States, detect, drift_bound_m
from deconfliction.domain import Minima, TrackDomain

GEOD = Geod(ellps="WGS84")
F64 = npt.NDArray[np.float64]
SAMPLES = 241
MINIMA = Minima()


def h_tol(r: F64) -> F64:
    """How far past R a reported pair may stay, and how far a reported distance may be off."""
    return 0.001 * r + 0.5


@dataclass(frozen=True)
class Pairs:
    """The tracks of every pair as columns (the oracle never looks at the detector's arrays)."""

    lon: tuple[F64, F64]
    lat: tuple[F64, F64]
    trk: tuple[F64, F64]
    gs: tuple[F64, F64]
    alt: tuple[F64, F64]
    vs: tuple[F64, F64]

    @classmethod
    def of(cls, s: States, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64]) -> Pairs:
        def two(col: F64) -> tuple[F64, F64]:
            return col[i], col[j]

        return cls(two(s.lon), two(s.lat), two(s.trk_deg), two(s.gs_mps), two(s.alt_m),
                   two(s.vs_mps))  # fmt: skip

    def distance(self, tau: F64) -> F64:
        """Geodesic distance of every pair (rows) at the times ``tau`` (same shape)."""
        ends = []
        for k in (0, 1):
            args = [np.broadcast_to(c[k][:, None], tau.shape).ravel()
                    for c in (self.lon, self.lat, self.trk, self.gs)]  # fmt: skip
            lon, lat, _ = GEOD.fwd(args[0], args[1], args[2], args[3] * tau.ravel())
            ends.append((lon, lat))
        _, _, d = GEOD.inv(ends[0][0], ends[0][1], ends[1][0], ends[1][1])
        return np.asarray(d).reshape(tau.shape)

    def dz(self, tau: F64) -> F64:
        return (self.alt[1] - self.alt[0]) + (self.vs[1] - self.vs[0]) * tau

    def vertical_window(self, v: F64, t: float) -> tuple[F64, F64]:
        """[w0, w1] of [0, T] where |dz| < v (w0 >= w1 when there is none)."""
        dz0 = self.alt[1] - self.alt[0]
        dv = self.vs[1] - self.vs[0]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            t1, t2 = (-v - dz0) / dv, (v - dz0) / dv
        lo = np.where(dv == 0, np.where(np.abs(dz0) < v, 0.0, np.inf), np.minimum(t1, t2))
        hi = np.where(dv == 0, np.where(np.abs(dz0) < v, t, -np.inf), np.maximum(t1, t2))
        return np.maximum(lo, 0.0), np.minimum(hi, t)

    def minimum(self, w0: F64, w1: F64) -> tuple[F64, F64]:
        """The least distance over [w0, w1] per pair and when: samples, then golden section."""
        frac = np.linspace(0.0, 1.0, SAMPLES)
        tau = w0[:, None] + (w1 - w0)[:, None] * frac
        d = self.distance(tau)
        k = np.argmin(d, axis=1)
        rows = np.arange(len(k))
        a = tau[rows, np.maximum(k - 1, 0)]
        b = tau[rows, np.minimum(k + 1, SAMPLES - 1)]
        g = (np.sqrt(5) - 1) / 2
        for _ in range(60):
            c, e = b - g * (b - a), a + g * (b - a)
            dc, de = (self.distance(x[:, None])[:, 0] for x in (c, e))
            a, b = np.where(dc < de, a, c), np.where(dc < de, e, b)
        mid = (a + b) / 2
        dm = self.distance(mid[:, None])[:, 0]
        best = dm <= d[rows, k]
        return np.where(best, dm, d[rows, k]), np.where(best, mid, tau[rows, k])

    def first_below(self, r: F64, w0: F64, w1: F64, t_min: F64) -> F64:
        """The first instant of [w0, w1] closer than r, for pairs that have one (t_min is when
        the distance is least); bisection on the crossing."""
        frac = np.linspace(0.0, 1.0, SAMPLES)
        tau = w0[:, None] + (w1 - w0)[:, None] * frac
        inside = self.distance(tau) < r[:, None]
        rows = np.arange(len(r))
        f = np.argmax(inside, axis=1)
        any_in = inside[rows, f]
        at_start = any_in & (f == 0)
        a = np.where(any_in, tau[rows, np.maximum(f - 1, 0)], w0)
        b = np.where(any_in, tau[rows, f], t_min)
        for _ in range(50):
            m = (a + b) / 2
            below = self.distance(m[:, None])[:, 0] < r
            a, b = np.where(below, a, m), np.where(below, m, b)
        return np.where(at_start, w0, b)


def minima_of(s: States, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64]) -> tuple[F64, F64]:
    doms = [TrackDomain.of_code(int(c)) for c in range(3)]
    h = np.array([[MINIMA.between(a, b).h_m for b in doms] for a in doms])
    v = np.array([[MINIMA.between(a, b).v_m for b in doms] for a in doms])
    return h[s.domain[i], s.domain[j]], v[s.domain[i], s.domain[j]]


def check_against_oracle(s: States, t: float) -> None:
    n = len(s)
    i, j = (x.astype(np.int64) for x in np.triu_indices(n, 1))
    p = Pairs.of(s, i, j)
    r, v = minima_of(s, i, j)
    w0, w1 = p.vertical_window(v, t)
    has = w0 < w1
    w0, w1 = np.where(has, w0, 0.0), np.where(has, w1, 0.0)
    d_win, t_win = p.minimum(w0, w1)
    truth = has & (d_win < r)
    d_all, _ = p.minimum(np.zeros(len(i)), np.full(len(i), t))

    e = detect(s, t, MINIMA, all_pairs=True)
    for col in (e.t_in_s, e.t_out_s, e.tcpa_s, e.dcpa_m):
        assert not np.isnan(col).any()
    got = np.zeros(len(i), dtype=bool)
    row = e.i * n - e.i * (e.i + 1) // 2 + (e.j - e.i - 1)  # index of (i, j) in triu order
    got[row] = True
    missed = truth & ~got
    assert not missed.any(), (
        f"missed pairs {[(i[k], j[k], d_win[k]) for k in np.flatnonzero(missed)]}"
    )
    extra = got & ~truth
    assert np.all(has[extra]), "reported a pair that never overlaps vertically"
    assert np.all(d_win[extra] < r[extra] + h_tol(r[extra])), "false alarm beyond the tolerance"

    # the reported numbers, checked where the oracle can: row by row of e
    pr = Pairs.of(s, e.i, e.j)
    rr, vr = r[row], v[row]
    assert np.all(e.t_in_s >= 0) and np.all(e.t_in_s <= t) and np.all(e.t_out_s > e.t_in_s)
    # t_in is never later than the truth, and at t_in the pair is all but in conflict
    t_true = pr.first_below(rr, w0[row], w1[row], t_win[row])
    late = truth[row] & (e.t_in_s > np.maximum(t_true, w0[row]) + 1e-6)
    assert not late.any(), f"t_in late: {e.t_in_s[late]} vs {t_true[late]}"
    d_in = pr.distance(e.t_in_s[:, None])[:, 0]
    assert np.all(d_in < rr + h_tol(rr))
    assert np.all(np.abs(pr.dz(e.t_in_s)) <= vr + 1e-6)
    # dcpa is the distance at tcpa, and tcpa is (nearly) the closest approach over [0, T]
    d_cpa = pr.distance(e.tcpa_s[:, None])[:, 0]
    assert np.all(np.abs(d_cpa - e.dcpa_m) < h_tol(rr) + 5.0)
    assert np.all(d_cpa < d_all[row] + h_tol(rr) + 5.0)


@st.composite
def encounter(draw: st.DrawFn, t: float) -> list[tuple[float, ...]]:
    """Two tracks built to pass about ``miss`` × R apart near ``t_c``, about ``dh`` × H apart."""
    lat = draw(st.floats(-90.0, 90.0))
    lon = draw(st.floats(-180.0, 180.0))
    doms = draw(st.tuples(st.integers(0, 2), st.integers(0, 2)))
    m = MINIMA.between(TrackDomain.of_code(doms[0]), TrackDomain.of_code(doms[1]))
    top = [300.0 if d == 0 else 40.0 for d in doms]
    gs = [draw(st.floats(0.0, top[0])), draw(st.floats(0.0, top[1]))]
    trk_b = draw(st.floats(0.0, 360.0))
    near = st.floats(0.995, 1.005)  # right at the thresholds, where approximations show
    miss = draw(st.one_of(st.floats(0.0, 1.5), near)) * m.h_m
    t_c = draw(st.floats(-60.0, t + 60.0))
    alt_a = draw(st.floats(0.0, 12_000.0))
    vs = [draw(st.floats(-15.0, 15.0)), draw(st.floats(-15.0, 15.0))]
    dh = draw(st.one_of(st.floats(-1.5, 1.5), near, near.map(lambda x: -x))) * m.v_m
    trk_a = draw(st.floats(0.0, 360.0))
    lon_ac, lat_ac, back = GEOD.fwd(lon, lat, trk_a, gs[0] * t_c)
    trk_ac = (back + 180.0) % 360.0
    rel = np.array([np.sin(np.radians(trk_b)), np.cos(np.radians(trk_b))]) * gs[1]
    rel -= np.array([np.sin(np.radians(trk_ac)), np.cos(np.radians(trk_ac))]) * gs[0]
    side = np.degrees(np.arctan2(rel[0], rel[1])) + draw(st.sampled_from([90.0, -90.0]))
    lon_bc, lat_bc, _ = GEOD.fwd(lon_ac, lat_ac, side, miss)
    lon_b, lat_b, back_b = GEOD.fwd(lon_bc, lat_bc, trk_b, -gs[1] * t_c)
    alt_b = alt_a + vs[0] * t_c + dh - vs[1] * t_c
    return [
        (lat, lon, alt_a, gs[0], trk_a, vs[0], doms[0]),
        (lat_b, lon_b, alt_b, gs[1], (back_b + 180.0) % 360.0, vs[1], doms[1]),
    ]


def states_of(rows: list[tuple[float, ...]]) -> States:
    cols = list(zip(*rows, strict=True))
    return States.of(*cols[:6], domain=cols[6])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(encounter(300.0), min_size=1, max_size=3))
def test_agrees_with_the_oracle(encounters: list[list[tuple[float, ...]]]) -> None:
    check_against_oracle(states_of([r for e in encounters for r in e]), 300.0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(encounter(600.0), min_size=1, max_size=2))
def test_agrees_with_the_oracle_over_ten_minutes(encounters: list[list[tuple[float, ...]]]) -> None:
    check_against_oracle(states_of([r for e in encounters for r in e]), 600.0)


@settings(max_examples=100, deadline=None)
@given(
    st.floats(-90.0, 90.0), st.floats(-180.0, 180.0), st.floats(0.0, 300.0),
    st.floats(0.0, 360.0), st.floats(-15.0, 15.0),
    st.one_of(st.floats(-600.0, 600.0), st.lists(st.floats(-600.0, 600.0), min_size=3, max_size=3)),
)  # fmt: skip
def test_advanced_moves_along_the_geodesic(
    lat: float, lon: float, gs: float, trk: float, vs: float, dt: float | list[float]
) -> None:
    s = States.of([lat] * 3, [lon] * 3, [1000.0] * 3, [gs, gs / 2, 0.0], [trk] * 3, [vs] * 3)
    moved = s.advanced(dt)
    dts = np.broadcast_to(np.asarray(dt, dtype=np.float64), (3,))
    lon2, lat2, back = GEOD.fwd([lon] * 3, [lat] * 3, [trk] * 3, s.gs_mps * dts)
    _, _, off = GEOD.inv(moved.lon, moved.lat, lon2, lat2)
    assert np.all(np.asarray(off) < 1e-6)
    turn = (moved.trk_deg - (np.asarray(back) + 180.0) + 180.0) % 360.0 - 180.0
    assert np.all((np.abs(turn) < 1e-6) | (np.abs(np.asarray(lat2)) > 90 - 1e-9))
    assert np.allclose(moved.alt_m, 1000.0 + vs * dts, rtol=0, atol=1e-9)
    assert np.array_equal(moved.gs_mps, s.gs_mps) and np.array_equal(moved.group, s.group)


ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


def ecef(lon: F64, lat: F64) -> F64:
    x, y, z = ECEF.transform(lon, lat, np.zeros_like(lat))
    return np.stack([x, y, z], axis=-1)


def up_north_east(lon: float, lat: float) -> F64:
    p, lam = np.radians(lat), np.radians(lon)
    return np.array([
        [np.cos(p) * np.cos(lam), np.cos(p) * np.sin(lam), np.sin(p)],
        [-np.sin(p) * np.cos(lam), -np.sin(p) * np.sin(lam), np.cos(p)],
        [-np.sin(lam), np.cos(lam), 0.0],
    ])  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-90.0, 90.0), st.floats(-180.0, 180.0), st.floats(0.0, 360.0),
    st.floats(0.0, 600.0), st.floats(0.0, 360.0), st.floats(0.0, 200_000.0),
    st.floats(1.0, 600.0),
)  # fmt: skip
@example(0.0, 0.0, 0.0, 300.0, 0.0, 0.0, 300.0)  # north from the equator: bound is tight
@example(89.9, 0.0, 90.0, 600.0, 180.0, 200_000.0, 600.0)  # over the pole, far partner
def test_the_drift_bound_holds(
    lat: float, lon: float, trk: float, gs: float, partner_az: float, partner_m: float, d: float
) -> None:
    """A geodesic seen in the plane normal to the bisector of its normal and a partner's leaves
    its tangent line by no more than ``drift_bound_m`` says, over ±d seconds."""
    up, north, east = up_north_east(lon, lat)
    plon, plat, _ = GEOD.fwd(lon, lat, partner_az, partner_m)
    u = up + up_north_east(plon, plat)[0]
    u /= np.linalg.norm(u)
    theta = float(np.arccos(np.clip(up @ u, -1.0, 1.0)))
    tau = np.linspace(-d, d, 61)
    lon2, lat2, _ = GEOD.fwd(np.full_like(tau, lon), np.full_like(tau, lat),
                             np.full_like(tau, trk), gs * tau)  # fmt: skip
    x0 = ecef(np.array([lon]), np.array([lat]))[0]
    v0 = gs * (np.cos(np.radians(trk)) * north + np.sin(np.radians(trk)) * east)
    off = ecef(np.asarray(lon2), np.asarray(lat2)) - x0 - tau[:, None] * v0
    drift = np.linalg.norm(off - (off @ u)[:, None] * u, axis=1)
    bound = drift_bound_m(gs, theta, np.abs(tau))
    assert np.all(drift <= bound + 1e-6), float(np.max(drift - bound))
    if theta < 1e-6 and gs * d > 50_000:  # alone, the bound is all but exact
        assert float(np.max(drift)) > 0.95 * float(np.max(bound))
