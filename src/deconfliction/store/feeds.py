"""Feeds, a party's standing connections to outside sources of tracks: the contract
(``FeedRepo``) and its rows for ``SqlTx`` (a mixin: same connection, same transaction)."""

from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy as sa

from deconfliction.domain.feed import Feed, FeedKind
from deconfliction.store import schema
from deconfliction.store.codec import dt_from_us, dt_to_us

__all__ = ["FeedRepo", "FeedRows"]

_F = schema.feed


def _feed(r: Any) -> Feed:
    return Feed(
        id=r.id, party=r.party, kind=FeedKind(r.kind), source=r.source, member=r.member,
        created_at=dt_from_us(r.created_us), options=r.options,
    )  # fmt: skip


class FeedRepo(Protocol):
    """The line's feeds (``store.feeds``)."""

    def add_feed(self, feed: Feed) -> None: ...
    def get_feed(self, feed_id: str) -> Feed | None: ...
    def list_feeds(self) -> list[Feed]:
        """Every feed, oldest first (then by id)."""

    def drop_feed(self, feed_id: str) -> None: ...


class FeedRows:
    """The methods of ``FeedRepo``; mixed into ``SqlTx``."""

    _conn: sa.Connection

    def add_feed(self, feed: Feed) -> None:
        self._conn.execute(
            _F.insert().values(
                id=feed.id,
                party=feed.party,
                kind=feed.kind.value,
                source=feed.source,
                options=feed.options,
                member=feed.member,
                created_us=dt_to_us(feed.created_at),
            )  # fmt: skip
        )

    def get_feed(self, feed_id: str) -> Feed | None:
        row = self._conn.execute(sa.select(_F).where(_F.c.id == feed_id)).first()
        return None if row is None else _feed(row)

    def list_feeds(self) -> list[Feed]:
        rows = self._conn.execute(sa.select(_F).order_by(_F.c.created_us, _F.c.id))
        return [_feed(r) for r in rows]

    def drop_feed(self, feed_id: str) -> None:
        self._conn.execute(_F.delete().where(_F.c.id == feed_id))
