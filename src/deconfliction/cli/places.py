"""Where an area is, in words a coordinator can check on a map: a footprint's coordinates.

``Point 40.1400°E 35.3300°N``, a corridor's ends and its number of points, a polygon's number of
vertices and the bounds of its outer ring (four decimals: about 10 m).
"""

from __future__ import annotations

from typing import Any

__all__ = ["footprint_text", "position_text"]


def position_text(lon: float, lat: float) -> str:
    """A WGS84 position as degrees with hemispheres, longitude first as in GeoJSON.

    >>> position_text(40.14, 35.33)
    '40.1400°E 35.3300°N'
    >>> position_text(-0.5, -12.25)
    '0.5000°W 12.2500°S'
    """
    return f"{abs(lon):.4f}°{'W' if lon < 0 else 'E'} {abs(lat):.4f}°{'S' if lat < 0 else 'N'}"


def _range(lo: float, hi: float, neg: str, pos: str) -> str:
    def one(x: float) -> str:
        return f"{abs(x):.4f}°{neg if x < 0 else pos}"

    return one(lo) if lo == hi else f"{one(lo)}–{one(hi)}"


def footprint_text(footprint: Any) -> str:
    """A GeoJSON footprint (Point, LineString or Polygon) with its coordinates, readable.

    >>> footprint_text({"type": "Point", "coordinates": [40.14, 35.33]})
    'Point 40.1400°E 35.3300°N'
    >>> ring = [[40.1, 35.3], [40.2, 35.3], [40.2, 35.4], [40.1, 35.3]]
    >>> footprint_text({"type": "Polygon", "coordinates": [ring]})
    'Polygon of 3 vertices within 40.1000°E–40.2000°E 35.3000°N–35.4000°N'
    >>> footprint_text({"type": "LineString", "coordinates": [[40, 35], [40.5, 35], [41, 35.2]]})
    'LineString of 3 points 40.0000°E 35.0000°N → 41.0000°E 35.2000°N'
    """
    if not isinstance(footprint, dict):
        return "area"
    kind = str(footprint.get("type", "area"))
    coords: Any = footprint.get("coordinates")
    try:
        if kind == "Point":
            return f"{kind} {position_text(float(coords[0]), float(coords[1]))}"
        if kind == "LineString":
            first, last = coords[0], coords[-1]
            ends = f"{position_text(first[0], first[1])} → {position_text(last[0], last[1])}"
            return f"{kind} of {len(coords)} points {ends}"
        if kind == "Polygon":
            ring = coords[0]
            closed = len(ring) > 1 and ring[0] == ring[-1]
            lons, lats = [float(p[0]) for p in ring], [float(p[1]) for p in ring]
            bounds = (
                f"{_range(min(lons), max(lons), 'W', 'E')} {_range(min(lats), max(lats), 'S', 'N')}"
            )
            return f"{kind} of {len(ring) - closed} vertices within {bounds}"
    except (TypeError, IndexError, KeyError, ValueError):
        pass  # a shape the line would not have stored: name its type only
    return kind
