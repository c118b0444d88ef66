"""What a running feed counts, and how it batches its reports: the newest report of each track,
sent once a second (or once ``max_reports`` are waiting) through a sink that stores them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from deconfliction.errors import PermissionDenied

__all__ = ["Batcher", "Outcome", "Sink", "Stats", "Stopped"]

log = logging.getLogger("deconfliction.feeds")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the line did with a batch: stored, ignored as not newer, and rejected (why)."""

    accepted: int
    ignored: int
    rejected: list[str] = field(default_factory=list)


Sink = Callable[[list[dict[str, Any]]], Awaitable[Outcome]]
"""Stores one batch: in ``serve``, ``service.feed_report`` off the event loop; in ``feed run``,
``POST /v1/tracks``. Raises ``Stopped`` when the feed may no longer report, any other error when
the batch should be tried again."""


class Stopped(PermissionDenied):
    """The feed was removed or its member revoked: it stops."""


@dataclass
class Stats:
    """A running feed's counts since it started."""

    lines: int = 0
    """Lines, sentences or aircraft read."""
    bad: int = 0
    """Of those, skipped: garbage, half lines, absurd values."""
    reports: int = 0
    """Reports made from them (several of one track in a second count once when sent)."""
    sent: int = 0
    accepted: int = 0
    ignored: int = 0
    rejected: int = 0
    batches: int = 0
    connects: int = 0
    failures: int = 0
    """Connections lost or refused, polls and batches that failed."""
    last_error: str = ""

    def line(self, good: bool, why: str = "") -> None:
        self.lines += 1
        if not good:
            self.bad += 1
            if self.bad <= 10 or self.bad % 1000 == 0:  # say why, without flooding the log
                log.warning("bad input skipped (%d so far): %s", self.bad, why)

    def summary(self) -> str:
        return (
            f"{self.lines:,} read, {self.bad:,} bad, {self.reports:,} reports, "
            f"{self.sent:,} sent in {self.batches:,} batches: {self.accepted:,} stored, "
            f"{self.ignored:,} ignored, {self.rejected:,} rejected; {self.connects:,} "
            f"connections, {self.failures:,} failures"
        )


class Batcher:
    """Holds the newest report of each track until it is sent."""

    def __init__(self, sink: Sink, stats: Stats, interval_s: float = 1.0,
                 max_reports: int = 2000) -> None:  # fmt: skip
        self.sink = sink
        self.stats = stats
        self.interval_s = interval_s
        self.max_reports = max_reports
        self._held: dict[str, dict[str, Any]] = {}
        self._full = asyncio.Event()

    def put(self, report: dict[str, Any]) -> None:
        self.stats.reports += 1
        self._held[report["uid"]] = report  # one source tells a track's states in order
        if len(self._held) >= self.max_reports:
            self._full.set()

    async def flush(self) -> None:
        """Send what is held; on a failure keep it (unless newer came meanwhile) and raise."""
        if not self._held:
            return
        batch, self._held = list(self._held.values()), {}
        self._full.clear()
        try:
            outcome = await self.sink(batch)
        except Exception:
            for r in batch:
                self._held.setdefault(r["uid"], r)
            raise
        s = self.stats
        s.batches += 1
        s.sent += len(batch)
        s.accepted += outcome.accepted
        s.ignored += outcome.ignored
        s.rejected += len(outcome.rejected)
        for why in outcome.rejected[:3]:
            log.warning("the line rejected a report: %s", why)

    async def run(self) -> None:
        """Flush every ``interval_s``, or as soon as ``max_reports`` wait, until cancelled or
        stopped; a failed batch is tried again with the next."""
        while True:
            try:
                await asyncio.wait_for(self._full.wait(), self.interval_s)
            except TimeoutError:
                pass
            try:
                await self.flush()
            except Stopped:
                raise
            except Exception as e:  # the line is busy or away: the reports wait
                self.stats.failures += 1
                self.stats.last_error = f"sending: {e}"
                log.warning("a batch of reports could not be stored (tried again): %s", e)
                await asyncio.sleep(self.interval_s)
