"""Volumes: the 4-D regions a notice declares (footprint x altitude band x time window).

Positions are (longitude, latitude) in degrees on WGS84; altitudes are metres above the WGS84
ellipsoid; times are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from deconfliction.errors import InvalidInput

__all__ = [
    "EARLIEST",
    "LATEST",
    "AltitudeBand",
    "Buffers",
    "Footprint",
    "FootprintKind",
    "Position",
    "TimeWindow",
    "Volume",
    "check_band",
    "check_instant",
    "check_window",
    "parse_instant",
]

Position = tuple[float, float]
"""(longitude_deg, latitude_deg) on WGS84."""


class FootprintKind(StrEnum):
    POLYGON = "polygon"
    CIRCLE = "circle"
    CORRIDOR = "corridor"

    @property
    def geojson_type(self) -> str:
        return {"polygon": "Polygon", "circle": "Point", "corridor": "LineString"}[self.value]


@dataclass(frozen=True, slots=True)
class Footprint:
    """Where on the ground a volume lies.

    ``rings`` holds, for a polygon, its exterior ring then its holes (each without the repeated
    closing position); for a circle, one ring with the centre; for a corridor, one ring with the
    centre line. Polygon edges and corridor legs are geodesics. ``radius_m`` is the circle's radius
    or the corridor's half-width, 0 for a polygon.
    """

    kind: FootprintKind
    rings: tuple[tuple[Position, ...], ...]
    radius_m: float = 0.0

    def to_geojson(self) -> dict[str, Any]:
        """The footprint as a GeoJSON geometry (radius and half-width travel beside it)."""
        if self.kind is FootprintKind.POLYGON:
            coords: Any = [[list(p) for p in (*ring, ring[0])] for ring in self.rings]
        elif self.kind is FootprintKind.CIRCLE:
            coords = list(self.rings[0][0])
        else:
            coords = [list(p) for p in self.rings[0]]
        return {"type": self.kind.geojson_type, "coordinates": coords}


@dataclass(frozen=True, slots=True)
class AltitudeBand:
    """Lower and upper bound in metres above the WGS84 ellipsoid; ``None`` is unbounded."""

    lower_m: float | None = None
    upper_m: float | None = None

    @property
    def lower(self) -> float:
        return float("-inf") if self.lower_m is None else self.lower_m

    @property
    def upper(self) -> float:
        return float("inf") if self.upper_m is None else self.upper_m

    def gap_m(self, other: AltitudeBand) -> float:
        """Vertical distance between the bands, 0 when they overlap."""
        return max(0.0, self.lower - other.upper, other.lower - self.upper)


UNBOUNDED = AltitudeBand()


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_instant(when: datetime, pointer: str) -> datetime:
    """``when`` in UTC, if it lies in the years the line accepts (1970 to 2200)."""
    if when.tzinfo is None:
        raise InvalidInput("give a time zone (Z or +hh:mm)", pointer)
    reason = "times must lie between 1970-01-01 and 2200-01-01 (UTC)"
    try:
        utc = when.astimezone(UTC)
    except OverflowError:  # before year 1 or after 9999 once in UTC
        raise InvalidInput(reason, pointer) from None
    if not EARLIEST <= utc < LATEST:
        raise InvalidInput(reason, pointer)
    return utc


def parse_instant(value: object, name: str, pointer: str) -> datetime:
    """An RFC 3339 time given as text (a file's, a report's), checked by :func:`check_instant`.

    >>> parse_instant("2026-11-25T06:00:00+02:00", "time", "/0/time").isoformat()
    '2026-11-25T04:00:00+00:00'
    """
    try:
        if not isinstance(value, str):
            raise ValueError
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{name} must be an RFC 3339 time such as 2026-11-25T06:00:00Z", pointer
        ) from None
    if when.tzinfo is None:
        raise InvalidInput(f"{name} needs a timezone (Z or +hh:mm)", pointer)
    return check_instant(when, pointer)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A closed interval [start, end] of UTC instants."""

    start: datetime
    end: datetime

    def gap_s(self, other: TimeWindow) -> float:
        """Seconds between the windows, 0 when they overlap (closed intervals)."""
        gap = max(self.start - other.end, other.start - self.end, timedelta(0))
        return gap.total_seconds()

    def overlap(self, other: TimeWindow, widen_s: float = 0.0) -> TimeWindow | None:
        """The common part once ``self`` is widened by ``widen_s`` on each side, if any."""
        pad = timedelta(seconds=widen_s)
        start = max(self.start - pad, other.start)
        end = min(self.end + pad, other.end)
        return TimeWindow(start, end) if start <= end else None


def check_window(start: datetime, end: datetime, pointer: str) -> TimeWindow:
    """The window [start, end] in UTC, if both lie in the line's years and it ends after it starts.

    ``pointer`` names the window (e.g. ``/volumes/0/time``); errors point at its ``start``/``end``.
    """
    utc_start = check_instant(start, f"{pointer}/start")
    utc_end = check_instant(end, f"{pointer}/end")
    if utc_end <= utc_start:
        raise InvalidInput("the window must end after it starts", f"{pointer}/end")
    return TimeWindow(utc_start, utc_end)


def check_band(lower_m: float | None, upper_m: float | None, pointer: str) -> AltitudeBand:
    """The band, if its lower bound is not above its upper one (``pointer`` names the band)."""
    if lower_m is not None and upper_m is not None and lower_m > upper_m:
        raise InvalidInput("the lower altitude is above the upper one", f"{pointer}/lower_m")
    return AltitudeBand(lower_m, upper_m)


@dataclass(frozen=True, slots=True)
class Volume:
    """Footprint x altitude band x time window."""

    footprint: Footprint
    time: TimeWindow
    altitude: AltitudeBand = UNBOUNDED


@dataclass(frozen=True, slots=True)
class Buffers:
    """Separation a conflict check adds: horizontal metres, vertical metres, seconds."""

    h_m: float = 0.0
    v_m: float = 0.0
    t_s: float = 0.0

    def raised_by(self, other: Buffers | None) -> Buffers:
        """Each buffer at least as large as in ``other`` (a notice may ask for more, never less)."""
        if other is None:
            return self
        return Buffers(max(self.h_m, other.h_m), max(self.v_m, other.v_m), max(self.t_s, other.t_s))
