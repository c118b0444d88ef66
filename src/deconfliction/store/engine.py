"""Engines set up for the line: SQLite in WAL mode with BEGIN IMMEDIATE writers; psycopg 3.

SQLite's settings: WAL with ``synchronous=FULL`` by default, so a commit returns only once the WAL
is synced to disk and a notice the line acknowledged survives a power cut or an OS crash (as
PostgreSQL's ``synchronous_commit = on`` does). ``synchronous=NORMAL`` (``sqlite_sync="normal"``,
``serve --sqlite-sync normal``) skips that sync: every commit still survives a crash of the
process, but a power cut may roll back the last transactions after the client was told 201 —
faster, and an explicit choice. ``foreign_keys`` on, and a busy timeout so
writers queue for the single write lock instead of failing. Reads go through a memory map and a
256 MiB page cache: the candidate query and the need-to-know lookups touch pages all over a
multi-gigabyte file, and each page read through ``read()`` costs a system call.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import StaticPool

from deconfliction.store.checkpoint import BACKSTOP_PAGES

__all__ = ["BUSY_TIMEOUT_S", "SQLITE_SYNC", "make_engine", "normalise_url", "sqlite_path"]

BUSY_TIMEOUT_S = 30.0

SQLITE_SYNC = ("full", "normal")
"""SQLite's ``synchronous`` settings the line accepts, the durable one first (the default)."""


def normalise_url(url: str) -> str:
    """A plain path means SQLite; ``postgresql://`` means the psycopg 3 driver."""
    if "://" not in url:
        return f"sqlite:///{url}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite database at ``url``; ``None`` for another database or memory."""
    parsed = sa.make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _owner_only(path: Path) -> None:
    """Make the database file, empty, readable by its owner only, if it is not there yet.

    SQLite gives the ``-wal`` and ``-shm`` files it makes later the mode of the database file,
    so all three hold the parties' notices and the tokens' hashes for the owner's eyes only,
    whatever the process's umask.
    """
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError:
        pass  # there already; or it cannot be made, which SQLite will say in its own words


def make_engine(url: str, sqlite_sync: str = "full") -> sa.Engine:
    """The engine for ``url``; ``sqlite_sync`` ("full" or "normal") is SQLite's ``synchronous``."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if sqlite_sync not in SQLITE_SYNC:
            raise ValueError(f"sqlite_sync must be one of {SQLITE_SYNC}, not {sqlite_sync!r}")
        return _sqlite_engine(parsed, sqlite_sync)
    # READ COMMITTED whatever the server's default: a writer that waited for the notice write
    # lock must see what the writer before it committed, or a conflict could be missed.
    # pre-ping: after the server restarts (or fails over), a pooled connection is found dead at
    # checkout and replaced, instead of failing the request that drew it.
    return sa.create_engine(
        parsed,
        pool_size=10,
        max_overflow=20,
        isolation_level="READ COMMITTED",
        pool_pre_ping=True,
    )


def _sqlite_engine(url: sa.URL, sync: str) -> sa.Engine:
    memory = url.database in (None, "", ":memory:")
    if not memory and not str(url.database).startswith("file:"):
        _owner_only(Path(str(url.database)))
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
    }
    if memory:  # one connection, shared: the database lives and dies with it
        kwargs["poolclass"] = StaticPool
    else:  # reuse the most recently used connection: its page cache is the warm one
        kwargs["pool_use_lifo"] = True
    engine = sa.create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred only).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={sync.upper()}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA cache_size=-262144")
        cursor.execute("PRAGMA mmap_size=17179869184")
        cursor.execute("PRAGMA temp_store=MEMORY")
        # Checkpoints run in the background (store/checkpoint.py); this is only the backstop.
        cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine
