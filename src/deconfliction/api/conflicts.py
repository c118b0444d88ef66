"""Conflicts over HTTP: the ones your party is part of, as it may see them, and a scan of live
tracks on demand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from starlette.responses import Response

from deconfliction import service
from deconfliction.api.auth import Caller
from deconfliction.api.notices import NoticeId
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
from deconfliction.api.schemas import ConflictList, ConflictOut, ErrorOut, ScanOut
from deconfliction.domain import ConflictKind, ConflictStatus, Member, Severity
from deconfliction.domain.paging import DEFAULT_LIMIT
from deconfliction.domain.view import ConflictView
from deconfliction.domain.volume import check_instant
from deconfliction.service import ConflictQuery, Line, ScanSettings
from deconfliction.wire import conflict_feature, conflict_json, read_cursor, utc_z
from deconfliction.wire.geojson import MEDIA_TYPE
from deconfliction.wire.kml import conflicts_kml

_ID = r"^[A-Za-z0-9._~-]+$"

__all__ = ["install"]


def install(app: FastAPI, settings: ScanSettings) -> None:
    """Add the conflict routes to ``app``; an on-demand scan looks as ``settings`` say."""
    line: Line = app.state.line

    @app.get(
        "/v1/conflicts",
        response_model=ConflictList,
        tags=["conflicts"],
        responses=geojson_responses("ConflictOut"),
    )
    def conflicts(
        request: Request,
        caller: Caller,
        live: Annotated[bool, Query(description="only open and acknowledged")] = False,
        kind: Annotated[
            list[ConflictKind] | None, Query(description="only these kinds (repeat for more)")
        ] = None,
        status: Annotated[
            list[ConflictStatus] | None, Query(description="only these statuses (repeat for more)")
        ] = None,
        severity: Annotated[
            list[Severity] | None, Query(description="only these alert levels (repeat for more)")
        ] = None,
        notice: Annotated[
            str | None,
            Query(
                max_length=128,
                pattern=_ID,
                description="only conflicts where that notice is a side you are told of in clear",
            ),
        ] = None,
        since: Annotated[
            datetime | None,
            Query(
                description="only conflicts detected, updated or resolved at or after (RFC 3339)"
            ),
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response:
        """Conflicts your party is told of, strategic and on tracks, newest first (detected_at,
        then id); a page at a time (`next`, `Link`). Filters combine: every one given must hold.

        With `Accept: application/geo+json`, a FeatureCollection: each conflict's geometry is
        where it is as you may see it (footprints and track positions of the sides told to you
        in clear; `null` when every side is redacted). With `Accept:
        application/vnd.google-earth.kml+xml`, KML: a Placemark each, with its TimeSpan, styled
        by severity, holding what the JSON holds.
        """
        query = ConflictQuery(
            kinds=frozenset(kind or ()),
            statuses=frozenset(status or ()),
            severities=frozenset(severity or ()),
            notice=notice,
            since=None if since is None else check_instant(since, "/query/since"),
            after=read_cursor(cursor, "conflicts"),
        )
        page = service.list_conflicts(line, caller, live_only=live, limit=limit, query=query)
        chosen = preferred(request)
        if chosen == "kml":
            cursor, headers = page_headers(request, "conflicts", page.after)
            places = service.conflict_places(line, caller, page.items)
            return kml_response(conflicts_kml(page.items, places, cursor), headers)
        geo = chosen == "geojson"
        items = _features(caller, page.items) if geo else [conflict_json(c) for c in page.items]
        return page_response(request, "conflicts", items, page.after, geojson=geo)

    def _features(caller: Member, views: list[ConflictView]) -> list[dict[str, Any]]:
        places = service.conflict_places(line, caller, views)
        return [conflict_feature(v, p) for v, p in zip(views, places, strict=True)]

    @app.get(
        "/v1/conflicts/{conflict_id}",
        response_model=ConflictOut,
        tags=["conflicts"],
        responses=geojson_responses("ConflictOut", single=True),
    )
    def conflict(conflict_id: NoticeId, caller: Caller, request: Request) -> Response:
        """One conflict your party is part of; as GeoJSON (one Feature) or KML when `Accept`
        asks, as in the list."""
        view = service.get_conflict(line, caller, conflict_id)
        chosen = preferred(request)
        if chosen == "json":
            return json_response(conflict_json(view), headers={"Vary": "Accept"})
        places = service.conflict_places(line, caller, [view])
        if chosen == "kml":
            return kml_response(conflicts_kml([view], places))
        feature = conflict_feature(view, places[0])
        return json_response(feature, headers={"Vary": "Accept"}, media_type=MEDIA_TYPE)

    @app.post(
        "/v1/conflicts/{conflict_id}/ack",
        response_model=ConflictOut,
        tags=["conflicts"],
        responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut}},
    )
    def acknowledge(conflict_id: NoticeId, caller: Caller) -> Response:
        """Say that your party has seen this conflict and is acting (coordinators and admins of a
        side): the conflict shows who and when, and becomes ``acknowledged`` for your party
        until it rises above the severity you acknowledged. Both sides are told in one
        ``conflict.updated`` event; acknowledging again changes nothing."""
        view = service.acknowledge_conflict(line, caller, conflict_id)
        return json_response(conflict_json(view))

    @app.post("/v1/scan", response_model=ScanOut, tags=["conflicts"])
    def scan_now(caller: Caller) -> Response:
        """Scan live tracks now (the server also scans every second); admins and coordinators."""
        service.require_scanner(caller)
        r = service.scan(line, settings)
        return json_response(
            {
                "at": utc_z(r.at),
                "tracks": r.tracks,
                "tactical": r.count(ConflictKind.TACTICAL),
                "intrusion": r.count(ConflictKind.INTRUSION),
                "deviation": r.count(ConflictKind.DEVIATION),
                "opened": len(r.opened),
                "closed": len(r.closed),
                "elapsed_ms": round(r.elapsed_s * 1000, 1),
            }
        )
