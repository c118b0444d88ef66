"""ADS-B altitudes as heights above the WGS84 ellipsoid with their vertical uncertainty: a
geometric (GNSS) altitude nearly as given, a barometric one through a documented, widened model.

A barometric altitude is *pressure altitude*: the height of the pressure the aircraft flies in, in
the ICAO Standard Atmosphere (1013.25 hPa at sea level, 15 °C, -6.5 K/km). It equals the height
above mean sea level only on a standard day. The model here takes it as that height, moves it to
the ellipsoid by the middle of the geoid's range, and widens the uncertainty by bounds on what it
ignores, so that detection errs toward reporting (DESIGN.md, "Safety rule"):

- sea-level pressure (QNH) off standard by up to ``QNH_SPREAD_HPA`` either way, at
  ``M_PER_HPA`` metres per hPa (the pressure gradient near the surface);
- the air column warmer or colder than standard by up to ±20 K, which stretches or squeezes every
  height above the surface by up to ``TEMPERATURE_FRACTION`` of it (20 K over a column averaging
  about 250 K);
- the geoid: height above mean sea level to height above the ellipsoid needs the undulation N,
  which spans ``GEOID_MIN_M``..``GEOID_MAX_M`` worldwide (EGM2008); without a geoid model on the
  line, the middle of that range is used and half of it is added to the uncertainty;
- ADS-B's 25 ft altitude steps.

It is wide (about 390 m at sea level, 1,240 m at FL350): two aircraft on barometric altitudes fly
on the same pressure and are far better separated from each other than this says; see
docs/interop.md for what that costs and what would narrow it.
"""

from __future__ import annotations

__all__ = [
    "FT",
    "GEOID_MAX_M",
    "GEOID_MIN_M",
    "GEOMETRIC_UNC_M",
    "M_PER_HPA",
    "QNH_SPREAD_HPA",
    "TEMPERATURE_FRACTION",
    "barometric",
    "geometric",
]

FT = 0.3048
"""Metres in a foot."""
GEOID_MIN_M = -107.0
GEOID_MAX_M = 86.0
"""The geoid's undulation over the WGS84 ellipsoid, worldwide (EGM2008: -106.2 to +85.8 m)."""
M_PER_HPA = 8.3
"""Height of one hPa near sea level in the standard atmosphere (about 27 ft)."""
QNH_SPREAD_HPA = 35.0
"""How far sea-level pressure may be from 1013.25 hPa (978-1048 hPa holds but for the deepest
storms, where aircraft do not fly low)."""
TEMPERATURE_FRACTION = 0.08
"""How much of a height a column ±20 K off standard stretches or squeezes it."""
QUANTUM_M = 12.5 * FT
"""Half of ADS-B's 25 ft altitude step."""
GEOMETRIC_UNC_M = 15.0
"""A GNSS height's uncertainty as ADS-B gives it: 25 ft steps and the receiver's vertical error."""


def geometric(alt_ft: float) -> tuple[float, float]:
    """A geometric (GNSS) altitude, feet above the WGS84 ellipsoid (readsb's ``alt_geom``), as
    (metres above the ellipsoid, uncertainty in metres).

    >>> geometric(35000)
    (10668.0, 15.0)
    """
    return alt_ft * FT, GEOMETRIC_UNC_M


def barometric(alt_ft: float) -> tuple[float, float]:
    """A pressure altitude, feet (SBS, readsb's ``alt_baro``), as (metres above the ellipsoid,
    uncertainty in metres) under the model of this module.

    >>> h, u = barometric(0)
    >>> round(h, 1), round(u, 1)
    (-10.5, 390.8)
    >>> h, u = barometric(35000)
    >>> round(h, 1), round(u, 1)
    (10657.5, 1244.2)
    """
    msl = alt_ft * FT
    centre = (GEOID_MIN_M + GEOID_MAX_M) / 2
    geoid = (GEOID_MAX_M - GEOID_MIN_M) / 2
    unc = M_PER_HPA * QNH_SPREAD_HPA + TEMPERATURE_FRACTION * abs(msl) + geoid + QUANTUM_M
    return msl + centre, unc
