"""One feed running: its source read (and read again, with backoff, whenever it goes away) and
its reports batched into a sink, until the feed is removed or the task is cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from deconfliction.domain.feed import Feed
from deconfliction.feeds.sources.batch import Batcher, Sink, Stats, Stopped
from deconfliction.feeds.sources.readers import Clock, read_source

__all__ = ["Backoff", "run_feed"]

log = logging.getLogger("deconfliction.feeds")


class Backoff:
    """Waits between attempts: doubling from ``first_s`` to ``most_s``, with jitter, and back to
    ``first_s`` after a connection that held for ``steady_s``."""

    def __init__(self, first_s: float = 0.5, most_s: float = 30.0, steady_s: float = 10.0):
        self.first_s, self.most_s, self.steady_s = first_s, most_s, steady_s
        self.next_s = first_s

    def after(self, lasted_s: float) -> float:
        if lasted_s >= self.steady_s:
            self.next_s = self.first_s
        wait = self.next_s * random.uniform(0.8, 1.0)
        self.next_s = min(self.next_s * 2, self.most_s)
        return wait


async def run_feed(
    feed: Feed,
    sink: Sink,
    clock: Clock,
    stats: Stats | None = None,
    backoff: Backoff | None = None,
    interval_s: float = 1.0,
) -> Stats:
    """Run ``feed`` until it is stopped (removed, revoked) or cancelled; its counts."""
    stats = stats or Stats()
    backoff = backoff or Backoff()
    batcher = Batcher(sink, stats, interval_s)
    loop = asyncio.get_running_loop()
    sending = asyncio.create_task(batcher.run(), name=f"feed {feed.id} batches")
    reading: asyncio.Task[None] | None = None
    try:
        while not sending.done():
            began = loop.time()
            reading = asyncio.create_task(read_source(feed, batcher, clock))
            done, _ = await asyncio.wait({reading, sending}, return_when=asyncio.FIRST_COMPLETED)
            if sending in done:
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reading
                break
            why = reading.exception() or ConnectionError("the source ended")
            stats.failures += 1
            stats.last_error = f"{type(why).__name__}: {why}"[:300]
            wait = backoff.after(loop.time() - began)
            log.warning("feed %s (%s): %s; trying again in %.1f s", feed.id, feed.name,
                        stats.last_error, wait)  # fmt: skip
            done, _ = await asyncio.wait({sending}, timeout=wait)
        error = sending.exception()
        if isinstance(error, Stopped):
            log.warning("feed %s (%s) stopped: %s", feed.id, feed.name, error.reason)
        elif error is not None:
            raise error
    finally:
        if reading is not None:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reading
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sending
        with contextlib.suppress(Exception):  # what was read last still goes to the line
            await asyncio.wait_for(batcher.flush(), 5.0)
        # told when it stops (at least WARNING, which a server without logging set up prints)
        log.warning("feed %s (%s) closed: %s", feed.id, feed.name, stats.summary())
    return stats
