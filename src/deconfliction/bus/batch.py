"""A write-behind batch: items collected from any thread, written together a moment later.

Reads that must leave a trace (a delivery is a receipt) hand their items here and return at
once; a daemon thread, started by the first item, writes what has gathered every
``interval_s`` seconds in one call, and ``flush()`` writes it now (a line that stops flushes).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

__all__ = ["Batch"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_log = logging.getLogger(__name__)


class Batch(Generic[K, V]):
    """Keyed items waiting to be written by ``write`` (which returns how many were new).

    The first value given for a key stands until it is written. A batch that fails to write is
    kept for the next one, and the thread goes on.
    """

    def __init__(self, write: Callable[[dict[K, V]], int], interval_s: float, name: str) -> None:
        self._write = write
        self._interval_s = interval_s
        self._name = name
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        """Held while a batch is written: ``flush`` waits for a write under way."""
        self._pending: dict[K, V] = {}
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def add(self, items: Iterable[tuple[K, V]]) -> None:
        with self._lock:
            for key, value in items:
                self._pending.setdefault(key, value)
            if self._pending and self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def flush(self) -> int:
        """Write what is pending now, after any write under way has ended (so that what was
        added before the call is written when it returns); what ``write`` returned (0 when
        nothing was pending)."""
        with self._writing:
            with self._lock:
                pending, self._pending = self._pending, {}
            if not pending:
                return 0
            try:
                return self._write(pending)
            except Exception:
                with self._lock:  # keep them for the next batch, ahead of what came meanwhile
                    meanwhile, self._pending = self._pending, pending
                    for key, value in meanwhile.items():
                        self._pending.setdefault(key, value)
                raise

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval_s)
            try:
                self.flush()
            except Exception:  # the thread must outlive one failed batch; the log says which
                _log.exception("writing a batch of %s failed", self._name)
