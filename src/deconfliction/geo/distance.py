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
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely

from deconfliction.domain import FootprintKind
from deconfliction.geo.geodesy import GEOD, deviation_m, k_factor, project, unproject
from deconfliction.geo.shape import Shape

__all__ = ["within"]

F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

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
    counts = np.fromiter((s.n_points for s in shapes), dtype=np.int64, count=len(shapes))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rho = np.maximum.reduceat(dist, starts)
    return x, y, dist, np.asarray(rho, dtype=np.float64)


def _geometries(shapes: Sequence[Shape], x: F64, y: F64) -> npt.NDArray[np.object_]:
    """Build every shape's planar core at once (polygons with holes, lines, points)."""
    n = len(shapes)
    kinds = [s.kind for s in shapes]
    counts = np.fromiter((s.n_points for s in shapes), dtype=np.int64, count=n)
    point_owner = np.repeat(np.arange(n), counts)
    xy = np.column_stack((x, y))
    out = np.empty(n, dtype=object)
    is_kind = {
        k: np.fromiter((kd is k for kd in kinds), dtype=bool, count=n) for k in FootprintKind
    }

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


def within(a: Shape, bs: Sequence[Shape], h_m: npt.NDArray[np.float64] | float) -> tuple[Bool, F64]:
    """Which regions ``bs`` lie within ``h_m`` of region ``a`` (geodesic distance on WGS84).

    Parameters
    ----------
    a : the region tested.
    bs : the candidates.
    h_m : the horizontal buffer, one for all or one per candidate (metres).

    Returns
    -------
    conflict : bool array, True when the regions' distance is <= h_m (never a miss; a false alarm
        only within max(10 m, 0.5 % of h_m)).
    distance_m : the distance estimate, 0 when the regions meet.

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
    shapes = [a, *bs]
    x, y, _, rho = _project_all(shapes, lon0, lat0)
    geoms = _geometries(shapes, x, y)
    d_p = np.asarray(shapely.distance(geoms[0], geoms[1:]), dtype=np.float64)

    seg = np.fromiter((s.seg_m for s in shapes), dtype=np.float64, count=n + 1)
    dev = deviation_m(seg, rho)
    margin = dev[0] + dev[1:]
    k = k_factor(np.maximum(rho[0], rho[1:]))
    radii = np.fromiter((s.radius_m for s in bs), dtype=np.float64, count=n) + a.radius_m
    thr = h + radii
    upper = d_p + margin
    lower = np.maximum(0.0, d_p - margin) / k
    tol = _tolerance(h)
    # triangle inequality through the centres: exact, and sound however far apart the two are
    blon = np.fromiter((s.centre[0] for s in bs), dtype=np.float64, count=n)
    blat = np.fromiter((s.centre[1] for s in bs), dtype=np.float64, count=n)
    _, _, centres = GEOD.inv(np.full(n, lon0), np.full(n, lat0), blon, blat)
    reach = np.fromiter((s.reach_m for s in bs), dtype=np.float64, count=n) + a.reach_m
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
