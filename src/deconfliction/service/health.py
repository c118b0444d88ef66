"""What the operator asks of the line itself: whether its store answers and holds the schema this
code was written for (``/readyz``), and the few numbers of the log and the record that
``/metrics`` shows. Each is one short read of indexed columns, cheap enough for every probe
and every scrape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from deconfliction.service.line import Line
from deconfliction.store.migrate import head_revision

__all__ = ["LogState", "log_state", "store_ready"]


@dataclass(frozen=True)
class LogState:
    events: int
    """The newest event's sequence number: how many events the log holds (it has no gaps)."""
    record_size: int
    """Entries the newest signed checkpoint covers (0 before the first)."""
    checkpoint_at: datetime | None
    """When the newest checkpoint was signed."""


def log_state(line: Line) -> LogState:
    """The log's length and the newest checkpoint, in one read transaction."""
    with line.store.read() as tx:
        events = tx.last_event_seq()
        checkpoint = tx.latest_checkpoint()
    if checkpoint is None:
        return LogState(events, 0, None)
    return LogState(events, checkpoint.size, checkpoint.at)


@cache
def _head() -> str | None:
    return head_revision()  # read from the migration scripts once


def store_ready(line: Line) -> str | None:
    """``None`` when the store answers a trivial query (which migration it is at) and that is
    the newest this code knows; else why not (a node of an older version, after another node
    migrated the database past it; a database restored from an older backup under it). A store
    that does not answer raises."""
    with line.store.read() as tx:
        at = tx.schema_revision()
    head = _head()
    if at == head:
        return None
    return f"the database's schema is at {at or 'no migration'}; this node's code expects {head}"
