"""C2SP signed notes (c2sp.org/signed-note) and tlog checkpoints (c2sp.org/tlog-checkpoint), with
Ed25519 keys: how the line signs the head of its record so that anyone can check it.

Hand-written because no well-kept Python library implements C2SP signed notes; the crypto itself
is ``cryptography``'s Ed25519. The rules, in our words:

- A note is UTF-8 with no control character but the newline: a text ending in a newline, a blank
  line, then signature lines ``— <name> <base64>\\n`` (em dash U+2014, space). The text may hold
  blank lines itself; the last blank line of the note is the separator.
- A signature line's base64 holds the 4-byte key id, then the signature over the text (with its
  final newline, without the blank line). For Ed25519 the key id is the first 4 bytes of
  SHA-256(name || 0x0A || 0x01 || public key).
- A key name is non-empty, with no white space and no ``+``. Keys are written
  ``<name>+<8 hex id>+<base64(0x01 || public key)>`` (vkey) and
  ``PRIVATE+KEY+<name>+<8 hex id>+<base64(0x01 || 32-byte seed)>`` (skey).
- A reader ignores signatures by keys it does not know (name and id must both match), rejects
  the note if one by a known key fails, and rejects it unless one by a known key verifies.
- A checkpoint's text is the origin line, the tree size in decimal (no leading zero), the
  standard base64 of the 32-byte root hash, then optional non-empty extension lines.

>>> signer = Signer.generate("line.example/record")
>>> note = sign_checkpoint(Checkpoint("line.example/record", 2, bytes(32)), signer)
>>> note.splitlines()[:4]
['line.example/record', '2', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', '']
>>> open_checkpoint(note, signer.verifier()).size
2
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from deconfliction.record.notetext import NoteError, b64, b64decode, check_text, is_utf8, shown

__all__ = [
    "Checkpoint",
    "NoteError",
    "Signer",
    "Verifier",
    "open_checkpoint",
    "open_note",
    "public_key_from_text",
    "sign_checkpoint",
    "sign_note",
    "valid_name",
    "verify_signature",
]

_ED25519 = b"\x01"
_DASH = "\u2014 "
# Go's x/mod/sumdb/note stops at 100; the spec asks readers to take at least 16.
_MAX_SIGNATURES = 100
_MAX_SIZE = 2**64 - 1
_HEX_ID = re.compile(r"[0-9a-f]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


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


def sign_note(text: str, *signers: Signer) -> str:
    """``text``, a blank line, and one signature line per signer, in the order given.

    >>> s = Signer.generate("a.example")
    >>> sign_note("hello\\n", s).startswith("hello\\n\\n\\u2014 a.example ")
    True
    """
    if not text.endswith("\n"):
        raise NoteError("the note text does not end in a newline")
    check_text(text, "note text")
    if not signers:
        raise NoteError("a note needs at least one signer")
    raw = text.encode("utf-8")
    lines = (f"{_DASH}{s.name} {b64(s.key_id + s.sign(raw))}\n" for s in signers)
    return text + "\n" + "".join(lines)


def open_note(note: str, *verifiers: Verifier) -> str:
    """The text of ``note`` once a signature by one of ``verifiers`` verifies; NoteError if not.

    Signatures by other keys are ignored (a log may be cosigned by witnesses we do not follow);
    one by a known key that fails rejects the whole note.
    """
    return _open(note, verifiers, "note")


def _open(note: str, verifiers: tuple[Verifier, ...], what: str) -> str:
    if not verifiers:
        raise NoteError(f"no key was given to check the {what} with")
    known: dict[tuple[str, bytes], Verifier] = {}
    for v in verifiers:
        if known.setdefault((v.name, v.key_id), v) != v:
            raise NoteError(f"two keys given share the name and key id {v.name}+{v.key_id.hex()}")
    check_text(note, what)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError(f"the {what} has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise NoteError(f"the {what} has no signature after its blank line")
    if not block.endswith("\n"):
        raise NoteError(f"the last signature line of the {what} does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > _MAX_SIGNATURES:
        raise NoteError(f"the {what} has {len(lines)} signatures, more than {_MAX_SIGNATURES}")
    raw_text = text.encode("utf-8")
    verified = False
    for line in lines:
        name, _, sig64 = line.removeprefix(_DASH).partition(" ")
        raw = b64decode(sig64)
        if not line.startswith(_DASH) or not valid_name(name) or raw is None or len(raw) < 5:
            raise NoteError(f"the {what}'s line {shown(line)} is not a signature line")
        verifier = known.get((name, raw[:4]))
        if verifier is None:
            continue
        if not verifier.verify(raw_text, raw[4:]):
            raise NoteError(
                f"the signature by {name}+{raw[:4].hex()} does not verify: "
                f"the {what} was changed or forged"
            )
        verified = True
    if not verified:
        expected = " or ".join(f"{n}+{k.hex()}" for n, k in known)
        raise NoteError(f"the {what} is not signed by {expected}")
    return text


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The head of a log: ``size`` leaves under the RFC 6962 Merkle root ``root`` (32 bytes),
    issued by the log named ``origin``; ``extensions`` are opaque extra lines.

    >>> cp = Checkpoint("line.example/record", 10, bytes(range(32)))
    >>> Checkpoint.parse(cp.text()) == cp
    True
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for n, line in enumerate((self.origin, *self.extensions), start=1):
            if line == "" or "\n" in line:
                part = "origin" if n == 1 else "an extension line"
                raise NoteError(f"the checkpoint's {part} {shown(line)} is empty or has a newline")
            check_text(line, "checkpoint")
        if isinstance(self.size, bool) or not 0 <= self.size <= _MAX_SIZE:
            raise NoteError(f"the tree size {self.size!r} is not a whole number from 0 to 2^64-1")
        if len(self.root) != 32:
            raise NoteError(f"the root hash is {len(self.root)} bytes, not 32 (SHA-256)")

    def text(self) -> str:
        """The note text: origin, size, base64 root, extensions, each line ending in a newline."""
        lines = (self.origin, str(self.size), b64(self.root), *self.extensions)
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint's note text strictly, as ``text()`` writes it."""
        if not text.endswith("\n"):
            raise NoteError("the checkpoint does not end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError(f"the checkpoint has {len(lines)} lines, not at least 3")
        for n, line in enumerate(lines, start=1):
            if not line:
                raise NoteError(f"line {n} of the checkpoint is empty")
        origin, size, root64, *extensions = lines
        if not _DECIMAL.fullmatch(size):
            raise NoteError(f"line 2 of the checkpoint is {shown(size)}, not a tree size")
        root = b64decode(root64)
        if root is None or len(root) != 32:
            raise NoteError(f"line 3 of the checkpoint is {shown(root64)}, not a 32-byte root")
        return cls(origin, int(size), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The checkpoint as a note signed by ``signer``."""
    return sign_note(checkpoint.text(), signer)


def open_checkpoint(note: str, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """The checkpoint in ``note`` once ``verifier``'s signature holds (and its origin is
    ``origin``, when given)."""
    checkpoint = Checkpoint.parse(_open(note, (verifier,), "checkpoint"))
    if origin is not None and (got := checkpoint.origin) != origin:
        raise NoteError(f"the checkpoint is of the log {shown(got)}, not {shown(origin)}")
    return checkpoint


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
