"""A duty on a clock: a daemon thread that calls one function every few seconds until stopped."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Periodic"]

_log = logging.getLogger(__name__)


class Periodic:
    """Calls ``duty()`` every ``interval_s`` seconds in a daemon thread until stopped."""

    def __init__(self, interval_s: float, duty: Callable[[], object], name: str) -> None:
        self.interval_s = interval_s
        self.duty = duty
        self.failures = 0
        self.last_ok: float | None = None
        """When (``time.monotonic()``) the duty last ran without failing, or was started."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self.last_ok = time.monotonic()
        self._thread.start()

    @property
    def name(self) -> str:
        return self._thread.name

    @property
    def alive(self) -> bool:
        """Whether its thread runs (started, not stopped, not dead)."""
        return self._thread.is_alive() and not self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.duty()
                self.last_ok = time.monotonic()
            except Exception:  # a duty must outlive one failure; the log says why
                self.failures += 1
                _log.exception("%s failed", self._thread.name)
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))
