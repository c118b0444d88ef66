"""The values the store's contract passes besides domain types: stored volume rows, notice
queries, stored event rows and checkpoints (re-exported by ``store.base``, with ``geo.Box4``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from deconfliction.domain import (
    AltitudeBand,
    Audience,
    Buffers,
    ConflictKind,
    ConflictStatus,
    NoticeKind,
    Severity,
    TimeWindow,
)
from deconfliction.geo.box import Box4

__all__ = ["Box4", "ConflictQuery", "EventRow", "NoticeQuery", "StoredCheckpoint", "VolumeRow"]


@dataclass(frozen=True, slots=True)
class VolumeRow:
    """One stored volume of an active notice, with what strategic detection needs of it.

    ``shape`` is the prepared footprint (``geo.Shape.to_bytes()``), opaque to the store;
    ``boxes`` index it, already widened by the notice's own buffers; ``buffers`` are what the
    notice asked for (``None``: the line's defaults); ``audience`` lets a conflict with it be told
    with need-to-know without loading the notice.
    """

    notice_id: str
    index: int
    party: str
    version: int
    altitude: AltitudeBand
    time: TimeWindow
    shape: bytes
    boxes: tuple[Box4, ...]
    buffers: Buffers | None
    audience: Audience | None = None
    """The notice's audience, as stored (filled in by the store on reads)."""


@dataclass(frozen=True, slots=True)
class NoticeQuery:
    """Filters for listing notices; every set field must hold. ``viewer`` applies need-to-know."""

    viewer: str | None = None
    boxes: tuple[Box4, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    kind: NoticeKind | None = None
    party: str | None = None
    limit: int = 1000
    after: tuple[datetime, str] | None = None
    """Only notices after this (created_at, id): the list's order, oldest first."""


@dataclass(frozen=True, slots=True)
class ConflictQuery:
    """Filters for listing a party's conflicts; every set field must hold (an empty set: any).

    ``notice``: either side is that notice (on tracks: the volume's, or the movement's);
    ``since``: detected, updated or resolved at or after it; ``after``: only conflicts after this
    (detected_at, id), the list's order being newest first.
    """

    kinds: frozenset[ConflictKind] = frozenset()
    statuses: frozenset[ConflictStatus] = frozenset()
    severities: frozenset[Severity] = frozenset()
    notice: str | None = None
    since: datetime | None = None
    after: tuple[datetime, str] | None = None


class EventRow(NamedTuple):
    """One event exactly as stored: what the record hashes (``record.entry``)."""

    seq: int
    kind: str
    at_us: int
    subject: str
    party: str
    told: str
    """``"all"`` or ``",a,b,"``."""
    body: str
    """RFC 8785 canonical JSON."""


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed tree head the line published: the first ``size`` events hash to ``root``."""

    size: int
    at: datetime
    root: bytes
    note: str
    """The C2SP signed note, as served."""
