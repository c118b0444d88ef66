"""Persistence: open (and migrate) the line's database, SQLite embedded or PostgreSQL.

``open_store(url)`` returns a ``Store`` (see ``store.base``); where the database is comes from the
line's configuration (``deconfliction.config``).
"""

from __future__ import annotations

from deconfliction.store.base import Box4, ConflictQuery, NoticeQuery, Store, Tx, VolumeRow
from deconfliction.store.engine import make_engine, normalise_url
from deconfliction.store.migrate import upgrade
from deconfliction.store.sqlstore import SqlStore, SqlTx

__all__ = [
    "Box4",
    "ConflictQuery",
    "NoticeQuery",
    "SqlStore",
    "SqlTx",
    "Store",
    "Tx",
    "VolumeRow",
    "open_store",
]


def open_store(url: str, sqlite_sync: str = "full") -> SqlStore:
    """Open the database at ``url``, apply pending migrations, and return the store.

    ``url`` is an SQLAlchemy URL (``sqlite:///path.db``, ``postgresql://user@host/db``) or a
    plain file path, taken as SQLite. ``sqlite_sync`` is SQLite's ``synchronous`` (``"full"``,
    durable through a power cut, or ``"normal"``; see ``store.engine``).
    """
    url = normalise_url(url)
    engine = make_engine(url, sqlite_sync)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return SqlStore(url, engine)
