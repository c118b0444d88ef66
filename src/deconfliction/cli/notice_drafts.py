"""Notices from GIS files, one draft per notice to make: KML/KMZ Placemarks, GeoJSON features,
or an ASTM F3548 operational intent; each draft remembers where its fields came from, so that
the line's refusal (a JSON pointer) is told as the feature and the field a person can find.

KML heights: ``alt_lower_m``/``alt_upper_m`` in ExtendedData are above mean sea level unless
``altitude_reference`` says ``W84`` (the line's export does). An MSL band is widened by the
geoid's undulation, -107 m below and +86 m above (the Earth's extremes), to the line's ellipsoid
heights: no geoid grid ships offline, and widening errs toward reporting. Heights above ground
(``AGL``, ``SFC``, ``relativeToGround``, ``clampToGround``) need terrain data: refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from deconfliction.cli.notice_files import BadFile, notice_body
from deconfliction.cli.notice_files import _volume as geojson_volume
from deconfliction.wire.kml_read import KmlDoc, Placemark

__all__ = ["GEOID_MAX_M", "GEOID_MIN_M", "Defaults", "Draft", "from_f3548", "from_geojson",
           "from_kml", "is_f3548"]  # fmt: skip

Body = dict[str, Any]

GEOID_MIN_M = -107.0
GEOID_MAX_M = 86.0
"""The geoid's height above the WGS84 ellipsoid lies between these (EGM2008: about -106.2 m
south of India, +85.8 m over New Guinea): ellipsoid height = MSL height + undulation."""

_W84 = {"w84", "wgs84", "ellipsoid", "hae"}
_MSL = {"msl", "amsl", "absolute"}
_GROUND = {"agl", "sfc", "relativetoground", "clamptoground", "relativetoseafloor"}


@dataclass(frozen=True)
class Defaults:
    """What the command line gives: it wins over the file (as for ``notice create``)."""

    kind: str | None = None
    title: str | None = None
    audience: list[str] | str | None = None
    protected: bool | None = None
    window: Body | None = None
    radius_m: float | None = None
    half_width_m: float | None = None


@dataclass
class Draft:
    label: str
    body: Body | None = None
    refusal: tuple[str, str] | None = None
    """(field, reason) when the file itself says it cannot be a notice."""
    sources: list[str] = field(default_factory=list)
    """For each volume of ``body``, the feature it came from."""
    fields: dict[str, str] = field(default_factory=dict)
    """The line's field name (``time``, ``altitude``, ``kind``...) → the file's."""
    note: str = ""

    def where(self, pointer: str) -> tuple[str, str]:
        """The feature and the field a refusal's JSON pointer names."""
        parts = [p for p in pointer.split("/") if p]
        if len(parts) >= 2 and parts[0] in ("volumes", "volumes4d") and parts[1].isdigit():
            i = int(parts[1])
            label = self.sources[i] if i < len(self.sources) else self.label
            rest = parts[2:]
            if parts[0] == "volumes4d" or not rest:
                return label, "/".join(rest) or parts[0]
            return label, "/".join([self.fields.get(rest[0], rest[0]), *rest[1:]])
        if parts:
            return self.label, "/".join([self.fields.get(parts[0], parts[0]), *parts[1:]])
        return self.label, "-"


def _notice_fields(data: dict[str, Any], d: Defaults) -> Body:
    """Kind, title, audience and protection from a feature's fields, the command line winning."""
    out: Body = {}
    kind = d.kind or data.get("kind")
    out["kind"] = kind if isinstance(kind, str) and kind else "operation"
    title = d.title if d.title is not None else data.get("title")
    if isinstance(title, str):
        out["title"] = title
    audience = d.audience if d.audience is not None else _audience(data.get("audience"))
    if audience is not None:
        out["audience"] = audience
    protected = d.protected if d.protected is not None else _flag(data.get("protected"))
    if protected is not None:
        out["protected"] = protected
    return out


def _audience(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return text
    return "all" if text == "all" else [p.strip() for p in text.split(",") if p.strip()]


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0", ""):
            return False
    return value


def _number(data: dict[str, str], name: str) -> float | None:
    text = data.get(name)
    if text is None or not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise BadFile(f"ExtendedData {name}|{text[:40]!r} is not a number of metres") from None


_KML_FIELDS = {
    "kind": "ExtendedData kind",
    "title": "ExtendedData title (or name)",
    "audience": "ExtendedData audience",
    "protected": "ExtendedData protected",
    "time": "TimeSpan",
    "altitude": "ExtendedData alt_lower_m/alt_upper_m",
    "footprint": "geometry",
    "radius_m": "ExtendedData radius_m",
    "half_width_m": "ExtendedData half_width_m",
}


def _band(p: Placemark) -> tuple[Body | None, str]:
    lower, upper = _number(p.data, "alt_lower_m"), _number(p.data, "alt_upper_m")
    if lower is None and upper is None:
        return None, ""
    reference = p.data.get("altitude_reference", "MSL").strip().lower()
    if reference in _W84:
        return {"lower_m": lower, "upper_m": upper}, ""
    if reference in _GROUND:
        raise BadFile(
            f"ExtendedData altitude_reference|heights above ground ({reference}) cannot be made "
            "ellipsoid heights without terrain data; give W84 or MSL heights"
        )
    if reference not in _MSL:
        raise BadFile(f"ExtendedData altitude_reference|{reference!r} is not W84, MSL or AGL")
    band = {
        "lower_m": None if lower is None else lower + GEOID_MIN_M,
        "upper_m": None if upper is None else upper + GEOID_MAX_M,
    }
    return band, "MSL band widened by the geoid's -107/+86 m to ellipsoid heights"


def _volumes(p: Placemark, d: Defaults) -> tuple[list[Body], str]:
    if p.problems:
        kind, reason = p.problems[0]
        raise BadFile(f"{kind}|{reason}")
    if p.begin and p.end:
        time: Body = {"start": p.begin, "end": p.end}
    elif d.window is not None:
        time = dict(d.window)
    elif p.when:
        raise BadFile("TimeStamp|one instant is not a window: give a TimeSpan, or --window")
    else:
        raise BadFile("TimeSpan|needs begin and end (RFC 3339), or give --window")
    band, note = _band(p)
    radius = _number(p.data, "radius_m") or d.radius_m
    half = _number(p.data, "half_width_m") or d.half_width_m
    by_kind: dict[str, list[Body]] = {}
    for g in p.geometries:
        by_kind.setdefault(g["type"], []).append(g)
    if "Point" in by_kind and radius:
        shapes = [{"footprint": g, "radius_m": radius} for g in by_kind["Point"]]
    elif "LineString" in by_kind and half:
        shapes = [{"footprint": g, "half_width_m": half} for g in by_kind["LineString"]]
    elif "Polygon" in by_kind:
        shapes = [{"footprint": g} for g in by_kind["Polygon"]]
    elif "Point" in by_kind:
        raise BadFile("ExtendedData radius_m|a Point is a circle: give radius_m, or --radius")
    elif "LineString" in by_kind:
        raise BadFile(
            "ExtendedData half_width_m|a LineString is a corridor: give half_width_m, or "
            "--half-width"
        )
    else:
        raise BadFile("geometry|no Point, LineString or Polygon to make a footprint of")
    for s in shapes:
        s["time"] = time
        if band is not None:
            s["altitude"] = band
    return shapes, note


def _volume_index(p: Placemark) -> int:
    text = p.data.get("volume", "")
    return int(text) if text.isdigit() and len(text) < 6 else 0


def from_kml(doc: KmlDoc, d: Defaults) -> list[Draft]:
    """A draft per Placemark, or per group of Placemarks that name the same ``notice`` in
    ExtendedData (the line's export writes one Placemark per volume)."""
    groups: dict[str, list[Placemark]] = {}
    for p in doc.placemarks:
        groups.setdefault(p.data.get("notice") or f"#{p.index}", []).append(p)
    drafts = []
    for members in groups.values():
        members.sort(key=_volume_index)
        first = members[0]
        draft = Draft(first.label, fields=dict(_KML_FIELDS))
        data: dict[str, Any] = {"title": first.name, **first.data}
        body = _notice_fields(data, d)
        body["volumes"] = []
        try:
            for p in members:
                shapes, note = _volumes(p, d)
                body["volumes"].extend(shapes)
                draft.sources.extend([p.label] * len(shapes))
                draft.note = draft.note or note
        except BadFile as e:
            name, _, reason = str(e).partition("|")
            draft.refusal = (name, reason)
            drafts.append(draft)
            continue
        draft.body = body
        drafts.append(draft)
    return drafts


_GEOJSON_FIELDS = {
    "time": "properties start/end",
    "altitude": "properties alt_lower_m/alt_upper_m",
    "footprint": "geometry",
    "radius_m": "properties radius_m",
    "half_width_m": "properties half_width_m",
    "kind": "properties kind",
    "title": "properties title",
    "audience": "properties audience",
    "protected": "properties protected",
}


def from_geojson(doc: Any, name: str, d: Defaults) -> list[Draft]:
    """A draft per feature: a notice as the line exports it (``properties.volumes``), or one
    volume with ``start``, ``end``, ``alt_lower_m``... as ``detect notices`` reads it."""
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        features: list[Any] = [doc]
    elif isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        given = doc.get("features")
        features = given if isinstance(given, list) else []
    else:
        raise BadFile(f"{name}: neither a GeoJSON FeatureCollection nor an F3548 Volume4D list")
    drafts = []
    for i, f in enumerate(features):
        props = f.get("properties") if isinstance(f, dict) else None
        props = props if isinstance(props, dict) else {}
        title = props.get("title") or props.get("name") or ""
        draft = Draft(f"feature {i} {title!r}", fields=dict(_GEOJSON_FIELDS))
        try:
            if isinstance(props.get("volumes"), list):  # the line's own notice, exported
                body = {**notice_body(props, draft.label), **_overrides(d)}
                draft.fields = {}
            else:
                volume = geojson_volume(f, "", timed=d.window is None)
                if d.window is not None:
                    volume["time"] = dict(d.window)
                kind = (f.get("geometry") or {}).get("type")
                if kind == "Point" and "radius_m" not in volume and d.radius_m:
                    volume["radius_m"] = d.radius_m
                if kind == "LineString" and "half_width_m" not in volume and d.half_width_m:
                    volume["half_width_m"] = d.half_width_m
                body = {**_notice_fields(props, d), "volumes": [volume]}
        except BadFile as e:
            where, _, reason = str(e).partition(": ")
            draft.refusal = (where.strip("/ ") or "feature", reason)
            drafts.append(draft)
            continue
        body.setdefault("kind", "operation")
        draft.body = body
        draft.sources = [draft.label] * len(body.get("volumes") or [])
        drafts.append(draft)
    return drafts


def _overrides(d: Defaults) -> Body:
    given = {"kind": d.kind, "title": d.title, "audience": d.audience, "protected": d.protected}
    return {k: v for k, v in given.items() if v is not None}


def is_f3548(doc: Any) -> bool:
    """Whether a JSON document is F3548: a Volume4D list, OperationalIntentDetails (or one
    with its reference), as a USS keeps them."""
    if isinstance(doc, dict):
        inner = doc.get("operational_intent") or doc
        doc = (inner.get("details") or inner) if isinstance(inner, dict) else inner
        doc = doc.get("volumes") if isinstance(doc, dict) else doc
    return (
        isinstance(doc, list)
        and bool(doc)
        and all(isinstance(v, dict) and "volume" in v for v in doc)
    )


def from_f3548(doc: Any, d: Defaults) -> list[Draft]:
    """One draft: the operational intent's volumes, and its off-nominal volumes too (where the
    aircraft may be if it does not conform: a larger notice errs toward reporting)."""
    reference: dict[str, Any] = {}
    if isinstance(doc, dict):
        inner = doc.get("operational_intent") or doc
        reference = inner.get("reference") or {}
        details = inner.get("details") or inner
        nominal, off = details.get("volumes") or [], details.get("off_nominal_volumes") or []
        volumes = [*nominal, *off]
    else:
        volumes = list(doc)
    ident = reference.get("id") if isinstance(reference, dict) else None
    title = f"F3548 operational intent {ident}" if ident else "F3548 operational intent"
    body = _notice_fields({"title": title}, d)
    body["volumes4d"] = volumes
    label = f"operational intent {ident}" if ident else "operational intent"
    return [Draft(label, body, sources=[f"Volume4D {i}" for i in range(len(volumes))])]
