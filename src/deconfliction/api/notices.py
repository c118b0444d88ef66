"""Notices over HTTP: declare, list, read, replace (``If-Match``) and withdraw; the answer to a
write lists the strategic conflicts it raises."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Body, FastAPI, Header, Path, Query, Request
from starlette.responses import Response

from deconfliction import service
from deconfliction.api import examples
from deconfliction.api.auth import Caller
from deconfliction.api.convert import bbox_param, draft_from
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
from deconfliction.api.schemas import (
    ErrorOut,
    NoticeIn,
    NoticeList,
    NoticeOut,
    NoticeWithConflicts,
)
from deconfliction.domain import Member, Notice, NoticeKind
from deconfliction.domain.paging import DEFAULT_LIMIT
from deconfliction.errors import InvalidInput
from deconfliction.service import Line
from deconfliction.wire import conflict_json, notice_feature, notice_json, read_cursor
from deconfliction.wire.f3548 import MEDIA_TYPE as F3548
from deconfliction.wire.f3548 import notice_volumes4d
from deconfliction.wire.geojson import MEDIA_TYPE
from deconfliction.wire.kml import notices_kml

__all__ = ["NoticeId", "install"]

NoticeId = Annotated[str, Path(max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]

_BUDGET: dict[int | str, dict[str, object]] = {
    429: {
        "model": ErrorOut,
        "description": "your party's budget of notice changes is spent for now "
        "(`budget_exhausted`; the message names the budget, `Retry-After` says when to retry)",
        "headers": {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
    }
}
"""Every change of a notice is charged to its party's budgets (docs/security.md, "Probing")."""


def _single_responses() -> dict[int | str, Any]:
    """One notice's 200: JSON, GeoJSON, KML, or its F3548 Volume4D list."""
    out = geojson_responses("NoticeOut", single=True)
    out[200]["content"][F3548] = {"schema": _VOLUMES4D}
    return out


_VOLUMES4D = {
    "type": "object",
    "required": ["volumes"],
    "properties": {
        "volumes": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Volume4DIn"},
            "description": "ASTM F3548-21 Volume4D, one per volume (a corridor: its covering "
            "polygons)",
        }
    },
}


def _etag(notice: Notice) -> str:
    return f'"{notice.version}"'


_TAG = r'(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"'
"""RFC 9110 §8.8.3: an entity-tag, weak or strong (its opaque part may hold a comma)."""
_TAG_LIST = re.compile(rf"{_TAG}(?:[ \t]*,[ \t]*{_TAG})*".replace("([", "(?:["))
"""A list of them (§5.6.1), as If-Match may hold."""


def _if_match(value: str | None) -> set[int] | None:
    """The versions an If-Match names (RFC 9110 §13.1.1: ``"*"`` aside, a list of entity-tags,
    any of which may match). A well-formed tag that is not one of ours names no version (0), so
    it fails to match: a 412, not a 422. A bare number (no quotes) is taken as the version, as
    clients have sent it. A weak tag names its version too: a proxy that compresses an answer
    may weaken its ETag, and the client then sends back what it was given."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit() and len(value) <= 18:
        return {int(value)}
    if _TAG_LIST.fullmatch(value) is None:
        raise InvalidInput('If-Match must be the notice\'s ETag, e.g. "3"', "/headers/if-match")
    tags = re.findall(_TAG, value)
    return {int(t) if t.isdigit() and len(t) <= 18 else 0 for t in tags}


def _version(line: Line, caller: Member, notice_id: str, if_match: str | None) -> int | None:
    """The version the write expects: ``If-Match: *`` matches whatever version is current (RFC
    9110 §13.1.1), so it names the current one, as does a list that holds it; a list that does
    not names no version (0). The use case checks the version again as it writes, so a change
    made meanwhile is a 412 still."""
    if if_match is not None and if_match.strip() == "*":
        return service.get_notice(line, caller, notice_id).version
    versions = _if_match(if_match)
    if versions is None:
        return None
    if len(versions) == 1:
        return next(iter(versions))
    current = service.get_notice(line, caller, notice_id).version
    return current if current in versions else 0


def _with_conflicts(result: service.NoticeResult) -> dict[str, object]:
    return {
        "notice": notice_json(result.notice),
        "conflicts": [conflict_json(c) for c in result.conflicts],
    }


def install(app: FastAPI) -> None:
    """Add the notice routes to ``app``."""
    line: Line = app.state.line

    @app.post(
        "/v1/notices",
        status_code=201,
        response_model=NoticeWithConflicts,
        tags=["notices"],
        responses=_BUDGET,
    )
    def create(
        body: Annotated[NoticeIn, Body(openapi_examples=examples.NOTICE)], caller: Caller
    ) -> Response:
        """Declare a notice; the answer lists the strategic conflicts it raises. Charged to
        your party's budgets (429 when spent)."""
        # the use case reads the draft (geometry costs) once the member may write
        result = service.create_notice(line, caller, lambda: draft_from(body))
        return json_response(
            _with_conflicts(result),
            201,
            {"ETag": _etag(result.notice), "Location": f"/v1/notices/{result.notice.id}"},
        )

    @app.get(
        "/v1/notices",
        response_model=NoticeList,
        tags=["notices"],
        responses=geojson_responses("NoticeOut"),
    )
    def notices(
        request: Request,
        caller: Caller,
        bbox: Annotated[str | None, Query(description="lon_min,lat_min,lon_max,lat_max")] = None,
        start: Annotated[datetime | None, Query(description="overlapping from (RFC 3339)")] = None,
        end: Annotated[datetime | None, Query(description="overlapping until (RFC 3339)")] = None,
        kind: NoticeKind | None = None,
        party: Annotated[str | None, Query(pattern=r"^[a-z0-9-]{1,64}$")] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response:
        """Notices you may see, filtered, oldest first; a page at a time (`next`, `Link`).

        With `Accept: application/geo+json`, a FeatureCollection: each notice a Feature whose
        geometry is its volumes' areas and whose properties are the notice as JSON. With
        `Accept: application/vnd.google-earth.kml+xml`, KML: a Folder per notice, a Placemark
        per volume with its TimeSpan (the same page, `next` and `Link`).
        """
        for name, t in (("start", start), ("end", end)):
            if t is not None and t.tzinfo is None:
                raise InvalidInput("give a time zone, e.g. 2026-11-25T06:00:00Z", f"/query/{name}")
        found = service.list_notices(
            line,
            caller,
            service.NoticeFilter(
                bbox=bbox_param(bbox),
                start=start,
                end=end,
                kind=kind,
                party=party,
                limit=limit,
                after=read_cursor(cursor, "notices"),
            ),
        )
        chosen = preferred(request)
        if chosen == "kml":
            cursor, headers = page_headers(request, "notices", found.after)
            return kml_response(notices_kml(found.items, cursor), headers)
        geo = chosen == "geojson"
        write = notice_feature if geo else notice_json
        return page_response(
            request, "notices", [write(n) for n in found.items], found.after, geojson=geo
        )

    @app.get(
        "/v1/notices/{notice_id}",
        response_model=NoticeOut,
        tags=["notices"],
        responses=_single_responses(),
    )
    def notice(notice_id: NoticeId, caller: Caller, request: Request) -> Response:
        """One notice, if it is shared with you (404 otherwise, as if it did not exist).

        With `Accept: application/geo+json`, one Feature, as in the list's FeatureCollection;
        with `Accept: application/vnd.google-earth.kml+xml`, a KML document of it; with
        `Accept: application/vnd.astm.f3548.volume4d+json`, its volumes as ASTM F3548 Volume4Ds
        (`{"volumes": [...]}`, as in OperationalIntentDetails; docs/interop.md says what maps),
        or a 422 naming a band's side outside F3548's altitudes (-8,000 to 100,000 m), which
        F3548 could carry only by making the volume smaller.
        """
        n = service.get_notice(line, caller, notice_id)
        headers = {"ETag": _etag(n), "Vary": "Accept"}
        chosen = preferred(request, {F3548: "f3548"})
        if chosen == "f3548":
            return json_response(notice_volumes4d(n), headers=headers, media_type=F3548)
        if chosen == "kml":
            return kml_response(notices_kml([n]), headers)
        if chosen == "geojson":
            return json_response(notice_feature(n), headers=headers, media_type=MEDIA_TYPE)
        return json_response(notice_json(n), headers=headers)

    @app.put(
        "/v1/notices/{notice_id}",
        response_model=NoticeWithConflicts,
        tags=["notices"],
        responses=_BUDGET,
    )
    def replace(
        notice_id: NoticeId,
        body: Annotated[NoticeIn, Body(openapi_examples=examples.NOTICE_REPLACEMENT)],
        caller: Caller,
        if_match: Annotated[str | None, Header(description="the ETag you are replacing")] = None,
    ) -> Response:
        """Replace your notice as a new version (If-Match required). A change within 10 min of
        the last version, or of the buffers, costs more of your party's budgets."""
        expected = _version(line, caller, notice_id, if_match)
        result = service.update_notice(line, caller, notice_id, lambda: draft_from(body), expected)
        return json_response(_with_conflicts(result), headers={"ETag": _etag(result.notice)})

    @app.delete(
        "/v1/notices/{notice_id}", response_model=NoticeOut, tags=["notices"], responses=_BUDGET
    )
    def withdraw(
        notice_id: NoticeId,
        caller: Caller,
        if_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Withdraw your notice; its conflicts resolve and its history stays on the line. A
        withdrawal within 10 min of the last version costs more of your party's budgets."""
        n = service.withdraw_notice(
            line, caller, notice_id, _version(line, caller, notice_id, if_match)
        )
        return json_response(notice_json(n), headers={"ETag": _etag(n)})
