"""The bearer token of every route, resolved to the member it belongs to."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from deconfliction import service
from deconfliction.domain import Member
from deconfliction.service import Line

__all__ = ["Caller"]

_bearer = HTTPBearer(auto_error=False, description="a member's token")


def _member(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Member:
    line: Line = request.app.state.line
    return service.authenticate(line, creds.credentials if creds else None)


Caller = Annotated[Member, Depends(_member)]
