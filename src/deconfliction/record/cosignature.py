"""Witness cosignatures of checkpoints (c2sp.org/tlog-cosignature, the Ed25519 kind): how a
party that has proven a checkpoint consistent says so, in a form anyone can check.

The rules we follow, in our words (tlog-cosignature v1, Ed25519):

- A cosignature is one more signature line of the checkpoint's signed note:
  ``— <cosigner name> base64(key id || timestamp || signature)``.
- Its key id is the first 4 bytes of SHA-256(name || 0x0A || 0x04 || 32-byte public key): the
  algorithm byte is 0x04, not the 0x01 of the log's own key, so the same key under the same name
  never yields a note signature and a cosignature that could be taken for each other.
- The timestamp is the cosigner's time of signing, seconds since the Epoch, an unsigned 64-bit
  big-endian integer no greater than 2^63 - 1.
- What is signed is ``cosignature/v1\\n``, ``time <timestamp in decimal>\\n``, then the
  checkpoint's whole note text (origin, size, root, any extension lines, each with its newline;
  no signature line).
- It says: at that time, the largest consistent tree the cosigner had seen of the log named by
  the origin has this root.
- A cosigner's public key may be written as a verifier key of type 0x04.

>>> w = Signer.generate("party-key")
>>> cp = Checkpoint("line.example/record", 7, bytes(32))
>>> line = cosign(cp, w, "line.example/record/witness/red", 1_700_000_000)
>>> v = Cosigner.from_public_key("line.example/record/witness/red", w.verifier().public_key)
>>> v.verify(cp, line)
1700000000
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deconfliction.record.checkpoint import Checkpoint
from deconfliction.record.keys import Signer, valid_name
from deconfliction.record.notetext import NoteError, b64, b64decode, shown

__all__ = [
    "MAX_TIMESTAMP",
    "Cosigner",
    "ParsedCosignature",
    "cosign",
    "cosigned_at",
    "cosigned_message",
    "parse_cosignature",
    "witness_name",
]

_ALGORITHM = b"\x04"
MAX_TIMESTAMP = 2**63 - 1
_DASH = "\u2014 "
_HEX_ID = re.compile(r"[0-9a-f]{8}")


def witness_name(origin: str, party: str) -> str:
    """The cosigner name of ``party``'s members on the line named ``origin``.

    >>> witness_name("deconfliction-line/88bbd52e", "red")
    'deconfliction-line/88bbd52e/witness/red'
    """
    return f"{origin}/witness/{party}"


def cosigned_at(timestamp: int) -> str:
    """A cosignature's time as UTC text (RFC 3339, whole seconds); a time past year 9999 is
    shown as that year's end.

    >>> cosigned_at(1727964367)
    '2024-10-03T14:06:07Z'
    """
    try:
        when = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, ValueError, OSError):
        when = datetime.max.replace(tzinfo=UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + _ALGORITHM + public_key).digest()[:4]


def cosigned_message(checkpoint: Checkpoint, timestamp: int) -> bytes:
    """The bytes a cosignature signs: the header line, the time line, the checkpoint's text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"the cosignature's time {timestamp} is not from 0 to 2^63-1")
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint.text()}".encode()


def cosign(checkpoint: Checkpoint, signer: Signer, name: str, timestamp: int) -> str:
    """The signature line (no newline) by which ``signer``, as the cosigner ``name``, says it saw
    ``checkpoint`` as the largest consistent tree of its log at ``timestamp``."""
    if not valid_name(name):
        raise NoteError(f"the cosigner name {shown(name)} is empty or has a space or '+'")
    public_key = signer.verifier().public_key
    signature = signer.sign(cosigned_message(checkpoint, timestamp))
    raw = _key_id(name, public_key) + struct.pack(">Q", timestamp) + signature
    return f"{_DASH}{name} {b64(raw)}"


@dataclass(frozen=True, slots=True)
class ParsedCosignature:
    """A cosignature line taken apart; nothing about it is verified yet."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes


def parse_cosignature(line: str) -> ParsedCosignature:
    """Read ``— <name> <base64>`` (a trailing newline is allowed); NoteError says what is wrong.

    >>> try:
    ...     parse_cosignature("\u2014 w.example AAAA")
    ... except NoteError as e:
    ...     print(e)
    the cosignature holds 3 bytes, not 76 (key id, time, signature)
    """
    text = line.removesuffix("\n")
    if not text.startswith(_DASH):
        raise NoteError(
            f"the cosignature {shown(text)} does not start with '— ' (an em dash and a space)"
        )
    name, _, sig64 = text.removeprefix(_DASH).partition(" ")
    if not valid_name(name):
        raise NoteError(f"the cosigner name {shown(name)} is empty or has a space or '+'")
    raw = b64decode(sig64)
    if raw is None:
        raise NoteError("the cosignature's signature is not canonical standard base64")
    if len(raw) != 4 + 8 + 64:
        raise NoteError(f"the cosignature holds {len(raw)} bytes, not 76 (key id, time, signature)")
    (timestamp,) = struct.unpack(">Q", raw[4:12])
    if timestamp > MAX_TIMESTAMP:
        raise NoteError(f"the cosignature's time {timestamp} is greater than 2^63-1")
    return ParsedCosignature(name, raw[:4], timestamp, raw[12:])


@dataclass(frozen=True, slots=True)
class Cosigner:
    """The public half of a cosigner: checks cosignatures by ``name`` with ``public_key``.

    >>> c = Cosigner.from_public_key("w.example", bytes(range(32)))
    >>> Cosigner.from_vkey(c.vkey()) == c
    True
    """

    name: str
    public_key: bytes
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        if not valid_name(self.name):
            raise NoteError(f"the cosigner name {shown(self.name)} is empty or has a space or '+'")
        if len(self.public_key) != 32:
            raise NoteError(f"an Ed25519 public key is 32 bytes, not {len(self.public_key)}")
        object.__setattr__(self, "key_id", _key_id(self.name, self.public_key))

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> Cosigner:
        return cls(name, bytes(public_key))

    @classmethod
    def from_vkey(cls, vkey: str) -> Cosigner:
        """Parse ``<name>+<8 hex id>+<base64(0x04 || public key)>``."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not _HEX_ID.fullmatch(parts[1]):
            raise NoteError("the cosigner key is not of the form <name>+<8 hex id>+<key>")
        name, hex_id, key64 = parts
        raw = b64decode(key64)
        if raw is None or len(raw) != 33 or raw[:1] != _ALGORITHM:
            raise NoteError("the cosigner key is not base64 of 0x04 and a 32-byte Ed25519 key")
        made = cls(name, raw[1:])
        if made.key_id.hex() != hex_id:
            raise NoteError(f"the key id {hex_id} does not match the cosigner's name and key")
        return made

    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{b64(_ALGORITHM + self.public_key)}"

    def verify(self, checkpoint: Checkpoint, line: str) -> int:
        """The time of ``line``, once it is this cosigner's valid cosignature of
        ``checkpoint``; NoteError naming what does not hold."""
        parsed = parse_cosignature(line)
        if parsed.name != self.name:
            raise NoteError(f"the cosignature is by {shown(parsed.name)}, not {shown(self.name)}")
        if parsed.key_id != self.key_id:
            raise NoteError(
                f"the cosignature's key id {parsed.key_id.hex()} is not that of the key "
                f"{self.key_id.hex()} registered for {self.name}"
            )
        message = cosigned_message(checkpoint, parsed.timestamp)
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(parsed.signature, message)
        except InvalidSignature:
            raise NoteError(
                f"the cosignature does not verify over checkpoint {checkpoint.size} "
                f"(root {b64(checkpoint.root)})"
            ) from None
        return parsed.timestamp
