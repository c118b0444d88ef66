"""Every rejection parse_footprints promises: where (JSON pointer) and why (a readable sentence)."""

from __future__ import annotations

from typing import Any

import pytest

from deconfliction.domain import FootprintKind
from deconfliction.errors import InvalidGeometry, InvalidInput
from deconfliction.geo import MAX_VERTICES, parse_footprints
from tests.common import GEOMETRIES, around, square

P = "/volumes/0/footprint"
SQ = [[10.0, 50.0], [10.1, 50.0], [10.1, 50.1], [10.0, 50.1], [10.0, 50.0]]


def poly(*rings: list[Any]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def with_pos(i: int, value: Any) -> dict[str, Any]:
    ring: list[Any] = [list(p) for p in SQ]
    ring[i] = value
    return poly(ring)


big_ring = around(0.0, 0.0, 50_000, [i * 360 / (MAX_VERTICES + 5) for i in range(MAX_VERTICES + 5)])

REJECTIONS: list[tuple[str, Any, dict[str, Any], str, str]] = [
    ("not a dict", [1, 2], {}, P, "GeoJSON geometry object"),
    ("unknown type", {"type": "Circle", "coordinates": [0, 0]}, {}, P + "/type",
     "valid types are Polygon, MultiPolygon, Point, LineString"),
    ("no coordinates", {"type": "Polygon"}, {}, P, "no coordinates"),
    ("coordinates not arrays", poly("abc"), {}, P + "/coordinates/0", "array of positions"),
    ("string number", with_pos(1, ["10.1", 50.0]), {}, P + "/coordinates/0/1/0",
     "must be a number"),
    ("bool is not a number", with_pos(2, [10.1, True]), {}, P + "/coordinates/0/2/1",
     "not true"),
    ("NaN", with_pos(1, [float("nan"), 50.0]), {}, P + "/coordinates/0/1/0", "finite"),
    ("infinity", with_pos(3, [10.0, float("inf")]), {}, P + "/coordinates/0/3/1", "finite"),
    ("an integer past any float", with_pos(1, [10**400, 50.0]), {}, P + "/coordinates/0/1/0",
     "finite number, not 100000000000...(401 digits)"),
    ("an altitude past any float", with_pos(2, [10.1, 50.1, -(10**400)]), {},
     P + "/coordinates/0/2/2", "finite"),
    ("longitude range", with_pos(1, [181.0, 50.0]), {}, P + "/coordinates/0/1/0",
     "outside [-180, 180]"),
    ("latitude range", with_pos(2, [10.1, -90.5]), {}, P + "/coordinates/0/2/1",
     "outside [-90, 90]"),
    ("position too long", with_pos(1, [1, 2, 3, 4]), {}, P + "/coordinates/0/1", "longitude"),
    ("ring not closed", poly(SQ[:-1]), {}, P + "/coordinates/0/3", "not closed"),
    ("too few positions", poly([[0, 0], [1, 0], [0, 0]]), {}, P + "/coordinates/0",
     "at least 4 positions"),
    ("two distinct vertices", poly([[0, 0], [1, 0], [0, 0], [1, 0], [0, 0]]), {},
     P + "/coordinates/0", "3 distinct corners"),
    ("self-intersecting", poly([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]), {},
     P + "/coordinates/0/0", "crosses or folds back"),
    ("folds back", poly([[0, 0], [2, 0], [1, 0], [1, 1], [0, 0]]), {}, P + "/coordinates/0/",
     "crosses or folds back"),
    ("hole outside", poly(SQ, around(20.0, 20.0, 1000, [0, 120, 240])), {},
     P + "/coordinates/1", "hole 1 is not inside"),
    ("too many vertices", poly(big_ring), {}, P + "/coordinates/0",
     f"more than {MAX_VERTICES:,} positions"),
    ("too big", square(0.0, 0.0, 1_500_000), {}, P + "/coordinates", "km across"),
    ("radius missing", {"type": "Point", "coordinates": [0, 0]}, {}, P + "/radius_m",
     "needs radius_m"),
    ("radius zero", {"type": "Point", "coordinates": [0, 0]}, {"radius_m": 0}, P + "/radius_m",
     "positive"),
    ("radius negative", {"type": "Point", "coordinates": [0, 0]}, {"radius_m": -5},
     P + "/radius_m", "positive"),
    ("radius bool", {"type": "Point", "coordinates": [0, 0]}, {"radius_m": True},
     P + "/radius_m", "number"),
    ("radius too big", {"type": "Point", "coordinates": [0, 0]}, {"radius_m": 1_000_001},
     P + "/radius_m", "limit"),
    ("radius past any float", {"type": "Point", "coordinates": [0, 0]}, {"radius_m": 10**400},
     P + "/radius_m", "positive"),
    ("half-width missing", {"type": "LineString", "coordinates": [[0, 0], [1, 0]]}, {},
     P + "/half_width_m", "needs half_width_m"),
    ("half-width NaN", {"type": "LineString", "coordinates": [[0, 0], [1, 0]]},
     {"half_width_m": float("nan")}, P + "/half_width_m", "positive"),
    ("corridor one point", {"type": "LineString", "coordinates": [[0, 0], [0, 0]]},
     {"half_width_m": 10}, P + "/coordinates", "2 distinct"),
    ("corridor too long", {"type": "LineString", "coordinates": [[0, 0], [10, 0], [20, 0]]},
     {"half_width_m": 10}, P + "/coordinates", "km across"),
    ("multipolygon member", {"type": "MultiPolygon", "coordinates": [[SQ], [SQ[:-1]]]}, {},
     P + "/coordinates/1/0/3", "not closed"),
    ("empty multipolygon", {"type": "MultiPolygon", "coordinates": []}, {}, P + "/coordinates",
     "no polygons"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("geometry", "kwargs", "pointer", "words"),
    [pytest.param(g, k, p, w, id=name) for name, g, k, p, w in REJECTIONS],
)
def test_rejections_name_the_field_and_the_reason(
    geometry: Any, kwargs: dict[str, Any], pointer: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_footprints(geometry, pointer=P, **kwargs)
    assert info.value.pointer.startswith(pointer)
    assert words in info.value.reason


def test_geometry_errors_are_invalid_geometry() -> None:
    with pytest.raises(InvalidGeometry):
        parse_footprints(with_pos(1, [181.0, 50.0]))


def test_self_intersection_says_where() -> None:
    with pytest.raises(InvalidGeometry) as info:
        parse_footprints(poly([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]))
    assert "near (0.5" in info.value.reason


def test_too_big_says_the_measured_size() -> None:
    with pytest.raises(InvalidGeometry) as info:
        parse_footprints(square(0.0, 0.0, 1_500_000))
    assert "3,000" in info.value.reason or "2,99" in info.value.reason


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_named_shapes_parse(name: str) -> None:
    geometry, size = GEOMETRIES[name]
    kwargs = {"Point": {"radius_m": size}, "LineString": {"half_width_m": size}}
    fps = parse_footprints(geometry, **kwargs.get(geometry["type"], {}))
    assert len(fps) == 1


def test_multipolygon_splits_into_footprints() -> None:
    other = [[p[0] + 1, p[1]] for p in SQ]
    fps = parse_footprints({"type": "MultiPolygon", "coordinates": [[SQ], [other]]})
    assert [f.kind for f in fps] == [FootprintKind.POLYGON] * 2
    assert fps[1].rings[0][0] == (11.0, 50.0)


def test_polygon_drops_closing_position_and_keeps_holes() -> None:
    geometry, _ = GEOMETRIES["holed"]
    (fp,) = parse_footprints(geometry)
    assert len(fp.rings) == 2 and len(fp.rings[0]) == 4


def test_pole_ring_and_antimeridian_ring_are_valid() -> None:
    assert parse_footprints(GEOMETRIES["pole_cap"][0])
    assert parse_footprints(GEOMETRIES["antimeridian"][0])


def test_a_ring_through_a_pole_at_several_longitudes_has_one_corner_there() -> None:
    # at a pole every longitude names the same point: three "corners" there are one (this ring
    # made the self-crossing check index an empty intersection, a 500, found by fuzzing)
    ring = [[-179.9993, -90], [-179.9991, -89.9997], [-179.9994, -89.9996], [-179.9996, -90],
            [-180, -90], [-180, -90], [-179.9993, -90]]  # fmt: skip
    (fp,) = parse_footprints(poly(ring))
    assert fp.rings == (((-179.9993, -90.0), (-179.9991, -89.9997), (-179.9994, -89.9996)),)
    # visiting the pole twice, between other corners, folds the ring back on itself there
    with pytest.raises(InvalidGeometry) as info:
        parse_footprints(poly([[0, -90], [0, -89.9], [90, -90], [180, -89.9], [-90, -90],
                               [0, -90]]))  # fmt: skip
    assert "folds back" in info.value.reason and "-90.00000" in info.value.reason
