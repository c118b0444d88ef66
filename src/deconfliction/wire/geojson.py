"""The line's answers as RFC 7946 GeoJSON: a notice, a conflict and a track as Features whose
properties are their JSON forms (``notice_json``, ``conflict_json``, ``track_json``).

Geometry, in (lon, lat) degrees on WGS84: a notice is its volumes' footprints as areas
(``geo.outline``: a circle or a corridor becomes a polygon that covers it); a track is a Point
with its altitude; a conflict is the places the party may see of it (``service.places``): the
footprints and track positions of the sides told in clear, ``null`` when none is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import islice
from typing import Any

from deconfliction.domain import Footprint, Notice, Track
from deconfliction.domain.view import ConflictView
from deconfliction.geo.outline import Ring, outline
from deconfliction.wire.conflicts import conflict_json
from deconfliction.wire.notices import notice_json
from deconfliction.wire.tracks import track_json

__all__ = [
    "MEDIA_TYPE",
    "OUTLINES_CACHED",
    "conflict_feature",
    "feature_collection",
    "notice_feature",
    "track_feature",
    "warm",
]

MEDIA_TYPE = "application/geo+json"

OUTLINES_CACHED = 8192
"""Footprints whose outlines are kept: a console's sign-in on a line of a few thousand notices."""

_outline = lru_cache(maxsize=OUTLINES_CACHED)(outline)
"""Outlines by footprint: a footprint never changes (a notice's new version has new ones), and a
console reads every notice it may see at sign-in, then each changed one again; the lists it
returns are shared, so they are only read here, never changed."""

Geometry = dict[str, Any]


def warm(footprints: Iterable[Footprint]) -> int:
    """Make the outlines of ``footprints`` ahead of their first answer, as many as are kept (the
    first ones; on a larger line the rest are made when asked for); how many were made."""
    made = 0
    for f in islice(footprints, OUTLINES_CACHED):
        _outline(f)
        made += 1
    return made


def _geometry(polygons: list[list[Ring]]) -> Geometry | None:
    coordinates = [[[list(p) for p in ring] for ring in poly] for poly in polygons]
    if not coordinates:
        return None
    if len(coordinates) == 1:
        return {"type": "Polygon", "coordinates": coordinates[0]}
    return {"type": "MultiPolygon", "coordinates": coordinates}


def _areas(footprints: Sequence[Footprint]) -> Geometry | None:
    return _geometry([poly for f in footprints for poly in _outline(f)])


def _point(t: Track) -> Geometry:
    """A track's position; a surface track reported without a height has none (RFC 7946: a
    position's elements are numbers)."""
    position: list[float] = [round(t.lon, 6), round(t.lat, 6)]
    if t.alt_m is not None:
        position.append(t.alt_m)
    return {"type": "Point", "coordinates": position}


def _feature(id_: str, geometry: Geometry | None, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": id_, "geometry": geometry, "properties": properties}


def notice_feature(n: Notice) -> dict[str, Any]:
    """A notice: its volumes' areas, one Polygon or a MultiPolygon in the order of
    ``properties.volumes`` (volumes may overlap; each one's times and altitudes are there).

    The foreign member ``volume_parts`` says how many of those polygons each volume drew (one,
    or two for an area cut at the antimeridian), so a client can show each volume in its own
    time window.
    """
    parts = [_outline(v.footprint) for v in n.volumes]
    feature = _feature(n.id, _geometry([poly for p in parts for poly in p]), notice_json(n))
    feature["volume_parts"] = [len(p) for p in parts]
    return feature


def track_feature(t: Track) -> dict[str, Any]:
    """A track: a Point [lon, lat, alt_m] (metres above the WGS84 ellipsoid)."""
    return _feature(f"{t.party}/{t.uid}", _point(t), track_json(t))


def conflict_feature(view: ConflictView, places: Sequence[Footprint | Track]) -> dict[str, Any]:
    """A conflict as one party sees it, at ``places``: the footprints and tracks it may see.

    Areas only: a Polygon or MultiPolygon; tracks only: a Point or MultiPoint; both: a
    GeometryCollection; none (every side redacted): ``null``.
    """
    areas = _areas([p for p in places if isinstance(p, Footprint)])
    points = [_point(p) for p in places if isinstance(p, Track)]
    parts: list[Geometry] = [] if areas is None else [areas]
    if len(points) == 1:
        parts.append(points[0])
    elif points:
        parts.append({"type": "MultiPoint", "coordinates": [p["coordinates"] for p in points]})
    geometry = None
    if len(parts) == 1:
        geometry = parts[0]
    elif parts:
        geometry = {"type": "GeometryCollection", "geometries": parts}
    return _feature(view.id, geometry, conflict_json(view))


def feature_collection(features: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    """A FeatureCollection with the page's ``next`` cursor as a foreign member."""
    return {"type": "FeatureCollection", "features": features, "next": next_cursor}
