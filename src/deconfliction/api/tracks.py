"""Tracks over HTTP: report your assets' states in batches (JSON or NDJSON), read the tracks you
may see."""

from __future__ import annotations

import json
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from deconfliction import service
from deconfliction.api import examples
from deconfliction.api.auth import Caller
from deconfliction.api.convert import bbox_param
from deconfliction.api.paging import (
    Cursor,
    Limit,
    geojson_responses,
    kml_response,
    page_headers,
    page_response,
    preferred,
)
from deconfliction.api.respond import json_response
from deconfliction.api.schemas import ReportOut, TrackList
from deconfliction.domain import TrackDomain
from deconfliction.domain.limits import MAX_REPORTS
from deconfliction.domain.paging import DEFAULT_LIMIT
from deconfliction.errors import MalformedBody, PayloadTooLarge
from deconfliction.service import Line, ReportResult, TrackFilter
from deconfliction.wire import read_slug_cursor, track_feature, track_json
from deconfliction.wire.kml import tracks_kml

__all__ = ["install"]

_NDJSON = ("application/x-ndjson", "application/ndjson", "application/jsonl")


def _reports(body: bytes, content_type: str) -> list[object]:
    """A batch of reports: a JSON array (or one object), or NDJSON (one report per line).

    An NDJSON line that is not JSON becomes a report the use case rejects by its own index.
    """
    if content_type.split(";")[0].strip().lower() in _NDJSON:
        lines = [line for line in body.split(b"\n") if line.strip()]
        if len(lines) > MAX_REPORTS:
            raise PayloadTooLarge(
                f"{len(lines)} reports in one batch; send at most {MAX_REPORTS} per request", ""
            )
        out: list[object] = []
        for line in lines:
            try:
                out.append(_loads(line))
            except ValueError:
                out.append(_NOT_JSON)
        return out
    try:
        doc = _loads(body)
    except ValueError as e:
        raise MalformedBody(f"the body is not valid JSON: {e}", "") from None
    return doc if isinstance(doc, list) else [doc]


def _number(text: str) -> int | float:
    """An integer as JSON wrote it; one too long for any field becomes a float (inf past 1e308),
    which the use case refuses by the field's own range and name, not a 500."""
    return int(text) if len(text) <= 18 else float(text)


def _loads(raw: bytes) -> Any:
    """JSON, tolerating the NaN and Infinity some encoders write, so the report is named.

    orjson refuses NaN, integers past 64 bits and nesting past 1,024; the fallback takes the
    first two and names the field they are in, and refuses deeper nesting as malformed.
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw, parse_int=_number)
    except RecursionError:
        raise ValueError("nested too deeply") from None


class _NotJson:
    """An NDJSON line that did not parse (the use case reports it as not an object)."""


_NOT_JSON = _NotJson()


def _report_response(result: ReportResult) -> Response:
    counts = {
        "accepted": result.accepted,
        "ignored": result.ignored,
        "rejected": len(result.rejected),
    }
    if not result.rejected:
        return json_response(counts)
    first = result.rejected[0]
    body = {
        "error": "invalid_input",
        "message": f"{len(result.rejected)} report(s) rejected, the first: {first.reason}; "
        f"{result.accepted} stored",
        "pointer": first.pointer,
        "errors": [{"pointer": e.pointer, "message": e.reason} for e in result.rejected],
        **counts,
    }
    return json_response(body, 422)


def install(app: FastAPI) -> None:
    """Add the track routes to ``app``."""
    line: Line = app.state.line

    @app.post(
        "/v1/tracks",
        response_model=ReportOut,
        tags=["tracks"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "array",
                            "maxItems": MAX_REPORTS,
                            "items": {"$ref": "#/components/schemas/TrackIn"},
                        },
                        "examples": examples.TRACKS,
                    },
                    "application/x-ndjson": {
                        "schema": {"$ref": "#/components/schemas/TrackIn"},
                        "description": "one report per line",
                        "examples": examples.TRACKS_NDJSON,
                    },
                },
            }
        },
    )
    async def report(request: Request, caller: Caller) -> Response:
        """Report your assets' states: a JSON array, or NDJSON, of at most 10,000 reports.

        Every good report is stored even when others in the batch are bad: the answer is then a
        422 that lists each bad report by pointer (``/3/lat``) with the counts. A report older
        than the track's latest is ignored.
        """
        raw, kind = await request.body(), request.headers.get("content-type", "")
        # the use case reads the batch once the member may write
        result = await run_in_threadpool(
            service.report_tracks, line, caller, lambda: _reports(raw, kind)
        )
        return _report_response(result)

    @app.get(
        "/v1/tracks",
        response_model=TrackList,
        tags=["tracks"],
        responses=geojson_responses("TrackOut"),
    )
    def tracks(
        request: Request,
        caller: Caller,
        bbox: Annotated[str | None, Query(description="lon_min,lat_min,lon_max,lat_max")] = None,
        domain: TrackDomain | None = None,
        stale: Annotated[bool, Query(description="also tracks gone stale")] = False,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response:
        """Tracks you may see: your party's and those shared with you; live ones unless asked.

        Ordered by party and uid, a page at a time (`next`, `Link`). With `Accept:
        application/geo+json`, a FeatureCollection of Points [lon, lat, alt_m]; with `Accept:
        application/vnd.google-earth.kml+xml`, KML: a Placemark per track, valid until stale.
        """
        query = TrackFilter(
            bbox_param(bbox),
            domain,
            include_stale=stale,
            limit=limit,
            after=read_slug_cursor(cursor, "tracks"),
        )
        found = service.list_tracks(line, caller, query)
        chosen = preferred(request)
        if chosen == "kml":
            cursor, headers = page_headers(request, "tracks", found.after)
            return kml_response(tracks_kml(found.items, cursor), headers)
        geo = chosen == "geojson"
        write = track_feature if geo else track_json
        return page_response(
            request, "tracks", [write(t) for t in found.items], found.after, geojson=geo
        )
