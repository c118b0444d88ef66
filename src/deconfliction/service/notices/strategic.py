"""Strategic detection inside a write transaction: the check and the write it guards are one.

Candidates come from the process's in-memory index of active volumes (``Tx.nearby``, see
``store.memindex``), caught up with other processes' writes under the same write lock; the exact
decision is ``detect.strategic.conflicts_with``. A create may decide first, outside the lock
(``detect_ahead``), and then only confirm under it what was written meanwhile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from deconfliction.detect.strategic import (
    Candidate,
    Found,
    conflicts_with,
    index_boxes,
    search_boxes,
)
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
from deconfliction.store.memindex import HeldVolume

__all__ = [
    "Ahead",
    "Detection",
    "PreparedVolume",
    "detect_ahead",
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


@dataclass(frozen=True, slots=True)
class Ahead:
    """Each volume's conflicts with the in-memory index as it stood at ``position`` (a
    ``notice_change`` number), found before the write transaction: what a concurrent writer does
    while another holds the notice write lock. ``detect_and_index`` confirms it under the lock."""

    position: int | None
    found: list[list[tuple[HeldVolume, Found]]]


def detect_ahead(line: Line, notice: Notice, prepared: Sequence[PreparedVolume]) -> Ahead:
    """Decide ``notice``'s conflicts against the index as it stands, outside any transaction
    (nothing found, position ``None``, before the index is built)."""
    mines = _mine(line, notice, prepared)
    held, position = line.store.held_nearby(
        [search_boxes(m, line.defaults) for m in mines], exclude_notice=notice.id
    )
    if position is None:
        return Ahead(None, [])
    return Ahead(position, [_decide(line, m, h) for m, h in zip(mines, held, strict=True)])


def detect_and_index(
    line: Line,
    tx: Tx,
    notice: Notice,
    prepared: Sequence[PreparedVolume],
    ahead: Ahead | None = None,
) -> Detection:
    """Find every strategic conflict of ``notice`` with stored volumes of other parties.

    Returns the index rows to store for the notice, the conflicts to store with it (each with
    its severity: ``severity``), and the party and audience of every notice met (for
    need-to-know without another query). The caller holds the notice write lock, so no
    concurrent writer can slip a volume in between.

    With ``ahead`` (``detect_ahead``, before the lock), only the notices written since its
    position are decided again: its answers about every other notice stand, as no write has
    touched their volumes since; its answers about those are dropped and they are looked up
    and decided afresh. No conflict a detection from scratch under the lock would find is
    missed: the exact test never misses a pair, in whatever batch. (A pair apart by no more than
    its false-alarm margin may be told by one and not the other: the test's plane depends on the
    batch.)
    """
    changed = None if ahead is None or ahead.position is None else tx.changed_since(ahead.position)
    rows: list[VolumeRow] = []
    conflicts: list[Conflict] = []
    audiences: dict[str, tuple[str, Audience]] = {}
    now = line.clock()
    for index, (pv, mine) in enumerate(zip(prepared, _mine(line, notice, prepared), strict=True)):
        if changed is None:
            stored = tx.nearby(search_boxes(mine, line.defaults), exclude_notice=notice.id)
            decided = _decide(line, mine, stored)
        else:
            assert ahead is not None
            decided = [(h, f) for h, f in ahead.found[index] if h.notice_id not in changed]
            if changed:
                boxes = search_boxes(mine, line.defaults)
                fresh = [
                    h for h in tx.nearby(boxes, exclude_notice=notice.id) if h.notice_id in changed
                ]
                decided = sorted(decided + _decide(line, mine, fresh), key=_by_volume)
        for other, found in decided:
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


def _mine(line: Line, notice: Notice, prepared: Sequence[PreparedVolume]) -> list[Candidate]:
    return [
        Candidate(
            key=_key(notice.id, index),
            party=notice.party,
            time=pv.volume.time,
            altitude=pv.volume.altitude,
            shape=pv.shape,
            buffers=notice.buffers,
        )
        for index, pv in enumerate(prepared)
    ]


def _decide(
    line: Line, mine: Candidate, stored: Sequence[HeldVolume]
) -> list[tuple[HeldVolume, Found]]:
    """The held volumes in conflict with ``mine``, in the order given, each with its finding."""
    others = [h.candidate for h in stored]
    by_key = {c.key: h for c, h in zip(others, stored, strict=True)}
    return [(by_key[f.b], f) for f in conflicts_with(mine, others, line.defaults)]


def _by_volume(pair: tuple[HeldVolume, Found]) -> int:
    return pair[0].volume_id


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
