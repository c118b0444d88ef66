"""Paged lists over HTTP: the ``limit`` and ``cursor`` parameters, the ``next`` cursor in the body
and the RFC 8288 ``Link: <...>; rel="next"`` header, and the choice of JSON, GeoJSON or KML by
``Accept``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import Response

from deconfliction.api.respond import json_response
from deconfliction.domain.paging import DEFAULT_LIMIT, MAX_LIMIT, Key
from deconfliction.wire import feature_collection, write_cursor
from deconfliction.wire.geojson import MEDIA_TYPE
from deconfliction.wire.kml import MEDIA_TYPE as KML

__all__ = [
    "KML",
    "Cursor",
    "Limit",
    "kml_response",
    "preferred",
    "geojson_responses",
    "list_responses",
    "page_response",
]

Limit = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_LIMIT,
        description=f"items in one page, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT})",
    ),
]
Cursor = Annotated[
    str | None,
    Query(
        max_length=512,
        description="the `next` of the previous page (also in its `Link` header), unchanged; "
        "opaque",
    ),
]

_LINK = {
    "Link": {
        "description": 'RFC 8288 `<URL>; rel="next"` when more items follow: the same query '
        "with `cursor` set (absent on the last page)",
        "schema": {"type": "string"},
    }
}


def list_responses(extra: dict[int | str, dict[str, Any]] | None = None) -> dict[int | str, Any]:
    """OpenAPI ``responses`` for a paged list: the 200 names its ``Link`` header."""
    out: dict[int | str, Any] = {200: {"headers": _LINK}}
    for status, doc in (extra or {}).items():
        out[status] = {**out.get(status, {}), **doc}
    return out


def _feature_collection(properties: str) -> dict[str, Any]:
    geometry = {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"type": "string"}},
        "description": "RFC 7946 geometry in (lon, lat) degrees on WGS84",
    }
    feature = {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "id": {"type": "string"},
            "geometry": {"anyOf": [geometry, {"type": "null"}]},
            "properties": {"$ref": f"#/components/schemas/{properties}"},
        },
    }
    return {
        "type": "object",
        "required": ["type", "features", "next"],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": feature},
            "next": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "description": "the cursor of the next page; null on the last",
            },
        },
    }


def geojson_responses(properties: str, single: bool = False) -> dict[int | str, Any]:
    """OpenAPI ``responses``: the 200 also answers ``application/geo+json`` (a FeatureCollection
    whose features' properties are ``properties``, or one Feature if ``single``)."""
    schema = _feature_collection(properties)
    if single:
        schema = schema["properties"]["features"]["items"]
    kml = {"schema": {"type": "string", "description": _KML_DOC}}
    doc = {"content": {MEDIA_TYPE: {"schema": schema}, KML: kml}}
    return {200: doc} if single else list_responses({200: doc})


_KML_DOC = (
    "KML 2.2 (Google Earth): a Placemark per volume, conflict or track with its TimeSpan and "
    "its fields in ExtendedData; the page's cursor in the Document's ExtendedData `next`"
)

_MEDIA = {MEDIA_TYPE: "geojson", KML: "kml"}


def preferred(request: Request, also: dict[str, str] | None = None) -> str:
    """The format ``Accept`` prefers among JSON, GeoJSON, KML (and ``also``: media type to
    name): the highest q; a tie goes to the named format over JSON (GeoJSON, KML, then
    ``also`` in order). A wildcard or no header: JSON."""
    media = {**_MEDIA, **(also or {}), "application/json": "json"}
    best: dict[str, float] = {}
    for item in request.headers.get("accept", "").split(","):
        kind, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for p in params:
            name, _, value = p.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        found = media.get(kind.lower())
        if found is not None:
            best[found] = max(best.get(found, 0.0), q)
    ranked = [n for n in dict.fromkeys(media.values()) if best.get(n, 0.0) > 0.0]
    if not ranked:
        return "json"
    top = max(best[n] for n in ranked)
    return next(n for n in ranked if best[n] == top)


def kml_response(body: bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(body, media_type=KML, headers={"Vary": "Accept", **(headers or {})})


def page_headers(
    request: Request, name: str, after: Key | None
) -> tuple[str | None, dict[str, str]]:
    """A page's ``next`` cursor and its headers (``Vary``, and ``Link`` when more follow)."""
    cursor = None if after is None else write_cursor(name, after)
    headers = {"Vary": "Accept"}
    if cursor is not None:
        headers["Link"] = _link(request, cursor, None)
    return cursor, headers


def _link(request: Request, cursor: str, path: str | None) -> str:
    url = request.url.include_query_params(cursor=cursor)
    # relative to the request (RFC 8288 resolves it so): right behind any proxy
    return f'<{path or url.path}?{url.query}>; rel="next"'


def page_response(
    request: Request,
    name: str,
    items: list[dict[str, Any]],
    after: Key | None,
    *,
    geojson: bool = False,
    body: dict[str, Any] | None = None,
    link_path: str | None = None,
) -> Response:
    """A page of the list ``name``: ``{name: items, "next": cursor}`` (with ``body``'s fields
    first), or a FeatureCollection of ``items`` if ``geojson``; ``Link`` when more follow, at
    ``link_path`` if the next page lives at another path."""
    cursor = None if after is None else write_cursor(name, after)
    headers = {"Vary": "Accept"}
    if cursor is not None:
        headers["Link"] = _link(request, cursor, link_path)
    if geojson:
        return json_response(
            feature_collection(items, cursor), headers=headers, media_type=MEDIA_TYPE
        )
    return json_response({**(body or {}), name: items, "next": cursor}, headers=headers)
