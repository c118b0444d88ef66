"""The host's use cases: parties and the members who act for them, and their tokens.

The command line acts as the host (whoever may open the database is); over HTTP only an admin
of the host's own party may (``require_host_admin``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from deconfliction.domain import HOST_PARTY, Member, Party, Role, check_slug
from deconfliction.domain.paging import DEFAULT_LIMIT, Page, page_of
from deconfliction.domain.party import DEFAULT_LIFETIME
from deconfliction.domain.text import check_plain
from deconfliction.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StateConflict,
)
from deconfliction.service.line import Line
from deconfliction.service.parties.auth import hash_token, new_token
from deconfliction.store.base import Tx

__all__ = [
    "create_member",
    "create_party",
    "get_member",
    "list_members",
    "list_parties",
    "require_host_admin",
    "revoke_member",
    "rotate_token",
]

HOST_NAME = "The host"
"""The name of the host's party when the line makes it itself."""

_TRIES = 5
"""New tokens tried when a public prefix is taken (40 bits: almost never twice)."""


def require_host_admin(actor: Member) -> None:
    """``PermissionDenied`` unless the actor is an admin of the host's own party."""
    if not actor.is_host_admin:
        raise PermissionDenied(
            f"only an admin of the host's party {HOST_PARTY!r} manages members and tokens"
        )


def create_party(line: Line, slug: str, name: str) -> Party:
    check_slug(slug)
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("a party needs a name of 1-200 characters", "/name")
    check_plain(name, "/name")
    party = Party(slug=slug, name=name, created_at=line.clock())
    with line.store.transaction() as tx:
        if tx.get_party(slug) is not None:
            raise AlreadyExists(f"party {slug!r} already exists", "/slug")
        tx.add_party(party)
    return party


def list_parties(line: Line) -> list[Party]:
    with line.store.read() as tx:
        return tx.list_parties()


def create_member(
    line: Line,
    party: str,
    role: Role,
    name: str = "",
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> tuple[Member, str]:
    """Make a member of ``party``; return it and its token (shown once, never stored), which
    expires after ``lifetime``.

    An admin exists only in the host's party, which holds nothing else; that party is made on
    demand with its first admin.
    """
    role.check_party(party)
    check_plain(name, "/name")
    now = line.clock()
    with line.store.transaction() as tx:
        if tx.get_party(party) is None:
            if party != HOST_PARTY:
                raise NotFound(f"no party {party!r} on this line; create it first", "/party")
            tx.add_party(Party(HOST_PARTY, HOST_NAME, now))
        for attempt in range(_TRIES):
            token, prefix = new_token()
            member = Member(
                id=line.new_id(),
                party=party,
                role=role,
                created_at=now,
                name=name,
                expires_at=now + lifetime,
                token_prefix=prefix,
            )
            try:
                tx.add_member(member, hash_token(token))
            except AlreadyExists:
                if attempt == _TRIES - 1:
                    raise
                continue
            return member, token
    raise AssertionError("unreachable")


def list_members(
    line: Line,
    party: str | None = None,
    limit: int = DEFAULT_LIMIT,
    after: tuple[datetime, str] | None = None,
) -> Page[Member]:
    """A page of the line's members (of ``party``), oldest first (created_at, id), revoked and
    expired ones included."""
    with line.store.read() as tx:
        found = tx.list_members(party, limit + 1, after)
    return page_of(found, limit, lambda m: (m.created_at, m.id))


def _member(tx: Tx, member_id: str) -> Member:
    member = tx.get_members([member_id]).get(member_id)
    if member is None:
        raise NotFound(f"no member {member_id!r} on this line", "/id")
    return member


def get_member(line: Line, member_id: str) -> Member:
    """The member of that id (``NotFound`` at ``/id``)."""
    with line.store.read() as tx:
        return _member(tx, member_id)


def revoke_member(line: Line, member_id: str) -> Member:
    """Revoke the member's token now: every request and stream ticket fails from this moment,
    and its open streams close (the line wakes them to check). Revoking again changes
    nothing."""
    now = line.clock()
    with line.store.transaction() as tx:
        _member(tx, member_id)
        tx.revoke_member(member_id, now)
        member = _member(tx, member_id)
    line.signal.recheck_members()
    return member


def rotate_token(
    line: Line, member_id: str, lifetime: timedelta = DEFAULT_LIFETIME
) -> tuple[Member, str]:
    """A new token for the member, lasting ``lifetime`` from now; the old one stops working at
    once (its open streams close). A revoked member is not given one: make a new member."""
    now = line.clock()
    with line.store.transaction() as tx:
        member = _member(tx, member_id)
        if member.revoked_at is not None:
            raise StateConflict(
                "this member's token is revoked; a revoked member stays revoked: make a new one",
                "/id",
            )
        for attempt in range(_TRIES):
            token, prefix = new_token()
            try:
                tx.replace_token(member_id, hash_token(token), prefix, now + lifetime)
                break
            except AlreadyExists:
                if attempt == _TRIES - 1:
                    raise
        member = _member(tx, member_id)
    line.signal.recheck_members()
    return member, token
