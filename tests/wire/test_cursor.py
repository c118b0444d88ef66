"""Cursors: opaque, tied to their list, holding only the key of the last item told."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson
import pytest

from deconfliction.errors import InvalidInput
from deconfliction.wire import read_cursor, read_slug_cursor, write_cursor

AT = datetime(2026, 12, 6, 8, 0, 0, 123456, tzinfo=UTC)


def test_round_trip_to_the_microsecond() -> None:
    c = write_cursor("conflicts", (AT, "c-1"))
    assert read_cursor(c, "conflicts") == (AT, "c-1")
    assert "=" not in c and "+" not in c and "/" not in c  # base64url, unpadded: fits a query
    assert read_cursor(None, "conflicts") is None
    assert read_slug_cursor(write_cursor("tracks", ("blue", "u:1")), "tracks") == ("blue", "u:1")


def test_it_holds_the_list_and_the_key_only() -> None:
    c = write_cursor("notices", (AT, "n-1"))
    raw = orjson.loads(base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)))
    assert raw == ["notices", 1796544000123456, "n-1"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "!!!",
        "bm90IGpzb24",  # not JSON
        write_cursor("notices", (AT, "n-1")),  # another list's
        base64.urlsafe_b64encode(b'["conflicts", "x", "c-1"]').decode(),
        base64.urlsafe_b64encode(b'["conflicts", true, "c-1"]').decode(),
        base64.urlsafe_b64encode(b'["conflicts", 1e300, "c-1"]').decode(),
        base64.urlsafe_b64encode(b'["conflicts", 99999999999999999999, "c-1"]').decode(),
        base64.urlsafe_b64encode(b'["conflicts", 1, 2]').decode(),
        base64.urlsafe_b64encode(b'{"conflicts": 1}').decode(),
        "é",
    ],
)
def test_anything_else_is_refused_at_query_cursor(text: str) -> None:
    with pytest.raises(InvalidInput) as e:
        read_cursor(text, "conflicts")
    assert e.value.pointer == "/query/cursor"
    with pytest.raises(InvalidInput):
        read_slug_cursor(write_cursor("conflicts", (AT, "c")), "tracks")
