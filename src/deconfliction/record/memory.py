"""Every perfect subtree of a Merkle tree in memory: the reference store for tests, tools and
benchmarks (the line keeps its nodes in ``record_node``)."""

from __future__ import annotations

from collections.abc import Iterable

from deconfliction.record.tree import (  # the tree's own helpers, shared on purpose
    HASH_SIZE,
    NodeId,
    ProofError,
    _check_hash,
    _sha256,
    assemble,
    consistency_plan,
    frontier_ids,
    inclusion_plan,
    plan_ids,
    root_from_frontier,
)

__all__ = ["MemoryTree"]


_BLOCK = 1 << 16  # nodes copied per batch: bounds the temporary copies when building big trees


class MemoryTree:
    """Every perfect node in memory (one bytearray per level) — for tests, tools and benchmarks.

    >>> from deconfliction.record.tree import leaf_hash
    >>> t = MemoryTree()
    >>> t.extend(leaf_hash(bytes([i])) for i in range(5))
    >>> t.size, t.root(4) == t.node(2, 0)
    (5, True)
    """

    __slots__ = ("_levels",)

    def __init__(self) -> None:
        self._levels = [bytearray()]

    @property
    def size(self) -> int:
        """How many leaves the tree has."""
        return len(self._levels[0]) // HASH_SIZE

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash."""
        self.extend((leaf,))

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Add leaf hashes in order and every perfect node they complete."""
        batch = leaves if isinstance(leaves, list | tuple) else list(leaves)
        if any(len(h) != HASH_SIZE for h in batch):
            bad = next(i for i, h in enumerate(batch) if len(h) != HASH_SIZE)
            _check_hash(f"leaf hash {bad} of the batch", batch[bad])
        levels = self._levels
        for first in range(0, len(batch), _BLOCK):
            levels[0] += b"".join(batch[first : first + _BLOCK])
        level = 0
        while True:
            below = levels[level]
            want = len(below) // (2 * HASH_SIZE)
            if level + 1 == len(levels):
                if want == 0:
                    break
                levels.append(bytearray())
            above = levels[level + 1]
            have = len(above) // HASH_SIZE
            if have == want:
                break  # nothing new here, so nothing new higher up either
            sha = _sha256
            for first in range(have, want, _BLOCK):
                pairs = bytes(below[first * 64 : min(want, first + _BLOCK) * 64])
                above += b"".join(
                    [sha(b"\x01" + pairs[i : i + 64]).digest() for i in range(0, len(pairs), 64)]
                )
            level += 1

    def node(self, level: int, index: int) -> bytes:
        """The hash of perfect node ``(level, index)``; KeyError if it is not complete."""
        row = self._levels[level] if 0 <= level < len(self._levels) else b""
        start = index * HASH_SIZE
        if index < 0 or start + HASH_SIZE > len(row):
            raise KeyError((level, index))
        return bytes(row[start : start + HASH_SIZE])

    def nodes(self, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
        """The stored ones among ``ids``, as a database query would return them."""
        out = {}
        for level, index in ids:
            try:
                out[level, index] = self.node(level, index)
            except KeyError:
                pass
        return out

    def _check_size(self, size: int) -> None:
        if size > self.size:
            raise ProofError(f"the tree has {self.size} entries, not {size}")

    def root(self, size: int | None = None) -> bytes:
        """The tree head of the first ``size`` leaves (all of them by default)."""
        if size is None:
            size = self.size
        self._check_size(size)
        return root_from_frontier([self.node(*node) for node in frontier_ids(size)])

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 PATH(index, D[size]) over the first ``size`` leaves."""
        self._check_size(size)
        plan = inclusion_plan(index, size)
        return assemble(plan, self.nodes(plan_ids(plan)))

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """RFC 9162 PROOF(old, D[new]) over the first ``new`` leaves."""
        self._check_size(new)
        plan = consistency_plan(old, new)
        return assemble(plan, self.nodes(plan_ids(plan)))
