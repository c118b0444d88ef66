"""The use cases' context: the store, the line's default buffers, a clock, an id source, the
signal streams wait on, the delivery recorder, the record's signing key, the bounds on
probing (budgets, and when to tell of it), and the meters the operator reads."""

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

from deconfliction.bus import EventSignal
from deconfliction.config import LineConfig
from deconfliction.domain import AlertLevels, Buffers
from deconfliction.domain.labels import Labels
from deconfliction.domain.probing import Budgets, ProbingWatch
from deconfliction.record import Signer, load_or_create
from deconfliction.service.deliveries import DeliveryRecorder
from deconfliction.service.meter import Meters
from deconfliction.store import open_store
from deconfliction.store.base import Store

__all__ = ["Line", "new_id", "open_line", "utc_now"]


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
    alerts: AlertLevels = field(default_factory=AlertLevels)
    """The thresholds that grade every conflict's severity (``domain.severity``)."""
    budgets: Budgets = field(default_factory=Budgets)
    """What each party may spend on changing its notices in any 24 h (``service.probing``)."""
    probing: ProbingWatch = field(default_factory=ProbingWatch)
    """When repeated conflicts with one hidden notice are told as ``probing.suspected``."""
    meter: Meters = field(default_factory=Meters)
    """What the use cases count for the operator (``service.meter``; ``/metrics`` binds it)."""

    @cached_property
    def signer(self) -> Signer:
        """The line's signing key, loaded or made now."""
        name = self.name or f"deconfliction-line/{secrets.token_hex(4)}"
        if self.key_path is None:
            return Signer.generate(name)
        return load_or_create(self.key_path, name)

    @cached_property
    def labels(self) -> Labels:
        """How members are named to other parties (``domain.labels``), keyed by the record's
        key: the same labels for the record's whole life, on every node that signs it."""
        return Labels.of(self.signer)

    @property
    def origin(self) -> str:
        """The line's name: the origin line of its checkpoints, part of what members sign."""
        return self.signer.name

    @cached_property
    def deliveries(self) -> DeliveryRecorder:
        """Records who received which notice version or message, in batches."""
        return DeliveryRecorder(self.store, self.clock, self.signal, self.labels)


def open_line(config: LineConfig | str) -> Line:
    """Open (and migrate) the line's store and wrap it as a line. ``config`` may be just the
    database URL, every other setting at its default."""
    if isinstance(config, str):
        config = LineConfig(db_url=config)
    return Line(
        store=open_store(config.db_url, config.sqlite_sync),
        defaults=config.buffers,
        key_path=config.signing_key_path,
        name=config.name,
        alerts=config.alerts,
        budgets=config.budgets,
        probing=config.probing,
    )
