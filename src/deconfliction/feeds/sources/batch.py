"""What a running feed counts, and how it batches its reports: the newest report of each track,
sent once a second (or once ``max_reports`` are waiting) through a sink that stores them, in
batches the line accepts (at most ``MAX_REPORTS``); only a batch that failed for a passing cause
is held to be sent again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from deconfliction.domain.limits import MAX_REPORTS
from deconfliction.errors import InvalidInput, PayloadTooLarge, PermissionDenied

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
``POST /v1/tracks``. Raises ``Stopped`` when the feed may no longer report, ``PayloadTooLarge``
when the batch is too large (it is split), ``InvalidInput`` when the line refuses the batch as a
whole (it is dropped, counted rejected), any other error when it should be tried again."""


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
    dropped: int = 0
    """Datagrams dropped past the per-second bound (``readers.MAX_DATAGRAMS_S``)."""
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
            + (f", {self.dropped:,} datagrams dropped" if self.dropped else "")
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
        """Send what is held in batches of at most ``max_reports`` (and ``MAX_REPORTS``); on a
        passing failure keep what is unsent (unless newer came meanwhile) and raise.

        A batch refused as too large is split in halves and each sent; one refused as invalid is
        dropped and counted rejected: sending either again unchanged would be refused forever.
        """
        if not self._held:
            return
        held, self._held = list(self._held.values()), {}
        self._full.clear()
        size = max(1, min(self.max_reports, MAX_REPORTS))
        todo = [held[k : k + size] for k in range(0, len(held), size)]
        while todo:
            batch = todo.pop(0)
            try:
                outcome = await self.sink(batch)
            except PayloadTooLarge as e:
                if len(batch) > 1:
                    half = len(batch) // 2
                    todo[:0] = [batch[:half], batch[half:]]
                    continue
                outcome = Outcome(0, 0, [f"refused as too large: {e}"])
            except Stopped:
                raise
            except InvalidInput as e:
                outcome = Outcome(0, 0, [f"batch refused: {e}"] * len(batch))
            except Exception:
                for r in (r for b in [batch, *todo] for r in b):
                    self._held.setdefault(r["uid"], r)
                raise
            self._count(batch, outcome)

    def _count(self, batch: list[dict[str, Any]], outcome: Outcome) -> None:
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
