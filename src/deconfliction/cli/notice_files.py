"""A notice from a file, as ``POST /v1/notices`` takes it.

The file (or ``-``, standard input) holds either the API's own notice JSON (what
``notice show --json`` prints: fields the line sets, such as ``id`` and ``version``, are dropped),
or GeoJSON as ``deconfliction detect notices`` reads it: a FeatureCollection (or one Feature)
whose every feature is one volume, with properties ``start``, ``end`` (RFC 3339), optional
``alt_lower_m``, ``alt_upper_m``, and ``radius_m`` (Point) or ``half_width_m`` (LineString).
A FeatureCollection may say ``kind``, ``title``, ``protected`` and ``audience`` in a top-level
``properties`` object; options given on the command line win.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

__all__ = ["BadFile", "notice_body", "read_json"]

Body = dict[str, Any]

_NOTICE_FIELDS = ("kind", "title", "protected", "audience", "volumes", "ack_by", "buffers")
_VOLUME_FIELDS = ("footprint", "radius_m", "half_width_m", "altitude", "time")


class BadFile(ValueError):
    """A file that is not a notice; the message names the file and where in it."""


def read_json(path: str) -> Any:
    """The JSON in ``path`` (``-``: standard input)."""
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as e:
        raise BadFile(f"{path}: cannot read it ({e.strerror or e})") from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise BadFile(f"{path}: not JSON ({e})") from None


def notice_body(doc: Any, name: str, window: Body | None = None) -> Body:
    """The body of a notice from a parsed file: the API's JSON, or GeoJSON features; with a
    ``window`` (``{"start", "end"}``), every volume takes it as its time, and features need no
    ``start`` and ``end`` of their own."""
    body = _body(doc, name, window)
    if window is not None and isinstance(body.get("volumes"), list):
        for v in body["volumes"]:
            if isinstance(v, dict):
                v["time"] = dict(window)
    return body


def _body(doc: Any, name: str, window: Body | None) -> Body:
    if not isinstance(doc, dict):
        raise BadFile(
            f"{name}: holds a JSON {type(doc).__name__}, not a GeoJSON FeatureCollection "
            "or a notice (an object with volumes)"
        )
    if doc.get("type") == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list) or not features:
            raise BadFile(f"{name}: /features: needs at least one feature (one volume each)")
        given = doc.get("properties")
        props: Body = given if isinstance(given, dict) else {}
        timed = window is None
        volumes = [_volume(f, f"{name}: /features/{i}", timed) for i, f in enumerate(features)]
        return {**{k: props[k] for k in _NOTICE_FIELDS if k in props}, "volumes": volumes}
    if doc.get("type") == "Feature":
        return {"volumes": [_volume(doc, f"{name}: ", window is None)]}
    if "volumes" in doc:
        body = {k: doc[k] for k in _NOTICE_FIELDS if doc.get(k) is not None}
        if isinstance(body["volumes"], list):
            body["volumes"] = [
                {k: v[k] for k in _VOLUME_FIELDS if v.get(k) is not None}
                if isinstance(v, dict)
                else v
                for v in body["volumes"]
            ]
        return body
    raise BadFile(
        f"{name}: neither a GeoJSON FeatureCollection nor a notice (an object with volumes)"
    )


def _volume(feature: Any, where: str, timed: bool = True) -> Body:
    """One feature as a volume; ``timed``: its properties must give its ``start`` and ``end``
    (else the command's ``--window`` does)."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise BadFile(f"{where}: not a GeoJSON Feature")
    props = feature.get("properties")
    if props is None and not timed:
        props = {}
    if not isinstance(props, dict):
        raise BadFile(f"{where}/properties: needs start and end (RFC 3339), or give --window")
    for key in ("start", "end") if timed else ():
        if not isinstance(props.get(key), str):
            raise BadFile(
                f"{where}/properties/{key}: needs an RFC 3339 time, e.g. 2026-12-01T06:00:00Z, "
                "or give --window"
            )
    out: Body = {"footprint": feature.get("geometry")}
    for key in ("radius_m", "half_width_m"):
        if props.get(key) is not None:
            out[key] = props[key]
    lower, upper = props.get("alt_lower_m"), props.get("alt_upper_m")
    if lower is not None or upper is not None:
        out["altitude"] = {"lower_m": lower, "upper_m": upper}
    if timed:
        out["time"] = {"start": props["start"], "end": props["end"]}
    return out
