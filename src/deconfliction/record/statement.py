"""What a member signs when it acknowledges or sends something, so that it cannot later deny it.

A member registers an Ed25519 public key with the line (``PUT /v1/members/me/key``). An
acknowledgement or a message may then carry ``signature``: the standard base64 of the member's
Ed25519 signature (RFC 8032) over a *statement*, the RFC 8785 canonical JSON (UTF-8) of:

- acknowledging version ``v`` of notice ``n``:
  ``{"act": "acknowledge", "line": <origin>, "notice": n, "version": v}``
- acknowledging message ``m`` on thread ``t``:
  ``{"act": "acknowledge", "line": <origin>, "thread": t, "message": m}``
- sending a message (request, reply, note, withdraw) on thread ``t``:
  ``{"act": "send", "line": <origin>, "thread": t, "message": <body>}`` where ``<body>`` is the
  JSON body posted, as the client wrote it, less its ``"signature"`` member.

``<origin>`` is the line's name (``GET /v1/record/key``), so a statement made for one line cannot
be replayed on another. Canonical JSON sorts keys and fixes the spelling of every value, so any
client that parses what it posts can rebuild the very bytes it signs; the line keeps the statement
text beside the signature (``Signed``), and both go into the record.

>>> ack_notice("line.example", "n-1", 3)
b'{"act":"acknowledge","line":"line.example","notice":"n-1","version":3}'
>>> send("line.example", "t-1", {"kind": "note", "text": "Thank you.", "signature": "..."})
b'{"act":"send","line":"line.example","message":{"kind":"note","text":"Thank you."},"thread":"t-1"}'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

from deconfliction.record.errors import RecordError
from deconfliction.record.keys import verify_signature

__all__ = ["Signed", "StatementError", "ack_message", "ack_notice", "send"]


class StatementError(RecordError):
    """A body that has no canonical JSON form (a number beyond what RFC 8785 can spell)."""


def _canonical(value: Mapping[str, Any]) -> bytes:
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as e:
        raise StatementError(f"the body has no canonical JSON form (RFC 8785): {e}") from None


def ack_notice(origin: str, notice: str, version: int) -> bytes:
    """The statement that version ``version`` of notice ``notice`` was acknowledged."""
    return _canonical({"act": "acknowledge", "line": origin, "notice": notice, "version": version})


def ack_message(origin: str, thread: str, message: str) -> bytes:
    """The statement that message ``message`` on thread ``thread`` was acknowledged."""
    return _canonical({"act": "acknowledge", "line": origin, "thread": thread, "message": message})


def send(origin: str, thread: str, body: Mapping[str, Any]) -> bytes:
    """The statement that ``body`` (the message's JSON body, parsed) was sent on ``thread``; a
    ``"signature"`` member of ``body`` is left out."""
    message = {k: v for k, v in body.items() if k != "signature"}
    return _canonical({"act": "send", "line": origin, "thread": thread, "message": message})


@dataclass(frozen=True, slots=True)
class Signed:
    """A signature the line verified: member ``member`` signed ``statement`` (the text of the
    canonical bytes) with the key it had registered, ``key`` (the standard base64 of its 32
    bytes); ``signature`` is the base64 of the 64 bytes.

    The statement names no signer, so who is shown as ``member`` may change with the reader
    (its id to its own party, a label to others: ``domain.labels``) and the signature still
    holds; ``key`` is what a checker looks its registration up by. Signatures recorded before
    keys were named have ``key`` ``None`` and name the member by id.

    >>> s = Signed("m-1", '{"act":"acknowledge"}', "c2ln", "a2V5")
    >>> Signed.from_json(s.to_json()) == s
    True
    >>> Signed.from_json({"member": "m-1", "statement": "{}", "signature": "c2ln"}).key is None
    True
    """

    member: str
    statement: str
    signature: str
    key: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"member": self.member, "statement": self.statement, "signature": self.signature}
        if self.key is not None:
            out["key"] = self.key
        return out

    @classmethod
    def from_json(cls, value: Any) -> Signed:
        """Read ``to_json``'s form back; ``ValueError`` for anything else."""
        if not isinstance(value, Mapping):
            raise ValueError("a signed record is a JSON object")
        member, statement, signature = (value.get(k) for k in ("member", "statement", "signature"))
        if not all(isinstance(v, str) for v in (member, statement, signature)):
            raise ValueError("a signed record has member, statement and signature strings")
        key = value.get("key")
        if key is not None and not isinstance(key, str):
            raise ValueError("a signed record's key is a base64 string")
        return cls(str(member), str(statement), str(signature), key)

    def verifies(self, public_key: bytes) -> bool:
        """Whether the signature holds over the statement under ``public_key`` (32 raw bytes)."""
        return verify_signature(public_key, self.statement.encode("utf-8"), self.signature)
