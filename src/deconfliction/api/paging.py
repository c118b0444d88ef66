"""Paged lists over HTTP: the ``limit`` and ``cursor`` parameters, the ``next`` cursor in the body
and the RFC 8288 ``Link: <...>; rel="next"`` header, and the choice of JSON or GeoJSON by
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

__all__ = [
    "Cursor",
    "Limit",
    "geojson_responses",
    "list_responses",
    "page_response",
    "wants_geojson",
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
    doc = {"content": {MEDIA_TYPE: {"schema": schema}}}
    return {200: doc} if single else list_responses({200: doc})


def wants_geojson(request: Request) -> bool:
    """Whether ``Accept`` prefers ``application/geo+json`` to ``application/json`` (a wildcard
    or no header: JSON)."""
    best_geo = best_json = 0.0
    for item in request.headers.get("accept", "").split(","):
        media, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for p in params:
            name, _, value = p.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.lower()
        if media == MEDIA_TYPE:
            best_geo = max(best_geo, q)
        elif media == "application/json":
            best_json = max(best_json, q)
    return best_geo > 0.0 and best_geo >= best_json


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
