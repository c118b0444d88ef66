"""A wake-up call for whoever waits on the event log: threads or asyncio tasks, any loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

__all__ = ["EventSignal"]


class EventSignal:
    """Wakes whoever waits for events newer than the ones they have (threads or asyncio tasks).

    Use cases call :meth:`notify` after their transaction commits; streams await
    :meth:`wait_async` and then read the log. Other nodes' commits arrive through
    :meth:`heard` (``bus.bridge``: NATS, or the log's head read on a timer when NATS is away);
    without a bridge, other processes' writes are caught by the waiters' own timeout and a
    re-read.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.last = 0
        self.members = 0
        """Counts :meth:`recheck_members` calls: a stream that saw another count re-checks."""
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[int]]] = set()
        self._forward: Callable[[int], None] | None = None

    def forward_to(self, publish: Callable[[int], None] | None) -> None:
        """Hand every seq :meth:`notify` is given (this process's commits) to ``publish`` too,
        which tells the other nodes; ``None`` stops it. ``publish`` must return at once."""
        self._forward = publish

    def recheck_members(self) -> None:
        """A member's token was revoked or replaced: wake every waiter, with no new events, so
        each stream checks that its member may still read."""
        with self._lock:
            self.members += 1
            waiters, self._waiters = self._waiters, set()
        for loop, fut in waiters:
            loop.call_soon_threadsafe(_settle, fut, self.last)

    def notify(self, seq: int) -> None:
        """This process committed events up to ``seq``: wake the waiters, tell the other nodes."""
        self.heard(seq)
        forward = self._forward
        if forward is not None:
            forward(seq)

    def heard(self, seq: int) -> bool:
        """The log holds events up to ``seq`` (another node said so, or the log's head was
        read): wake the waiters, and tell no one. Whether it was news (``seq`` beyond
        :attr:`last`)."""
        with self._lock:
            if seq <= self.last:
                return False
            self.last = seq
            waiters, self._waiters = self._waiters, set()
        for loop, fut in waiters:
            loop.call_soon_threadsafe(_settle, fut, seq)
        return True

    async def wait_async(self, after: int, timeout_s: float, members: int | None = None) -> int:
        """The newest known sequence number, once it passes ``after`` or the timeout ends; at
        once, too, when :attr:`members` is no longer ``members`` (a re-check the waiter missed
        while it was busy)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[int] = loop.create_future()
        with self._lock:
            if self.last > after or (members is not None and members != self.members):
                return self.last
            entry = (loop, fut)
            self._waiters.add(entry)
        try:
            return await asyncio.wait_for(fut, timeout_s)
        except TimeoutError:
            return self.last
        finally:
            with self._lock:
                self._waiters.discard(entry)


def _settle(fut: asyncio.Future[int], seq: int) -> None:
    if not fut.done():
        fut.set_result(seq)
