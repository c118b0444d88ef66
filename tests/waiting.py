"""Waiting for what background threads do, with a bound generous enough for a loaded machine.

A test never sleeps a fixed time and hopes: it polls for the condition it needs and fails with a
message naming it after ``WAIT_S``.

Deliveries (a notice fetched or pushed, a thread read) are written by the line's
``DeliveryRecorder`` in batches from its own thread, a quarter of a second late or later. A test
that needs them written (to read the receipts, or to know which sequence number the receipt
event took) waits with ``delivered``: the server queues a delivery as it answers or pushes, which
may be a moment after the client has what it asked for, so one ``flush`` alone may come too early.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from deconfliction.service import Line

__all__ = ["WAIT_S", "delivered", "wait_for"]

WAIT_S = 30.0
"""How long a test waits for a background thread before it fails."""

T = TypeVar("T")


def wait_for(condition: Callable[[], T], what: str, within_s: float = WAIT_S) -> T:
    """Call ``condition`` until it returns something true, and return that; fail naming ``what``
    if it has not after ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while True:
        got = condition()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within_s:.0f} s: {what}")
        time.sleep(0.02)


def delivered(
    line: Line, party: str, notices: Iterable[str] = (), messages: Iterable[str] = ()
) -> None:
    """Wait until ``line`` has recorded that ``party`` received each of ``notices`` (a version of
    it) and ``messages``, writing pending deliveries itself rather than waiting for the
    recorder's next batch."""
    notices, messages = list(notices), list(messages)

    def recorded() -> bool:
        line.deliveries.flush()
        with line.store.read() as tx:
            return all(
                any(r.delivered_at is not None for r in tx.get_receipts(n, party)) for n in notices
            ) and all(
                any(r.delivered_at is not None for r in tx.get_message_receipts(m, party))
                for m in messages
            )

    wait_for(recorded, f"{party}'s receipt of notices {notices} and messages {messages}")
