"""The body of a tlog checkpoint (c2sp.org/tlog-checkpoint), the head of the line's record that a
signed note carries: written and read strictly, one spelling per checkpoint.

A checkpoint's text is the origin line, the tree size in decimal (no leading zero), the standard
base64 of the 32-byte root hash, then optional non-empty extension lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deconfliction.record.notetext import NoteError, b64, b64decode, check_text, shown

__all__ = ["Checkpoint"]

_MAX_SIZE = 2**64 - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


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
