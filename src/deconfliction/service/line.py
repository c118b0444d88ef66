"""The use cases' context: the store, the line's default buffers, a clock and an id source."""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from deconfliction.domain import Buffers
from deconfliction.record import Signer, load_or_create
from deconfliction.service.signal import EventSignal
from deconfliction.store import open_store
from deconfliction.store.base import Store

if TYPE_CHECKING:
    from deconfliction.service.receipts import DeliveryRecorder

__all__ = ["Line", "default_key_path", "open_line", "utc_now"]


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
    key_path: Path | None = None
    """The file of the key that signs the record's checkpoints (owner-only; made at first use).
    ``None``: a key held in memory only, for tests and throwaway lines."""
    name: str | None = None
    """The line's name (the checkpoints' origin), used when the key is made; by default
    ``deconfliction-line/`` and eight random hex digits."""

    @cached_property
    def signer(self) -> Signer:
        """The line's signing key, loaded or made now."""
        name = self.name or f"deconfliction-line/{secrets.token_hex(4)}"
        if self.key_path is None:
            return Signer.generate(name)
        return load_or_create(self.key_path, name)

    @property
    def origin(self) -> str:
        """The line's name: the origin line of its checkpoints, part of what members sign."""
        return self.signer.name

    @cached_property
    def deliveries(self) -> DeliveryRecorder:
        """Records who received which notice version, in batches (``service.receipts``)."""
        from deconfliction.service.receipts import DeliveryRecorder

        return DeliveryRecorder(self)


def default_key_path(url: str) -> Path | None:
    """Where a line keeps its signing key: ``$DECONFLICTION_KEY``; else beside an SQLite file
    (``line.db`` -> ``line.key``); else ``deconfliction.key`` here. ``None`` for an in-memory
    database, whose record dies with it."""
    named = os.environ.get("DECONFLICTION_KEY")
    if named:
        return Path(named)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            return None
        return Path(parsed.database).with_suffix(".key")
    return Path("deconfliction.key")


def open_line(
    url: str,
    defaults: Buffers | None = None,
    key_path: Path | None = None,
    name: str | None = None,
) -> Line:
    """Open (and migrate) the store at ``url`` and wrap it as a line; its signing key is at
    ``key_path`` (default: ``default_key_path(url)``)."""
    return Line(
        store=open_store(url),
        defaults=defaults or Buffers(),
        key_path=key_path or default_key_path(url),
        name=name,
    )
