"""Bearer tokens: made here, stored only as hashes, checked on every request."""

from __future__ import annotations

import hashlib
import secrets

from deconfliction.domain import Member
from deconfliction.errors import NotAuthenticated
from deconfliction.service.line import Line

__all__ = ["TOKEN_PREFIX", "authenticate", "hash_token", "new_token"]

TOKEN_PREFIX = "dl_"


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
