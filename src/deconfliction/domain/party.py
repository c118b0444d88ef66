"""Parties and the members who act for them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from deconfliction.errors import InvalidInput, PermissionDenied

__all__ = [
    "DEFAULT_LIFETIME",
    "HOST_PARTY",
    "MAX_LIFETIME",
    "Member",
    "MemberKey",
    "Party",
    "Role",
    "check_slug",
    "parse_lifetime",
]

HOST_PARTY = "host"
"""The slug of the host's own party: the only party whose members are admins, and whose members
are all admins. It writes no notices; it is told of escalations."""

DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=366)
"""How long a member's token lasts: by default, and at most (rotate it to go on)."""

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def check_slug(slug: str, pointer: str = "/slug") -> str:
    """A party slug: lower-case letters, digits and inner hyphens, 1-64 characters."""
    if not _SLUG.fullmatch(slug) or slug == "all":
        raise InvalidInput(
            f"{slug!r} is not a party slug: use 1-64 lower-case letters, digits and inner hyphens "
            "('all' is reserved)",
            pointer,
        )
    return slug


class Role(StrEnum):
    COORDINATOR = "coordinator"
    OBSERVER = "observer"
    ADMIN = "admin"

    @classmethod
    def parse(cls, value: str, pointer: str = "/role") -> Role:
        try:
            return cls(value)
        except ValueError:
            valid = ", ".join(r.value for r in cls)
            raise InvalidInput(
                f"unknown role {value!r}; valid roles are {valid}", pointer
            ) from None

    def writes_notices(self) -> bool:
        """Coordinators write for their party; observers read; the host's admin writes none."""
        return self is Role.COORDINATOR

    def manages_line(self) -> bool:
        return self is Role.ADMIN

    def check_party(self, party: str, pointer: str = "/role") -> None:
        """``InvalidInput`` unless this role may exist in ``party``: ``admin`` only in the host's
        own party, and nothing else there."""
        if self is Role.ADMIN and party != HOST_PARTY:
            raise InvalidInput(
                f"the role 'admin' exists only in the host's own party {HOST_PARTY!r}, not in "
                f"{party!r}: an admin reads what every party says; make it with party "
                f"{HOST_PARTY!r}, or make a coordinator or observer of {party!r}",
                pointer,
            )
        if self is not Role.ADMIN and party == HOST_PARTY:
            raise InvalidInput(
                f"party {HOST_PARTY!r} is the host's own, and holds admins only (the host writes "
                f"no notices); make a {self.value} in a party of the line",
                pointer,
            )

    def require_writer(self, what: str) -> None:
        """``PermissionDenied`` unless this role writes ``what`` (notices, tracks, threads) for
        its party: a coordinator."""
        if not self.writes_notices():
            raise PermissionDenied(
                f"a member with role {self.value!r} cannot write {what}; a coordinator can"
            )


@dataclass(frozen=True, slots=True)
class Party:
    slug: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Member:
    """A person or system acting for one party (or for the host, as admin)."""

    id: str
    party: str
    role: Role
    created_at: datetime
    name: str = ""
    expires_at: datetime | None = None
    """When its token stops working; the line gives every member one (``None``: a value made
    by hand, as in a test)."""
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    """When its token was last seen, to the minute (``service.parties.auth``)."""
    token_prefix: str | None = None
    """The public head of its token (``dl_`` and 8 characters), shown in lists to tell tokens
    apart without revealing one; ``None`` for a token made before tokens had one."""

    @property
    def is_host_admin(self) -> bool:
        """An admin of the host's own party: manages members, reads the record in clear."""
        return self.role is Role.ADMIN and self.party == HOST_PARTY

    def refusal(self, now: datetime) -> str | None:
        """Why this member's token does not work at ``now``, or ``None`` when it does."""
        if self.revoked_at is not None:
            return "this token was revoked; ask the host for a new one"
        if self.expires_at is not None and now >= self.expires_at:
            return (
                f"this token expired at {self.expires_at:%Y-%m-%dT%H:%M:%SZ}; ask the host to "
                "rotate it"
            )
        return None


@dataclass(frozen=True, slots=True)
class MemberKey:
    """The Ed25519 public key (32 raw bytes) member ``member`` of ``party`` registered at
    ``registered_at``: its signed acknowledgements and messages are checked with it."""

    member: str
    party: str
    public_key: bytes
    registered_at: datetime


_LIFETIME = re.compile(r"\+?(?:(\d{1,4})d)?(?:(\d{1,5})h)?(?:(\d{1,6})m)?")


def parse_lifetime(text: str, pointer: str = "/expires_in") -> timedelta:
    """A token's lifetime as people type it: ``90d``, ``12h``, ``1d12h``, ``30m``; from a minute
    to ``MAX_LIFETIME``.

    >>> parse_lifetime("30d")
    datetime.timedelta(days=30)
    >>> parse_lifetime("1d12h").total_seconds()
    129600.0
    """
    found = _LIFETIME.fullmatch(text.strip())
    if not found or not any(found.groups()):
        raise InvalidInput(
            f"{text!r} is not a lifetime: write days, hours or minutes, e.g. 90d, 12h, 1d12h",
            pointer,
        )
    d, h, m = (int(g or 0) for g in found.groups())
    lifetime = timedelta(days=d, hours=h, minutes=m)
    if not timedelta(minutes=1) <= lifetime <= MAX_LIFETIME:
        raise InvalidInput(
            f"a token lasts from a minute to {MAX_LIFETIME.days} days, not {text.strip()}; "
            "rotate it to go on",
            pointer,
        )
    return lifetime
