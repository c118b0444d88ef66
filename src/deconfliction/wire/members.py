"""A member as the host's administration sees it (``/v1/admin/members``): never its token, nor
the token's hash; the token's public prefix tells tokens apart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deconfliction.domain import Member
from deconfliction.wire.time import opt_utc_z, utc_z

__all__ = ["member_json", "member_state"]


def member_state(m: Member, now: datetime) -> str:
    """``active``, ``expired`` or ``revoked`` (revoked wins)."""
    if m.revoked_at is not None:
        return "revoked"
    return "active" if m.refusal(now) is None else "expired"


def member_json(m: Member, now: datetime) -> dict[str, Any]:
    return {
        "id": m.id,
        "party": m.party,
        "role": m.role.value,
        "name": m.name,
        "created_at": utc_z(m.created_at),
        "expires_at": opt_utc_z(m.expires_at),
        "last_used_at": opt_utc_z(m.last_used_at),
        "revoked_at": opt_utc_z(m.revoked_at),
        "token_prefix": m.token_prefix,
        "state": member_state(m, now),
    }
