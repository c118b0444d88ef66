"""C2SP signed notes (c2sp.org/signed-note): how the line signs the head of its record, a tlog
checkpoint, with an Ed25519 key so that anyone can check it; every name of the format is here.

Hand-written because no well-kept Python library implements C2SP signed notes; the crypto itself
is ``cryptography``'s Ed25519. This module writes and reads notes; the keys are in
``record.keys``, the checkpoint's text in ``record.checkpoint``, the text rules all three share
in ``record.notetext``. The rules of a note, in our words:

- A note is UTF-8 with no control character but the newline: a text ending in a newline, a blank
  line, then signature lines ``— <name> <base64>\\n`` (em dash U+2014, space). The text may hold
  blank lines itself; the last blank line of the note is the separator.
- A signature line's base64 holds the 4-byte key id, then the signature over the text (with its
  final newline, without the blank line).
- A reader ignores signatures by keys it does not know (name and id must both match), rejects
  the note if one by a known key fails, and rejects it unless one by a known key verifies.

>>> signer = Signer.generate("line.example/record")
>>> note = sign_checkpoint(Checkpoint("line.example/record", 2, bytes(32)), signer)
>>> note.splitlines()[:4]
['line.example/record', '2', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', '']
>>> open_checkpoint(note, signer.verifier()).size
2
"""

from __future__ import annotations

from deconfliction.record.checkpoint import Checkpoint
from deconfliction.record.keys import (
    Signer,
    Verifier,
    public_key_from_text,
    valid_name,
    verify_signature,
)
from deconfliction.record.notetext import NoteError, b64, b64decode, check_text, shown

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

_DASH = "\u2014 "
# Go's x/mod/sumdb/note stops at 100; the spec asks readers to take at least 16.
_MAX_SIGNATURES = 100


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
