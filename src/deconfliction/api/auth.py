"""The bearer token of every route, resolved to the member it belongs to; event streams also take
a one-use ticket in the URL (a browser's EventSource or WebSocket cannot send a header).

A token is taken from the ``Authorization`` header only: one sent as ``?token=`` is refused with
a reason, never looked up, as a URL is written to logs and proxies' histories.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from deconfliction import service
from deconfliction.api.rates import admit
from deconfliction.domain import Member
from deconfliction.errors import NotAuthenticated
from deconfliction.service import Line

__all__ = ["Caller", "HostAdmin", "StreamCaller", "TOKEN_IN_URL", "refuse_token_in_url"]

_bearer = HTTPBearer(auto_error=False, description="a member's token")

TOKEN_IN_URL = (
    "a token in a URL is refused (URLs are logged): send 'Authorization: Bearer <token>', or "
    "for a stream a ticket from POST /v1/stream/tickets"
)


def refuse_token_in_url(query: Mapping[str, str]) -> None:
    """``NotAuthenticated`` at ``/query/token`` when the query carries ``token``."""
    if "token" in query:
        raise NotAuthenticated(TOKEN_IN_URL, "/query/token")


def _member(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Member:
    line: Line = request.app.state.line
    refuse_token_in_url(request.query_params)
    return admit(request, lambda: service.authenticate(line, creds.credentials if creds else None))


Caller = Annotated[Member, Depends(_member)]


def _host_admin(caller: Caller) -> Member:
    service.require_host_admin(caller)
    return caller


HostAdmin = Annotated[Member, Depends(_host_admin)]
"""An admin of the host's own party (403 for any other member)."""


def _streamer(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ticket: Annotated[
        str | None,
        Query(max_length=100, description="a one-use ticket from POST /v1/stream/tickets"),
    ] = None,
) -> Member:
    line: Line = request.app.state.line
    refuse_token_in_url(request.query_params)
    if creds is None and ticket is not None:
        return admit(request, lambda: service.authenticate_ticket(line, ticket))
    return admit(request, lambda: service.authenticate(line, creds.credentials if creds else None))


StreamCaller = Annotated[Member, Depends(_streamer)]
"""The member reading events: by its bearer token, or by a ticket in the URL."""
