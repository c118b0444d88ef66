"""A request's area as the terminal shows it: where it is, not only its shape."""

from __future__ import annotations

from typing import Any

import pytest

from deconfliction.cli.talk import _area

TIME = {"start": "2026-12-01T06:00:00Z", "end": "2026-12-01T12:00:00Z"}


@pytest.mark.parametrize(
    ("volume", "shown"),
    [
        (
            {"footprint": {"type": "Point", "coordinates": [40.14, 35.33]}, "radius_m": 20000},
            "Point 40.1400°E 35.3300°N + 20.0 km (10.8 NM)",
        ),
        (
            {
                "footprint": {"type": "LineString", "coordinates": [[-3.5, -1], [-3, -1.5]]},
                "half_width_m": 500,
            },
            "LineString of 2 points 3.5000°W 1.0000°S → 3.0000°W 1.5000°S ± 500 m",
        ),
        (
            {
                "footprint": {
                    "type": "Polygon",
                    "coordinates": [[[40, 35], [40.2, 35], [40.2, 35.1], [40, 35.1], [40, 35]]],
                }
            },
            "Polygon of 4 vertices within 40.0000°E–40.2000°E 35.0000°N–35.1000°N",
        ),
        ({"footprint": {"type": "Polygon", "coordinates": "?"}}, "Polygon"),
    ],
)
def test_an_area_shows_its_coordinates(volume: dict[str, Any], shown: str) -> None:
    assert _area({**volume, "time": TIME}).startswith(shown + ", ")
