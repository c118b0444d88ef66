"""The HTTP API: FastAPI routes over the use cases in ``service/``; no rule lives here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from deconfliction import __version__, service
from deconfliction.api import errors
from deconfliction.api.convert import conflict_json, draft_from, notice_json
from deconfliction.api.limits import BodyLimit
from deconfliction.api.schemas import (
    ConflictList,
    ConflictOut,
    ErrorOut,
    NoticeIn,
    NoticeList,
    NoticeOut,
    NoticeWithConflicts,
    PartyList,
)
from deconfliction.domain import Member, Notice, NoticeKind
from deconfliction.errors import InvalidInput
from deconfliction.service import Line

__all__ = ["MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 8 * 1024 * 1024

_bearer = HTTPBearer(auto_error=False, description="a member's token")

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 412, 413, 422, 428)
}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


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


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        parts = tuple(float(p) for p in value.split(","))
    except ValueError:
        parts = ()
    limits = (180, 90, 180, 90)
    if len(parts) != 4 or not all(abs(p) <= lim for p, lim in zip(parts, limits, strict=True)):
        raise InvalidInput(
            "bbox is lon_min,lat_min,lon_max,lat_max in degrees (lon_min > lon_max crosses the "
            "antimeridian)",
            "/query/bbox",
        )
    if parts[1] > parts[3]:
        raise InvalidInput("bbox lat_min is above lat_max", "/query/bbox")
    return parts[0], parts[1], parts[2], parts[3]


def _member(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Member:
    line: Line = request.app.state.line
    return service.authenticate(line, creds.credentials if creds else None)


Caller = Annotated[Member, Depends(_member)]
NoticeId = Annotated[str, Path(max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]


def create_app(line: Line, *, max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """The line's HTTP API over ``line``."""
    app = FastAPI(
        title="Deconfliction Line",
        version=__version__,
        summary="Tell each other where you will be; learn of conflicts before they happen.",
        responses=_ERRORS,
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
        return _json(
            {"parties": [{"slug": p.slug, "name": p.name} for p in service.list_parties(line)]}
        )

    @app.post("/v1/notices", status_code=201, response_model=NoticeWithConflicts, tags=["notices"])
    def create(body: NoticeIn, caller: Caller) -> Response:
        """Declare a notice; the answer lists the strategic conflicts it raises."""
        service.require_writer(caller)  # before the (costly) geometry checks
        result = service.create_notice(line, caller, draft_from(body))
        return _json(
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
                bbox=_bbox(bbox), start=start, end=end, kind=kind, party=party, limit=limit
            ),
        )
        return _json({"notices": [notice_json(n) for n in found]})

    @app.get("/v1/notices/{notice_id}", response_model=NoticeOut, tags=["notices"])
    def notice(notice_id: NoticeId, caller: Caller) -> Response:
        """One notice, if it is shared with you (404 otherwise, as if it did not exist)."""
        n = service.get_notice(line, caller, notice_id)
        return _json(notice_json(n), headers={"ETag": _etag(n)})

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
        return _json(
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
        return _json(notice_json(n), headers={"ETag": _etag(n)})

    @app.get("/v1/conflicts", response_model=ConflictList, tags=["conflicts"])
    def conflicts(
        caller: Caller,
        live: Annotated[bool, Query(description="only open and acknowledged")] = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    ) -> Response:
        """Conflicts your party is part of, newest first."""
        views = service.list_conflicts(line, caller, live_only=live, limit=limit)
        return _json({"conflicts": [conflict_json(c) for c in views]})

    @app.get("/v1/conflicts/{conflict_id}", response_model=ConflictOut, tags=["conflicts"])
    def conflict(conflict_id: NoticeId, caller: Caller) -> Response:
        """One conflict your party is part of."""
        return _json(conflict_json(service.get_conflict(line, caller, conflict_id)))

    return app
