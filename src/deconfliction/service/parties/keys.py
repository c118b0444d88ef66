"""Members' keys and signatures: register the Ed25519 key a member signs with, and check that a
signed acknowledgement or message was signed by it (the statements: ``record.statement``).

A registered key is an event told to every party (``key.registered``): anyone who holds the
record can then check every signature in it, without trusting the line. The event names the
key's party and a label of the member that tells nothing (``domain.labels``), not its id; a
signature names the key it verifies with.
"""

from __future__ import annotations

import base64
import binascii

from deconfliction.domain import Member
from deconfliction.domain.party import MemberKey
from deconfliction.errors import InvalidInput, NotFound
from deconfliction.record import RecordError, public_key_from_text, verify_signature
from deconfliction.record.statement import Signed
from deconfliction.service.line import Line
from deconfliction.service.told import key_event
from deconfliction.store.base import Tx
from deconfliction.wire import key_text

__all__ = ["member_key", "register_key", "signed_by"]

REGISTER_FIRST = "register a public key first (PUT /v1/members/me/key)"


def register_key(line: Line, actor: Member, text: str) -> MemberKey:
    """The actor registers (or replaces) its own public key: the base64 of 32 bytes or a C2SP
    verifier key. Registering the key already registered changes nothing; a key another member
    holds is refused (one key, one member: a signature names one signer)."""
    try:
        public_key = public_key_from_text(text)
    except RecordError as e:
        raise InvalidInput(
            f"{e}; give the base64 of an Ed25519 public key", "/public_key"
        ) from None
    now = line.clock()
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        current = tx.member_key(actor.id)
        if current is not None and current.public_key == public_key:
            return current
        if tx.key_holder(public_key) is not None:
            raise InvalidInput(
                "this public key is registered by another member; one key, one member: make "
                "a key of your own",
                "/public_key",
            )
        tx.set_member_key(actor.id, public_key, now)
        key = MemberKey(actor.id, actor.party, public_key, now)
        logged = tx.append_events([key_event(key, line.labels)])
    line.signal.notify(logged[-1].seq)
    return key


def member_key(line: Line, actor: Member) -> MemberKey:
    """The actor's registered key (NotFound if it has none)."""
    with line.store.read() as tx:
        key = tx.member_key(actor.id)
    if key is None:
        raise NotFound(f"you have no public key registered; {REGISTER_FIRST}", "")
    return key


def _is_signature(text: str) -> bool:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == 64


def signed_by(
    tx: Tx, actor: Member, statement: bytes, signature: str, expected: str = ""
) -> Signed:
    """The record of ``signature``, once it verifies over ``statement`` with the actor's key.

    ``InvalidInput`` at ``/signature`` otherwise, saying what to sign (``expected``, or the
    statement itself) so the member can see what differs.
    """
    if not _is_signature(signature):
        raise InvalidInput(
            "the signature is not the standard base64 of a 64-byte Ed25519 signature",
            "/signature",
        )
    key = tx.member_key(actor.id)
    if key is None:
        raise InvalidInput(REGISTER_FIRST, "/signature")
    if not verify_signature(key.public_key, statement, signature):
        raise InvalidInput(
            "the signature does not verify over the statement for this line; sign "
            f"{expected or statement.decode()} with your registered key",
            "/signature",
        )
    return Signed(actor.id, statement.decode(), signature, key_text(key))
