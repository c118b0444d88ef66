"""The event log for ``SqlTx`` (a mixin): append with the next sequence numbers, read in order.

Appends happen inside write transactions that hold the line's write lock (SQLite's single
writer; PostgreSQL's advisory lock), so ``MAX(seq) + 1`` is gap-free and never taken twice. The
body is stored as RFC 8785 canonical JSON, the form a record of the log will hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson
import sqlalchemy as sa

from deconfliction.domain import Event, EventKind
from deconfliction.record.canonical import canonical_json
from deconfliction.store import schema
from deconfliction.store.bulk import BulkRows
from deconfliction.store.codec import audience_from_text, audience_to_text, dt_from_us, dt_to_us

__all__ = ["EventRows"]

_E = schema.event
_MAX_SEQ = "SELECT coalesce(max(seq), 0) FROM event"
_max_seq = sa.text(_MAX_SEQ)


def event_from_row(r: Any) -> Event:
    return Event(
        seq=r.seq,
        kind=EventKind(r.kind),
        at=dt_from_us(r.at_us),
        subject=r.subject,
        party=r.party,
        told=audience_from_text(r.told),
        body=orjson.loads(r.body),
    )


class EventRows(BulkRows):
    """The event methods of ``store.repos.EventRepo``; mixed into ``SqlTx``."""

    def append_events(self, events: Sequence[Event]) -> list[Event]:
        if not events:
            return []
        last = self._driver_number(_MAX_SEQ)
        out = [replace(e, seq=last + i) for i, e in enumerate(events, 1)]
        # in schema.event's column order, one driver-level executemany (COPY on PostgreSQL from
        # COPY_FROM rows): a conflict-dense create appends dozens of events, and SQLAlchemy's
        # per-row work on dicts cost a quarter of it
        rows = [
            (
                e.seq,
                e.kind.value,
                dt_to_us(e.at),
                e.subject,
                e.party,
                audience_to_text(e.told),
                canonical_json(e.body),
            )
            for e in out
        ]
        self._many("event", rows)
        return out

    def last_event_seq(self) -> int:
        # readers ask it at every wake-up: through SQLAlchemy, which drops a connection that died
        return int(self._conn.execute(_max_seq).scalar_one())

    def events_after(self, after: int, party: str | None, limit: int = 1000) -> list[Event]:
        query = sa.select(_E).where(_E.c.seq > after)
        if party is not None:
            query = query.where(
                sa.or_(
                    _E.c.party == party,
                    _E.c.told == "all",
                    _E.c.told.contains(f",{party},", autoescape=False),
                )
            )
        rows = self._conn.execute(query.order_by(_E.c.seq).limit(limit))
        return [event_from_row(r) for r in rows]
