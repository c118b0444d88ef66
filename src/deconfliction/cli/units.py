"""Numbers as the CLI prints them: metres with feet, m/s with knots, distances with nautical
miles, so that aviators and ground units each read their own unit without converting.

>>> altitude(1200)
'1,200 m (3,937 ft)'
>>> speed(12)
'12.0 m/s (23 kn)'
>>> distance(9260)
'9.3 km (5.0 NM)'
>>> distance(450)
'450 m'
>>> band(None, 1500)
'up to 1,500 m (4,921 ft)'
"""

from __future__ import annotations

__all__ = ["FT_PER_M", "KN_PER_MPS", "M_PER_NM", "altitude", "band", "distance", "speed"]

FT_PER_M = 1 / 0.3048
M_PER_NM = 1852.0
KN_PER_MPS = 3600 / M_PER_NM


def altitude(m: float) -> str:
    """An altitude or a vertical distance: metres, then feet."""
    return f"{m:,.0f} m ({m * FT_PER_M:,.0f} ft)"


def speed(mps: float) -> str:
    """A speed: m/s to a tenth, then knots."""
    return f"{mps:,.1f} m/s ({mps * KN_PER_MPS:,.0f} kn)"


def distance(m: float) -> str:
    """A horizontal distance: metres under a kilometre, else km with nautical miles."""
    if abs(m) < 1000:
        return f"{m:,.0f} m"
    return f"{m / 1000:,.1f} km ({m / M_PER_NM:,.1f} NM)"


def band(lower_m: float | None, upper_m: float | None) -> str:
    """An altitude band; an absent side is unbounded."""
    if lower_m is None and upper_m is None:
        return "every altitude"
    if lower_m is None:
        return f"up to {altitude(upper_m or 0.0)}"
    if upper_m is None:
        return f"from {altitude(lower_m)}"
    feet = f"{lower_m * FT_PER_M:,.0f}–{upper_m * FT_PER_M:,.0f} ft"
    return f"{lower_m:,.0f}–{upper_m:,.0f} m ({feet})"
