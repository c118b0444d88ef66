"""The bearer token of every route, resolved to the member it belongs to; event streams also take
a one-use ticket in the URL (a browser's EventSource or WebSocket cannot send a header)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from deconfliction import service
from deconfliction.api.rates import admit
from deconfliction.domain import Member
from deconfliction.service import Line

__all__ = ["Caller", "StreamCaller"]

_bearer = HTTPBearer(auto_error=False, description="a member's token")


def _member(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Member:
    line: Line = request.app.state.line
    return admit(request, lambda: service.authenticate(line, creds.credentials if creds else None))


Caller = Annotated[Member, Depends(_member)]


def _streamer(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ticket: Annotated[
        str | None,
        Query(max_length=100, description="a one-use ticket from POST /v1/stream/tickets"),
    ] = None,
) -> Member:
    line: Line = request.app.state.line
    if creds is None and ticket is not None:
        return admit(request, lambda: service.authenticate_ticket(line, ticket))
    return admit(request, lambda: service.authenticate(line, creds.credentials if creds else None))


StreamCaller = Annotated[Member, Depends(_streamer)]
"""The member reading events: by its bearer token, or by a ticket in the URL."""
