"""The exact horizontal test: is the geodesic distance between two regions within a buffer?

One azimuthal equidistant plane centred on ``a`` holds ``a`` and every candidate; shapely 2 measures
all planar distances in one call. The plane never shortens a distance, and lengthens it by at most
k(rho) = (rho/R)/sin(rho/R) within rho of the centre; densified chords stray from the projected
geodesics by a bounded deviation. So a planar upper bound below the threshold is a sure conflict
and a lower bound above it is surely clear. Between the two (only for large regions or far
candidates) the pair is refined in a plane re-centred between its nearest points, with a
ring-of-disks lower bound. A pair still undecided after that is reported (err toward reporting):
the cost is a false alarm whose true distance exceeds the buffer by at most the remaining gap,
which in practice stays under the Safety rule's max(10 m, 0.5 %).

The plane is first computed the fast way (:func:`~deconfliction.geo.geodesy.fast_project`, a few
numpy passes instead of a geodesic inverse per vertex), which strays at most eps(rho) from the
ellipsoidal plane; moving every vertex of two regions by at most eps_a and eps_b moves their planar
distance by at most eps_a + eps_b (a point changes sides only within eps of an outline), so the
margins grow by that much. Candidates surely clear by their centres (one fast-projected point each)
build no geometry at all. Any pair the fast plane leaves undecided, or whose distance estimate needs
the exact geodesic, goes through the exact plane as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely

from deconfliction.domain import FootprintKind
from deconfliction.geo.geodesy import (
    FAST_LAT_MAX,
    FAST_RHO_MAX,
    GEOD,
    deviation_m,
    fast_error_m,
    fast_project,
    isometric_lat,
    k_factor,
    project,
    unproject,
)
from deconfliction.geo.shape import Shape

__all__ = ["within"]

F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

_KIND_CODE = {FootprintKind.POLYGON: 0, FootprintKind.CIRCLE: 1, FootprintKind.CORRIDOR: 2}
_DISK_SIDES = 64
_DISK_GROWTH = 4.0


def _tolerance(h: F64) -> F64:
    """The false alarm the Safety rule allows, less a fifth kept for the oracles' own error."""
    return np.asarray(0.8 * np.maximum(10.0, 0.005 * h), dtype=np.float64)


def _project_all(shapes: Sequence[Shape], lon0: float, lat0: float) -> tuple[F64, F64, F64, F64]:
    """Project every shape's core: planar x, y, distance to the centre, and each shape's rho."""
    lon = np.concatenate([s.lon for s in shapes])
    lat = np.concatenate([s.lat for s in shapes])
    x, y, dist = project(lon0, lat0, lon, lat)
    counts = np.array([s.n_points for s in shapes], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rho = np.maximum.reduceat(dist, starts)
    return x, y, dist, np.asarray(rho, dtype=np.float64)


def _geometries(shapes: Sequence[Shape], x: F64, y: F64) -> npt.NDArray[np.object_]:
    """Build every shape's planar core at once (polygons with holes, lines, points)."""
    n = len(shapes)
    codes = np.array([s.code for s in shapes], dtype=np.int64)
    counts = np.array([s.n_points for s in shapes], dtype=np.int64)
    xy = np.column_stack((x, y))
    out = np.empty(n, dtype=object)
    if n and not np.any(codes) and all(s.n_rings == 1 for s in shapes):  # only simple polygons
        rings = shapely.linearrings(xy, indices=np.repeat(np.arange(n), counts))
        out[:] = shapely.polygons(rings)
        return out
    point_owner = np.repeat(np.arange(n), counts)
    is_kind = {k: codes == _KIND_CODE[k] for k in FootprintKind}

    polys = np.flatnonzero(is_kind[FootprintKind.POLYGON])
    if len(polys):
        steps = np.diff(np.concatenate([shapes[int(i)].offsets for i in polys]))
        ring_lengths = steps[steps > 0]  # a negative step is where one shape's offsets end
        rings_per = np.fromiter(
            (len(shapes[int(i)].offsets) - 1 for i in polys), np.int64, len(polys)
        )
        mask = is_kind[FootprintKind.POLYGON][point_owner]
        rings = shapely.linearrings(
            xy[mask], indices=np.repeat(np.arange(len(ring_lengths)), ring_lengths)
        )
        out[polys] = shapely.polygons(rings, indices=np.repeat(np.arange(len(polys)), rings_per))
    lines = np.flatnonzero(is_kind[FootprintKind.CORRIDOR])
    if len(lines):
        mask = is_kind[FootprintKind.CORRIDOR][point_owner]
        out[lines] = shapely.linestrings(
            xy[mask], indices=np.repeat(np.arange(len(lines)), counts[lines])
        )
    circles = np.flatnonzero(is_kind[FootprintKind.CIRCLE])
    if len(circles):
        mask = is_kind[FootprintKind.CIRCLE][point_owner]
        out[circles] = shapely.points(xy[mask])
    return out


def _geodesic_between(lon0: float, lat0: float, lines: npt.NDArray[np.object_]) -> F64:
    """Exact geodesic length between the end points of planar shortest lines."""
    pts = shapely.get_coordinates(lines)
    lon, lat = unproject(lon0, lat0, pts[:, 0], pts[:, 1])
    _, _, d = GEOD.inv(lon[0::2], lat[0::2], lon[1::2], lat[1::2])
    return np.asarray(d, dtype=np.float64)


def within(
    a: Shape,
    bs: Sequence[Shape],
    h_m: npt.NDArray[np.float64] | float,
    *,
    estimate: bool = True,
) -> tuple[Bool, F64]:
    """Which regions ``bs`` lie within ``h_m`` of region ``a`` (geodesic distance on WGS84).

    Parameters
    ----------
    a : the region tested.
    bs : the candidates.
    h_m : the horizontal buffer, one for all or one per candidate (metres).
    estimate : when False, a candidate surely clear by its centre gets a lower bound on its
        distance instead of an estimate (cheaper; for callers that only keep the conflicts).

    Returns
    -------
    conflict : bool array, True when the regions' distance is <= h_m (never a miss; a false alarm
        only within max(10 m, 0.5 % of h_m)).
    distance_m : the distance estimate, 0 when the regions meet (with ``estimate=False``, a lower
        bound for candidates surely clear).

    Examples
    --------
    >>> from deconfliction.domain import Footprint
    >>> from deconfliction.geo.shape import prepare
    >>> a = prepare(Footprint(FootprintKind.CIRCLE, (((10.0, 50.0),),), 1000.0))
    >>> b = prepare(Footprint(FootprintKind.CIRCLE, (((10.0, 50.1),),), 1000.0))
    >>> hit, d = within(a, [b], 9200.0)
    >>> hit.tolist(), round(float(d[0]))
    ([True], 9123)
    """
    n = len(bs)
    h = np.broadcast_to(np.asarray(h_m, dtype=np.float64), (n,)).copy()
    if n == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=np.float64)
    lon0, lat0 = a.centre
    if abs(lat0) > FAST_LAT_MAX:
        return _within_exact(a, bs, h)
    shapes = [a, *bs]
    counts = np.array([s.n_points for s in shapes], dtype=np.int64)
    n_pts = int(counts.sum())
    bc = np.array([s.centre for s in bs], dtype=np.float64)
    lon = np.concatenate([*(s.lon for s in shapes), bc[:, 0]])
    lat = np.concatenate([*(s.lat for s in shapes), bc[:, 1]])
    x, y = fast_project(lon0, lat0, lon, isometric_lat(lat))
    r = np.hypot(x, y)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    r_max = np.maximum.reduceat(r[:n_pts], starts)
    if float(np.max(r)) > FAST_RHO_MAX - 10_000.0:
        return _within_exact(a, bs, h)
    # true distances to the centre exceed the fast ones by at most eps(rho) < 1 km here
    eps = fast_error_m(r_max + 1_000.0)
    rho = r_max + eps

    radii = np.array([s.radius_m for s in bs], dtype=np.float64) + a.radius_m
    thr = h + radii
    reach = np.array([s.reach_m for s in bs], dtype=np.float64) + a.reach_m
    # triangle inequality through the centres: the fast plane's radial distance is the geodesic
    # distance from a's centre to within eps
    r_c = r[n_pts:]
    centres = r_c - fast_error_m(r_c + 1_000.0)
    apart = centres - reach > thr
    conflict = np.zeros(n, dtype=bool)
    distance = np.zeros(n, dtype=np.float64)
    if estimate:
        live = np.arange(n)
        geoms = _geometries(shapes, x[:n_pts], y[:n_pts])
    else:
        live = np.flatnonzero(~apart)
        clear = np.flatnonzero(apart)
        distance[clear] = centres[clear] - reach[clear] - radii[clear]
        if len(live) == 0:
            return conflict, distance
        pts = np.repeat(np.concatenate(([True], ~apart)), counts)
        geoms = _geometries([a, *(bs[i] for i in live.tolist())], x[:n_pts][pts], y[:n_pts][pts])
    d_p = np.asarray(shapely.distance(geoms[0], geoms[1:]), dtype=np.float64)

    seg = np.array([s.seg_m for s in shapes], dtype=np.float64)
    dev = deviation_m(seg, rho) + eps
    lv = live + 1
    margin = dev[0] + dev[lv]
    k = k_factor(np.maximum(rho[0], rho[lv]))
    t = thr[live]
    upper = d_p + margin
    lower = np.maximum(0.0, d_p - margin) / k
    lower = np.where(apart[live], np.maximum(lower, t + 1.0), lower)
    tol = _tolerance(h[live])
    sure = (upper <= t) | ((lower <= t) & (upper - lower <= tol))
    clear_l = lower > t
    # where the plane's stretch could cost half the promised accuracy of the estimate, or the
    # fast plane cannot decide, the exact plane takes over
    loose = (d_p > 0) & ((k - 1.0) * d_p > np.maximum(5.0, 0.0005 * d_p))
    if not estimate:
        loose &= sure
    redo = ~(sure | clear_l) | loose
    conflict[live] = sure
    distance[live] = np.maximum(0.0, d_p - radii[live])
    distance[live[d_p <= 0.0]] = 0.0
    again = live[redo]
    if len(again):
        hit, dist = _within_exact(a, [bs[int(i)] for i in again], h[again])
        conflict[again] = hit
        distance[again] = dist
    return conflict, distance


def _within_exact(a: Shape, bs: Sequence[Shape], h: F64) -> tuple[Bool, F64]:
    """:func:`within` in the ellipsoidal plane (one geodesic inverse per vertex)."""
    n = len(bs)
    lon0, lat0 = a.centre
    shapes = [a, *bs]
    x, y, _, rho = _project_all(shapes, lon0, lat0)
    geoms = _geometries(shapes, x, y)
    d_p = np.asarray(shapely.distance(geoms[0], geoms[1:]), dtype=np.float64)

    seg = np.array([s.seg_m for s in shapes], dtype=np.float64)
    dev = deviation_m(seg, rho)
    margin = dev[0] + dev[1:]
    k = k_factor(np.maximum(rho[0], rho[1:]))
    radii = np.array([s.radius_m for s in bs], dtype=np.float64) + a.radius_m
    thr = h + radii
    upper = d_p + margin
    lower = np.maximum(0.0, d_p - margin) / k
    tol = _tolerance(h)
    # triangle inequality through the centres: exact, and sound however far apart the two are
    bc = np.array([s.centre for s in bs], dtype=np.float64)
    _, _, centres = GEOD.inv(np.full(n, lon0), np.full(n, lat0), bc[:, 0], bc[:, 1])
    reach = np.array([s.reach_m for s in bs], dtype=np.float64) + a.reach_m
    apart = np.asarray(centres, dtype=np.float64) - reach > thr
    lower = np.where(apart, np.maximum(lower, thr + 1.0), lower)
    conflict = (upper <= thr) | ((lower <= thr) & (upper - lower <= tol))
    undecided = (lower <= thr) & ~conflict

    # the plane lengthens distances by up to k: where that could cost half the promised accuracy
    # (max(10 m, 0.1 %)), measure the geodesic between the nearest points instead
    core = d_p.copy()
    loose = np.flatnonzero((d_p > 0) & ((k - 1.0) * d_p > np.maximum(5.0, 0.0005 * d_p)))
    if len(loose):
        core[loose] = _geodesic_between(
            lon0, lat0, shapely.shortest_line(geoms[0], geoms[1:][loose])
        )
    for i in np.flatnonzero(undecided):
        line = shapely.shortest_line(geoms[0], geoms[1 + i])
        conflict[i], core[i] = _refine(a, bs[int(i)], line, lon0, lat0, float(thr[i]))
    distance = np.maximum(0.0, core - radii)
    distance[d_p <= 0.0] = 0.0
    return conflict, distance


def _refine(
    a: Shape, b: Shape, line: object, lon0: float, lat0: float, thr: float
) -> tuple[bool, float]:
    """Decide one pair in a plane centred between its nearest points; True when not surely clear."""
    pts = shapely.get_coordinates(line)
    plon, plat = unproject(lon0, lat0, pts[:, 0], pts[:, 1])
    az, _, d = GEOD.inv(plon[0], plat[0], plon[1], plat[1])
    mlon, mlat, _ = GEOD.fwd(plon[0], plat[0], az, d / 2.0)
    x, y, _, rho = _project_all([a, b], float(mlon), float(mlat))
    ga, gb = _geometries([a, b], x, y)
    dev = deviation_m(np.array([a.seg_m, b.seg_m]), rho)
    margin = float(dev[0] + dev[1])
    nearest = shapely.shortest_line(ga, gb)
    exact = float(_geodesic_between(float(mlon), float(mlat), np.array([nearest], dtype=object))[0])
    if exact + margin <= thr:
        return True, exact
    # ring of disks: a pair of points both within r_i of the centre, one beyond r_(i-1), is at least
    # (planar - margin) / k(r_i) apart; every pair lies in one such annulus
    far = float(np.max(rho)) * (1 + 1e-9) + 1.0
    d_near = float(shapely.distance(ga, gb))
    grow = float(np.max(dev))
    radius, inner = max(2.0 * d_near, 1000.0), 0.0
    bound = math.inf
    while True:
        r = min(radius, far)
        outer = (r + grow) / math.cos(math.pi / _DISK_SIDES)
        disk = shapely.buffer(shapely.points(0.0, 0.0), outer, quad_segs=_DISK_SIDES // 4)
        ca, cb = shapely.intersection(ga, disk), shapely.intersection(gb, disk)
        if inner > grow:  # the vertices of this inscribed polygon lie on the circle of radius inner
            hole = shapely.buffer(
                shapely.points(0.0, 0.0), inner - grow, quad_segs=_DISK_SIDES // 4
            )
            ra, rb = shapely.difference(ca, hole), shapely.difference(cb, hole)
            planar = min(_distance(ra, cb), _distance(ca, rb))
        else:
            planar = _distance(ca, cb)
        bound = min(bound, max(0.0, planar - margin) / float(k_factor(r)))
        if bound <= thr or r >= far:
            break
        inner = r
        radius *= _DISK_GROWTH
    return bound <= thr, exact


def _distance(a: object, b: object) -> float:
    """Planar distance, infinite when either side is empty."""
    if shapely.is_empty(a) or shapely.is_empty(b):
        return math.inf
    return float(shapely.distance(a, b))
