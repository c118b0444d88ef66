"""The store on SQLAlchemy Core: one implementation for SQLite and PostgreSQL.

``SqlTx`` is one transaction on one connection, made of a mixin per capability of ``store.base.Tx``
(``store.notices``, ``store.parties``, ...); ``SqlStore`` opens those transactions.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa

from deconfliction.store.audit import AuditRows
from deconfliction.store.checkpoint import Checkpointer
from deconfliction.store.conflicts import ConflictRows
from deconfliction.store.conversation import ThreadRows
from deconfliction.store.cosignatures import CosignatureRows
from deconfliction.store.engine import BUSY_TIMEOUT_S
from deconfliction.store.events import EventRows
from deconfliction.store.feeds import FeedRows
from deconfliction.store.keys import MemberKeyRows
from deconfliction.store.lease import AdvisoryLease, AlwaysHeld, Lease
from deconfliction.store.memindex import VolumeIndex
from deconfliction.store.notices import NoticeRows
from deconfliction.store.parties import PartyRows
from deconfliction.store.probing import ProbingRows
from deconfliction.store.receipts import ReceiptRows
from deconfliction.store.record import RecordRows
from deconfliction.store.tracks import TrackRows

__all__ = ["NOTICE_WRITE_LOCK", "SqlStore", "SqlTx"]

# Any constant every writer agrees on (PostgreSQL advisory lock key): "deconfln".
NOTICE_WRITE_LOCK = 0x6465_636F_6E66_6C6E


class SqlTx(
    NoticeRows,
    ConflictRows,
    PartyRows,
    MemberKeyRows,
    TrackRows,
    EventRows,
    ThreadRows,
    ReceiptRows,
    RecordRows,
    CosignatureRows,
    FeedRows,
    AuditRows,
    ProbingRows,
):
    """One transaction on one connection; see ``store.base.Tx`` for the contract."""

    def __init__(self, conn: sa.Connection, dialect: str, index: VolumeIndex | None = None) -> None:
        self._conn = conn
        self._dialect = dialect
        self._index = index
        self._pending = None

    # -- locking ------------------------------------------------------------------------------

    def lock_for_notice_write(self) -> None:
        # SQLite: BEGIN IMMEDIATE already took the database's single write lock.
        if self._dialect == "postgresql":
            self._conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": NOTICE_WRITE_LOCK}
            )

    def schema_revision(self) -> str | None:
        # Alembic's own table, read directly: its MigrationContext logs a line per call
        rows = self._conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        return rows[0][0] if len(rows) == 1 else None


class _WriterTurn:
    """A re-entrant lock that gives up as SQLite's busy timeout would ("database is locked")."""

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise sa.exc.OperationalError(
                "waiting for this process's SQLite writer", None, Exception("database is locked")
            )

    def __exit__(self, *_: object) -> None:
        self._lock.release()


class SqlStore:
    """A store on one SQLAlchemy engine (opened and migrated by ``store.open_store``)."""

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine
        self._dialect = engine.dialect.name
        # SQLite has one writer: this process's writers queue here, in order, rather than in
        # SQLite's busy handler, which sleeps and retries (up to 100 ms a turn) when many wait.
        self._writer: contextlib.AbstractContextManager[Any] = (
            _WriterTurn() if self._dialect == "sqlite" else contextlib.nullcontext()
        )
        self.volumes = VolumeIndex()
        """The active volumes in memory (``store.memindex``), built at first use."""
        path = engine.url.database
        self.checkpointer = (
            Checkpointer(path)
            if self._dialect == "sqlite" and path not in (None, "", ":memory:")
            else None
        )

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[SqlTx]:
        """One transaction: committed when the block ends, rolled back if it raises.

        On SQLite a write transaction starts with BEGIN IMMEDIATE (it takes the write lock at
        once, so a later write cannot fail on a stale snapshot); ``write=False`` starts a deferred
        one for reading.
        """
        with self._writer if write else contextlib.nullcontext(), self.engine.connect() as conn:
            if self._dialect == "sqlite":
                conn.execution_options(sqlite_begin="IMMEDIATE" if write else "DEFERRED")
            with conn.begin():
                tx = SqlTx(conn, self._dialect, self.volumes)
                yield tx
            if tx._pending is not None:  # committed: the index takes this one's notice writes
                self.volumes.apply(tx._pending)

    def warm(self) -> int:
        """Build the in-memory index of active volumes now (else the first checked write does);
        how many it holds."""
        with self.read() as tx:
            return self.volumes.warm(tx._conn)

    def lease(self, name: str) -> Lease:
        """A lease named ``name`` that one process at a time holds (``store.lease``): a session
        advisory lock on PostgreSQL; on SQLite, always held."""
        if self._dialect == "postgresql":
            return AdvisoryLease(self.engine.url, name)
        return AlwaysHeld()

    def read(self) -> AbstractContextManager[SqlTx]:
        """A read-only transaction (a deferred BEGIN on SQLite)."""
        return self.transaction(write=False)

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()
