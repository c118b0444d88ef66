"""Bearer tokens: made here, stored only as hashes, checked on every request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from deconfliction.domain import Member
from deconfliction.errors import NotAuthenticated
from deconfliction.service.line import Line

__all__ = [
    "TICKET_PREFIX",
    "TICKET_S",
    "TOKEN_PREFIX",
    "authenticate",
    "authenticate_ticket",
    "hash_token",
    "issue_stream_ticket",
    "new_token",
]

TOKEN_PREFIX = "dl_"
TICKET_PREFIX = "dlt_"
TICKET_S = 60.0
"""How long a stream ticket may wait for its stream: enough to open one, no more."""


def new_token() -> str:
    """A fresh bearer token: 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 of the token. Tokens carry 256 random bits, so a slow password hash adds nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(line: Line, token: str | None) -> Member:
    """The member holding ``token``, or NotAuthenticated."""
    if not token:
        raise NotAuthenticated("send 'Authorization: Bearer <token>'", "/headers/authorization")
    with line.store.read() as tx:
        member = tx.member_for_token(hash_token(token))
    if member is None:
        raise NotAuthenticated("this token is not known to the line", "/headers/authorization")
    return member


def issue_stream_ticket(line: Line, actor: Member) -> tuple[str, datetime]:
    """A ticket that opens one event stream for the actor within ``TICKET_S`` seconds, and when
    it expires.

    A browser cannot send a header with a WebSocket or an EventSource, so what authorises them
    goes in the URL, where proxies and servers log it; a ticket there is worth nothing once used
    or a minute old, unlike the member's token.
    """
    ticket = TICKET_PREFIX + secrets.token_urlsafe(32)
    now = line.clock()
    expires = now + timedelta(seconds=TICKET_S)
    with line.store.transaction() as tx:
        tx.put_stream_ticket(hash_token(ticket), actor.id, expires, now)
    return ticket, expires


def authenticate_ticket(line: Line, ticket: str | None) -> Member:
    """The member a stream ticket was issued to, once; NotAuthenticated for a ticket unknown,
    used or expired."""
    if not ticket:
        raise NotAuthenticated("send a ticket from POST /v1/stream/tickets", "/query/ticket")
    with line.store.transaction() as tx:
        member = tx.take_stream_ticket(hash_token(ticket), line.clock())
    if member is None:
        raise NotAuthenticated(
            "this ticket is unknown, used or expired: ask POST /v1/stream/tickets for another",
            "/query/ticket",
        )
    return member
