"""A lease one node holds at a time (the scanner's): a PostgreSQL session advisory lock.

Several ``serve`` processes over one PostgreSQL database each run the background scan loop; only
the one that holds the lease scans. The lease is ``pg_try_advisory_lock`` taken on a connection of
its own, held for the life of that session: when the holder dies, its connection closes, the
server ends the session and the lock is free; another node's next try (every scan interval) takes
it. TCP keepalives on both ends bound how long a holder that vanished without closing (a machine
gone, a cable cut) keeps it: about 11 s. A holder whose connection broke (the server restarted)
loses the lease and tries again like any other node. Scans reconcile under the notice write lock,
so even two scanners at once (a holder cut off while another took over) never open one encounter
twice: the lease saves work, it does not guard correctness.

The key is derived from the lease's name and the connection's schema, so lines that share a
database in separate schemas (the tests do) each have their own lease.

SQLite is one process's file: its lease is always held.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

__all__ = ["AdvisoryLease", "AlwaysHeld", "Lease", "lease_key"]

_log = logging.getLogger(__name__)

_KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
              "keepalives_count": 3, "tcp_user_timeout": 11_000, "connect_timeout": 5}  # fmt: skip
"""This end notices a server gone silent in ~11 s."""
_SERVER_KEEPALIVE = (
    "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3"
)
"""The server notices a holder gone silent in ~11 s (and ends its session: the lock is free)."""


class Lease(Protocol):
    def hold(self) -> bool:
        """Take the lease if no one holds it; whether this process holds it now."""

    def release(self) -> None:
        """Let it go (another node may take it at once)."""


class AlwaysHeld:
    """SQLite's lease: one process per database file."""

    def hold(self) -> bool:
        return True

    def release(self) -> None:
        pass


def lease_key(name: str, schema: str) -> int:
    """The advisory lock's key: a signed 64-bit number from the lease's name and the schema."""
    digest = hashlib.blake2b(f"deconfliction lease\0{name}\0{schema}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class AdvisoryLease:
    """A session advisory lock on a connection of its own, to the database at ``url``.

    ``pg_stat_activity.application_name`` names the lease and the node (host and pid), so an
    operator sees who holds it.
    """

    def __init__(self, url: sa.URL, name: str) -> None:
        self.name = name
        self.holder = f"deconfliction {name} lease {socket.gethostname()}:{os.getpid()}"
        given = url.query.get("options") or ""
        given = given if isinstance(given, str) else " ".join(given)
        options = f"{given} {_SERVER_KEEPALIVE}".strip()
        self._engine = sa.create_engine(
            url.difference_update_query(["options"]),
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={**_KEEPALIVE, "options": options, "application_name": self.holder},
        )
        self._conn: sa.Connection | None = None
        self._key: int | None = None
        self._held = False
        self._failing = False

    def hold(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self._engine.connect()
                schema = str(self._conn.execute(sa.text("SELECT current_schema()")).scalar_one())
                self._key = lease_key(self.name, schema)
            if self._held:
                self._conn.execute(sa.text("SELECT 1"))  # the session, and so the lock, lives
            else:
                took = self._conn.execute(
                    sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}
                ).scalar_one()
                self._held = bool(took)
                if self._held:
                    _log.info("this node holds the %s lease", self.name)
            self._failing = False
        except sa.exc.SQLAlchemyError as exc:
            if not self._failing or self._held:
                _log.warning(
                    "the %s lease: the database is away (%s); trying again",
                    self.name,
                    str(exc).splitlines()[0],
                )
            self._failing = True
            self._drop()
        return self._held

    def release(self) -> None:
        if self._held and self._conn is not None:
            # unlocked at once, not when the server gets round to ending the session (which a
            # busy server does a moment after the connection closes): the next node takes over
            try:
                self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            except sa.exc.SQLAlchemyError:
                pass  # the session is gone, and the lock with it
        self._drop()
        self._engine.dispose()

    def _drop(self) -> None:
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except sa.exc.SQLAlchemyError:
                pass
