"""The record's rows for ``SqlTx`` (a mixin): the Merkle tree's perfect subtrees, the signed
checkpoints, the line's name and key, and the event rows as the tree hashes them.

Only perfect subtrees are stored (``record_node``: about two rows per event); every proof is
assembled from them in one indexed query (``record.tree``). The tree is extended under its own
lock, so recording never waits on the writers of notices, whose events it follows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

import sqlalchemy as sa

from deconfliction.record.entry import EventTuple
from deconfliction.record.tree import NodeRow
from deconfliction.store import schema
from deconfliction.store.base import EventRow, StoredCheckpoint
from deconfliction.store.codec import dt_from_us, dt_to_us

__all__ = ["RECORD_LOCK", "RecordRows"]

RECORD_LOCK = 0x6465_636F_7265_636F
"""PostgreSQL advisory lock key of whoever extends the record ("decoreco")."""

_N = schema.record_node
_C = schema.record_checkpoint
_L = schema.record_line
_E = schema.event
_EVENT_COLUMNS = (_E.c.seq, _E.c.kind, _E.c.at_us, _E.c.subject, _E.c.party, _E.c.told, _E.c.body)


_COPY_NODES = "COPY record_node (level, idx, hash) FROM STDIN (FORMAT BINARY)"
_SIZE = "SELECT COALESCE(MAX(idx) + 1, 0) FROM record_node WHERE level = 0"
_LEAVES = "SELECT idx, hash FROM record_node WHERE level = 0 AND idx >= ? AND idx < ? ORDER BY idx"
_EVENTS_AFTER = (
    "SELECT seq, kind, at_us, subject, party, told, body FROM event WHERE seq > ? ORDER BY seq "
    "LIMIT ?"
)


def _checkpoint(r: Any) -> StoredCheckpoint:
    return StoredCheckpoint(
        size=r.size, at=dt_from_us(r.at_us), root=bytes(r.root), note=r.note
    )  # fmt: skip


@cache
def _nodes_sql(n: int) -> str:
    terms = " OR ".join(["(level = ? AND idx = ?)"] * n)
    return f"SELECT level, idx, hash FROM record_node WHERE {terms}"


class RecordRows:
    """The record methods of ``store.repos.RecordRepo``; mixed into ``SqlTx``."""

    _conn: sa.Connection
    _dialect: str

    def lock_record(self) -> None:
        # SQLite: BEGIN IMMEDIATE already took the database's single write lock.
        if self._dialect == "postgresql":
            self._conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": RECORD_LOCK})

    def record_size(self) -> int:
        # a driver query: SQLAlchemy's building of this select cost half of a proof's time
        return int(self._raw_rows(_SIZE, ())[0][0])

    def count_record_nodes(self) -> int:
        # SQLite counts the cells of every page of the table, reading each page once, in order
        return int(self._raw_rows("SELECT count(*) FROM record_node", ())[0][0])

    def record_nodes(self, ids: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        # One (level = ? AND idx = ?) term per node: SQLite answers each from the primary key,
        # where a row-value IN list of more than one pair makes it scan the whole table.
        rows = self._raw_rows(_nodes_sql(len(wanted)), tuple(v for node in wanted for v in node))
        return {(level, idx): bytes(h) for level, idx, h in rows}

    def add_record_nodes(self, nodes: Sequence[NodeRow]) -> None:
        if not nodes:
            return
        if self._dialect == "postgresql":
            # COPY: one stream for the whole batch, where executemany costs a round trip's
            # worth of driver work per row (three quarters of advance's time on PostgreSQL)
            raw = cast(Any, self._conn.connection.dbapi_connection)
            with raw.cursor() as cursor, cursor.copy(_COPY_NODES) as copy:
                copy.set_types(["int2", "int8", "bytea"])
                for node in nodes:
                    copy.write_row(node)
            return
        self._conn.exec_driver_sql(
            "INSERT INTO record_node (level, idx, hash) VALUES (?, ?, ?)", list(nodes)
        )

    def _chunks(self, query: sa.Select[Any], size: int = 10_000) -> Iterator[list[Any]]:
        """The rows of ``query`` as lists of plain tuples, ``size`` at a time, on a cursor of the
        driver's own (server-side on PostgreSQL): ``record verify`` reads millions of rows, and
        SQLAlchemy's row objects would cost a third of its time."""
        sql = str(query.compile(dialect=self._conn.dialect, compile_kwargs={"literal_binds": True}))
        raw = self._conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor(name="record_stream") if self._dialect == "postgresql" else raw.cursor()
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(size):
                yield cast(list[Any], rows)
        finally:
            cursor.close()

    def _stream(self, query: sa.Select[Any]) -> Iterator[tuple[Any, ...]]:
        for rows in self._chunks(query):
            yield from rows

    def _raw_rows(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """Every row of one short driver query (``?`` marks), as plain tuples."""
        raw = self._conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            cursor.execute(sql.replace("?", "%s") if self._dialect == "postgresql" else sql, params)
            return cast(list[Any], cursor.fetchall())
        finally:
            cursor.close()

    def leaf_hashes(self, start: int, end: int) -> Iterator[tuple[int, bytes]]:
        """(index, leaf hash) for the stored leaves in ``[start, end)``, in order."""
        query = (
            sa.select(_N.c.idx, _N.c.hash)
            .where(_N.c.level == 0, _N.c.idx >= int(start), _N.c.idx < int(end))
            .order_by(_N.c.idx)
        )
        for idx, h in self._stream(query):
            yield idx, bytes(h)

    def leaf_rows(self, start: int, end: int) -> list[tuple[int, bytes]]:
        """(index, leaf hash) for the stored leaves in ``[start, end)``, in order, as a list."""
        return self._raw_rows(_LEAVES, (int(start), int(end)))

    def event_rows(self, after: int, limit: int | None = None) -> Iterator[EventRow]:
        """The stored event rows after sequence number ``after``, as stored, in order."""
        query = sa.select(*_EVENT_COLUMNS).where(_E.c.seq > int(after)).order_by(_E.c.seq)
        if limit is not None:
            query = query.limit(int(limit))
        return map(EventRow._make, self._stream(query))

    def event_row_chunks(self, after: int, size: int = 10_000) -> Iterator[list[EventTuple]]:
        """The stored event rows after ``after``, in order, ``size`` at a time, each a plain
        tuple of ``EventRow``'s fields: the whole log, read without an object per event."""
        query = sa.select(*_EVENT_COLUMNS).where(_E.c.seq > int(after)).order_by(_E.c.seq)
        return self._chunks(query, size)

    def event_row_list(self, after: int, limit: int) -> list[EventTuple]:
        """Up to ``limit`` stored event rows after ``after``, in order, as plain tuples."""
        return self._raw_rows(_EVENTS_AFTER, (int(after), int(limit)))

    def add_checkpoint(self, size: int, at: datetime, root: bytes, note: str) -> None:
        self._conn.execute(
            _C.insert().values(size=size, at_us=dt_to_us(at), root=root, note=note)
        )  # fmt: skip

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        row = self._conn.execute(sa.select(_C).order_by(_C.c.size.desc()).limit(1)).first()
        return None if row is None else _checkpoint(row)

    def get_checkpoint(self, size: int) -> StoredCheckpoint | None:
        row = self._conn.execute(sa.select(_C).where(_C.c.size == size)).first()
        return None if row is None else _checkpoint(row)

    def checkpoints(self) -> Iterator[StoredCheckpoint]:
        query = sa.select(_C).order_by(_C.c.size)
        with self._conn.execute(query.execution_options(yield_per=10_000)) as result:
            for r in result:
                yield _checkpoint(r)

    def record_line(self) -> tuple[str, str] | None:
        row = self._conn.execute(sa.select(_L.c.origin, _L.c.vkey)).first()
        return None if row is None else (row.origin, row.vkey)

    def set_record_line(self, origin: str, vkey: str, at: datetime) -> None:
        self._conn.execute(_L.insert().values(origin=origin, vkey=vkey, created_us=dt_to_us(at)))

    def event_rows_about(
        self, subjects: Sequence[str], containing: Sequence[str] = ()
    ) -> list[EventRow]:
        """Stored events whose subject is among ``subjects`` or whose body contains any of the
        ``containing`` texts (for evidence: rare, and narrowed further by the caller)."""
        conditions: list[sa.ColumnElement[bool]] = []
        if subjects:
            conditions.append(_E.c.subject.in_(list(subjects)))
        conditions += [_E.c.body.contains(text, autoescape=True) for text in containing]
        if not conditions:
            return []
        query = sa.select(*_EVENT_COLUMNS).where(sa.or_(*conditions)).order_by(_E.c.seq)
        return [EventRow(*r) for r in self._conn.execute(query)]
