"""The line's answers as KML 2.2 for Google Earth and GIS tools: notices, conflicts and tracks,
each a Placemark with a ``TimeSpan`` (Google Earth's time slider) and a style by kind or severity.

Written from the same values as the JSON and GeoJSON answers (``notice_json``,
``conflict_feature``, ``track_feature``), so a party's KML holds exactly what its JSON holds: the
fields go into ``ExtendedData`` as they are; nothing is re-derived here. Built with the standard
library's ElementTree (it escapes every text; no library does more for writing KML that we need).

A notice is a Folder with one Placemark per volume. A polygon volume is drawn as declared
(geodesic edges: ``tessellate`` makes Google Earth follow the Earth's surface); a circle is its
centre Point with a Polygon that covers it, a corridor its centre LineString with one, so that
``wire.kml_read`` reads back exactly the footprint the line holds (``radius_m``,
``half_width_m`` in ``ExtendedData``). Footprints are drawn on the ground (``clampToGround``):
the band is in ``ExtendedData`` as metres above the WGS84 ellipsoid (``altitude_reference`` W84),
not drawn, because KML's absolute altitudes are above mean sea level and a drawing would be off
by the geoid's undulation (up to about 100 m).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from deconfliction.domain import FootprintKind, Notice, Track
from deconfliction.domain.view import ConflictView
from deconfliction.domain.volume import Footprint
from deconfliction.geo.outline import outline
from deconfliction.wire.geojson import conflict_feature, track_feature
from deconfliction.wire.notices import notice_json
from deconfliction.wire.time import utc_z

__all__ = [
    "KML_NS",
    "MEDIA_TYPE",
    "conflicts_kml",
    "notices_kml",
    "tracks_kml",
]

MEDIA_TYPE = "application/vnd.google-earth.kml+xml"
KML_NS = "http://www.opengis.net/kml/2.2"

_STYLES = {
    # KML colours are aabbggrr
    "notice-operation": ("ff2f7bd6", "552f7bd6"),
    "notice-site": ("ff8a5a2a", "558a5a2a"),
    "notice-movement": ("ff2aa0e0", "552aa0e0"),
    "notice-protected": ("ff30b030", "6630b030"),
    "conflict-warning": ("ff0000ff", "880000ff"),
    "conflict-caution": ("ff00a5ff", "6600a5ff"),
    "conflict-advisory": ("ff00ffff", "4400ffff"),
    "track-air": ("ffff8000", "00000000"),
    "track-ground": ("ff008000", "00000000"),
    "track-sea": ("ff804000", "00000000"),
}


def _el(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, f"{{{KML_NS}}}{tag}")
    if text is not None:
        child.text = text
    return child


def _text(value: Any) -> str:
    """A field's value as ExtendedData text: scalars as they read, anything else as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return orjson.dumps(value).decode()


def _extended(parent: ET.Element, fields: Iterable[tuple[str, Any]]) -> None:
    given = [(name, value) for name, value in fields if value is not None]
    if not given:
        return
    data = _el(parent, "ExtendedData")
    for name, value in given:
        item = _el(data, "Data")
        item.set("name", name)
        _el(item, "value", _text(value))


def _time_span(parent: ET.Element, start: str | None, end: str | None) -> None:
    if start is None and end is None:
        return
    span = _el(parent, "TimeSpan")
    if start is not None:
        _el(span, "begin", start)
    if end is not None:
        _el(span, "end", end)


def _coordinates(parent: ET.Element, points: Sequence[Sequence[float]]) -> None:
    _el(parent, "coordinates", " ".join(",".join(repr(float(c)) for c in p) for p in points))


def _geometry(parent: ET.Element, geometry: dict[str, Any] | None) -> None:
    """A GeoJSON geometry as KML, on the ground."""
    if geometry is None:
        return
    kind: str = geometry["type"]
    coords: Any = geometry.get("coordinates")
    if kind == "Point":
        _coordinates(_el(parent, "Point"), [coords])
    elif kind == "LineString":
        line = _el(parent, "LineString")
        _el(line, "tessellate", "1")
        _coordinates(line, coords)
    elif kind == "Polygon":
        poly = _el(parent, "Polygon")
        _el(poly, "tessellate", "1")
        for i, ring in enumerate(coords):
            boundary = _el(poly, "outerBoundaryIs" if i == 0 else "innerBoundaryIs")
            _coordinates(_el(boundary, "LinearRing"), ring)
    else:
        multi = _el(parent, "MultiGeometry")
        if kind == "GeometryCollection":
            parts = geometry["geometries"]
        else:
            single = kind.removeprefix("Multi")
            parts = [{"type": single, "coordinates": c} for c in coords]
        for part in parts:
            _geometry(multi, part)


def _footprint(parent: ET.Element, f: Footprint) -> None:
    """A volume's footprint: a polygon as declared; a circle or a corridor by its centre (what
    the line holds) beside a polygon that covers its area (what a reader sees)."""
    if f.kind is FootprintKind.POLYGON:
        _geometry(parent, f.to_geojson())
        return
    multi = _el(parent, "MultiGeometry")
    _geometry(multi, f.to_geojson())
    for poly in outline(f):
        _geometry(multi, {"type": "Polygon", "coordinates": poly})


def _document(name: str, next_cursor: str | None) -> tuple[ET.Element, ET.Element]:
    root = ET.Element(f"{{{KML_NS}}}kml")
    doc = _el(root, "Document")
    _el(doc, "name", name)
    # the page's cursor: the same as the JSON answer's "next" and the Link header
    _extended(doc, [("next", next_cursor)])
    for ident, (line, fill) in _STYLES.items():
        style = _el(doc, "Style")
        style.set("id", ident)
        line_style = _el(style, "LineStyle")
        _el(line_style, "color", line)
        _el(line_style, "width", "2")
        _el(_el(style, "PolyStyle"), "color", fill)
    return root, doc


def _bytes(root: ET.Element) -> bytes:
    ET.register_namespace("", KML_NS)
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out


def _band_text(v: dict[str, Any]) -> str:
    band = v.get("altitude")
    if band is None:
        return "every altitude"
    lower, upper = band.get("lower_m"), band.get("upper_m")
    low = "below" if lower is None else f"{lower:g} m"
    high = "up" if upper is None else f"{upper:g} m"
    return f"{low} to {high} above the WGS84 ellipsoid"


def _notice(doc: ET.Element, n: Notice) -> None:
    body = notice_json(n)
    folder = _el(doc, "Folder")
    _el(folder, "name", n.title or f"{n.kind.value} of {n.party}")
    fields = [(k, v) for k, v in body.items() if k not in ("id", "volumes")]
    style = "notice-protected" if n.protected else f"notice-{n.kind.value}"
    for i, (volume, v) in enumerate(zip(n.volumes, body["volumes"], strict=True)):
        mark = _el(folder, "Placemark")
        _el(mark, "name", f"{n.title or n.kind.value} ({i + 1}/{len(n.volumes)})")
        _el(mark, "description", f"{n.kind.value} of {n.party}, {_band_text(v)}")
        _time_span(mark, v["time"]["start"], v["time"]["end"])
        _el(mark, "styleUrl", f"#{style}")
        band = v.get("altitude") or {}
        _extended(
            mark,
            [
                ("notice", n.id),
                *fields,
                ("volume", i),
                ("radius_m", v.get("radius_m")),
                ("half_width_m", v.get("half_width_m")),
                ("alt_lower_m", band.get("lower_m")),
                ("alt_upper_m", band.get("upper_m")),
                ("altitude_reference", "W84" if band else None),
            ],
        )
        _footprint(mark, volume.footprint)


def notices_kml(notices: Sequence[Notice], next_cursor: str | None = None) -> bytes:
    """A page of notices (or one) as a KML document: a Folder each, a Placemark a volume."""
    root, doc = _document("notices", next_cursor)
    for n in notices:
        _notice(doc, n)
    return _bytes(root)


def _conflict_span(p: dict[str, Any]) -> tuple[str | None, str | None]:
    window = p.get("window")
    if window is not None:
        return window["start"], window["end"]
    start = p.get("t_in") or p.get("detected_at")
    return start, p.get("t_out") or p.get("cpa") or start


def conflicts_kml(
    views: Sequence[ConflictView],
    places: Sequence[Sequence[Any]],
    next_cursor: str | None = None,
) -> bytes:
    """A page of conflicts as a party sees them, at the places it may see (``service.places``):
    one Placemark each, styled by severity; a conflict whose sides are all redacted has no
    geometry, as in GeoJSON."""
    root, doc = _document("conflicts", next_cursor)
    for view, where in zip(views, places, strict=True):
        feature = conflict_feature(view, where)
        p = feature["properties"]
        mark = _el(doc, "Placemark")
        other = (p.get("other") or {}).get("party", "another party")
        _el(mark, "name", f"{p['kind']} conflict with {other} ({p['severity']})")
        _time_span(mark, *_conflict_span(p))
        _el(mark, "styleUrl", f"#conflict-{p['severity']}")
        _extended(mark, [("conflict", p["id"]), *((k, v) for k, v in p.items() if k != "id")])
        _geometry(mark, feature["geometry"])
    return _bytes(root)


def tracks_kml(tracks: Sequence[Track], next_cursor: str | None = None) -> bytes:
    """A page of tracks: a Point each, valid from its report until it goes stale."""
    root, doc = _document("tracks", next_cursor)
    for t in tracks:
        feature = track_feature(t)
        p = feature["properties"]
        mark = _el(doc, "Placemark")
        _el(mark, "name", t.callsign or t.uid)
        _time_span(mark, p["time"], _later(t.time, t.stale_s))
        _el(mark, "styleUrl", f"#track-{t.domain.value}")
        _extended(mark, [("track", feature["id"]), *p.items()])
        _geometry(mark, {"type": "Point", "coordinates": feature["geometry"]["coordinates"][:2]})
    return _bytes(root)


def _later(t: datetime, seconds: float) -> str:
    return utc_z(t + timedelta(seconds=seconds))
