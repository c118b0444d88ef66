"""The feeds as a front door of ``serve``: every stored feed runs on the server's event loop,
feeds added or removed are picked up within ``poll_s``, and no feed's failure reaches the
server (each is logged, and the feed started again at the next look)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from deconfliction import service
from deconfliction.config import LineConfig
from deconfliction.domain.feed import Feed
from deconfliction.errors import PermissionDenied
from deconfliction.feeds.sources.batch import Outcome, Sink, Stats, Stopped
from deconfliction.feeds.sources.run import run_feed
from deconfliction.service import Line

__all__ = ["Supervisor", "feeds_door", "line_sink"]

log = logging.getLogger("deconfliction.feeds")


def line_sink(line: Line, feed_id: str) -> Sink:
    """Stores a batch as the feed's member, in a worker thread (the store blocks)."""

    async def send(batch: list[dict[str, Any]]) -> Outcome:
        try:
            r = await asyncio.to_thread(service.feed_report, line, feed_id, batch)
        except PermissionDenied as e:
            raise Stopped(e.reason, e.pointer) from None
        return Outcome(r.accepted, r.ignored, [f"{e.pointer}: {e.reason}" for e in r.rejected])

    return send


class Supervisor:
    """Runs the line's feeds; ``stats`` holds each running feed's counts by feed id."""

    def __init__(self, line: Line, poll_s: float = 3.0, interval_s: float = 1.0) -> None:
        self.line, self.poll_s, self.interval_s = line, poll_s, interval_s
        self.stats: dict[str, Stats] = {}
        self._tasks: dict[str, asyncio.Task[Stats]] = {}
        self._look = asyncio.Event()

    def look(self) -> None:
        """Look at the stored feeds now rather than at the next poll."""
        self._look.set()

    def _start(self, feed: Feed) -> None:
        stats = self.stats.setdefault(feed.id, Stats())
        run = run_feed(feed, line_sink(self.line, feed.id), self.line.clock, stats,
                       interval_s=self.interval_s)  # fmt: skip
        self._tasks[feed.id] = asyncio.create_task(run, name=f"feed {feed.id}")
        log.info("feed %s (%s, party %s) started", feed.id, feed.name, feed.party)

    def _reap(self, feed_id: str, task: asyncio.Task[Stats]) -> None:
        del self._tasks[feed_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("feed %s failed (started again at the next look): %r", feed_id,
                      task.exception())  # fmt: skip

    async def _sync(self) -> None:
        feeds = {f.id: f for f in await asyncio.to_thread(service.running_feeds, self.line)}
        for feed_id, task in list(self._tasks.items()):
            if task.done():
                self._reap(feed_id, task)
            elif feed_id not in feeds:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                del self._tasks[feed_id]
                log.info("feed %s stopped: removed", feed_id)
        for feed_id, feed in feeds.items():
            if feed_id not in self._tasks:
                self._start(feed)

    async def run(self) -> None:
        while True:
            try:
                await self._sync()
            except Exception:  # the store is busy or away: look again later
                log.exception("could not look at the line's feeds")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._look.wait(), self.poll_s)
            self._look.clear()

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()


@contextlib.asynccontextmanager
async def feeds_door(line: Line, config: LineConfig) -> AsyncIterator[Supervisor]:
    """The front door ``serve`` opens when ``config.feeds`` (``cli.server.front_doors``)."""
    supervisor = Supervisor(line, config.feed_poll_s)
    watching = asyncio.create_task(supervisor.run(), name="feeds")
    try:
        yield supervisor
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        await supervisor.stop()
