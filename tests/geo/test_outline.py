"""Footprints as RFC 7946 areas: covering, wound by the right-hand rule, cut at the antimeridian,
closed along a pole."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from deconfliction.domain import Footprint, FootprintKind
from deconfliction.geo.outline import outline
from tests.geojson_check import check_geometry

GEOD = Geod(ellps="WGS84")


def _geometry(polygons: list[list[list[tuple[float, float]]]]) -> dict[str, object]:
    coords = [[[list(p) for p in ring] for ring in poly] for poly in polygons]
    return {"type": "MultiPolygon", "coordinates": coords}


def _circle(lon: float, lat: float, r: float) -> Footprint:
    return Footprint(FootprintKind.CIRCLE, (((lon, lat),),), r)


@pytest.mark.parametrize(
    ("lon", "lat", "radius_m"),
    [
        (40.0, 35.0, 10.0),
        (40.0, 35.0, 50_000.0),
        (179.99, -16.0, 30_000.0),
        (-180.0, 0.0, 5.0),
        (0.0, 89.9, 100_000.0),
        (120.0, -89.5, 200_000.0),
        (0.0, 0.0, 1_000_000.0),
    ],
)
def test_a_circle_is_covered_and_valid(lon: float, lat: float, radius_m: float) -> None:
    polygons = outline(_circle(lon, lat, radius_m))
    check_geometry(_geometry(polygons))
    pts = np.asarray([p for poly in polygons for p in poly[0]])
    _, _, d = GEOD.inv(np.full(len(pts), lon), np.full(len(pts), lat), pts[:, 0], pts[:, 1])
    on_circle = d[np.abs(np.abs(pts[:, 0]) - 180.0) > 1e-9]  # cut edges lie inside
    if abs(lat) < 85:
        assert on_circle.min() >= radius_m - 0.2 and on_circle.max() <= radius_m * 1.002 + 0.2


def test_a_pole_inside_is_closed_along_the_pole() -> None:
    polygons = outline(_circle(10.0, 89.5, 200_000.0))
    check_geometry(_geometry(polygons))
    lats = [p[1] for poly in polygons for p in poly[0]]
    assert max(lats) == 90.0
    # the pieces together cover every longitude up to the pole
    union = shapely.union_all([shapely.Polygon(poly[0]) for poly in polygons])
    assert union.covers(shapely.box(-180.0, 89.0, 180.0, 90.0))
    south = outline(_circle(-60.0, -89.0, 300_000.0))
    assert min(p[1] for poly in south for p in poly[0]) == -90.0


def test_across_the_antimeridian_it_is_cut() -> None:
    square = Footprint(
        FootprintKind.POLYGON, (((179.5, 10.0), (-179.5, 10.0), (-179.5, 11.0), (179.5, 11.0)),)
    )
    polygons = outline(square)
    check_geometry(_geometry(polygons))
    spans = sorted((min(p[0] for p in poly[0]), max(p[0] for p in poly[0])) for poly in polygons)
    assert spans == [(-180.0, -179.5), (179.5, 180.0)]
    line = Footprint(FootprintKind.CORRIDOR, (((179.9, 50.0), (-179.9, 50.1)),), 2500.0)
    assert len(outline(line)) == 2


def test_holes_run_clockwise_and_any_given_winding_is_fixed() -> None:
    clockwise = Footprint(
        FootprintKind.POLYGON,
        (
            ((10.0, 50.0), (10.0, 50.25), (10.5, 50.25), (10.5, 50.0)),
            ((10.1, 50.1), (10.2, 50.1), (10.2, 50.2)),
        ),
    )
    [polygon] = outline(clockwise)
    assert shapely.LinearRing(polygon[0]).is_ccw and not shapely.LinearRing(polygon[1]).is_ccw


def test_long_geodesic_edges_are_densified() -> None:
    """A geodesic edge 2,000 km long bows away from the straight lon/lat line; kept near it."""
    big = Footprint(
        FootprintKind.POLYGON, (((0.0, 60.0), (30.0, 60.0), (30.0, 62.0), (0.0, 62.0)),)
    )
    [polygon] = outline(big)
    top = [p for p in polygon[0] if 60.0 < p[1] and 0.0 < p[0] < 30.0 and p[1] != 62.0]
    # the geodesic from (0, 60) to (30, 60) runs north of the parallel: its points are kept
    assert top and max(p[1] for p in top) > 60.9


@pytest.mark.parametrize("half_width_m", [1e-300, 5e-324, 1e-20])
def test_a_corridor_too_narrow_to_draw_has_no_outline(half_width_m: float) -> None:
    # buffered to an empty polygon, whose ring has no positions: it indexed an empty array (a
    # 500 on every GeoJSON list that held the notice, found by fuzzing)
    line = ((40.0, 35.0), (40.001, 35.0))
    assert outline(Footprint(FootprintKind.CORRIDOR, (line,), half_width_m)) == []
