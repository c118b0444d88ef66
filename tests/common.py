"""Shared shapes and volumes for every test: named GeoJSON footprints built with pyproj."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pyproj import Geod

from deconfliction.domain import AltitudeBand, Footprint, TimeWindow, Volume
from deconfliction.geo import parse_footprints

GEOD = Geod(ellps="WGS84")
T0 = datetime(2025, 6, 1, 6, 0, tzinfo=UTC)
WINDOW = TimeWindow(T0, T0 + timedelta(hours=2))


def around(lon: float, lat: float, dist_m: float, azimuths: list[float]) -> list[list[float]]:
    """A closed ring of points ``dist_m`` from (lon, lat) at the given azimuths."""
    pts = []
    for az in azimuths:
        x, y, _ = GEOD.fwd(lon, lat, az, dist_m)
        pts.append([round(x, 9), round(y, 9)])
    return [*pts, pts[0]]


def square(lon: float, lat: float, half_diag_m: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [around(lon, lat, half_diag_m, [45, 135, 225, 315])]}


def offset(lon: float, lat: float, az: float, dist_m: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, az, dist_m)
    return float(x), float(y)


# name -> (GeoJSON geometry, radius_m or half_width_m or None)
GEOMETRIES: dict[str, tuple[dict[str, Any], float | None]] = {
    "square_10km": (square(10.0, 50.0, 7071.0), None),
    "square_touching": (
        {
            "type": "Polygon",
            "coordinates": [[[10.1, 50.0], [10.2, 50.0], [10.2, 50.1], [10.1, 50.1], [10.1, 50.0]]],
        },
        None,
    ),  # fmt: skip
    "square_left": (
        {
            "type": "Polygon",
            "coordinates": [[[10.0, 50.0], [10.1, 50.0], [10.1, 50.1], [10.0, 50.1], [10.0, 50.0]]],
        },
        None,
    ),  # fmt: skip
    "triangle": (
        {
            "type": "Polygon",
            "coordinates": [[[11.0, 50.0], [11.3, 50.0], [11.15, 50.25], [11.0, 50.0]]],
        },
        None,
    ),  # fmt: skip
    "holed": (
        {
            "type": "Polygon",
            "coordinates": [
                around(20.0, 40.0, 50_000, [0, 90, 180, 270]),
                around(20.0, 40.0, 20_000, [0, 270, 180, 90]),
            ],
        },
        None,
    ),
    "in_hole": (square(20.0, 40.0, 5_000), None),
    "circle_5km": ({"type": "Point", "coordinates": [11.15, 50.35]}, 5_000.0),
    "corridor_bends": (
        {
            "type": "LineString",
            "coordinates": [[10.3, 49.9], [10.5, 50.05], [10.4, 50.2], [10.6, 50.3]],
        },
        1_000.0,
    ),  # fmt: skip
    "antimeridian": (
        {
            "type": "Polygon",
            "coordinates": [
                [[179.5, -17.0], [-179.5, -17.0], [-179.5, -16.0], [179.5, -16.0], [179.5, -17.0]]
            ],
        },
        None,
    ),  # fmt: skip
    "antimeridian_east": (square(-179.3, -16.5, 10_000), None),
    "near_pole": (square(30.0, 88.5, 30_000), None),
    "pole_cap": (
        {
            "type": "Polygon",
            "coordinates": [[[0.0, 87.0], [90.0, 87.0], [180.0, 87.0], [-90.0, 87.0], [0.0, 87.0]]],
        },
        None,
    ),  # fmt: skip
    "circle_at_pole": ({"type": "Point", "coordinates": [0.0, 90.0]}, 10_000.0),
    "circle_near_cap": ({"type": "Point", "coordinates": [45.0, 85.0]}, 20_000.0),
    "tiny_10m": (square(2.0, 48.0, 7.0), None),
    "tiny_in_square": (square(10.0, 50.0, 7.0), None),
    "tiny_neighbour": (square(*offset(2.0, 48.0, 90.0, 40.0), 7.0), None),
    "huge_1900km": (square(60.0, 30.0, 670_000.0), None),
    "circle_off_huge": ({"type": "Point", "coordinates": [65.6, 30.0]}, 50_000.0),
    "circle_big": ({"type": "Point", "coordinates": [0.0, 0.0]}, 200_000.0),
    "circle_big_near": ({"type": "Point", "coordinates": [3.7, 0.0]}, 200_000.0),
}


def footprint(name: str) -> Footprint:
    geometry, size = GEOMETRIES[name]
    kind = geometry["type"]
    if kind == "Point":
        return parse_footprints(geometry, radius_m=size)[0]
    if kind == "LineString":
        return parse_footprints(geometry, half_width_m=size)[0]
    return parse_footprints(geometry)[0]


def volume(
    name: str,
    start_h: float = 0.0,
    hours: float = 2.0,
    lower: float | None = None,
    upper: float | None = None,
) -> Volume:
    start = T0 + timedelta(hours=start_h)
    return Volume(
        footprint(name),
        TimeWindow(start, start + timedelta(hours=hours)),
        AltitudeBand(lower, upper),
    )


# pairs the oracle checks: everything the Safety rule has to survive
PAIRS = [
    ("square_left", "square_touching"),
    ("square_10km", "square_left"),
    ("triangle", "circle_5km"),
    ("holed", "in_hole"),
    ("in_hole", "holed"),
    ("corridor_bends", "square_touching"),
    ("corridor_bends", "triangle"),
    ("antimeridian", "antimeridian_east"),
    ("antimeridian_east", "antimeridian"),
    ("near_pole", "pole_cap"),
    ("pole_cap", "circle_at_pole"),
    ("circle_near_cap", "pole_cap"),
    ("near_pole", "circle_at_pole"),
    ("tiny_10m", "tiny_neighbour"),
    ("huge_1900km", "circle_off_huge"),
    ("circle_off_huge", "huge_1900km"),
    ("circle_big", "circle_big_near"),
    ("square_10km", "triangle"),
    ("square_10km", "tiny_in_square"),
    ("tiny_in_square", "square_10km"),
]
