"""Verification of a whole store: re-hash every stored event, rebuild the tree, and hold it to
every stored checkpoint and to the line's key.

What it catches, each named by sequence number: an event changed in any byte, replaced or moved
(its entry no longer hashes to the leaf recorded for it); an event removed (a gap in the
sequence, or a log shorter than a checkpoint says); a checkpoint forged or altered (its
signature fails, or the log's root at its size differs). A rewrite that also rewrote the
stored leaves is still caught by the checkpoints' roots, narrowed to the events between the
last checkpoint that holds and the first that does not.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field

from deconfliction.record import RecordError, Verifier, open_checkpoint
from deconfliction.record.tree import Frontier, leaf_hash
from deconfliction.service.record.record import row_entry
from deconfliction.store.base import Store, StoredCheckpoint

__all__ = ["Problem", "Verification", "verify_store"]

SHOWN = 50
"""Problems listed one by one; past this many only counted (a rewrite can touch millions)."""


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int
    """The event (or checkpoint size) it is about."""
    what: str


@dataclass
class Verification:
    events: int = 0
    recorded: int = 0
    """Events the stored tree holds (events after it are not yet recorded, not a fault)."""
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)
    more: int = 0
    """Problems found beyond the ``SHOWN`` listed."""

    def add(self, seq: int, what: str) -> None:
        if len(self.problems) < SHOWN:
            self.problems.append(Problem(seq, what))
        else:
            self.more += 1

    @property
    def ok(self) -> bool:
        return not self.problems


def _leaves(store: Store, size: int) -> Generator[tuple[int, bytes], None, None]:
    with store.read() as tx:
        yield from tx.leaf_hashes(0, size)


def verify_store(
    store: Store, verifier: Verifier, progress: Callable[[int, int], None] | None = None
) -> Verification:
    """Check the store's record with the line's public key; ``progress(done, total)`` is called
    every 10,000 events."""
    out = Verification()
    with store.read() as tx:
        total = tx.last_event_seq()
        out.recorded = tx.record_size()
        checkpoints = list(tx.checkpoints())
    out.checkpoints = len(checkpoints)
    signed = _signed(checkpoints, verifier, out)
    due = iter(sorted(signed))
    next_size = next(due, None)
    leaves = _leaves(store, out.recorded)
    stored = next(leaves, None)
    frontier = Frontier()
    expected = 1
    with store.read() as tx:
        for row in tx.event_rows(0):
            if row.seq != expected:
                first, last = expected, row.seq - 1
                gone = f"event {first} is" if first == last else f"events {first} to {last} are"
                out.add(first, f"{gone} missing: the log goes from {first - 1} to {row.seq}")
                expected = row.seq  # the tree cannot match past a gap; keep checking leaves
            leaf = leaf_hash(row_entry(row))
            while stored is not None and stored[0] < row.seq - 1:
                stored = next(leaves, None)
            if stored is not None and stored[0] == row.seq - 1 and stored[1] != leaf:
                out.add(
                    row.seq,
                    f"event {row.seq} does not match the leaf recorded for it: it was changed, "
                    "replaced or moved",
                )
            frontier.append(leaf)
            expected += 1
            out.events += 1
            while next_size is not None and frontier.size == next_size:
                if frontier.root() != signed[next_size].root:
                    out.add(
                        next_size,
                        f"checkpoint {next_size} does not match the log: the first {next_size} "
                        "events hash to another root than the one signed",
                    )
                next_size = next(due, None)
            if progress is not None and out.events % 10_000 == 0:
                progress(out.events, total)
    leaves.close()
    if next_size is not None:
        top = max(signed)
        out.add(
            out.events + 1,
            f"the log holds {out.events} events, but checkpoint {top} was signed over {top}: "
            f"events {out.events + 1} to {top} were removed",
        )
    if progress is not None:
        progress(out.events, total)
    out.problems.sort(key=lambda p: p.seq)
    return out


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
