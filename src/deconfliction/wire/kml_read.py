"""KML and KMZ from outside the line, read safely into plain Placemark records (no network).

KML from Google Earth or a GIS tool is hostile input: parsed with defusedxml (no DTD, so no
entity expansion, no external entity naming a local file, no billion laughs), never fetched
further (a NetworkLink is listed as ignored, not followed), bounded in size, in nesting and in
Placemarks; a KMZ is unzipped only to the first ``.kml`` and at most ``MAX_KML_BYTES`` of it, so
a zip bomb stops at that many bytes. Hand-written over ElementTree rather than with fastkml:
fastkml's own parser (lxml with ``huge_tree`` and ``recover``) lifts libxml2's limits that we
want kept, and what the line reads (Placemark geometry, TimeSpan, ExtendedData) is small.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from deconfliction.errors import InvalidInput, PayloadTooLarge

__all__ = [
    "MAX_DEPTH",
    "MAX_KML_BYTES",
    "MAX_PLACEMARKS",
    "KmlDoc",
    "Placemark",
    "is_kmz",
    "read_kml",
]

MAX_KML_BYTES = 16 * 1024 * 1024
"""KML text read at most (a file, or what a KMZ unzips to): a theatre's notices fit in far less."""
MAX_KMZ_ENTRIES = 1000
MAX_PLACEMARKS = 10_000
MAX_DEPTH = 64
"""Folders within folders (and MultiGeometries within MultiGeometries), at most."""

_CONTAINERS = {"kml", "Document", "Folder"}
_NOT_READ = {"NetworkLink", "GroundOverlay", "ScreenOverlay", "PhotoOverlay", "Tour"}
_GEOMETRIES = {"Point", "LineString", "LinearRing", "Polygon", "MultiGeometry"}


@dataclass(frozen=True)
class Placemark:
    """One Placemark as the file says it: its geometries as GeoJSON (lon, lat), its TimeSpan's
    text, its ExtendedData, and what in it could not be read (``problems``: field, reason)."""

    index: int
    name: str
    folders: tuple[str, ...]
    geometries: tuple[dict[str, Any], ...]
    begin: str | None
    end: str | None
    when: str | None
    data: dict[str, str]
    altitude_modes: frozenset[str]
    problems: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """How a person finds it in Google Earth: its number, folder path and name."""
        path = "/".join((*self.folders, self.name or "(unnamed)"))
        return f"placemark {self.index} {path!r}"


@dataclass(frozen=True)
class KmlDoc:
    placemarks: tuple[Placemark, ...]
    ignored: tuple[str, ...] = field(default=())
    """What the file holds that the line does not read, e.g. a NetworkLink (never fetched)."""


def is_kmz(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(e: Element, name: str) -> Element | None:
    return next((c for c in e if _local(c.tag) == name), None)


def _text(e: Element | None) -> str | None:
    return None if e is None or e.text is None else e.text.strip()


def _unzip(data: bytes) -> bytes:
    """The KMZ's main KML (``doc.kml``, else the first ``.kml``), at most MAX_KML_BYTES of it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise InvalidInput(f"not a readable KMZ (zip) archive: {e}") from None
    if len(entries) > MAX_KMZ_ENTRIES:
        raise InvalidInput(f"the KMZ holds {len(entries):,} files; at most {MAX_KMZ_ENTRIES:,}")
    kml = [i for i in entries if i.filename.lower().endswith(".kml") and not i.is_dir()]
    if not kml:
        raise InvalidInput("the KMZ holds no .kml file")
    main = next((i for i in kml if i.filename.lower() == "doc.kml"), kml[0])
    too_big = f"{main.filename} unzips to more than {MAX_KML_BYTES // 2**20} MiB; refused"
    if main.file_size > MAX_KML_BYTES:
        raise PayloadTooLarge(too_big)
    try:
        with archive.open(main) as f:
            text = f.read(MAX_KML_BYTES + 1)  # a header may lie: count what comes out
    except (zipfile.BadZipFile, RuntimeError, OSError, NotImplementedError, EOFError) as e:
        raise InvalidInput(f"cannot unzip {main.filename}: {e}") from None
    if len(text) > MAX_KML_BYTES:
        raise PayloadTooLarge(too_big)
    return text


def read_kml(data: bytes) -> KmlDoc:
    """The Placemarks of a KML or KMZ file; refuses (``InvalidInput``) what is not safe to read."""
    if is_kmz(data):
        data = _unzip(data)
    if len(data) > MAX_KML_BYTES:
        raise PayloadTooLarge(f"the KML is over {MAX_KML_BYTES // 2**20} MiB; refused")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise InvalidInput(
            f"the KML declares a DTD or entities ({type(e).__name__}): refused, as they could "
            "read local files or grow without bound; Google Earth never writes them"
        ) from None
    except ParseError as e:
        raise InvalidInput(f"not well-formed XML: {e}") from None
    if _local(root.tag) != "kml":
        raise InvalidInput(f"not KML: the document is <{_local(root.tag)}>, not <kml>")
    placemarks: list[Placemark] = []
    ignored: list[str] = []
    stack: list[tuple[Element, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise InvalidInput(f"folders nested deeper than {MAX_DEPTH}; refused")
        name = _local(node.tag)
        if name in _CONTAINERS:
            title = _text(_child(node, "name"))
            inner = (*path, title) if title and name != "kml" else path
            stack.extend((c, inner) for c in reversed(list(node)))
        elif name == "Placemark":
            if len(placemarks) >= MAX_PLACEMARKS:
                raise InvalidInput(f"more than {MAX_PLACEMARKS:,} Placemarks; split the file")
            placemarks.append(_placemark(node, len(placemarks), path))
        elif name in _NOT_READ:
            link = _text(next((e for e in node.iter() if _local(e.tag) == "href"), None))
            where = f" to {link!r}" if link else ""
            label = _text(_child(node, "name")) or "(unnamed)"
            ignored.append(f"{name} {label!r}{where}: not read (the line fetches nothing)")
    return KmlDoc(tuple(placemarks), tuple(ignored))


def _placemark(node: Element, index: int, folders: tuple[str, ...]) -> Placemark:
    problems: list[tuple[str, str]] = []
    geometries: list[dict[str, Any]] = []
    modes: set[str] = set()
    todo = [(c, 0) for c in node if _local(c.tag) in _GEOMETRIES]
    unknown = [_local(c.tag) for c in node if _local(c.tag) in {"Model", "Track", "MultiTrack"}]
    for kind in unknown:
        problems.append((kind, f"a {kind} is not a footprint the line reads"))
    while todo:
        g, depth = todo.pop(0)
        kind = _local(g.tag)
        mode = _text(_child(g, "altitudeMode"))
        if mode:
            modes.add(mode)
        if kind == "MultiGeometry":
            if depth >= MAX_DEPTH:
                problems.append(("MultiGeometry", f"nested deeper than {MAX_DEPTH}"))
                continue
            todo.extend((c, depth + 1) for c in g if _local(c.tag) in _GEOMETRIES)
            continue
        try:
            geometries.append(_geometry(g, kind))
        except ValueError as e:
            problems.append((kind, str(e)))
    span = _child(node, "TimeSpan")
    stamp = _child(node, "TimeStamp")
    return Placemark(
        index=index,
        name=_text(_child(node, "name")) or "",
        folders=folders,
        geometries=tuple(geometries),
        begin=_text(_child(span, "begin")) if span is not None else None,
        end=_text(_child(span, "end")) if span is not None else None,
        when=_text(_child(stamp, "when")) if stamp is not None else None,
        data=_extended(_child(node, "ExtendedData")),
        altitude_modes=frozenset(modes),
        problems=tuple(problems),
    )


def _extended(e: Element | None) -> dict[str, str]:
    """ExtendedData's ``Data``/``value`` and ``SchemaData``/``SimpleData``, by name."""
    out: dict[str, str] = {}
    if e is None:
        return out
    for item in e.iter():
        kind = _local(item.tag)
        name = item.get("name")
        if not name or name in out:
            continue
        if kind == "Data":
            out[name] = _text(_child(item, "value")) or ""
        elif kind == "SimpleData":
            out[name] = _text(item) or ""
    return out


def _positions(g: Element, what: str) -> list[list[float]]:
    text = _text(_child(g, "coordinates"))
    if not text:
        raise ValueError(f"the {what} has no coordinates")
    out: list[list[float]] = []
    for i, item in enumerate(text.split()):
        try:
            numbers = [float(x) for x in item.split(",")]
        except ValueError:
            raise ValueError(f"coordinate {i} ({item[:40]!r}) is not lon,lat[,alt]") from None
        if len(numbers) not in (2, 3) or not all(math.isfinite(x) for x in numbers):
            raise ValueError(f"coordinate {i} ({item[:40]!r}) is not lon,lat[,alt]")
        out.append(numbers[:2])  # the footprint is on the ground; the band says the heights
    return out


def _ring(g: Element | None, what: str) -> list[list[float]]:
    ring = _child(g, "LinearRing") if g is not None else None
    if ring is None:
        raise ValueError(f"the {what} has no LinearRing")
    points = _positions(ring, what)
    if points and points[0] != points[-1]:
        points.append(points[0])  # KML says closed; Google Earth draws an open one closed too
    return points


def _geometry(g: Element, kind: str) -> dict[str, Any]:
    if kind == "Point":
        return {"type": "Point", "coordinates": _positions(g, "Point")[0]}
    if kind == "LineString":
        return {"type": "LineString", "coordinates": _positions(g, "LineString")}
    if kind == "LinearRing":
        points = _positions(g, "LinearRing")
        if points and points[0] != points[-1]:
            points.append(points[0])
        return {"type": "Polygon", "coordinates": [points]}
    outer = _ring(_child(g, "outerBoundaryIs"), "Polygon's outer boundary")
    inner = [
        _ring(c, f"Polygon's inner boundary {i + 1}")
        for i, c in enumerate(c for c in g if _local(c.tag) == "innerBoundaryIs")
    ]
    return {"type": "Polygon", "coordinates": [outer, *inner]}
