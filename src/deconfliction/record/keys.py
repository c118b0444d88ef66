"""Ed25519 keys for C2SP signed notes (c2sp.org/signed-note): a signer and a verifier under a
name, their text forms, and the plain signature check that members' own keys are held to.

- A key name is non-empty, with no white space and no ``+``. Keys are written
  ``<name>+<8 hex id>+<base64(0x01 || public key)>`` (vkey) and
  ``PRIVATE+KEY+<name>+<8 hex id>+<base64(0x01 || 32-byte seed)>`` (skey).
- For Ed25519 the key id is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from deconfliction.record.notetext import NoteError, b64, b64decode, is_utf8, shown

__all__ = ["Signer", "Verifier", "public_key_from_text", "valid_name", "verify_signature"]

_ED25519 = b"\x01"
_HEX_ID = re.compile(r"[0-9a-f]{8}")


def valid_name(name: str) -> bool:
    """Whether ``name`` can name a key: non-empty UTF-8, no white space, no ``+``, no control.

    >>> valid_name("line.example/record"), valid_name("a b"), valid_name("a+b"), valid_name("")
    (True, False, False, False)
    """
    spaced = any(c.isspace() or c < "\x20" for c in name)
    return name != "" and "+" not in name and not spaced and is_utf8(name)


def _key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + _ED25519 + public_key).digest()[:4]


def _require_name(name: str, where: str = "") -> None:
    if not valid_name(name):
        raise NoteError(f"the key name {shown(name)}{where} is empty or has a space or '+'")


def _require_id(name: str, key_id: bytes, public_key: bytes, where: str = "") -> None:
    if key_id != _key_id(name, public_key):
        raise NoteError(f"the key id {key_id.hex()}{where} does not match its name and key")


def _parse_key(text: str, what: str) -> tuple[str, bytes, bytes]:
    """Split ``<name>+<id>+<base64(0x01 || key)>`` into name, key id and 32 key bytes."""
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise NoteError(f"the {what} is not of the form <name>+<key id>+<key>")
    name, hex_id, key64 = parts
    _require_name(name, f" in the {what}")
    if not _HEX_ID.fullmatch(hex_id):
        raise NoteError(f"the key id {shown(hex_id)} in the {what} is not 8 lowercase hex digits")
    raw = b64decode(key64)
    if not raw:
        raise NoteError(f"the key in the {what} is not base64")
    if raw[:1] != _ED25519:
        raise NoteError(f"the {what} is of algorithm 0x{raw[0]:02x}, not Ed25519 (0x01)")
    if len(raw) != 33:
        raise NoteError(f"the Ed25519 key in the {what} is {len(raw) - 1} bytes, not 32")
    return name, bytes.fromhex(hex_id), raw[1:]


@dataclass(frozen=True, slots=True)
class Verifier:
    """The public half of a note key: checks signatures by ``name`` with key id ``key_id``.

    >>> v = Verifier.from_vkey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    >>> v.name, v.key_id.hex()
    ('PeterNeumann', 'c74f20a3')
    """

    name: str
    key_id: bytes
    public_key: bytes
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _require_name(self.name)
        if len(self.public_key) != 32:
            raise NoteError(f"an Ed25519 public key is 32 bytes, not {len(self.public_key)}")
        _require_id(self.name, self.key_id, self.public_key)
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.public_key))

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> Verifier:
        """The verifier of the raw 32-byte Ed25519 ``public_key`` under ``name``."""
        _require_name(name)
        return cls(name, _key_id(name, public_key), public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse ``<name>+<8 hex id>+<base64(0x01 || public key)>``; NoteError names what is bad."""
        name, key_id, public_key = _parse_key(vkey, "verifier key")
        _require_id(name, key_id, public_key, " in the verifier key")
        return cls(name, key_id, public_key)

    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{b64(_ED25519 + self.public_key)}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``text``."""
        if len(signature) != 64:
            return False
        try:
            self._key.verify(signature, text)
        except InvalidSignature:
            return False
        return True


class Signer:
    """The private half of a note key. Its seed stays inside; ``skey()`` is the one way out."""

    __slots__ = ("_key", "key_id", "name")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _require_name(name)
        self.name = name
        self._key = private_key
        self.key_id = _key_id(name, private_key.public_key().public_bytes_raw())

    def __repr__(self) -> str:
        return f"Signer({self.name!r}, key id {self.key_id.hex()})"

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A new random key named ``name``."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+<name>+<8 hex id>+<base64(0x01 || seed)>``."""
        if not skey.startswith("PRIVATE+KEY+"):
            raise NoteError("the signer key does not start with PRIVATE+KEY+")
        name, key_id, seed = _parse_key(skey.removeprefix("PRIVATE+KEY+"), "signer key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        # The id is of the public key, so only deriving that tells a mangled seed from a good one.
        _require_id(name, key_id, signer.verifier().public_key, " in the signer key")
        return signer

    def skey(self) -> str:
        seed = self._key.private_bytes_raw()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{b64(_ED25519 + seed)}"

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_id, self._key.public_key().public_bytes_raw())

    def sign(self, text: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``text`` (deterministic, RFC 8032)."""
        return self._key.sign(text)

    def derive(self, purpose: bytes, length: int = 32) -> bytes:
        """A secret of ``length`` bytes for ``purpose``, derived from the seed (HKDF-SHA256, RFC
        5869): the line's other secrets live and die with its one key file, and knowing one
        of them tells nothing of the seed or of another.

        >>> s = Signer.generate("m")
        >>> s.derive(b"a") == s.derive(b"a") != s.derive(b"b"), len(s.derive(b"a"))
        (True, 32)
        """
        seed = self._key.private_bytes_raw()
        hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose)
        return hkdf.derive(seed)


def public_key_from_text(text: str) -> bytes:
    """The raw Ed25519 key in ``text``: the base64 of 32 bytes, or a verifier key (vkey).

    >>> vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    >>> public_key_from_text(vkey) == public_key_from_text(b64(public_key_from_text(vkey)))
    True
    """
    text = text.strip()
    raw = b64decode(text)
    if raw is not None and len(raw) == 32:
        return raw
    # A vkey's own error (a bad id, say) says more than the generic one below.
    if re.fullmatch(r"[^+\s]+\+[0-9a-f]{8}\+\S+", text):
        return Verifier.from_vkey(text).public_key
    raise NoteError("the public key is not 32 bytes of base64 (Ed25519)")


def verify_signature(public_key: bytes, message: bytes, signature_b64: str) -> bool:
    """Whether ``signature_b64`` is the base64 of ``public_key``'s Ed25519 signature of
    ``message``. False, never an exception, for anything malformed: the input is hostile.

    >>> s = Signer.generate("m")
    >>> sig = b64(s.sign(b"hi"))
    >>> verify_signature(s.verifier().public_key, b"hi", sig), verify_signature(b"", b"hi", "!")
    (True, False)
    """
    if not isinstance(signature_b64, str) or not isinstance(public_key, bytes | bytearray):
        return False
    signature = b64decode(signature_b64)
    if len(public_key) != 32 or signature is None or len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public_key)).verify(signature, message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
