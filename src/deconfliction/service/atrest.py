"""The line's files at rest: which of them others on the machine could read, and a backup of
an embedded line's database (with its signing key, if asked) made while it runs.

The database holds every party's notices in clear and the hashes of every token; the key signs
the record. Both are made owner-only (``store/engine.py``, ``record/keyfile.py``); a file made
by an older version, or loosened since, is found here before the line serves.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from deconfliction.config import LineConfig, tak_ca_path_for
from deconfliction.store.backup import backup_sqlite
from deconfliction.store.engine import sqlite_path

__all__ = ["Backup", "LooseFile", "backup", "loose_files"]


@dataclass(frozen=True)
class LooseFile:
    """A file of the line that its group or others may read or write."""

    path: Path
    mode: int
    key: bool
    """A key (the record's signing key, the TAK CA's; never served loose), not the database."""

    def __str__(self) -> str:
        return f"{self.path} (mode {self.mode:04o})"


def _database_files(url: str) -> list[Path]:
    path = sqlite_path(url)
    if path is None:
        return []
    return [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))]


def loose_files(config: LineConfig) -> list[LooseFile]:
    """The line's database files and key files (signing key, TAK CA) that exist and are open to
    group or others."""
    keys = [k for k in (config.signing_key_path, config.tak_ca_path) if k is not None]
    found = []
    for path in [*_database_files(config.db_url), *keys]:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            found.append(LooseFile(path, mode, key=path in keys))
    return found


@dataclass(frozen=True)
class Backup:
    database: Path
    size_bytes: int
    key: Path | None
    tak_ca: Path | None = None


def _copy_private(src: Path, dest: Path) -> None:
    fd = os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as out, src.open("rb") as held:
        shutil.copyfileobj(held, out)


def backup(config: LineConfig, dest: Path, with_key: bool = False) -> Backup:
    """Copy the line's SQLite database to ``dest`` (owner-only), consistent while the line
    runs; with ``with_key``, its signing key to ``dest`` with the suffix ``.key`` (where a line
    opened on the copy looks for it), and its TAK CA beside it when it has one. ``ValueError``
    for a PostgreSQL line (use ``pg_dump``), a
    ``dest`` that exists, or a key asked for that is not there."""
    key_dest = dest.with_suffix(".key") if with_key else None
    key = config.signing_key_path
    if key_dest is not None:
        if key is None or not key.is_file():
            raise ValueError(f"there is no key file at {key} to back up")
        if key_dest.exists():
            raise ValueError(f"{key_dest} exists; a backup never replaces a file")
    ca = config.tak_ca_path
    ca_dest = tak_ca_path_for(key_dest) if ca is not None and ca.is_file() else None
    if ca_dest is not None and ca_dest.exists():
        raise ValueError(f"{ca_dest} exists; a backup never replaces a file")
    size = backup_sqlite(config.db_url, dest)
    if key_dest is not None and key is not None:
        _copy_private(key, key_dest)
    if ca_dest is not None and ca is not None:
        _copy_private(ca, ca_dest)
    return Backup(dest, size, key_dest, ca_dest)
