"""The use cases' context: the store, the line's default buffers, a clock and an id source."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from deconfliction.domain import Buffers
from deconfliction.store import open_store
from deconfliction.store.base import Store

__all__ = ["Line", "open_line", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Line:
    """One deployment of the service as the use cases see it."""

    store: Store
    defaults: Buffers = field(default_factory=Buffers)
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = new_id


def open_line(url: str, defaults: Buffers | None = None) -> Line:
    """Open (and migrate) the store at ``url`` and wrap it as a line."""
    return Line(store=open_store(url), defaults=defaults or Buffers())
