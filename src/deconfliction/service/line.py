"""The use cases' context: the store, the line's default buffers, a clock and an id source."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from deconfliction.domain import Buffers
from deconfliction.service.signal import EventSignal
from deconfliction.store import open_store
from deconfliction.store.base import Store

if TYPE_CHECKING:
    from deconfliction.service.receipts import DeliveryRecorder

__all__ = ["Line", "open_line", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    Time-ordered ids land at the right edge of every B-tree they key, so a write touches a few
    pages instead of one random page per index; they also sort in the order things happened.
    """
    ms = time.time_ns() // 1_000_000
    value = (ms & (1 << 48) - 1) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 9562 variant
    return str(uuid.UUID(int=value))


@dataclass(frozen=True)
class Line:
    """One deployment of the service as the use cases see it."""

    store: Store
    defaults: Buffers = field(default_factory=Buffers)
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = new_id
    signal: EventSignal = field(default_factory=EventSignal)
    """Woken after each commit that appends events (streams wait on it)."""

    @cached_property
    def deliveries(self) -> DeliveryRecorder:
        """Records who received which notice version, in batches (``service.receipts``)."""
        from deconfliction.service.receipts import DeliveryRecorder

        return DeliveryRecorder(self)


def open_line(url: str, defaults: Buffers | None = None) -> Line:
    """Open (and migrate) the store at ``url`` and wrap it as a line."""
    return Line(store=open_store(url), defaults=defaults or Buffers())
