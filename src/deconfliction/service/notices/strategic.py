"""Strategic detection inside a write transaction: the check and the write it guards are one.

Candidates come from the process's in-memory index of active volumes (``Tx.nearby``, see
``store.memindex``), caught up with other processes' writes under the same write lock; the exact
decision is ``detect.strategic.conflicts_with``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from deconfliction.detect.strategic import Candidate, conflicts_with, index_boxes, search_boxes
from deconfliction.domain import (
    Audience,
    Conflict,
    ConflictKind,
    ConflictStatus,
    Notice,
    Severity,
    TimeWindow,
    Volume,
)
from deconfliction.domain.probing import quarter_floor
from deconfliction.geo.shape import Shape, prepare
from deconfliction.service.line import Line
from deconfliction.store.base import Tx, VolumeRow

__all__ = [
    "Detection",
    "PreparedVolume",
    "detect_and_index",
    "prepare_volumes",
    "warm_strategic",
]


@dataclass(frozen=True, slots=True)
class PreparedVolume:
    volume: Volume
    shape: Shape


@dataclass(frozen=True, slots=True)
class Detection:
    rows: list[VolumeRow]
    conflicts: list[Conflict]
    audiences: dict[str, tuple[str, Audience]]


def prepare_volumes(volumes: Sequence[Volume]) -> list[PreparedVolume]:
    """Densify and index each footprint once; done before the transaction opens."""
    return [PreparedVolume(v, prepare(v.footprint)) for v in volumes]


def _key(notice_id: str, index: int) -> str:
    return f"{notice_id}#{index}"


def candidate_from_row(row: VolumeRow) -> Candidate:
    return Candidate(
        key=_key(row.notice_id, row.index),
        party=row.party,
        time=row.time,
        altitude=row.altitude,
        shape=Shape.from_bytes(row.shape),
        buffers=row.buffers,
    )


def detect_and_index(
    line: Line, tx: Tx, notice: Notice, prepared: Sequence[PreparedVolume]
) -> Detection:
    """Find every strategic conflict of ``notice`` with stored volumes of other parties.

    Returns the index rows to store for the notice, the conflicts to store with it (each graded:
    ``AlertLevels.strategic``, the protected notices known from the index), and the party and
    audience of every notice met (for need-to-know without another query). The caller holds the
    notice write lock, so no concurrent writer can slip a volume in between.
    """
    rows: list[VolumeRow] = []
    conflicts: list[Conflict] = []
    audiences: dict[str, tuple[str, Audience]] = {}
    now = line.clock()
    for index, pv in enumerate(prepared):
        mine = Candidate(
            key=_key(notice.id, index),
            party=notice.party,
            time=pv.volume.time,
            altitude=pv.volume.altitude,
            shape=pv.shape,
            buffers=notice.buffers,
        )
        stored = tx.nearby(search_boxes(mine, line.defaults), exclude_notice=notice.id)
        others = [r.candidate for r in stored]
        by_key = {c.key: r for c, r in zip(others, stored, strict=True)}
        for found in conflicts_with(mine, others, line.defaults):
            other = by_key[found.b]
            audiences[other.notice_id] = (other.party, other.audience)
            conflicts.append(
                Conflict(
                    id=line.new_id(),
                    kind=ConflictKind.STRATEGIC,
                    status=ConflictStatus.OPEN,
                    party_a=notice.party,
                    notice_a=notice.id,
                    volume_a=index,
                    version_a=notice.version,
                    party_b=other.party,
                    notice_b=other.notice_id,
                    volume_b=other.index,
                    version_b=other.version,
                    distance_m=found.distance_m,
                    window=found.window,
                    detected_at=now,
                    severity=severity(line, notice.protected or other.protected, found.window, now),
                )
            )
        rows.append(
            VolumeRow(
                notice_id=notice.id,
                index=index,
                party=notice.party,
                version=notice.version,
                altitude=pv.volume.altitude,
                time=pv.volume.time,
                shape=pv.shape.to_bytes(),
                boxes=tuple(index_boxes(mine, line.defaults)),
                buffers=notice.buffers,
            )
        )
    return Detection(rows, conflicts, audiences)


def warm_strategic(line: Line) -> int:
    """Build the in-memory index of active volumes now, before the first checked write would;
    how many volumes it holds (``serve`` calls it at start)."""
    return line.store.warm()


def severity(line: Line, protected: bool, window: TimeWindow, now: datetime) -> Severity:
    """A strategic conflict's severity: caution when a protected notice is on either side or the
    overlap ``window`` starts soon, else advisory.

    "Starts" is the quarter hour the overlap starts in: a party told of the conflict redacted
    sees that coarse window only, and a severity that rose on the exact start would tell it more
    (the rise comes up to 15 min early, which errs toward caution)."""
    return line.alerts.strategic(protected, (quarter_floor(window.start) - now).total_seconds())
