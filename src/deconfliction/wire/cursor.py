"""Cursors: where the next page of a list starts, written as an opaque token.

A cursor is base64url (no padding) of a small JSON array: the list's name, then the key of the
last item its page told (instants as integer microseconds since the epoch). It says no more than
that item, which the party was told already; a cursor made for another list, or not made by the
line, is refused with the pointer ``/query/cursor``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta

import orjson

from deconfliction.domain.paging import Key
from deconfliction.errors import InvalidInput

__all__ = ["POINTER", "read_cursor", "read_slug_cursor", "write_cursor"]

POINTER = "/query/cursor"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_MAX_US = (datetime(9999, 1, 1, tzinfo=UTC) - _EPOCH) // _US


def write_cursor(list_name: str, key: Key) -> str:
    """The cursor for the page after ``key`` in the list ``list_name``.

    >>> write_cursor("tracks", ("blue", "lead"))
    'WyJ0cmFja3MiLCJibHVlIiwibGVhZCJd'
    """
    first: int | str = key[0] if isinstance(key[0], str) else (key[0] - _EPOCH) // _US
    raw = orjson.dumps([list_name, first, key[1]])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _refuse(list_name: str) -> InvalidInput:
    return InvalidInput(
        f"cursor is not one this line gave for {list_name}: pass the `next` of the previous "
        "page unchanged",
        POINTER,
    )


def _read(text: str, list_name: str) -> tuple[object, str]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        doc = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise _refuse(list_name) from None
    if not (isinstance(doc, list) and len(doc) == 3 and doc[0] == list_name):
        raise _refuse(list_name)
    if not isinstance(doc[2], str):
        raise _refuse(list_name)
    return doc[1], doc[2]


def read_cursor(text: str | None, list_name: str) -> tuple[datetime, str] | None:
    """The (instant, id) key a cursor of ``list_name`` holds; ``None`` for no cursor.

    >>> at = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    >>> read_cursor(write_cursor("conflicts", (at, "c-1")), "conflicts") == (at, "c-1")
    True
    """
    if text is None:
        return None
    first, last = _read(text, list_name)
    if isinstance(first, bool) or not isinstance(first, int) or abs(first) > _MAX_US:
        raise _refuse(list_name)
    return (_EPOCH + first * _US, last)


def read_slug_cursor(text: str | None, list_name: str) -> tuple[str, str] | None:
    """The (slug, id) key a cursor of ``list_name`` holds (tracks: party and uid).

    >>> read_slug_cursor(write_cursor("tracks", ("blue", "lead")), "tracks")
    ('blue', 'lead')
    """
    if text is None:
        return None
    first, last = _read(text, list_name)
    if not isinstance(first, str):
        raise _refuse(list_name)
    return (first, last)
