"""A footprint's area as plain lon/lat polygons, ready for RFC 7946 GeoJSON.

A circle (centre + radius) and a corridor (line + half-width) are footprints, not areas: here
they become polygons that cover them (vertices on a slightly larger circle, so the polygon holds
the whole circle). Geodesic edges are densified so that the straight lon/lat lines GeoJSON means
stay near them. Exterior rings run counter-clockwise and holes clockwise (the right-hand rule);
a polygon that crosses the antimeridian is cut there into several, one that holds a pole is
closed along it.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import shapely
from shapely.affinity import translate
from shapely.geometry.polygon import orient

from deconfliction.domain import Footprint, FootprintKind
from deconfliction.geo.geodesy import GEOD, centre_of, densify, project, unproject

__all__ = ["STEP_M", "Ring", "outline"]

F64 = npt.NDArray[np.float64]
Ring = list[tuple[float, float]]
"""Closed: the last position repeats the first."""

STEP_M = 10_000.0
"""Longest edge, in metres, of an outline (a geodesic edge is split until it is shorter)."""

_DIGITS = 6  # about 0.1 m, as RFC 7946 section 11.2 suggests


def outline(footprint: Footprint, step_m: float = STEP_M) -> list[list[Ring]]:
    """The footprint's area: polygons (exterior ring first, then holes) in (lon, lat) degrees.

    >>> sq = Footprint(FootprintKind.POLYGON, (((179.5, 0.0), (-179.5, 0.0), (-179.5, 1.0),
    ...                                         (179.5, 1.0)),))
    >>> sorted((min(x for x, _ in p[0]), max(x for x, _ in p[0])) for p in outline(sq))
    [(-180.0, -179.5), (179.5, 180.0)]
    """
    if footprint.kind is FootprintKind.POLYGON:
        rings = []
        for ring in footprint.rings:
            pts = np.asarray(ring, dtype=np.float64).reshape(-1, 2)
            lon, lat, _, _ = densify(pts[:, 0], pts[:, 1], closed=True, step_m=step_m)
            rings.append((lon, lat))
        return _parts(rings)
    if footprint.kind is FootprintKind.CIRCLE:
        return _parts([_circle(footprint.rings[0][0], footprint.radius_m, step_m)])
    return [p for rings in _corridor(footprint, step_m) for p in _parts(rings)]


def _circle(centre: tuple[float, float], radius_m: float, step_m: float) -> tuple[F64, F64]:
    n = int(min(720, max(64, math.ceil(2 * math.pi * radius_m / step_m))))
    reach = radius_m / math.cos(math.pi / n)  # the polygon's edges touch the circle from outside
    az = -np.arange(n) * (360.0 / n)  # azimuths run clockwise: decreasing ones go anticlockwise
    lon, lat, _ = GEOD.fwd(np.full(n, centre[0]), np.full(n, centre[1]), az, np.full(n, reach))
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _corridor(footprint: Footprint, step_m: float) -> list[list[tuple[F64, F64]]]:
    """The corridor buffered in its own azimuthal equidistant plane, back in lon/lat."""
    pts = np.asarray(footprint.rings[0], dtype=np.float64).reshape(-1, 2)
    lon, lat, _, _ = densify(pts[:, 0], pts[:, 1], closed=False, step_m=step_m)
    lon0, lat0 = centre_of(lon, lat)
    x, y, _ = project(lon0, lat0, lon, lat)
    quad = 16
    reach = footprint.radius_m / math.cos(math.pi / (4 * quad))
    area = shapely.segmentize(
        shapely.buffer(shapely.linestrings(np.column_stack((x, y))), reach, quad_segs=quad),
        step_m,
    )
    out = []
    for poly in shapely.get_parts(area):
        if poly.is_empty:  # a width below what floats can draw buffers to nothing
            continue
        rings = []
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords, dtype=np.float64)[:-1]
            rings.append(unproject(lon0, lat0, xy[:, 0], xy[:, 1]))
        out.append(rings)
    return out


def _unwrap(lon: F64) -> tuple[F64, float]:
    """Longitudes made continuous along the ring, and how far the ring turns round (0 or
    +-360: it holds a pole)."""
    steps = (np.diff(np.append(lon, lon[0])) + 180.0) % 360.0 - 180.0
    walked = lon[0] + np.concatenate(([0.0], np.cumsum(steps[:-1])))
    return walked, float(np.sum(steps))


def _parts(rings: list[tuple[F64, F64]]) -> list[list[Ring]]:
    """One polygon's rings (unclosed lon/lat arrays) as RFC 7946 polygons."""
    lon, lat = rings[0]
    walked, turn = _unwrap(lon)
    shell = list(zip(walked.tolist(), lat.tolist(), strict=True))
    if abs(turn) > 180.0:  # the ring goes round a pole: close it along the pole
        pole = 90.0 if float(np.mean(lat)) > 0 else -90.0
        end = float(walked[0]) + turn
        # along the pole in steps of 90 degrees, so no edge spans half the globe
        along = np.linspace(end, float(walked[0]), 5).tolist()
        shell += [(end, float(lat[0])), *((x, pole) for x in along)]
    mid = float(np.mean(walked))
    holes = []
    for hlon, hlat in rings[1:]:
        hw, _ = _unwrap(hlon)
        hw = hw - 360.0 * round((float(np.mean(hw)) - mid) / 360.0)
        holes.append(list(zip(hw.tolist(), hlat.tolist(), strict=True)))
    area = shapely.make_valid(shapely.Polygon(shell, holes))
    out: list[list[Ring]] = []
    for k in (-1, 0, 1):
        clip = shapely.box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0)
        piece = translate(shapely.intersection(area, clip), xoff=-360.0 * k)
        for poly in shapely.get_parts(shapely.get_parts(piece)):
            if isinstance(poly, shapely.Polygon) and not poly.is_empty and poly.area > 0:
                out.append(_rings(orient(poly, sign=1.0)))
    return [p for p in out if len(p[0]) >= 4]


def _rings(poly: shapely.Polygon) -> list[Ring]:
    holes = (_rounded(r.coords) for r in poly.interiors)
    return [_rounded(poly.exterior.coords), *(h for h in holes if len(h) >= 4)]


def _rounded(coords: object) -> Ring:
    ring: Ring = []
    for x, y in np.round(np.asarray(coords, dtype=np.float64)[:, :2], _DIGITS).tolist():
        if not ring or ring[-1] != (x, y):
            ring.append((x, y))
    if ring and ring[-1] != ring[0]:
        ring.append(ring[0])
    return ring
