"""Random volumes anywhere on Earth (antimeridian and poles included) against the oracle."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.domain import Footprint
from deconfliction.geo import parse_footprints, prepare, within
from tests.common import GEOD
from tests.geo.oracle import region_distance

places = st.one_of(
    st.tuples(st.floats(-180, 180), st.floats(-80, 80)),
    st.tuples(st.floats(179.0, 180.0) | st.floats(-180.0, -179.0), st.floats(-60, 60)),
    st.tuples(st.floats(-180, 180), st.floats(85.0, 89.9) | st.floats(-89.9, -85.0)),
)
sizes = st.floats(100.0, 200_000.0)


@st.composite
def footprints(draw: st.DrawFn, lon: float, lat: float) -> Footprint:
    kind = draw(st.sampled_from(["quad", "circle", "corridor"]))
    size = draw(sizes)
    if kind == "circle":
        return parse_footprints({"type": "Point", "coordinates": [lon, lat]}, radius_m=size / 2)[0]
    turn = draw(st.floats(0, 360))
    if kind == "corridor":
        pts = [[lon, lat]]
        for _ in range(draw(st.integers(1, 3))):
            turn += draw(st.floats(-120, 120))
            x, y, _ = GEOD.fwd(pts[-1][0], pts[-1][1], turn, size * draw(st.floats(0.2, 1.0)))
            pts.append([x, y])
        return parse_footprints(
            {"type": "LineString", "coordinates": pts}, half_width_m=draw(st.floats(10, size / 4))
        )[0]
    ring: list[list[float]] = []
    for k in range(4):
        az = turn + 90 * k + draw(st.floats(-30, 30))
        x, y, _ = GEOD.fwd(lon, lat, az, size * draw(st.floats(0.3, 1.0)) / 2)
        ring.append([x, y])
    geometry: dict[str, Any] = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    return parse_footprints(geometry)[0]


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Footprint, Footprint, float]:
    lon, lat = draw(places)
    a = draw(footprints(lon, lat))
    x, y, _ = GEOD.fwd(lon, lat, draw(st.floats(0, 360)), draw(st.floats(0, 400_000)))
    b = draw(footprints(float(x), float(y)))
    return a, b, draw(st.floats(0.0, 30_000.0))


@settings(max_examples=120, deadline=None)
@given(pairs())
def test_random_pairs_follow_the_safety_rule(case: tuple[Footprint, Footprint, float]) -> None:
    a, b, h = case
    d = region_distance(a, b)
    hit, dist = within(prepare(a), [prepare(b)], h)
    if d <= h - 0.5:
        assert hit[0], f"missed: {d:.1f} m apart, buffer {h:.1f} m"
    if hit[0]:
        assert d <= h + max(10.0, 0.005 * h), f"false alarm: {d:.1f} m apart, buffer {h:.1f} m"
    assert abs(float(dist[0]) - d) <= max(10.0, 0.001 * d), (float(dist[0]), d)
    # and the buffer that just reaches is always a conflict
    hit, _ = within(prepare(a), [prepare(b)], d + 0.5)
    assert hit[0]
