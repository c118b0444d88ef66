"""A copy of an embedded line's database made while it runs: SQLite's online backup API, a few
hundred pages at a time (writers get in between), into a new owner-only file.

PostgreSQL has its own tools (``pg_dump``, docs/security.md); this is SQLite's.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from pathlib import Path

from deconfliction.store.engine import BUSY_TIMEOUT_S, sqlite_path

__all__ = ["backup_sqlite"]

_PAGES = 1024
"""Pages copied per step (4 MiB at the default page size)."""


def backup_sqlite(url: str, dest: Path) -> int:
    """Copy the SQLite database at ``url`` to ``dest`` (a new file, mode 0600) and return its
    size in bytes. ``ValueError`` when ``url`` is not an SQLite file or ``dest`` exists;
    ``FileNotFoundError`` when there is no database at ``url``."""
    source = sqlite_path(url)
    if source is None:
        raise ValueError(f"{url} is not an SQLite file; back a PostgreSQL line up with pg_dump")
    if not source.is_file():
        raise FileNotFoundError(f"there is no database at {source}")
    if dest.exists():
        raise ValueError(f"{dest} exists; a backup never replaces a file")
    temp = dest.with_name(f".{dest.name}.{secrets.token_hex(8)}.tmp")
    os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        # mode=rw: opening never makes a database where there was none
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True,
                              timeout=BUSY_TIMEOUT_S)  # fmt: skip
        try:
            dst = sqlite3.connect(temp)
            try:
                src.backup(dst, pages=_PAGES)
                # the copy stands alone: no -wal beside it holds part of it
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        os.link(temp, dest)  # never replaces a file that appeared meanwhile
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    return dest.stat().st_size
