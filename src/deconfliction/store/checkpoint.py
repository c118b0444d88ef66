"""Background WAL checkpoints for the embedded SQLite store.

SQLite's automatic checkpoint runs inside whichever commit crosses its threshold: that writer waits
while pages are copied back into the database file and the file is synced, which at a million
volumes made one create in a hundred take over 100 ms. Here a daemon thread checkpoints in PASSIVE
mode on its own connection every half second instead: it never blocks a writer, and commits stay
short. Durability does not change: a committed transaction is safe in the WAL either way. The
automatic checkpoint stays on with a high threshold, as a backstop if this thread falls behind.
"""

from __future__ import annotations

import sqlite3
import threading

__all__ = ["BACKSTOP_PAGES", "Checkpointer"]

BACKSTOP_PAGES = 100_000
"""WAL pages (of 4 KiB) after which a commit checkpoints by itself, as SQLite would."""


class Checkpointer:
    """Checkpoint the WAL of the SQLite file at ``path`` every ``interval_s`` seconds."""

    def __init__(self, path: str, interval_s: float = 0.5) -> None:
        self.path = path
        self.interval_s = interval_s
        self.last: tuple[int, int, int] | None = None
        """SQLite's answer to the last checkpoint: (busy, frames in the WAL, frames copied)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=1.0, check_same_thread=False)
        try:
            while not self._stop.wait(self.interval_s):
                try:
                    row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error:
                    continue  # busy or locked: the next round will do
                self.last = (int(row[0]), int(row[1]), int(row[2]))
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
