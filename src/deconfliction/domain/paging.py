"""Pages of a list: the items, and where the next page starts (keyset paging, never an offset).

A list's order is a key of two parts, e.g. (detected_at, id), newest first: a page ends at the key
of its last item, and the next starts strictly after it, so an item is never told twice nor
skipped while the list grows. A front door writes the key as an opaque cursor (``wire.cursor``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Key", "Page", "page_of"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
"""Items in one page: by default, and at most."""

Key = tuple[datetime, str] | tuple[str, str]
"""Where an item sits in its list: (an instant, an id) or (a party, a uid)."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page: ``items`` in the list's order and ``after``, the key the next page starts after
    (``None``: the list ends here)."""

    items: list[T]
    after: Key | None = None


def page_of(rows: Sequence[T], limit: int, key: Callable[[T], Key]) -> Page[T]:
    """The page of ``rows``, fetched ``limit + 1`` at a time: one more row says more follow.

    >>> page_of(["a", "b", "c"], 2, lambda s: (s, s))
    Page(items=['a', 'b'], after=('b', 'b'))
    >>> page_of(["a"], 2, lambda s: (s, s))
    Page(items=['a'], after=None)
    """
    if len(rows) <= limit:
        return Page(list(rows))
    items = list(rows[:limit])
    return Page(items, key(items[-1]))
