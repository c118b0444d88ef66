"""The text rules that C2SP signed notes, their keys and checkpoints share (UTF-8 with no control
character but the newline, canonical standard base64), and the one error all of them raise.
"""

from __future__ import annotations

import base64
import binascii
import re

from deconfliction.record.errors import RecordError

__all__ = ["NoteError", "b64", "b64decode", "check_text", "is_utf8", "shown"]

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


class NoteError(RecordError):
    """A note, checkpoint or key that is malformed, or whose signature does not hold."""


def is_utf8(text: str) -> bool:
    """Whether ``text`` has a UTF-8 form.

    >>> is_utf8("\u2014"), is_utf8(chr(0xD800))
    (True, False)
    """
    # A Python str can hold lone surrogates, which have no UTF-8 form.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(text: str, what: str) -> None:
    """NoteError, naming ``what``, unless ``text`` is UTF-8 with no control but the newline."""
    if not is_utf8(text):
        raise NoteError(f"the {what} is not valid UTF-8")
    bad = _CONTROL.search(text)
    if bad:
        raise NoteError(f"the {what} holds the control character {bad.group()!r}")


def shown(text: str) -> str:
    """``text`` quoted for an error message, cut short so hostile input stays readable."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def b64decode(text: str) -> bytes | None:
    """The bytes of canonical standard base64 ``text``, or None; one value has one spelling.

    >>> b64decode("AAE="), b64decode("AAF="), b64decode("AA E=")
    (b'\\x00\\x01', None, None)
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def b64(raw: bytes) -> str:
    """``raw`` as standard base64 text."""
    return base64.b64encode(raw).decode("ascii")
