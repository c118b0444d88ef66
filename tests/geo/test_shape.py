"""Prepared shapes: the stored blob, and index boxes that hold every point within reach."""

from __future__ import annotations

import numpy as np
import pytest

from deconfliction.domain import FootprintKind
from deconfliction.geo import Shape, prepare
from tests.common import GEOD, GEOMETRIES, footprint


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_blob_round_trip(name: str) -> None:
    shape = prepare(footprint(name))
    back = Shape.from_bytes(shape.to_bytes())
    assert back.kind is shape.kind
    assert np.array_equal(back.lon, shape.lon) and np.array_equal(back.lat, shape.lat)
    assert np.array_equal(back.offsets, shape.offsets)
    assert (back.radius_m, back.seg_m, back.centre, back.reach_m) == (
        shape.radius_m, shape.seg_m, shape.centre, shape.reach_m,
    )  # fmt: skip


def test_blob_is_compact() -> None:
    shape = prepare(footprint("square_10km"))
    assert len(shape.to_bytes()) <= 56 + 20 * shape.n_points + 8


def test_not_a_blob() -> None:
    with pytest.raises(ValueError):
        Shape.from_bytes(b"x" * 64)


def test_densified_edges_are_short() -> None:
    shape = prepare(footprint("huge_1900km"))
    _, _, d = GEOD.inv(shape.lon, shape.lat, np.roll(shape.lon, -1), np.roll(shape.lat, -1))
    assert np.max(d) <= 20_000.0 + 1e-6
    assert shape.seg_m == pytest.approx(np.max(d))


def _in_boxes(boxes: list[tuple[float, float, float, float]], lon: float, lat: float) -> bool:
    return any(x0 <= lon <= x1 and y0 <= lat <= y1 for x0, y0, x1, y1 in boxes)


def _reach_points(name: str, h: float) -> tuple[np.ndarray, np.ndarray]:
    """Points h + radius from densely sampled core points, in 24 directions (core included)."""
    fp = footprint(name)
    lons, lats = [], []
    for ring in fp.rings:
        pts = [*ring, ring[0]] if fp.kind is FootprintKind.POLYGON else list(ring)
        for p, q in zip(pts[:-1], pts[1:], strict=True):
            mid = GEOD.npts(p[0], p[1], q[0], q[1], 40)
            lons += [p[0], *(m[0] for m in mid)]
            lats += [p[1], *(m[1] for m in mid)]
        lons.append(pts[-1][0])
        lats.append(pts[-1][1])
    lon = np.repeat(lons, 24)
    lat = np.repeat(lats, 24)
    az = np.tile(np.arange(24) * 15.0, len(lons))
    x, y, _ = GEOD.fwd(lon, lat, az, np.full(len(lon), h + fp.radius_m))
    return np.concatenate((lons, x)), np.concatenate((lats, y))


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
@pytest.mark.parametrize("h", [0.0, 5_000.0])
def test_boxes_hold_every_point_within_reach(name: str, h: float) -> None:
    boxes = prepare(footprint(name)).boxes(h)
    for x0, y0, x1, y1 in boxes:
        assert -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
    lon, lat = _reach_points(name, h)
    outside = [(a, b) for a, b in zip(lon, lat, strict=True) if not _in_boxes(boxes, a, b)]
    assert not outside, outside[:3]


def test_antimeridian_gets_two_boxes() -> None:
    boxes = prepare(footprint("antimeridian")).boxes()
    assert len(boxes) == 2
    assert boxes[0][2] == 180.0 and boxes[1][0] == -180.0
    assert boxes[0][0] == pytest.approx(179.5, abs=0.01)
    assert boxes[1][2] == pytest.approx(-179.5, abs=0.01)


@pytest.mark.parametrize("name", ["pole_cap", "circle_at_pole", "near_pole"])
def test_pole_gets_all_longitudes(name: str) -> None:
    (box,) = prepare(footprint(name)).boxes()
    assert (box[0], box[2], box[3]) == (-180.0, 180.0, 90.0)


def test_boxes_are_not_loose() -> None:
    (box,) = prepare(footprint("square_left")).boxes()
    assert box == pytest.approx((10.0, 50.0, 10.1, 50.1), abs=0.001)


def test_geodesic_bulge_is_in_the_box() -> None:
    # the huge square's northern edge is a geodesic that bulges north of its corners
    (box,) = prepare(footprint("huge_1900km")).boxes()
    corners = max(p[1] for p in footprint("huge_1900km").rings[0])
    _, lat = _reach_points("huge_1900km", 0.0)
    assert float(np.max(lat)) > corners + 0.1
    assert box[3] >= float(np.max(lat))
