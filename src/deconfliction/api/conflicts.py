"""Conflicts over HTTP: the ones your party is part of, as it may see them, and a scan of live
tracks on demand."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Query
from starlette.responses import Response

from deconfliction import service
from deconfliction.api.auth import Caller
from deconfliction.api.notices import NoticeId
from deconfliction.api.respond import json_response
from deconfliction.api.schemas import ConflictList, ConflictOut, ErrorOut, ScanOut
from deconfliction.domain import ConflictKind
from deconfliction.service import Line, ScanSettings
from deconfliction.wire import conflict_json, utc_z

__all__ = ["install"]


def install(app: FastAPI, settings: ScanSettings) -> None:
    """Add the conflict routes to ``app``; an on-demand scan looks as ``settings`` say."""
    line: Line = app.state.line

    @app.get("/v1/conflicts", response_model=ConflictList, tags=["conflicts"])
    def conflicts(
        caller: Caller,
        live: Annotated[bool, Query(description="only open and acknowledged")] = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    ) -> Response:
        """Conflicts your party is part of, newest first."""
        views = service.list_conflicts(line, caller, live_only=live, limit=limit)
        return json_response({"conflicts": [conflict_json(c) for c in views]})

    @app.get("/v1/conflicts/{conflict_id}", response_model=ConflictOut, tags=["conflicts"])
    def conflict(conflict_id: NoticeId, caller: Caller) -> Response:
        """One conflict your party is part of."""
        return json_response(conflict_json(service.get_conflict(line, caller, conflict_id)))

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
