"""The host's administration of members over HTTP, for admins of the host's party only:
``/v1/admin/members`` (list a page, create), ``/v1/admin/members/{id}`` (read),
``.../revoke`` and ``.../rotate``.

Any other member gets 403: the routes are in the published OpenAPI document, so a 404 would hide
nothing, and a 403 tells a misconfigured client what is wrong. A token is in a body only when it
is made (create, rotate), with ``Cache-Control: no-store``; lists show its public prefix.
Revocation is ``POST .../revoke`` rather than ``DELETE``: the member stays listed, revoked, and
what it did stays in the record under its id.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import Body, FastAPI, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from deconfliction import service
from deconfliction.api import examples
from deconfliction.api.auth import HostAdmin
from deconfliction.api.paging import Cursor, Limit, list_responses, page_response
from deconfliction.api.respond import json_response
from deconfliction.domain import Member, Role
from deconfliction.domain.paging import DEFAULT_LIMIT
from deconfliction.domain.party import DEFAULT_LIFETIME, parse_lifetime
from deconfliction.service import Line
from deconfliction.wire import member_json, read_cursor

__all__ = ["MemberIn", "MemberList", "MemberOut", "RotateIn", "install"]

MemberId = Annotated[str, Path(max_length=128, description="the member's id")]
_NO_STORE = {"Cache-Control": "no-store"}
_LIFETIME_DOC = (
    f"how long the token lasts: days, hours or minutes (90d, 12h, 1d12h); default "
    f"{DEFAULT_LIFETIME.days}d, at most 366d"
)


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: str = Field(max_length=64, description="the party the member acts for")
    role: Literal["coordinator", "observer", "admin"] = Field(
        "coordinator", description="admin only in the host's party 'host', which holds only admins"
    )
    name: str = Field("", max_length=200, description="who or what holds the token")
    expires_in: str | None = Field(None, max_length=32, description=_LIFETIME_DOC)


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in: str | None = Field(None, max_length=32, description=_LIFETIME_DOC)


class MemberOut(BaseModel):
    id: str
    party: str
    role: str
    name: str
    created_at: AwareDatetime
    expires_at: AwareDatetime | None
    last_used_at: AwareDatetime | None = Field(description="to the minute")
    revoked_at: AwareDatetime | None
    token_prefix: str | None = Field(
        description="the public head of its token (dl_ and 8 characters); null for a token made "
        "before tokens had one"
    )
    state: Literal["active", "expired", "revoked"]


class MemberList(BaseModel):
    members: list[MemberOut]
    next: str | None = Field(description="the cursor of the next page; null on the last")


class MemberWithToken(BaseModel):
    member: MemberOut
    token: str = Field(description="the bearer token: shown this once, never stored")


def _lifetime(text: str | None) -> timedelta:
    return DEFAULT_LIFETIME if text is None else parse_lifetime(text, "/expires_in")


def install(app: FastAPI) -> None:
    """Add the member administration routes to ``app``."""
    line: Line = app.state.line

    def made(member: Member, token: str, status: int) -> Response:
        body = {"member": member_json(member, line.clock()), "token": token}
        headers = dict(_NO_STORE)
        if status == 201:
            headers["Location"] = f"/v1/admin/members/{member.id}"
        return json_response(body, status, headers)

    @app.get(
        "/v1/admin/members",
        response_model=MemberList,
        tags=["administration"],
        responses=list_responses(),
    )
    def members(
        request: Request,
        admin: HostAdmin,
        party: Annotated[str | None, Query(max_length=64, description="only this party's")] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response:
        """The line's members, oldest first, revoked and expired ones included; a page at a
        time (`next`, `Link`). Host admins only."""
        found = service.list_members(line, party, limit, read_cursor(cursor, "members"))
        now = line.clock()
        items = [member_json(m, now) for m in found.items]
        return page_response(request, "members", items, found.after)

    @app.post(
        "/v1/admin/members",
        status_code=201,
        response_model=MemberWithToken,
        tags=["administration"],
    )
    async def create(
        body: Annotated[MemberIn, Body(openapi_examples=examples.MEMBER)],
        admin: HostAdmin,
    ) -> Response:
        """Make a member and its token, shown this once. Host admins only."""
        role = Role.parse(body.role)
        lifetime = _lifetime(body.expires_in)
        member, token = await run_in_threadpool(
            service.create_member, line, body.party, role, body.name, lifetime
        )
        return made(member, token, 201)

    @app.get("/v1/admin/members/{member_id}", response_model=MemberOut, tags=["administration"])
    def member(member_id: MemberId, admin: HostAdmin) -> Response:
        """One member. Host admins only."""
        found = service.get_member(line, member_id)
        return json_response(member_json(found, line.clock()))

    @app.post(
        "/v1/admin/members/{member_id}/revoke",
        response_model=MemberOut,
        tags=["administration"],
    )
    async def revoke(member_id: MemberId, admin: HostAdmin) -> Response:
        """Revoke the member's token now: its requests get 401, its stream tickets are void and
        its open streams close. Revoking again changes nothing. Host admins only."""
        revoked = await run_in_threadpool(service.revoke_member, line, member_id)
        return json_response(member_json(revoked, line.clock()))

    @app.post(
        "/v1/admin/members/{member_id}/rotate",
        response_model=MemberWithToken,
        tags=["administration"],
    )
    async def rotate(
        member_id: MemberId,
        admin: HostAdmin,
        body: Annotated[RotateIn | None, Body(openapi_examples=examples.ROTATE)] = None,
    ) -> Response:
        """A new token for the member, shown this once; the old one stops working at once (its
        open streams close). Host admins only."""
        lifetime = _lifetime(body.expires_in if body else None)
        member, token = await run_in_threadpool(service.rotate_token, line, member_id, lifetime)
        return made(member, token, 200)
