"""What the record's pure parts raise: one base, so a front door maps them in one place.

RecordError
├── NoteError        a note, checkpoint or key that is malformed, or whose signature fails
├── StatementError   a body with no canonical JSON form
├── ProofError       a proof that cannot be built or does not verify
└── KeyFileError     a key file that is missing, unsafe, or not a signer key
"""

from __future__ import annotations

__all__ = ["RecordError"]


class RecordError(ValueError):
    """Something the record was given does not hold; the message says what, in one sentence."""
