"""Feet beside metres, knots beside m/s, nautical miles beside kilometres."""

from __future__ import annotations

import pytest

from deconfliction.cli.units import altitude, band, distance, speed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (altitude(1200), "1,200 m (3,937 ft)"),
        (altitude(304.8), "305 m (1,000 ft)"),
        (altitude(-30), "-30 m (-98 ft)"),
        (speed(12), "12.0 m/s (23 kn)"),
        (speed(257.2), "257.2 m/s (500 kn)"),
        (distance(9260), "9.3 km (5.0 NM)"),
        (distance(999), "999 m"),
        (band(0, 2000), "0–2,000 m (0–6,562 ft)"),
        (band(1500, None), "from 1,500 m (4,921 ft)"),
        (band(None, None), "every altitude"),
    ],
)
def test_units(text: str, expected: str) -> None:
    assert text == expected
