"""The HTTP API: FastAPI routes over the use cases in ``service/``; no rule lives here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Header, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from deconfliction import __version__, service
from deconfliction.api import conversation, errors, keys, receipts, record, stream
from deconfliction.api.auth import Caller
from deconfliction.api.convert import (
    bbox_param,
    conflict_json,
    draft_from,
    notice_json,
    track_json,
    utc_z,
)
from deconfliction.api.limits import BodyLimit
from deconfliction.api.respond import json_response
from deconfliction.api.schemas import (
    ConflictList,
    ConflictOut,
    ErrorOut,
    NoticeIn,
    NoticeList,
    NoticeOut,
    NoticeWithConflicts,
    PartyList,
    ReportOut,
    ScanOut,
    TrackIn,
    TrackList,
)
from deconfliction.domain import ConflictKind, Notice, NoticeKind, TrackDomain
from deconfliction.errors import InvalidInput, MalformedBody, PayloadTooLarge
from deconfliction.service import Line
from deconfliction.service.duties import Periodic, deadline_duties
from deconfliction.service.record import Recorder
from deconfliction.service.scan import Scanner, ScanSettings, scan
from deconfliction.service.tracks import MAX_REPORTS, ReportResult, TrackFilter

__all__ = ["MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 8 * 1024 * 1024


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 412, 413, 422, 428)
}


def _etag(notice: Notice) -> str:
    return f'"{notice.version}"'


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    try:
        return int(tag)
    except ValueError:
        raise InvalidInput(
            'If-Match must be the notice\'s ETag, e.g. "3"', "/headers/if-match"
        ) from None


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


def _loads(raw: bytes) -> Any:
    """JSON, tolerating the NaN and Infinity some encoders write, so the report is named."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)  # accepts NaN/Infinity; the use case then rejects the field


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


NoticeId = Annotated[str, Path(max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]


def create_app(
    line: Line,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    scan_settings: ScanSettings | None = None,
    scan_interval_s: float | None = None,
    deadline_interval_s: float | None = None,
    record_interval_s: float | None = None,
) -> FastAPI:
    """The line's HTTP API over ``line``.

    With ``scan_interval_s``, a background scanner looks at live tracks that often while the
    app runs (``POST /v1/scan`` scans on demand either way).
    """
    settings = scan_settings or ScanSettings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        scanner = None
        if scan_interval_s:
            scanner = Scanner(line, scan_interval_s, settings)
            scanner.start()
        app.state.scanner = scanner
        duties = None
        if deadline_interval_s:
            duties = Periodic(deadline_interval_s, lambda: deadline_duties(line), "deadlines")
            duties.start()
        app.state.duties = duties
        recorder = None
        if record_interval_s:
            recorder = Recorder(line, record_interval_s)
            recorder.start()
        try:
            yield
        finally:
            if scanner is not None:
                scanner.stop()
            if duties is not None:
                duties.stop()
            line.deliveries.flush()
            if recorder is not None:
                recorder.stop()

    app = FastAPI(
        title="Deconfliction Line",
        version=__version__,
        summary="Tell each other where you will be; learn of conflicts before they happen.",
        responses=_ERRORS,
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)

    app.state.line = line

    @app.get("/healthz", tags=["line"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers and its store opens a transaction."""
        with line.store.read() as tx:
            tx.get_party("")
        return {"status": "ok"}

    @app.get("/v1/parties", response_model=PartyList, tags=["parties"])
    def parties(caller: Caller) -> Response:
        """The parties on the line (their slugs name audiences)."""
        return json_response(
            {"parties": [{"slug": p.slug, "name": p.name} for p in service.list_parties(line)]}
        )

    @app.post("/v1/notices", status_code=201, response_model=NoticeWithConflicts, tags=["notices"])
    def create(body: NoticeIn, caller: Caller) -> Response:
        """Declare a notice; the answer lists the strategic conflicts it raises."""
        service.require_writer(caller)  # before the (costly) geometry checks
        result = service.create_notice(line, caller, draft_from(body))
        return json_response(
            {
                "notice": notice_json(result.notice),
                "conflicts": [conflict_json(c) for c in result.conflicts],
            },
            201,
            {"ETag": _etag(result.notice), "Location": f"/v1/notices/{result.notice.id}"},
        )

    @app.get("/v1/notices", response_model=NoticeList, tags=["notices"])
    def notices(
        caller: Caller,
        bbox: Annotated[str | None, Query(description="lon_min,lat_min,lon_max,lat_max")] = None,
        start: Annotated[datetime | None, Query(description="overlapping from (RFC 3339)")] = None,
        end: Annotated[datetime | None, Query(description="overlapping until (RFC 3339)")] = None,
        kind: NoticeKind | None = None,
        party: Annotated[str | None, Query(pattern=r"^[a-z0-9-]{1,64}$")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    ) -> Response:
        """Notices you may see, filtered."""
        for name, t in (("start", start), ("end", end)):
            if t is not None and t.tzinfo is None:
                raise InvalidInput("give a time zone, e.g. 2026-11-25T06:00:00Z", f"/query/{name}")
        found = service.list_notices(
            line,
            caller,
            service.NoticeFilter(
                bbox=bbox_param(bbox), start=start, end=end, kind=kind, party=party, limit=limit
            ),
        )
        return json_response({"notices": [notice_json(n) for n in found]})

    @app.get("/v1/notices/{notice_id}", response_model=NoticeOut, tags=["notices"])
    def notice(notice_id: NoticeId, caller: Caller) -> Response:
        """One notice, if it is shared with you (404 otherwise, as if it did not exist)."""
        n = service.get_notice(line, caller, notice_id)
        return json_response(notice_json(n), headers={"ETag": _etag(n)})

    @app.put("/v1/notices/{notice_id}", response_model=NoticeWithConflicts, tags=["notices"])
    def replace(
        notice_id: NoticeId,
        body: NoticeIn,
        caller: Caller,
        if_match: Annotated[str | None, Header(description="the ETag you are replacing")] = None,
    ) -> Response:
        """Replace your notice as a new version (If-Match required)."""
        service.require_writer(caller)
        result = service.update_notice(
            line, caller, notice_id, draft_from(body), _if_match(if_match)
        )
        return json_response(
            {
                "notice": notice_json(result.notice),
                "conflicts": [conflict_json(c) for c in result.conflicts],
            },
            headers={"ETag": _etag(result.notice)},
        )

    @app.delete("/v1/notices/{notice_id}", response_model=NoticeOut, tags=["notices"])
    def withdraw(
        notice_id: NoticeId,
        caller: Caller,
        if_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Withdraw your notice; its conflicts resolve and its history stays on the line."""
        n = service.withdraw_notice(line, caller, notice_id, _if_match(if_match))
        return json_response(notice_json(n), headers={"ETag": _etag(n)})

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
                        }
                    },
                    "application/x-ndjson": {
                        "schema": {"$ref": "#/components/schemas/TrackIn"},
                        "description": "one report per line",
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
        service.require_writer(caller)
        items = _reports(await request.body(), request.headers.get("content-type", ""))
        result = await run_in_threadpool(service.report_tracks, line, caller, items)
        return _report_response(result)

    @app.get("/v1/tracks", response_model=TrackList, tags=["tracks"])
    def tracks(
        caller: Caller,
        bbox: Annotated[str | None, Query(description="lon_min,lat_min,lon_max,lat_max")] = None,
        domain: TrackDomain | None = None,
        stale: Annotated[bool, Query(description="also tracks gone stale")] = False,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 10_000,
    ) -> Response:
        """Tracks you may see: your party's and those shared with you; live ones unless asked."""
        found = service.list_tracks(
            line, caller, TrackFilter(bbox_param(bbox), domain, include_stale=stale, limit=limit)
        )
        return json_response({"tracks": [track_json(t) for t in found]})

    @app.post("/v1/scan", response_model=ScanOut, tags=["conflicts"])
    def scan_now(caller: Caller) -> Response:
        """Scan live tracks now (the server also scans every second); admins and coordinators."""
        service.require_scanner(caller)
        r = scan(line, settings)
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

    stream.install(app)
    conversation.install(app)
    receipts.install(app)
    keys.install(app)
    record.install(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            # the shape of one report: the route reads its body itself, report by report
            schema["components"]["schemas"]["TrackIn"] = TrackIn.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
