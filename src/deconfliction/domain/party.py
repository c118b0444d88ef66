"""Parties and the members who act for them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from deconfliction.errors import InvalidInput, PermissionDenied

__all__ = ["Member", "MemberKey", "Party", "Role", "check_slug"]

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


@dataclass(frozen=True, slots=True)
class MemberKey:
    """The Ed25519 public key (32 raw bytes) member ``member`` of ``party`` registered at
    ``registered_at``: its signed acknowledgements and messages are checked with it."""

    member: str
    party: str
    public_key: bytes
    registered_at: datetime
