"""A member's registered public key, and a signature it made, as the line's JSON
(``key.registered`` events, the API, and the ``signed`` member of receipts and messages).

Who the member is depends on the reader (``domain.labels``): the caller passes the ``Naming``.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

from deconfliction.domain.labels import Naming
from deconfliction.domain.party import MemberKey
from deconfliction.record.statement import Signed
from deconfliction.wire.time import utc_z

__all__ = ["key_json", "key_text", "signed_json"]


def key_text(k: MemberKey) -> str:
    """The public key as the line writes it: the standard base64 of its 32 bytes."""
    return base64.b64encode(k.public_key).decode("ascii")


def key_json(k: MemberKey, name: Naming) -> dict[str, Any]:
    return {
        "party": k.party,
        "member": name(k.party, k.member),
        "public_key": key_text(k),
        "registered_at": utc_z(k.registered_at),
    }


def signed_json(s: Signed, party: str, name: Naming) -> dict[str, str]:
    """The signature of a member of ``party``, its signer named for the reader."""
    return replace(s, member=name(party, s.member)).to_json()
