"""GeoJSON geometries in, validated footprints out: everything an adversary could send is checked.

Errors carry a JSON pointer relative to the geometry, prefixed by the caller's ``pointer``, and a
reason a coordinator understands.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely

from deconfliction.domain import Footprint, FootprintKind, Position
from deconfliction.domain.limits import MAX_ACROSS_M, MAX_POLYGONS, MAX_RADIUS_M, MAX_VERTICES
from deconfliction.errors import InvalidGeometry, InvalidInput
from deconfliction.geo.geodesy import (
    FAST_LAT_MAX,
    GEOD,
    centre_of,
    densify,
    fast_project,
    isometric_lat,
    project,
    unproject,
)

__all__ = [
    "VALID_TYPES",
    "parse_footprints",
]

VALID_TYPES = ("Polygon", "MultiPolygon", "Point", "LineString")


def parse_footprints(
    geometry: object,
    *,
    radius_m: object = None,
    half_width_m: object = None,
    pointer: str = "",
    fields_pointer: str | None = None,
) -> list[Footprint]:
    """Validate a GeoJSON geometry and turn it into footprints (one per polygon of a MultiPolygon).

    ``radius_m`` goes with a ``Point`` (circle), ``half_width_m`` with a ``LineString`` (corridor);
    their errors point at ``fields_pointer + "/radius_m"`` (or ``"/half_width_m"``), where
    ``fields_pointer`` defaults to ``pointer``.

    >>> parse_footprints({"type": "Point", "coordinates": [10, 50]}, radius_m=500)[0].radius_m
    500.0
    >>> parse_footprints({"type": "Point", "coordinates": [10, 95]}, radius_m=500, pointer="/fp")
    Traceback (most recent call last):
    ...
    deconfliction.errors.InvalidGeometry: /fp/coordinates/1: latitude 95 is outside [-90, 90]
    """
    if not isinstance(geometry, dict):
        raise InvalidGeometry("the footprint must be a GeoJSON geometry object", pointer)
    kind = geometry.get("type")
    valid = ", ".join(VALID_TYPES)
    if not isinstance(kind, str) or kind not in VALID_TYPES:
        shown = repr(kind) if kind is not None else "missing"
        raise InvalidGeometry(f"geometry type {shown} is not accepted; valid types are {valid}",
                              pointer + "/type")  # fmt: skip
    if "coordinates" not in geometry:
        raise InvalidGeometry("the geometry has no coordinates", pointer)
    coords = geometry["coordinates"]
    cptr = pointer + "/coordinates"
    fptr = pointer if fields_pointer is None else fields_pointer
    if kind != "Point" and radius_m is not None:
        raise InvalidInput("radius_m applies only to a Point (a circle)", fptr + "/radius_m")
    if kind != "LineString" and half_width_m is not None:
        raise InvalidInput(
            "half_width_m applies only to a LineString (a corridor)",
            fptr + "/half_width_m",
        )
    if kind == "Point":
        radius = _distance(radius_m, "radius_m", "a Point footprint (a circle)", fptr + "/radius_m")
        position = _position(coords, cptr)
        return [Footprint(FootprintKind.CIRCLE, ((position,),), radius)]
    if kind == "LineString":
        half = _distance(
            half_width_m, "half_width_m", "a LineString footprint (a corridor)",
            fptr + "/half_width_m",
        )  # fmt: skip
        return [_corridor(coords, cptr, half)]
    if kind == "Polygon":
        return [_polygon(coords, cptr)]
    polygons = _array(coords, cptr, "a MultiPolygon's coordinates must be an array of polygons")
    if not polygons:
        raise InvalidGeometry("the MultiPolygon has no polygons", cptr)
    if len(polygons) > MAX_POLYGONS:
        raise InvalidGeometry(
            f"a MultiPolygon has at most {MAX_POLYGONS} polygons (one volume each), "
            f"not {len(polygons):,}",
            cptr,
        )
    return [_polygon(p, f"{cptr}/{i}") for i, p in enumerate(polygons)]


def _array(value: object, ptr: str, reason: str) -> list[object]:
    if not isinstance(value, list | tuple):
        raise InvalidGeometry(reason, ptr)
    return list(value)


def _finite(value: int | float) -> float | None:
    """``value`` as a float, or ``None`` when it is not finite: an integer too long for a float
    (JSON allows 400 digits) is refused by its field, never an ``OverflowError``."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _shown(value: object) -> str:
    """``value`` as a message quotes it: a number of hundreds of digits, shortened."""
    text = str(value)
    return text if len(text) <= 24 else f"{text[:12]}...({len(text)} digits)"


def _number(value: object, ptr: str, what: str) -> float:
    if isinstance(value, bool):
        raise InvalidGeometry(f"{what} must be a number, not {str(value).lower()}", ptr)
    if not isinstance(value, int | float):
        raise InvalidGeometry(f"{what} must be a number, not {type(value).__name__}", ptr)
    number = _finite(value)
    if number is None:
        raise InvalidGeometry(f"{what} must be a finite number, not {_shown(value)}", ptr)
    return number


def _position(value: object, ptr: str) -> Position:
    items = _array(value, ptr, "a position must be an array [longitude, latitude]")
    if len(items) not in (2, 3):
        raise InvalidGeometry(
            f"a position must be [longitude, latitude] (optionally an altitude), not {len(items)} "
            "numbers",
            ptr,
        )
    lon = _number(items[0], ptr + "/0", "longitude")
    lat = _number(items[1], ptr + "/1", "latitude")
    if len(items) == 3:
        _number(items[2], ptr + "/2", "altitude")
    if not -180.0 <= lon <= 180.0:
        raise InvalidGeometry(f"longitude {_shown(items[0])} is outside [-180, 180]", ptr + "/0")
    if not -90.0 <= lat <= 90.0:
        raise InvalidGeometry(f"latitude {_shown(items[1])} is outside [-90, 90]", ptr + "/1")
    return (lon, lat)


def _distance(value: object, name: str, needer: str, ptr: str) -> float:
    if value is None:
        raise InvalidInput(f"{needer} needs {name} in metres", ptr)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{name} must be a number of metres", ptr)
    number = _finite(value)
    if number is None or number <= 0:
        raise InvalidInput(f"{name} must be a positive number of metres, not {_shown(value)}", ptr)
    if number > MAX_RADIUS_M:
        raise InvalidInput(
            f"{name} {number:,.0f} m is above the line's limit of {MAX_RADIUS_M:,.0f} m", ptr
        )
    return number


def _positions(value: object, ptr: str, what: str, budget: int) -> list[Position]:
    items = _array(value, ptr, f"{what} must be an array of positions")
    if len(items) > budget:
        raise InvalidGeometry(
            f"the footprint has more than {MAX_VERTICES:,} positions; simplify it", ptr
        )
    return [_position(p, f"{ptr}/{i}") for i, p in enumerate(items)]


def _place(p: Position) -> Position:
    """The point of the Earth ``p`` names: at a pole every longitude names the same one."""
    return (0.0, p[1]) if abs(p[1]) == 90.0 else p


def _dedupe(points: Sequence[Position]) -> tuple[list[Position], list[int]]:
    """Drop consecutive repeats of a place; keep each kept position's index in the input."""
    kept: list[Position] = []
    index: list[int] = []
    for i, p in enumerate(points):
        if not kept or _place(p) != _place(kept[-1]):
            kept.append(p)
            index.append(i)
    return kept, index


def _corridor(coords: object, ptr: str, half: float) -> Footprint:
    points = _positions(coords, ptr, "a LineString's coordinates", MAX_VERTICES)
    line, _ = _dedupe(points)
    if len(line) < 2:
        raise InvalidGeometry("a corridor needs at least 2 distinct positions", ptr)
    _check_across(line, 2 * half, ptr)
    return Footprint(FootprintKind.CORRIDOR, (tuple(line),), half)


def _polygon(coords: object, ptr: str) -> Footprint:
    rings_in = _array(coords, ptr, "a Polygon's coordinates must be an array of rings")
    if not rings_in:
        raise InvalidGeometry("the polygon has no rings", ptr)
    budget = MAX_VERTICES
    rings: list[list[Position]] = []
    indices: list[list[int]] = []
    for r, ring_in in enumerate(rings_in):
        rptr = f"{ptr}/{r}"
        points = _positions(ring_in, rptr, "a ring", budget + 1)
        budget -= max(0, len(points) - 1)
        if budget < 0:
            raise InvalidGeometry(
                f"the footprint has more than {MAX_VERTICES:,} positions; simplify it", rptr
            )
        if len(points) < 4:
            raise InvalidGeometry(
                "a ring needs at least 4 positions (3 corners and the first one repeated)", rptr
            )
        if points[0] != points[-1]:
            raise InvalidGeometry(
                "the ring is not closed: GeoJSON requires its last position to equal its first",
                f"{rptr}/{len(points) - 1}",
            )
        ring, index = _dedupe(points[:-1])
        if len(ring) > 1 and _place(ring[-1]) == _place(ring[0]):
            ring, index = ring[:-1], index[:-1]
        if len({_place(p) for p in ring}) < 3:
            raise InvalidGeometry("a ring needs at least 3 distinct corners", rptr)
        _check_simple(ring, index, rptr, r)
        rings.append(ring)
        indices.append(index)
    _check_across(rings[0], 0.0, ptr)
    _check_holes(rings, ptr)
    return Footprint(FootprintKind.POLYGON, tuple(tuple(r) for r in rings))


def _check_simple(ring: list[Position], index: list[int], ptr: str, r: int) -> None:
    """Reject a ring that crosses or folds back on itself (tested in its own local projection)."""
    pts = np.asarray(ring, dtype=np.float64)
    lon, lat, _, edge = densify(pts[:, 0], pts[:, 1], closed=True)
    lon0, lat0 = centre_of(lon, lat)
    x, y, _ = project(lon0, lat0, lon, lat)
    n = len(x)
    xy = np.column_stack((x, y))
    segs = shapely.linestrings(np.stack((xy, np.roll(xy, -1, axis=0)), axis=1))
    tree = shapely.STRtree(segs)
    i, j = tree.query(segs, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    adjacent = (j == i + 1) | ((i == 0) & (j == n - 1))
    bad = ~adjacent
    if np.any(adjacent):  # neighbours share a corner; more than that means the ring folds back
        shared = shapely.intersection(segs[i[adjacent]], segs[j[adjacent]])
        bad[np.flatnonzero(adjacent)] = shapely.length(shared) > 0
    if not np.any(bad):
        return
    first = int(np.flatnonzero(bad)[0])
    a, b = int(edge[i[first]]), int(edge[j[first]])
    where = shapely.get_coordinates(shapely.intersection(segs[i[first]], segs[j[first]]))[:1]
    if len(where) == 0:  # an edge too short to project touches the other: no crossing to name
        where = shapely.get_coordinates(segs[j[first]])[:1]
    wlon, wlat = unproject(lon0, lat0, where[:, 0], where[:, 1])
    m = len(ring)
    ia, ib = index[a], index[b]
    ja, jb = index[(a + 1) % m] if a + 1 < m else 0, index[(b + 1) % m] if b + 1 < m else 0
    raise InvalidGeometry(
        f"ring {r} crosses or folds back on itself: the edge from position {ia} to {ja} meets "
        f"the edge from position {ib} to {jb} near ({float(wlon[0]):.5f}, {float(wlat[0]):.5f})",
        f"{ptr}/{ia}",
    )


def _check_across(points: Sequence[Position], extra_m: float, ptr: str) -> None:
    """Reject a footprint more than MAX_ACROSS_M across (its core plus twice the radius)."""
    if extra_m > MAX_ACROSS_M:
        raise InvalidGeometry(_too_big(extra_m), ptr)
    pts = np.asarray(points, dtype=np.float64)
    lon0, lat0 = centre_of(pts[:, 0], pts[:, 1])
    if abs(lat0) <= FAST_LAT_MAX:  # only picks candidates; their distances below are exact
        x, y = fast_project(lon0, lat0, pts[:, 0], isometric_lat(pts[:, 1]))
    else:
        x, y, _ = project(lon0, lat0, pts[:, 0], pts[:, 1])
    # the extreme points in 64 directions hold the (planar) diameter to within 0.03 %
    theta = np.linspace(0.0, np.pi, 64, endpoint=False)
    along = np.outer(np.cos(theta), x) + np.outer(np.sin(theta), y)
    extreme = np.unique(np.concatenate((np.argmin(along, axis=1), np.argmax(along, axis=1))))
    ii, jj = np.triu_indices(len(extreme), k=1)
    if len(ii) == 0:
        return
    a, b = extreme[ii], extreme[jj]
    _, _, d = GEOD.inv(pts[a, 0], pts[a, 1], pts[b, 0], pts[b, 1])
    across = float(np.max(d)) + extra_m
    if across > MAX_ACROSS_M:
        raise InvalidGeometry(_too_big(across), ptr)


def _too_big(across_m: float) -> str:
    return (
        f"the footprint is {across_m / 1000:,.1f} km across; the line accepts at most "
        f"{MAX_ACROSS_M / 1000:,.0f} km (split it into several volumes)"
    )


def _check_holes(rings: list[list[Position]], ptr: str) -> None:
    if len(rings) == 1:
        return
    allpts = np.asarray([p for ring in rings for p in ring], dtype=np.float64)
    lon0, lat0 = centre_of(allpts[:, 0], allpts[:, 1])
    planar = []
    for ring in rings:
        pts = np.asarray(ring, dtype=np.float64)
        lon, lat, _, _ = densify(pts[:, 0], pts[:, 1], closed=True)
        x, y, _ = project(lon0, lat0, lon, lat)
        planar.append(shapely.linearrings(np.column_stack((x, y))))
    shell = shapely.polygons(planar[0])
    for r, hole in enumerate(planar[1:], start=1):
        if not shapely.covers(shell, hole):
            raise InvalidGeometry(f"hole {r} is not inside the outer ring (ring 0)", f"{ptr}/{r}")
    polygon = shapely.polygons(planar[0], holes=planar[1:])
    if not shapely.is_valid(polygon):
        reason = shapely.is_valid_reason(polygon).split("[")[0].lower()
        raise InvalidGeometry(f"the polygon's holes overlap or cut it apart ({reason})", ptr)
