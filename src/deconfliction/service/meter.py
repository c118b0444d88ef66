"""What the use cases count for the operator (notices changed, conflicts opened, scans), as a
port: a front door attaches a sink (``api/metrics.py`` binds it to Prometheus), and a line with
none attached counts nothing and costs a method call.

The use cases call :class:`Meters` after their transaction commits, so a write that failed is
never counted; the sink gets plain names and numbers (no domain objects, no library), so
nothing below the front doors imports a metrics library. Hand-written: it is a list of
callbacks, which no library is needed for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Protocol

from deconfliction.domain import ConflictKind, Severity

__all__ = ["Meter", "Meters", "Opened"]


class Opened(Protocol):
    """A conflict just opened: strategic (``Conflict``) or on tracks (``TrackConflict``)."""

    @property
    def kind(self) -> ConflictKind: ...
    @property
    def severity(self) -> Severity: ...


class Meter(Protocol):
    """A sink for what the line counts."""

    def notice_changed(self, change: str) -> None:
        """A notice was ``created``, ``updated`` or ``withdrawn``."""

    def conflict_opened(self, kind: str, severity: str) -> None:
        """A conflict of ``kind`` opened at ``severity``."""

    def scanned(self, tracks: int, elapsed_s: float) -> None:
        """A scan of ``tracks`` live tracks took ``elapsed_s`` seconds."""


class Meters:
    """The sinks attached to one line (none by default); what the use cases call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sinks: tuple[Meter, ...] = ()

    def attach(self, sink: Meter) -> Callable[[], None]:
        """Send what is counted to ``sink`` too, until the function returned is called."""
        with self._lock:
            self._sinks = (*self._sinks, sink)

        def detach() -> None:
            with self._lock:
                self._sinks = tuple(s for s in self._sinks if s is not sink)

        return detach

    def notice(self, change: str, opened: Iterable[Opened] = ()) -> None:
        """A notice ``change`` committed, with the conflicts it opened."""
        for sink in self._sinks:
            sink.notice_changed(change)
        self.opened(opened)

    def opened(self, conflicts: Iterable[Opened]) -> None:
        sinks = self._sinks
        if not sinks:
            return
        for c in conflicts:
            for sink in sinks:
                sink.conflict_opened(c.kind.value, c.severity.value)

    def scanned(self, tracks: int, elapsed_s: float, opened: Iterable[Opened] = ()) -> None:
        for sink in self._sinks:
            sink.scanned(tracks, elapsed_s)
        self.opened(opened)
