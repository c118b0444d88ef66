"""Reading the served tables whole, for ``record verify`` to hold them to the event log: the
contract (``AuditRepo``) and its rows for ``SqlTx`` (a mixin: same connection, same
transaction).

Rows come page by page in primary-key order (keyset paging: no cursor stays open while the
caller asks for the events it compares them with), as the database holds them; turning them
into domain values is the caller's, so that a row too broken to read is a finding, not a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import sqlalchemy as sa

from deconfliction.store import schema
from deconfliction.store.values import EventRow

__all__ = ["SERVED", "AuditRepo", "AuditRows"]

_E = schema.event
_M = schema.message
_MR = schema.message_receipt
_MB = schema.member
_EVENTS_AT = "SELECT seq, kind, at_us, subject, party, told, body FROM event WHERE seq IN"

SERVED: dict[str, tuple[sa.Table, tuple[str, ...]]] = {
    "notice": (schema.notice, ("id",)),
    "notice_version": (schema.notice_version, ("notice_id", "version")),
    "conflict": (schema.conflict, ("id",)),
    "track_conflict": (schema.track_conflict, ("id",)),
    "conflict_ack": (schema.conflict_ack, ("conflict_id", "party")),
    "thread": (schema.thread, ("id",)),
    "thread_party": (schema.thread_party, ("thread_id", "party")),
    "message": (schema.message, ("id",)),
    "receipt": (schema.receipt, ("notice_id", "version", "party")),
    "message_receipt": (schema.message_receipt, ("message_id", "party")),
    "member": (schema.member, ("id",)),
}
"""The tables ``record verify`` re-derives from the event log, each with its primary key."""


def _select(table: str) -> sa.Select[Any]:
    t, _ = SERVED[table]
    if table == "message_receipt":  # with its message's thread, as the domain value holds it
        return sa.select(_MR, _M.c.thread_id).outerjoin(_M, _M.c.id == _MR.c.message_id)
    if table == "member":  # never the token hashes
        return sa.select(_MB.c.id, _MB.c.party, _MB.c.public_key, _MB.c.key_registered_us)
    return sa.select(t)


class AuditRepo(Protocol):
    """Whole-table reads for the audit of the served state (``store.audit``)."""

    def hold_snapshot(self) -> None:
        """Make every later read of this transaction see one snapshot of the database (call it
        first): the log and the tables it is compared with must not move apart meanwhile."""

    def served_page(self, table: str, after: tuple[Any, ...] | None, limit: int) -> list[Any]:
        """Up to ``limit`` rows of ``table`` (a key of ``SERVED``) after the primary key
        ``after``, in primary-key order; each has the table's columns as attributes."""

    def events_at(self, seqs: Iterable[int]) -> dict[int, EventRow]:
        """The stored events with these sequence numbers, by sequence number."""


class AuditRows:
    """The methods of ``AuditRepo``; mixed into ``SqlTx``."""

    _conn: sa.Connection
    _dialect: str

    def hold_snapshot(self) -> None:
        # SQLite: a read transaction keeps the snapshot of its first read until it ends.
        if self._dialect == "postgresql":
            self._conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    def served_page(self, table: str, after: tuple[Any, ...] | None, limit: int) -> list[Any]:
        t, key = SERVED[table]
        columns = [t.c[name] for name in key]
        query = _select(table)
        if after is not None:
            query = query.where(sa.tuple_(*columns) > sa.tuple_(*after))
        return list(self._conn.execute(query.order_by(*columns).limit(int(limit))))

    def events_at(self, seqs: Iterable[int]) -> dict[int, EventRow]:
        wanted: Sequence[int] = sorted(set(seqs))
        out: dict[int, EventRow] = {}
        mark = "%s" if self._dialect == "postgresql" else "?"
        for i in range(0, len(wanted), 500):
            chunk = tuple(wanted[i : i + 500])
            sql = f"{_EVENTS_AT} ({', '.join([mark] * len(chunk))})"
            out.update((r[0], EventRow(*r)) for r in self._conn.exec_driver_sql(sql, chunk))
        return out
