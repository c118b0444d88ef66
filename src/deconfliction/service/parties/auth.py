"""Bearer tokens: made here, stored only as hashes, checked on every request.

A token reads ``dl_<public id>_<secret>``: the public id (8 characters of base32) is stored as
the member's ``token_prefix`` and shown in lists and logs, so the host can tell which token a
client holds without anyone learning a token; the secret carries 256 random bits. A token works
until it expires (90 days by default), is revoked, or is rotated.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from deconfliction.domain import Member
from deconfliction.errors import NotAuthenticated
from deconfliction.service.line import Line

__all__ = [
    "LAST_USED_EVERY",
    "TICKET_PREFIX",
    "TICKET_S",
    "TOKEN_PREFIX",
    "authenticate",
    "authenticate_ticket",
    "current_members",
    "hash_token",
    "issue_stream_ticket",
    "new_token",
    "token_prefix",
]

TOKEN_PREFIX = "dl_"
TICKET_PREFIX = "dlt_"
TICKET_S = 60.0
"""How long a stream ticket may wait for its stream: enough to open one, no more."""
LAST_USED_EVERY = timedelta(minutes=1)
"""A member's last use is written at most this often: a request costs no write of its own."""

_PUBLIC = "abcdefghijklmnopqrstuvwxyz234567"
_PUBLIC_LEN = 8


def new_token() -> tuple[str, str]:
    """A fresh bearer token and its public prefix: ``dl_`` and 8 base32 characters (40 bits:
    enough to tell members apart, not to find one), then ``_`` and 256 random bits."""
    public = "".join(secrets.choice(_PUBLIC) for _ in range(_PUBLIC_LEN))
    prefix = TOKEN_PREFIX + public
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def token_prefix(token: str) -> str | None:
    """The public prefix of a token of the current shape, ``None`` for any other string.

    >>> token_prefix("dl_abcd2345_" + "x" * 43)
    'dl_abcd2345'
    >>> token_prefix("dl_" + "x" * 43) is None
    True
    """
    head, sep, secret = token.partition("_")
    public, sep2, secret = secret.partition("_")
    if (
        head + sep == TOKEN_PREFIX
        and sep2
        and len(public) == _PUBLIC_LEN
        and all(c in _PUBLIC for c in public)
        and len(secret) >= 43
    ):
        return TOKEN_PREFIX + public
    return None


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
    now = line.clock()
    refused = member.refusal(now)
    if refused is not None:
        raise NotAuthenticated(refused, "/headers/authorization")
    seen = member.last_used_at
    if seen is None or now - seen >= LAST_USED_EVERY:
        # once a minute at most: a request does not become a write
        with line.store.transaction() as tx:
            tx.touch_member(member.id, now, now - LAST_USED_EVERY)
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
    now = line.clock()
    with line.store.transaction() as tx:
        member = tx.take_stream_ticket(hash_token(ticket), now)
    if member is None:
        raise NotAuthenticated(
            "this ticket is unknown, used or expired: ask POST /v1/stream/tickets for another",
            "/query/ticket",
        )
    refused = member.refusal(now)  # revoking drops tickets; expiry does not
    if refused is not None:
        raise NotAuthenticated(refused, "/query/ticket")
    return member


def current_members(line: Line, member_ids: Sequence[str]) -> dict[str, Member]:
    """The members of those ids as they stand now (open streams ask whether theirs may still
    read: ``Member.refusal``, and the same ``token_prefix`` as when the stream opened)."""
    with line.store.read() as tx:
        return tx.get_members(member_ids)
