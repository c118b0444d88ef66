"""The record as use cases: extend the Merkle tree over the event log, sign checkpoints, and
serve proofs and entries to the parties.

The tree follows the log: ``advance`` hashes the events appended since the last pass (a few
thousand per transaction, under the record's own lock) and signs a checkpoint over the new
size. The server calls it every couple of seconds (``Recorder``); anything that needs the
newest events proven (an evidence bundle) calls it first.
"""

from __future__ import annotations

import base64
import logging
import threading
from dataclasses import dataclass
from typing import Any

from deconfliction.bus import Periodic
from deconfliction.domain import Member
from deconfliction.domain.limits import MAX_ENTRIES
from deconfliction.errors import InvalidInput, NotFound, StateConflict
from deconfliction.record import Checkpoint, sign_checkpoint
from deconfliction.record.entry import entry_bytes, leaf_hashes
from deconfliction.record.tree import (
    Frontier,
    NodeId,
    assemble,
    consistency_plan,
    frontier_ids,
    inclusion_plan,
    plan_ids,
)
from deconfliction.service.events import clear_to
from deconfliction.service.line import Line
from deconfliction.store.base import EventRow, StoredCheckpoint, Tx
from deconfliction.store.events import event_from_row

__all__ = [
    "CHUNK",
    "NO_CHECKPOINT",
    "Inclusion",
    "Recorder",
    "advance",
    "b64",
    "consistency",
    "entries_for",
    "inclusion",
    "latest_checkpoint",
    "row_entry",
    "warm_record",
]

CHUNK = 5_000
"""Events hashed per transaction: short enough that the record's lock is never held long."""

NO_CHECKPOINT = "the line has signed no checkpoint yet; it does once events arrive"
_log = logging.getLogger(__name__)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def row_entry(row: EventRow) -> bytes:
    """The record's entry of one stored event (``record.entry``)."""
    return entry_bytes(row.seq, row.kind, row.at_us, row.subject, row.party, row.told, row.body)


def _frontier(tx: Tx, size: int) -> Frontier:
    ids = frontier_ids(size)
    nodes = tx.record_nodes(ids)
    return Frontier(size, [nodes[i] for i in ids])


def _check_key(tx: Tx, line: Line) -> None:
    """The record is signed by one key for its whole life: refuse to sign with another."""
    signer = line.signer
    vkey = signer.verifier().vkey()
    known = tx.record_line()
    if known is None:
        tx.set_record_line(signer.name, vkey, line.clock())
    elif known != (signer.name, vkey):
        raise StateConflict(
            f"this line's record is signed by {known[1]}, but its key file holds {vkey}; "
            "start the line with the key file it was started with"
        )


def _extend(tx: Tx, size: int, limit: int) -> Frontier:
    """Hash up to ``limit`` unrecorded events into the tree of ``size``; its new right edge."""
    rows = tx.event_row_list(size, limit)
    frontier = _frontier(tx, size)
    if not rows:
        return frontier
    if rows[0][0] != size + 1 or rows[-1][0] != size + len(rows):
        seqs = [r[0] for r in rows]
        gap = next(size + i for i, s in enumerate(seqs, 1) if s != size + i)
        raise StateConflict(f"the event log has no event {gap}: the record cannot go past it")
    tx.add_record_nodes(frontier.extend_rows(leaf_hashes(rows)))
    return frontier


def advance(line: Line, chunk: int = CHUNK) -> StoredCheckpoint | None:
    """Record every event appended so far and sign a checkpoint over them; the new checkpoint,
    or ``None`` when the record already held every event."""
    made = None
    with line.store.read() as tx:  # most passes find nothing new: no write lock for them
        if tx.last_event_seq() <= tx.record_size():
            return None
    while True:
        with line.store.transaction() as tx:
            tx.lock_record()
            _check_key(tx, line)
            before = tx.record_size()
            frontier = _extend(tx, before, chunk)
            added = frontier.size - before
            if added == 0:
                return made
            size, root = frontier.size, frontier.root()
            note = sign_checkpoint(Checkpoint(line.origin, size, root), line.signer)
            now = line.clock()
            tx.add_checkpoint(size, now, root, note)
            made = StoredCheckpoint(size, now, root, note)
        if added < chunk:
            return made


def warm_record(line: Line) -> int:
    """Read every stored node of the tree once, so that the operating system holds the file's
    pages of it in memory; how many nodes there are.

    A proof reads a node from each level of the tree, all over the file: on a machine that has
    not read the file since booting, the first few hundred proofs at 10 M entries wait on the
    disk (60-240 ms for the first, a p99 near 100 ms), then 0.13 ms once it is in memory. Read
    in order, the nodes of 10 M entries (0.85 GiB) take about 3 s, in SQLite, without the GIL.
    """
    with line.store.read() as tx:
        return tx.count_record_nodes()


class Recorder(Periodic):
    """Runs ``advance`` every ``interval_s`` seconds while the server runs, and once more as it
    stops, so that what the last moments appended is signed too. As it starts, it reads the
    tree in once in a thread of its own (``warm_record``), for the proofs of the first
    minutes."""

    def __init__(self, line: Line, interval_s: float = 2.0) -> None:
        super().__init__(interval_s, lambda: advance(line), "record")
        self._line = line

    def start(self) -> None:
        threading.Thread(target=self._warm, name="record-warm", daemon=True).start()
        super().start()

    def _warm(self) -> None:
        try:
            warm_record(self._line)
        except Exception:  # only a cache: proofs read the store either way
            _log.warning("reading the record's tree in at start failed", exc_info=True)

    def stop(self) -> None:
        super().stop()
        try:
            self.duty()
        except Exception:  # stopping must not fail on it; the log says why
            _log.exception("the last pass of the record failed")


def latest_checkpoint(line: Line, size: int | None = None) -> StoredCheckpoint:
    """The newest checkpoint (or the one over exactly ``size`` events)."""
    with line.store.read() as tx:
        found = tx.latest_checkpoint() if size is None else tx.get_checkpoint(size)
    if found is None:
        if size is None:
            raise NotFound(NO_CHECKPOINT)
        raise NotFound(f"no checkpoint over {size} events was signed", "/size")
    return found


def _size(tx: Tx, size: int | None, pointer: str) -> int:
    recorded = tx.record_size()
    if size is None:
        latest = tx.latest_checkpoint()
        if latest is None:
            raise NotFound(NO_CHECKPOINT)
        return latest.size
    if not 1 <= size <= recorded:
        raise InvalidInput(f"the record holds 1 to {recorded} events, not {size}", pointer)
    return size


def _asked_size(tx: Tx, size: int | None, pointer: str) -> int:
    """The tree size a proof is asked at, with one check of ours left to ``_proof_nodes``: a
    given size is not beyond the record (its last leaf is fetched with the proof's nodes)."""
    if size is None or size < 1:
        return _size(tx, size, pointer)
    return size


def _proof_nodes(tx: Tx, size: int, ids: set[NodeId], pointer: str) -> dict[NodeId, bytes]:
    """The stored nodes among ``ids`` and the last leaf of the tree of ``size`` in one query;
    ``InvalidInput`` when that leaf is not stored, as the record is then shorter than ``size``."""
    nodes = tx.record_nodes(ids | {(0, size - 1)})
    if (0, size - 1) not in nodes:
        _size(tx, size, pointer)  # raises, saying how many events the record holds
    return nodes


@dataclass(frozen=True, slots=True)
class Inclusion:
    """Event ``seq`` is leaf ``seq - 1`` of the tree of ``size`` events: ``proof`` leads from its
    leaf hash to that tree's root."""

    seq: int
    size: int
    leaf: bytes
    proof: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "index": self.seq - 1,
            "size": self.size,
            "leaf": b64(self.leaf),
            "proof": [b64(h) for h in self.proof],
        }


def inclusion(line: Line, seq: int, size: int | None = None) -> Inclusion:
    """The inclusion proof of event ``seq`` in the tree of ``size`` events (default: the
    latest checkpoint's)."""
    with line.store.read() as tx:
        n = _asked_size(tx, size, "/size")
        if not 1 <= seq <= n:
            if size is not None:
                _size(tx, size, "/size")  # a size beyond the record is the first thing wrong
            raise NotFound(f"event {seq} is not among the {n} events of that tree", "/seq")
        plan = inclusion_plan(seq - 1, n)
        nodes = _proof_nodes(tx, n, plan_ids(plan) | {(0, seq - 1)}, "/size")  # one query
        return Inclusion(seq, n, nodes[0, seq - 1], assemble(plan, nodes))


def consistency(line: Line, old: int, new: int | None = None) -> dict[str, Any]:
    """The proof that the tree of ``old`` events is a prefix of the tree of ``new`` (default:
    the latest checkpoint's)."""
    with line.store.read() as tx:
        n = _asked_size(tx, new, "/new")
        if not 1 <= old <= n:
            if new is not None:
                _size(tx, new, "/new")
            raise InvalidInput(f"old must lie between 1 and {n}, not {old}", "/old")
        plan = consistency_plan(old, n)
        proof = assemble(plan, _proof_nodes(tx, n, plan_ids(plan), "/new"))
    return {"old": old, "new": n, "proof": [b64(h) for h in proof]}


def entries_for(line: Line, actor: Member, start: int, end: int) -> list[dict[str, Any]]:
    """Entries ``start`` to ``end`` (sequence numbers, inclusive) of the record, each in clear
    when the actor's party may read the event in full (the host's admins: every one), or else
    as its leaf hash only, so that every party can still rebuild the tree."""
    if start < 1:
        raise InvalidInput("entries start at 1", "/start")
    if end < start:
        raise InvalidInput(f"end must not lie before start ({start})", "/end")
    if end - start + 1 > MAX_ENTRIES:
        raise InvalidInput(f"at most {MAX_ENTRIES} entries at a time", "/end")
    out = []
    with line.store.read() as tx:
        end = min(end, tx.record_size())
        leaves = dict(tx.leaf_hashes(start - 1, end))
        for row in tx.event_rows(start - 1, max(0, end - start + 1)):
            seen = actor.is_host_admin or clear_to(tx, event_from_row(row), actor.party)
            if seen:
                out.append({"seq": row.seq, "entry": row_entry(row).decode()})
            else:
                out.append({"seq": row.seq, "leaf": b64(leaves[row.seq - 1])})
    return out
