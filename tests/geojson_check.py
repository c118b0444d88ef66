"""An RFC 7946 checker, by hand: types, members, positions in range with at most 6 decimals,
closed rings, the right-hand rule, no edge across the antimeridian, bbox when present."""

from __future__ import annotations

import math
from typing import Any

_GEOMETRIES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)


def check_collection(doc: Any) -> list[dict[str, Any]]:
    """Check a FeatureCollection and return its features."""
    assert isinstance(doc, dict) and doc["type"] == "FeatureCollection", doc
    assert isinstance(doc["features"], list)
    for f in doc["features"]:
        check_feature(f)
    _check_bbox(doc)
    return doc["features"]


def check_feature(f: Any) -> None:
    assert isinstance(f, dict) and f["type"] == "Feature", f
    assert "geometry" in f and "properties" in f  # both members are required, null or not
    assert f["properties"] is None or isinstance(f["properties"], dict)
    if "id" in f:
        assert isinstance(f["id"], str | int | float) and not isinstance(f["id"], bool)
    if f["geometry"] is not None:
        check_geometry(f["geometry"])
    _check_bbox(f)


def check_geometry(g: Any, nested: bool = False) -> None:
    assert isinstance(g, dict) and g.get("type") in _GEOMETRIES, g
    kind = g["type"]
    if kind == "GeometryCollection":
        assert not nested, "RFC 7946 3.1.8: do not nest GeometryCollections"
        assert isinstance(g["geometries"], list) and "coordinates" not in g
        for part in g["geometries"]:
            check_geometry(part, nested=True)
        return
    c = g["coordinates"]
    if kind == "Point":
        _position(c)
    elif kind in ("MultiPoint", "LineString"):
        assert isinstance(c, list) and (kind == "MultiPoint" or len(c) >= 2)
        for p in c:
            _position(p)
        if kind == "LineString":
            _no_antimeridian_jump(c)
    elif kind == "MultiLineString":
        for line in c:
            check_geometry({"type": "LineString", "coordinates": line}, nested)
    elif kind == "Polygon":
        _polygon(c)
    else:
        assert isinstance(c, list) and c
        for poly in c:
            _polygon(poly)
    _check_bbox(g)


def _position(p: Any) -> None:
    assert isinstance(p, list) and len(p) in (2, 3), p
    assert all(isinstance(x, int | float) and math.isfinite(x) for x in p), p
    lon, lat = p[0], p[1]
    assert -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0, p
    assert round(lon, 6) == lon and round(lat, 6) == lat, p  # at most 6 decimals (RFC 11.2)


def _signed_area(ring: list[list[float]]) -> float:
    return 0.5 * sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:], strict=False))


def _polygon(rings: Any) -> None:
    assert isinstance(rings, list) and rings, rings
    for i, ring in enumerate(rings):
        assert isinstance(ring, list) and len(ring) >= 4, "a linear ring has 4 or more positions"
        for p in ring:
            _position(p)
        assert ring[0] == ring[-1], "a linear ring is closed"
        _no_antimeridian_jump(ring)
        area = _signed_area(ring)
        # the right-hand rule: exteriors counter-clockwise, holes clockwise
        assert area > 0 if i == 0 else area < 0, (i, area)


def _no_antimeridian_jump(positions: list[list[float]]) -> None:
    for a, b in zip(positions, positions[1:], strict=False):
        assert abs(a[0] - b[0]) <= 180.0, ("cut at the antimeridian (RFC 7946 3.1.9)", a, b)


def _check_bbox(obj: dict[str, Any]) -> None:
    if "bbox" not in obj:
        return
    box = obj["bbox"]
    assert isinstance(box, list) and len(box) in (4, 6)
    half = len(box) // 2
    assert all(box[i] <= box[i + half] for i in range(1, half)), box  # west may exceed east


def positions(g: dict[str, Any] | None) -> list[list[float]]:
    """Every position of a geometry (for tests that look at where it is)."""
    if g is None:
        return []
    if g["type"] == "GeometryCollection":
        return [p for part in g["geometries"] for p in positions(part)]

    def flat(c: Any) -> list[list[float]]:
        return [c] if isinstance(c[0], int | float) else [p for x in c for p in flat(x)]

    return flat(g["coordinates"])
