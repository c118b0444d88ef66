"""ASTM F3548-21 (UTM, the InterUSS DSS world) Volume4D lists in and out: a USS's operational
intent volumes as a notice's volumes, and a notice as a Volume4D list (``{"volumes": [...]}``).

Field meanings from the F3548 OpenAPI (astm-utm/Protocol ``utm.yaml``, v1.0.0): a polygon's
edges are the shortest paths between its vertices — geodesics, as the line's — and its last
vertex is not the first; a circle's radius runs along the ellipsoid; altitudes are ``W84``
(metres above the WGS84 ellipsoid, the line's own datum) in ``M``; times RFC 3339. Hand-written:
no Python package carries these shapes, and the mapping is the point (docs/interop.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from deconfliction.domain import AltitudeBand, Footprint, FootprintKind, Notice, Volume
from deconfliction.domain.volume import TimeWindow, parse_instant
from deconfliction.errors import DeconflictionError, InvalidInput
from deconfliction.geo.geojson import parse_footprints
from deconfliction.geo.outline import outline
from deconfliction.wire.time import utc_z

__all__ = ["ALT_MAX_M", "ALT_MIN_M", "MEDIA_TYPE", "notice_volumes4d", "volumes_from_4d"]

MEDIA_TYPE = "application/vnd.astm.f3548.volume4d+json"

ALT_MIN_M = -8000.0
ALT_MAX_M = 100_000.0
"""The bounds F3548's Altitude allows: an unbounded side of a band is written as these."""


def _object(value: object, pointer: str, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be an object", pointer)
    return value


def _number(value: object, pointer: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{what} must be a number", pointer)
    return float(value)


def _altitude(value: object, pointer: str) -> float | None:
    if value is None:
        return None
    alt = _object(value, pointer, "an altitude")
    reference, units = alt.get("reference"), alt.get("units")
    if reference != "W84":
        raise InvalidInput(
            f"altitude reference {reference!r} is not accepted: F3548 altitudes are W84 (metres "
            "above the WGS84 ellipsoid); convert others first",
            f"{pointer}/reference",
        )
    if units != "M":
        raise InvalidInput(
            f"altitude units {units!r} are not accepted: F3548 altitudes are in metres (M)",
            f"{pointer}/units",
        )
    number = _number(alt.get("value"), f"{pointer}/value", "an altitude's value")
    if not ALT_MIN_M <= number <= ALT_MAX_M:
        raise InvalidInput(
            f"altitude {number:g} m is outside F3548's {ALT_MIN_M:g} to {ALT_MAX_M:g} m",
            f"{pointer}/value",
        )
    return number


def _time(value: object, pointer: str, name: str) -> datetime:
    if value is None:
        raise InvalidInput(
            f"{name} is needed: the line holds every volume in a time window", pointer
        )
    t = _object(value, pointer, "a time")
    if t.get("format") != "RFC3339":
        raise InvalidInput(f"{name}'s format must be RFC3339", f"{pointer}/format")
    return parse_instant(t.get("value"), name, f"{pointer}/value")


_COORD = re.compile(r"^/coordinates/0/(\d+)(?:/(0|1))?")


def _vertex_pointer(error: DeconflictionError, pointer: str, count: int) -> InvalidInput:
    """An error on the GeoJSON ring we made, pointed back at the F3548 vertex it came from."""
    found = _COORD.match(error.pointer)
    if found is None:
        return InvalidInput(error.reason, pointer)
    index = int(found.group(1)) % count  # the closing position is the first vertex
    field = {"0": "/lng", "1": "/lat", None: ""}[found.group(2)]
    return InvalidInput(error.reason, f"{pointer}/vertices/{index}{field}")


def _footprints(volume: Mapping[str, Any], pointer: str) -> list[Footprint]:
    polygon, circle = volume.get("outline_polygon"), volume.get("outline_circle")
    if (polygon is None) == (circle is None):
        raise InvalidInput(
            "a Volume3D needs exactly one outline: outline_polygon or outline_circle", pointer
        )
    if circle is not None:
        cptr = f"{pointer}/outline_circle"
        c = _object(circle, cptr, "outline_circle")
        centre = _object(c.get("center"), f"{cptr}/center", "a circle's center")
        radius = _object(c.get("radius"), f"{cptr}/radius", "a circle's radius")
        if radius.get("units") != "M":
            raise InvalidInput(
                f"radius units {radius.get('units')!r} are not accepted: F3548 radii are in M",
                f"{cptr}/radius/units",
            )
        lng = _number(centre.get("lng"), f"{cptr}/center/lng", "lng")
        lat = _number(centre.get("lat"), f"{cptr}/center/lat", "lat")
        geometry = {"type": "Point", "coordinates": [lng, lat]}
        try:
            return parse_footprints(geometry, radius_m=radius.get("value"))
        except DeconflictionError as e:
            where = "/radius/value" if e.pointer.endswith("radius_m") else "/center"
            raise InvalidInput(e.reason, cptr + where) from None
    pptr = f"{pointer}/outline_polygon"
    vertices = _object(polygon, pptr, "outline_polygon").get("vertices")
    if not isinstance(vertices, Sequence) or isinstance(vertices, str) or len(vertices) < 3:
        raise InvalidInput("a polygon needs at least 3 vertices", f"{pptr}/vertices")
    ring = []
    for i, v in enumerate(vertices):
        vp = _object(v, f"{pptr}/vertices/{i}", "a vertex")
        ring.append([_number(vp.get("lng"), f"{pptr}/vertices/{i}/lng", "lng"),
                     _number(vp.get("lat"), f"{pptr}/vertices/{i}/lat", "lat")])  # fmt: skip
    if ring[0] == ring[-1] and len(ring) > 3:
        ring.pop()  # F3548 says not to repeat the first vertex; a repeat means no more
    try:
        return parse_footprints({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})
    except DeconflictionError as e:
        raise _vertex_pointer(e, pptr, len(ring)) from None


def volumes_from_4d(value: object, pointer: str) -> list[Volume]:
    """One F3548 Volume4D as the line's volumes (one, as F3548 has no multi-outlines),
    checked; every error names the F3548 field (``{pointer}/volume/altitude_lower/reference``).

    >>> v = {"volume": {"outline_circle": {"center": {"lat": 34.123, "lng": -118.456},
    ...      "radius": {"value": 300.183, "units": "M"}},
    ...      "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
    ...      "altitude_upper": {"value": 120, "reference": "W84", "units": "M"}},
    ...      "time_start": {"value": "1985-04-12T23:20:50.52Z", "format": "RFC3339"},
    ...      "time_end": {"value": "1985-04-13T01:20:50.52Z", "format": "RFC3339"}}
    >>> [(x.footprint.radius_m, x.altitude.upper_m) for x in volumes_from_4d(v, "/volumes4d/0")]
    [(300.183, 120.0)]
    """
    v4 = _object(value, pointer, "a Volume4D")
    vptr = f"{pointer}/volume"
    v3 = _object(v4.get("volume"), vptr, "a Volume4D's volume (Volume3D)")
    lower = _altitude(v3.get("altitude_lower"), f"{vptr}/altitude_lower")
    upper = _altitude(v3.get("altitude_upper"), f"{vptr}/altitude_upper")
    if lower is not None and upper is not None and lower >= upper:
        raise InvalidInput(
            "altitude_lower must be below altitude_upper", f"{vptr}/altitude_lower/value"
        )
    start = _time(v4.get("time_start"), f"{pointer}/time_start", "time_start")
    end = _time(v4.get("time_end"), f"{pointer}/time_end", "time_end")
    if end <= start:
        raise InvalidInput("time_end must be after time_start", f"{pointer}/time_end/value")
    return [
        Volume(footprint=f, time=TimeWindow(start, end), altitude=AltitudeBand(lower, upper))
        for f in _footprints(v3, vptr)
    ]


def _altitude_out(value: float | None, unbounded: float) -> dict[str, Any]:
    number = unbounded if value is None else min(max(value, ALT_MIN_M), ALT_MAX_M)
    return {"value": number, "reference": "W84", "units": "M"}


def _point(p: Sequence[float]) -> dict[str, float]:
    return {"lng": p[0], "lat": p[1]}


def _outlines(f: Footprint) -> list[dict[str, Any]]:
    """A footprint as F3548 outlines: a polygon by its exterior ring (a hole is filled: F3548
    has none, and the filled area covers it), a circle as itself, a corridor (which F3548 does
    not have) as polygons that cover it."""
    if f.kind is FootprintKind.CIRCLE:
        centre = f.rings[0][0]
        radius = {"value": f.radius_m, "units": "M"}
        return [{"outline_circle": {"center": _point(centre), "radius": radius}}]
    if f.kind is FootprintKind.POLYGON:
        return [{"outline_polygon": {"vertices": [_point(p) for p in f.rings[0]]}}]
    return [
        {"outline_polygon": {"vertices": [_point(p) for p in poly[0][:-1]]}} for poly in outline(f)
    ]


def notice_volumes4d(n: Notice) -> dict[str, Any]:
    """A notice's volumes as F3548 Volume4Ds (OperationalIntentDetails' ``volumes``)."""
    out = []
    for v in n.volumes:
        times = {
            "time_start": {"value": utc_z(v.time.start), "format": "RFC3339"},
            "time_end": {"value": utc_z(v.time.end), "format": "RFC3339"},
        }
        for shape in _outlines(v.footprint):
            volume = {
                **shape,
                "altitude_lower": _altitude_out(v.altitude.lower_m, ALT_MIN_M),
                "altitude_upper": _altitude_out(v.altitude.upper_m, ALT_MAX_M),
            }
            out.append({"volume": volume, **times})
    return {"volumes": out}
