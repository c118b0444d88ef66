"""An SQLite store syncs every commit to disk unless told otherwise (``synchronous=FULL``: a write
acknowledged survives a power cut); ``normal`` is the explicit, faster choice; the environment
and ``serve``'s flag reach it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from deconfliction.config import Environment
from deconfliction.store import open_store

# PRAGMA synchronous answers 2 for FULL, 1 for NORMAL.
LEVELS = {"full": 2, "normal": 1}


@pytest.mark.parametrize("sync", [None, "full", "normal"])
def test_sqlite_commits_are_synced_unless_told_otherwise(tmp_path: Path, sync: str | None) -> None:
    url = f"sqlite:///{tmp_path / 'line.db'}"
    store = open_store(url) if sync is None else open_store(url, sync)
    try:
        with store.engine.connect() as conn:
            level = conn.execute(sa.text("PRAGMA synchronous")).scalar_one()
            mode = conn.execute(sa.text("PRAGMA journal_mode")).scalar_one()
    finally:
        store.close()
    assert level == LEVELS[sync or "full"]
    assert mode == "wal"


def test_an_unknown_sync_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="full"):
        open_store(f"sqlite:///{tmp_path / 'line.db'}", "off")


def test_the_environment_names_the_setting() -> None:
    assert Environment.read({"DECONFLICTION_SQLITE_SYNC": "normal"}).sqlite_sync == "normal"
    assert Environment.read({}).sqlite_sync is None
