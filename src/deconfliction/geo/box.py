"""Index boxes: conservative 4-D boxes (longitude, latitude, altitude, time) around a region,
what every spatial index of the line (R*Tree, GiST over cube, numpy overlap) is searched with."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Box4"]


@dataclass(frozen=True, slots=True)
class Box4:
    """An index box: longitude and latitude in degrees, altitude in metres, time in epoch seconds.

    Longitudes stay within [-180, 180] (a region crossing the antimeridian gets two boxes);
    unbounded altitudes are +-1e9 m. Boxes are conservative: they contain the region they index.
    """

    lon_min: float
    lat_min: float
    alt_min: float
    t_min: float
    lon_max: float
    lat_max: float
    alt_max: float
    t_max: float
