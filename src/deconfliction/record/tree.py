"""RFC 9162 §2.1 Merkle tree math: hashes, the right-edge frontier, proof plans and verification.

Written by hand, on hashlib alone: no well-kept Python library gives RFC 9162 proofs over nodes
kept in our own store. pymerkle (the closest) computes the same roots and inclusion paths, but its
consistency proofs are of its own form and it keeps its tree in its own storage, outside the
line's transactions and PostgreSQL; ``bench/record.py`` runs it as an independent cross-check.

A store keeps the hashes of *perfect* subtrees only. Node ``(level, index)`` covers leaves
``[index * 2**level, (index + 1) * 2**level)`` and exists once all of them do; level 0 holds the
leaf hashes. Every proof element is one perfect node, or the hash of an incomplete range at the
right edge, which is the fold of a few perfect nodes (see :func:`inclusion_plan`).

>>> from deconfliction.record.memory import MemoryTree
>>> leaves = [leaf_hash(entry) for entry in (b"a", b"b", b"c")]
>>> tree = MemoryTree()
>>> tree.extend(leaves)
>>> inclusion_plan(0, 3)
[((0, 1),), ((0, 2),)]
>>> verify_inclusion(0, 3, leaves[0], tree.inclusion_proof(0, 3), tree.root())
>>> verify_consistency(2, 3, tree.root(2), tree.root(3), tree.consistency_proof(2, 3))
>>> tree.inclusion_proof(3, 3)
Traceback (most recent call last):
...
deconfliction.record.tree.ProofError: entry 3 is not in a tree of 3 entries
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat

from deconfliction.record.errors import RecordError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "NodeId",
    "NodeRow",
    "ProofError",
    "assemble",
    "consistency_plan",
    "frontier_ids",
    "inclusion_plan",
    "leaf_hash",
    "node_hash",
    "plan_ids",
    "root_from_frontier",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
"""``(level, index)``: the perfect subtree of ``2**level`` leaves from leaf ``index << level``."""

NodeRow = tuple[int, int, bytes]
"""``(level, index, hash)``: one perfect subtree as the store keeps it."""

_sha256 = hashlib.sha256


class ProofError(RecordError):
    """A proof that cannot be built or does not verify; the message says why in one sentence."""


def leaf_hash(entry: bytes) -> bytes:
    """The RFC 9162 hash of one leaf entry: SHA-256(0x00 || entry)."""
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an interior node: SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def _cover(start: int, end: int) -> tuple[NodeId, ...]:
    """The perfect nodes, largest first, that make up ``[start, end)``.

    ``start`` must be a multiple of the largest of them, which holds for every range the proofs
    ask about: each begins where a power-of-two split of the tree put it.
    """
    out = []
    n = end - start
    while n:
        level = n.bit_length() - 1
        out.append((level, start >> level))
        start += 1 << level
        n -= 1 << level
    return tuple(out)


def frontier_ids(size: int) -> list[NodeId]:
    """The perfect subtrees that make up leaves ``[0, size)``, largest first.

    There is one per set bit of ``size``; their hashes, folded from the right, are the root.

    >>> frontier_ids(6)
    [(2, 0), (1, 2)]
    """
    if size < 0:
        raise ProofError(f"a tree cannot have {size} entries")
    return list(_cover(0, size))


def root_from_frontier(hashes: Sequence[bytes]) -> bytes:
    """The tree head from the frontier hashes (largest first); ``EMPTY_ROOT`` for none."""
    if not hashes:
        return EMPTY_ROOT
    h = hashes[-1]
    for x in reversed(hashes[:-1]):
        h = _sha256(b"\x01" + x + h).digest()
    return h


class Frontier:
    """The right edge of a tree: the frontier hashes of a tree of `size` leaves; appending costs
    O(log n).

    >>> f = Frontier()
    >>> [node for node, _ in f.extend([leaf_hash(b"a"), leaf_hash(b"b")])]
    [(0, 0), (0, 1), (1, 0)]
    >>> f.size, len(f.hashes)
    (2, 1)
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise ProofError(f"a tree cannot have {size} entries")
        need = size.bit_count()
        if len(hashes) != need:
            raise ProofError(
                f"a tree of {size} entries has {_n_hashes(need)} on its frontier, not {len(hashes)}"
            )
        for i, h in enumerate(hashes):
            _check_hash(f"frontier hash {i}", h)
        self._size = size
        self._hashes = [bytes(h) for h in hashes]

    @property
    def size(self) -> int:
        """How many leaves the tree has."""
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        """The frontier, largest subtree first (a copy)."""
        return list(self._hashes)

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Add one leaf *hash*; return the nodes it completes, the leaf first, by rising level."""
        if len(leaf) != HASH_SIZE:
            _check_hash("the leaf hash", leaf)
        # Every trailing 1 bit of the old size is a perfect subtree the new leaf now pairs with;
        # the frontier ends with exactly those subtrees, smallest last.
        size = s = self._size
        hashes = self._hashes
        done = [((0, size), leaf)]
        h = leaf
        level = 0
        while s & 1:
            h = _sha256(b"\x01" + hashes.pop() + h).digest()
            s >>= 1
            level += 1
            done.append(((level, s), h))
        hashes.append(h)
        self._size = size + 1
        return done

    def extend(self, leaves: Iterable[bytes]) -> list[tuple[NodeId, bytes]]:
        """Add leaf hashes in order; return every node they complete, in order of completion."""
        done: list[tuple[NodeId, bytes]] = []
        append = self.append
        for leaf in leaves:
            done += append(leaf)
        return done

    def extend_rows(self, leaves: Sequence[bytes], rows: bool = True) -> list[NodeRow]:
        """Add leaf hashes as one batch; return the nodes they complete as ``(level, index,
        hash)`` rows, level by level and by index within each (none when ``rows`` is false).

        The same tree as :meth:`extend`, built a level at a time: each level's pairs are hashed
        in one comprehension, a third of the cost of appending leaf by leaf, which is what
        ``advance`` and ``record verify`` spend their time on.

        >>> f, g = Frontier(), Frontier()
        >>> _ = f.extend([leaf_hash(b"a")])
        >>> [row[:2] for row in f.extend_rows([leaf_hash(b"b"), leaf_hash(b"c")])]
        [(0, 1), (0, 2), (1, 0)]
        >>> _ = g.extend(leaf_hash(x) for x in (b"a", b"b", b"c"))
        >>> (f.size, f.hashes) == (g.size, g.hashes)
        True
        """
        if not leaves:
            return []
        if set(map(len, leaves)) != {HASH_SIZE}:
            bad = next(i for i, h in enumerate(leaves) if len(h) != HASH_SIZE)
            _check_hash(f"leaf hash {bad} of the batch", leaves[bad])
        sha = _sha256
        hashes = self._hashes  # one per set bit of the size, the smallest subtree last
        out: list[NodeRow] = []
        kept: list[bytes] = []  # the new right edge's nodes, from level 0 up
        cur = list(leaves)
        start = self._size  # the index of cur[0] on its level: the size >> level
        level = 0
        while cur:
            if rows:
                out += zip(repeat(level), range(start, start + len(cur)), cur)
            if start & 1:  # the old right edge holds this level's left sibling of cur[0]
                cur.insert(0, hashes.pop())
                start -= 1
            if len(cur) & 1:
                kept.append(cur.pop())
            cur = [sha(b"\x01" + a + b).digest() for a, b in zip(cur[0::2], cur[1::2], strict=True)]
            start >>= 1
            level += 1
        hashes += reversed(kept)
        self._size += len(leaves)
        return out

    def root(self) -> bytes:
        """The tree head of the leaves so far."""
        return root_from_frontier(self._hashes)


Plan = list[tuple[NodeId, ...]]


def inclusion_plan(index: int, size: int) -> Plan:
    """The nodes behind each element of RFC 9162 PATH(index, D[size]), from the leaf upward.

    Each element is a tuple of perfect nodes, largest first, whose fold (from the right) is that
    element. Going up from the leaf, the sibling at each level is complete, absent (the tree
    ends before it, so RFC 9162 has no element there), or cut by the end of the tree: then its
    hash is that of the range ``[start, size)``.

    >>> inclusion_plan(0, 7)
    [((0, 1),), ((1, 1),), ((1, 2), (0, 6))]
    """
    if not 0 <= index < size:
        raise ProofError(f"entry {index} is not in a tree of {size} entries")
    plan: Plan = []
    for level in range((size - 1).bit_length()):
        sibling = (index >> level) ^ 1
        start = sibling << level
        if start >= size:
            continue
        if start + (1 << level) <= size:
            plan.append(((level, sibling),))
        else:
            plan.append(_cover(start, size))
    return plan


def consistency_plan(old_size: int, new_size: int) -> Plan:
    """The nodes behind each element of RFC 9162 PROOF(old_size, D[new_size]), in proof order.

    Empty when ``old_size`` is 0 or equals ``new_size``. SUBPROOF's recursion is walked top down
    over ``[lo, hi)`` with absolute positions, then reversed, since RFC 9162 lists the deepest
    element first.

    >>> consistency_plan(3, 7)
    [((0, 2),), ((0, 3),), ((1, 0),), ((1, 2), (0, 6))]
    """
    if old_size < 0 or old_size > new_size:
        raise ProofError(f"a tree of {old_size} entries cannot be a prefix of one of {new_size}")
    if old_size == 0 or old_size == new_size:
        return []
    plan: Plan = []
    lo, hi, whole = 0, new_size, True
    while old_size != hi:
        level = (hi - lo - 1).bit_length() - 1
        mid = lo + (1 << level)
        if old_size <= mid:
            plan.append(_cover(mid, hi))
            hi = mid
        else:
            plan.append(((level, lo >> level),))
            lo, whole = mid, False
    if not whole:
        # The old tree's own subtree here is not on the verifier's side yet: send its hash.
        plan.append(_cover(lo, hi))
    plan.reverse()
    return plan


def plan_ids(plan: Iterable[tuple[NodeId, ...]]) -> set[NodeId]:
    """Every node a plan needs, so that a store can fetch them in one query."""
    return {node for element in plan for node in element}


def assemble(plan: Iterable[tuple[NodeId, ...]], nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """The proof hashes from a plan and the fetched nodes; a missing node is a ProofError."""
    proof = []
    try:
        for element in plan:
            h = nodes[element[-1]]
            for node in element[-2::-1]:
                h = _sha256(b"\x01" + nodes[node] + h).digest()
            proof.append(h)
    except KeyError as exc:
        level, index = exc.args[0]
        raise ProofError(f"the hash of node ({level}, {index}) is not stored") from None
    return proof


def _n_hashes(n: int) -> str:
    return f"{n} hash" if n == 1 else f"{n} hashes"


def _check_hash(what: str, h: bytes) -> None:
    if len(h) != HASH_SIZE:
        raise ProofError(f"{what} is {len(h)} bytes long; a hash is {HASH_SIZE}")


def _check_proof(kind: str, proof: Sequence[bytes], need: int, where: str) -> None:
    if len(proof) != need:
        raise ProofError(f"the {kind} proof {where} has {_n_hashes(len(proof))}; it needs {need}")
    for i, h in enumerate(proof):
        _check_hash(f"hash {i} of the {kind} proof {where}", h)


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that leaf *hash* ``leaf`` is entry ``index`` of the tree of ``size`` with ``root``.

    RFC 9162 §2.1.3.2. Returns nothing; raises :class:`ProofError` saying why otherwise. The
    proof does not pin ``size`` by itself: a signed tree head binds root and size together.
    """
    where = f"for entry {index} in a tree of {size}"
    if not 0 <= index < size:
        raise ProofError(f"entry {index} is not in a tree of {size} entries")
    _check_hash("the leaf hash", leaf)
    _check_hash("the root", root)
    _check_proof("inclusion", proof, len(inclusion_plan(index, size)), where)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError(f"the inclusion proof {where} climbs past the root")
        if fn & 1 or fn == sn:
            # A right child, or the last node of its level, which was promoted unpaired until
            # it became a right child.
            r = _sha256(b"\x01" + p + r).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"the inclusion proof {where} stops short of the root")
    if r != root:
        raise ProofError(f"the inclusion proof {where} does not lead to the given root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``new_size`` with ``new_root`` extends that of ``old_size``.

    RFC 9162 §2.1.4.2, plus the two cases it leaves out: from an empty tree (empty proof, and
    ``old_root`` must be ``EMPTY_ROOT``) and between equal sizes (empty proof, equal roots).
    Returns nothing; raises :class:`ProofError` saying why otherwise.
    """
    where = f"from {old_size} to {new_size} entries"
    if old_size < 0 or old_size > new_size:
        raise ProofError(f"a tree of {old_size} entries cannot be a prefix of one of {new_size}")
    _check_hash("the old root", old_root)
    _check_hash("the new root", new_root)
    _check_proof("consistency", proof, len(consistency_plan(old_size, new_size)), where)
    if old_size == 0:
        if old_root != EMPTY_ROOT:
            raise ProofError("the old root is not the root of the empty tree")
        return
    if old_size == new_size:
        if old_root != new_root:
            raise ProofError(f"two trees of {old_size} entries have different roots")
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is itself a perfect subtree of the new one, so the proof leaves it out.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"the consistency proof {where} climbs past the root")
        if fn & 1 or fn == sn:
            fr = _sha256(b"\x01" + c + fr).digest()
            sr = _sha256(b"\x01" + c + sr).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = _sha256(b"\x01" + sr + c).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"the consistency proof {where} stops short of the new root")
    if fr != old_root:
        raise ProofError(f"the consistency proof {where} does not lead to the old root")
    if sr != new_root:
        raise ProofError(f"the consistency proof {where} does not lead to the new root")
