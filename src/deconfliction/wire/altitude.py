"""ADS-B altitudes as heights above the WGS84 ellipsoid with their vertical uncertainty: a
geometric (GNSS) altitude nearly as given, a barometric one through a documented, widened model.

A barometric altitude is *pressure altitude*: the height of the pressure the aircraft flies in, in
the ICAO Standard Atmosphere (1013.25 hPa at sea level, 15 °C, -6.5 K/km). It equals the height
above mean sea level only on a standard day. The model here takes it as that height, moves it to
the ellipsoid by the middle of the geoid's range, and widens the uncertainty by bounds on what it
ignores, so that detection errs toward reporting (DESIGN.md, "Safety rule"):

- sea-level pressure (QNH) anywhere between the lowest and the highest ever recorded
  (``QNH_MIN_HPA``, ``QNH_MAX_HPA``): the aircraft then flies as far below or above its pressure
  altitude as the standard atmosphere's layer between that pressure and 1013.25 hPa is thick
  (1,267 m down, 581 m up), a layer the temperature below stretches too. The bound is not
  symmetric, so the height is the middle of the two (371 m below the pressure altitude);
- the air column warmer or colder than standard by up to ±20 K, which stretches or squeezes every
  height above the surface by up to ``TEMPERATURE_FRACTION`` of it (20 K over a column averaging
  about 250 K);
- the geoid: height above mean sea level to height above the ellipsoid needs the undulation N,
  which spans ``GEOID_MIN_M``..``GEOID_MAX_M`` worldwide (EGM2008); without a geoid model on the
  line, the middle of that range is used and half of it is added to the uncertainty;
- ADS-B's 25 ft altitude steps.

It is wide (about 1,100 m at sea level, 1,950 m at FL350): two aircraft on barometric altitudes fly
on the same pressure and are far better separated from each other than this says; see
docs/interop.md for what that costs and what would narrow it.
"""

from __future__ import annotations

__all__ = [
    "FT",
    "GEOID_MAX_M",
    "GEOID_MIN_M",
    "GEOMETRIC_UNC_M",
    "QNH_MAX_HPA",
    "QNH_MIN_HPA",
    "TEMPERATURE_FRACTION",
    "barometric",
    "geometric",
]

FT = 0.3048
"""Metres in a foot."""
GEOID_MIN_M = -107.0
GEOID_MAX_M = 86.0
"""The geoid's undulation over the WGS84 ellipsoid, worldwide (EGM2008: -106.2 to +85.8 m)."""
QNH_MIN_HPA = 870.0
"""The lowest sea-level pressure recorded (Typhoon Tip, 1979)."""
QNH_MAX_HPA = 1085.0
"""Above the highest sea-level pressure recorded (1,084.8 hPa, Tosontsengel, Mongolia, 2001)."""
TEMPERATURE_FRACTION = 0.08
"""How much of a height a column ±20 K off standard stretches or squeezes it."""


def _isa_height(p_hpa: float) -> float:
    """The height of pressure ``p_hpa`` in the ICAO Standard Atmosphere's troposphere, metres."""
    return 44_330.77 * (1.0 - float((p_hpa / 1013.25) ** 0.190263))


_BELOW_M = _isa_height(QNH_MIN_HPA) * (1.0 + TEMPERATURE_FRACTION)  # 1,368.5 m
_ABOVE_M = -_isa_height(QNH_MAX_HPA) * (1.0 + TEMPERATURE_FRACTION)  # 627.3 m
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
    (-381.1, 1098.2)
    >>> h, u = barometric(35000)
    >>> round(h, 1), round(u, 1)
    (10286.9, 1951.7)
    """
    msl = alt_ft * FT
    centre = (GEOID_MIN_M + GEOID_MAX_M) / 2 + (_ABOVE_M - _BELOW_M) / 2
    geoid = (GEOID_MAX_M - GEOID_MIN_M) / 2
    qnh = (_ABOVE_M + _BELOW_M) / 2
    unc = qnh + TEMPERATURE_FRACTION * abs(msl) + geoid + QUANTUM_M
    return msl + centre, unc
