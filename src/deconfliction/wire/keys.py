"""A member's registered public key as the line's JSON (``key.registered`` events, the API)."""

from __future__ import annotations

import base64
from typing import Any

from deconfliction.domain.party import MemberKey
from deconfliction.wire.time import utc_z

__all__ = ["key_json"]


def key_json(k: MemberKey) -> dict[str, Any]:
    return {
        "party": k.party,
        "member": k.member,
        "public_key": base64.b64encode(k.public_key).decode("ascii"),
        "registered_at": utc_z(k.registered_at),
    }
