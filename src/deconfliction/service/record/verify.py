"""Verification of a whole store: re-hash every stored event, rebuild the tree, and hold it to
every stored checkpoint, to the line's key and to the parties' cosignatures; then hold what the
line serves to the log (``service.record.served``).

What it catches, each named by sequence number: an event changed in any byte, replaced or moved
(its entry no longer hashes to the leaf recorded for it); an event removed (a gap in the
sequence, or a log shorter than a checkpoint says); a checkpoint forged or altered (its
signature fails, or the log's root at its size differs). A rewrite that also rewrote the
stored leaves is still caught by the checkpoints' roots, narrowed to the events between the
last checkpoint that holds and the first that does not. A party's cosignature holds the log to
what that party saw, even once the checkpoints are gone: a log cut below a cosigned size, or
whose first ``size`` events hash to another root than the one cosigned, is named with the party.

Served rows (a notice, a receipt...) that differ from the events that told them are named by
table and id, with the event's sequence number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from deconfliction.domain.labels import Labels
from deconfliction.record import Checkpoint, RecordError, Verifier, open_checkpoint
from deconfliction.record.cosignature import Cosigner, cosigned_at
from deconfliction.record.entry import EventTuple, leaf_hashes
from deconfliction.record.tree import Frontier
from deconfliction.service.record.fold import ServedFold
from deconfliction.service.record.served import check_served
from deconfliction.store.base import EventRow, Store, StoredCheckpoint, StoredCosignature, Tx

__all__ = ["Problem", "Verification", "verify_store"]

SHOWN = 50
"""Problems listed one by one; past this many only counted (a rewrite can touch millions)."""


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int
    """The event (or checkpoint size) it is about; for a served row, the event it differs from
    (0: none)."""
    what: str
    table: str | None = None
    """The served table of a row that differs from the log (``None``: the log itself)."""
    key: str | None = None
    """That row's primary key, its parts joined by ``/``."""

    def __str__(self) -> str:
        if self.table is None:
            return f"seq {self.seq}: {self.what}"
        return f"{self.table} {self.key}: {self.what}"


@dataclass
class Verification:
    events: int = 0
    recorded: int = 0
    """Events the stored tree holds (events after it are not yet recorded, not a fault)."""
    checkpoints: int = 0
    cosignatures: int = 0
    """Cosignatures held to the log: each cosigner's largest."""
    served: bool = False
    """Whether the served tables were held to the log too."""
    problems: list[Problem] = field(default_factory=list)
    more: int = 0
    """Problems found beyond the ``SHOWN`` listed."""

    def add(self, seq: int, what: str, table: str | None = None, key: str | None = None) -> None:
        if len(self.problems) < SHOWN:
            self.problems.append(Problem(seq, what, table, key))
        else:
            self.more += 1

    def row(self, table: str, key: str, seq: int, what: str) -> None:
        """A served row that differs from the log."""
        self.add(seq, what, table, key)

    @property
    def ok(self) -> bool:
        return not self.problems


CHUNK = 10_000
"""Events read, hashed and held to their stored leaves at a time."""


def verify_store(
    store: Store,
    verifier: Verifier,
    progress: Callable[[int, int], None] | None = None,
    served: bool = True,
    labels: Labels | None = None,
) -> Verification:
    """Check the store's record with the line's public key, and (``served``) the tables the
    line serves against the log; ``progress(done, total)`` is called every 10,000 events.
    With the line's ``labels`` (made from its key file), the members the rows name are held to
    the labels the log names them by (``service.record.served``)."""
    out = Verification(served=served)
    with store.read() as tx:
        total = tx.last_event_seq()
        out.recorded = tx.record_size()
        checkpoints = list(tx.checkpoints())
        cosigned = tx.latest_cosignatures()
        origin = (tx.record_line() or (verifier.name, ""))[0]
    out.checkpoints = len(checkpoints)
    out.cosignatures = len(cosigned)
    signed = _signed(checkpoints, verifier, out)
    witnessed = _cosigned(cosigned, origin, out)
    due = iter(sorted(signed.keys() | witnessed.keys()))
    next_size = next(due, None)
    frontier = Frontier()
    fold = ServedFold() if served else None
    expected = 1
    with store.read() as tx:
        tx.hold_snapshot()  # the served tables below are read in the log's own snapshot
        for rows in tx.event_row_chunks(0, CHUNK):
            first, last = rows[0][0], rows[-1][0]
            if first != expected or last - first + 1 != len(rows):
                _gaps(rows, expected, out)
            expected = last + 1
            leaves = leaf_hashes(rows)
            _match_leaves(tx, rows, leaves, out)
            at = 0
            while next_size is not None and next_size - frontier.size <= len(leaves) - at:
                take = next_size - frontier.size
                frontier.extend_rows(leaves[at : at + take], rows=False)
                at += take
                while next_size is not None and frontier.size == next_size:
                    _hold(frontier.root(), signed.get(next_size), witnessed.get(next_size, []), out)
                    next_size = next(due, None)
            frontier.extend_rows(leaves[at:], rows=False)
            if fold is not None:
                for row in map(EventRow._make, rows):
                    fold.add(row)
            before, out.events = out.events, out.events + len(rows)
            if progress is not None and before // 10_000 != out.events // 10_000:
                progress(out.events, total)
        if fold is not None:
            check_served(tx, fold, out.row, labels)
    if next_size is not None:
        _cut(out.events, signed, witnessed, out)
    if progress is not None:
        progress(out.events, total)
    out.problems.sort(key=lambda p: (p.table is not None, p.seq, p.table or "", p.key or ""))
    return out


def _gaps(rows: list[EventTuple], expected: int, out: Verification) -> None:
    """Name the events missing before and among ``rows`` (``expected``: the one due first)."""
    for row in rows:
        seq = row[0]
        if seq != expected:
            first, last = expected, seq - 1
            gone = f"event {first} is" if first == last else f"events {first} to {last} are"
            out.add(first, f"{gone} missing: the log goes from {first - 1} to {seq}")
        expected = seq + 1


def _match_leaves(tx: Tx, rows: list[EventTuple], leaves: list[bytes], out: Verification) -> None:
    """Hold each event's leaf hash to the one recorded for it (event ``seq`` is leaf
    ``seq - 1``), where one is recorded."""
    first, last = rows[0][0], rows[-1][0]
    stored = tx.leaf_rows(first - 1, last)
    if (
        len(stored) == len(rows) == last - first + 1
        and stored[0][0] == first - 1
        and [h for _, h in stored] == leaves
    ):
        return  # the common case: no gap, every event recorded, none changed
    recorded = dict(stored)
    for row, leaf in zip(rows, leaves, strict=True):
        seq = row[0]
        h = recorded.get(seq - 1)
        if h is not None and h != leaf:
            out.add(
                seq,
                f"event {seq} does not match the leaf recorded for it: it was changed, "
                "replaced or moved",
            )


def _hold(
    root: bytes,
    checkpoint: StoredCheckpoint | None,
    cosignatures: list[StoredCosignature],
    out: Verification,
) -> None:
    """Hold the log's root at one size to the checkpoint and the cosignatures over that size."""
    if checkpoint is not None and root != checkpoint.root:
        size = checkpoint.size
        out.add(
            size,
            f"checkpoint {size} does not match the log: the first {size} events hash to another "
            "root than the one signed",
        )
    for c in cosignatures:
        if root != c.root:
            out.add(
                c.size,
                f"party {c.party} cosigned checkpoint {c.size} at {_when(c)}, but the first "
                f"{c.size} events now hash to another root: the log was rewritten since",
            )


def _cut(
    events: int,
    signed: dict[int, StoredCheckpoint],
    witnessed: dict[int, list[StoredCosignature]],
    out: Verification,
) -> None:
    """The log ends below a signed or cosigned size: name the largest of each."""
    top = max((s for s in signed if s > events), default=None)
    if top is not None:
        out.add(
            events + 1,
            f"the log holds {events} events, but checkpoint {top} was signed over {top}: "
            f"events {events + 1} to {top} were removed",
        )
    for size in sorted((s for s in witnessed if s > events), reverse=True):
        for c in witnessed[size]:
            out.add(
                events + 1,
                f"the log holds {events} events, but party {c.party} cosigned checkpoint "
                f"{size} at {_when(c)}: events {events + 1} to {size} were removed",
            )


def _when(c: StoredCosignature) -> str:
    return cosigned_at(c.time_s)


def _cosigned(
    cosignatures: list[StoredCosignature], origin: str, out: Verification
) -> dict[int, list[StoredCosignature]]:
    """The cosignatures that verify over the checkpoint their row names, by size; the others
    are problems (a row changed or forged)."""
    good: dict[int, list[StoredCosignature]] = {}
    for c in cosignatures:
        name = c.vkey.split("+", 1)[0]
        try:
            Cosigner.from_vkey(c.vkey).verify(Checkpoint(origin, c.size, c.root), c.signature)
        except RecordError as exc:
            out.add(
                c.size,
                f"the cosignature of checkpoint {c.size} kept for party {c.party} ({name}) does "
                f"not verify: it was changed or forged ({exc})",
            )
            continue
        good.setdefault(c.size, []).append(c)
    return good


def _signed(
    checkpoints: list[StoredCheckpoint], verifier: Verifier, out: Verification
) -> dict[int, StoredCheckpoint]:
    """The checkpoints whose signed notes verify and agree with their rows; the others are
    problems."""
    good = {}
    for c in checkpoints:
        try:
            opened = open_checkpoint(c.note, verifier)
        except RecordError as exc:
            out.add(c.size, f"checkpoint {c.size} is not signed by the line's key: {exc}")
            continue
        if opened.size != c.size or opened.root != c.root:
            out.add(c.size, f"checkpoint {c.size} was altered: its row and its signed note differ")
            continue
        good[c.size] = c
    return good
