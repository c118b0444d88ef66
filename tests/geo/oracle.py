"""An independent brute-force oracle for the geodesic distance between two footprints.

It shares nothing with ``deconfliction.geo`` beyond the Footprint value: boundaries are sampled on
their geodesic edges with pyproj (coarse, then a zooming grid on the closest edge pairs), points are
tested inside a region by the winding of geodesic azimuths, and distances come from Geod.inv.
The result is an upper bound on the true distance, tight to well under a metre.
"""

from __future__ import annotations

import numpy as np
from pyproj import Geod

from deconfliction.domain import Footprint, FootprintKind

GEOD = Geod(ellps="WGS84")
_COARSE = 160  # samples per footprint boundary


def _edges(fp: Footprint) -> np.ndarray:
    """Rows (lon1, lat1, lon2, lat2) of the geodesic edges of the core (a point: one null edge)."""
    rows = []
    for ring in fp.rings:
        pts = list(ring)
        if fp.kind is FootprintKind.POLYGON:
            pts = [*pts, pts[0]]
        if len(pts) == 1:
            pts = pts * 2
        for p, q in zip(pts[:-1], pts[1:], strict=True):
            rows.append((*p, *q))
    return np.array(rows, dtype=float)


def _points_on(edges: np.ndarray, idx: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e = edges[idx]
    az, _, length = GEOD.inv(e[:, 0], e[:, 1], e[:, 2], e[:, 3])
    lon, lat, _ = GEOD.fwd(e[:, 0], e[:, 1], az, length * t)
    return np.asarray(lon), np.asarray(lat)


def _winding(fp_ring: tuple[tuple[float, float], ...], lon: float, lat: float) -> int:
    """How many times the geodesic ring winds around (lon, lat): exact for a point off the ring,
    since each sub-arc subtends under 180 degrees."""
    pts = np.array([*fp_ring, fp_ring[0]], dtype=float)
    # split long edges so that no arc is seen under anything near 180 degrees
    lons, lats = [], []
    for p, q in zip(pts[:-1], pts[1:], strict=True):
        mid = GEOD.npts(p[0], p[1], q[0], q[1], 16)
        lons += [p[0], *[m[0] for m in mid]]
        lats += [p[1], *[m[1] for m in mid]]
    lons.append(lons[0])
    lats.append(lats[0])
    n = len(lons)
    az, _, _ = GEOD.inv(np.full(n, lon), np.full(n, lat), np.array(lons), np.array(lats))
    turn = (np.diff(az) + 180.0) % 360.0 - 180.0
    return int(round(float(np.sum(turn)) / 360.0))


def inside(fp: Footprint, lon: float, lat: float) -> bool:
    """Is (lon, lat) inside the polygon's region (inside the shell, outside every hole)?"""
    if fp.kind is not FootprintKind.POLYGON:
        return False
    if _winding(fp.rings[0], lon, lat) == 0:
        return False
    return all(_winding(hole, lon, lat) == 0 for hole in fp.rings[1:])


def _boundary_distance(ea: np.ndarray, eb: np.ndarray) -> float:
    def samples(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        _, _, length = GEOD.inv(edges[:, 0], edges[:, 1], edges[:, 2], edges[:, 3])
        total = max(float(np.sum(length)), 1e-9)
        per = np.maximum(2, np.ceil(_COARSE * np.asarray(length) / total)).astype(int) + 1
        idx = np.repeat(np.arange(len(edges)), per)
        t = np.concatenate([np.linspace(0, 1, k) for k in per])
        spacing = float(np.max(np.asarray(length) / (per - 1)))
        return idx, t, spacing

    ia, ta, sa = samples(ea)
    ib, tb, sb = samples(eb)
    alon, alat = _points_on(ea, ia, ta)
    blon, blat = _points_on(eb, ib, tb)
    n, m = len(alon), len(blon)
    _, _, d = GEOD.inv(np.repeat(alon, m), np.repeat(alat, m), np.tile(blon, n), np.tile(blat, n))
    d = np.asarray(d).reshape(n, m)
    best = float(d.min())
    close = np.argwhere(d <= best + sa + sb + 1e-6)
    pairs = {(int(ia[i]), int(ib[j])) for i, j in close}
    for e, f in pairs:
        best = min(best, _edge_pair(ea, e, eb, f))
    return best


def _edge_pair(ea: np.ndarray, e: int, eb: np.ndarray, f: int) -> float:
    """Minimum distance between two geodesic edges by a zooming 13 x 13 grid."""
    lo_t, hi_t, lo_u, hi_u = 0.0, 1.0, 0.0, 1.0
    best = np.inf
    for _ in range(12):
        t = np.linspace(lo_t, hi_t, 13)
        u = np.linspace(lo_u, hi_u, 13)
        tt, uu = np.meshgrid(t, u, indexing="ij")
        alon, alat = _points_on(ea, np.full(tt.size, e), tt.ravel())
        blon, blat = _points_on(eb, np.full(uu.size, f), uu.ravel())
        _, _, d = GEOD.inv(alon, alat, blon, blat)
        k = int(np.argmin(d))
        best = min(best, float(d[k]))
        ct, cu = tt.ravel()[k], uu.ravel()[k]
        wt, wu = (hi_t - lo_t) / 6, (hi_u - lo_u) / 6
        lo_t, hi_t = max(0.0, ct - wt), min(1.0, ct + wt)
        lo_u, hi_u = max(0.0, cu - wu), min(1.0, cu + wu)
    return best


def core_distance(a: Footprint, b: Footprint) -> float:
    """Geodesic distance between the cores (regions for polygons), metres."""
    if inside(b, *a.rings[0][0]) or inside(a, *b.rings[0][0]):
        return 0.0
    return _boundary_distance(_edges(a), _edges(b))


def region_distance(a: Footprint, b: Footprint) -> float:
    """Geodesic distance between the footprints as regions (circle radius, corridor width)."""
    return max(0.0, core_distance(a, b) - a.radius_m - b.radius_m)
