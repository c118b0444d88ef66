"""Which of many boxes (three axes and an altitude range) meet, without testing every pair: a grid
of cells, sorted by cell and then by altitude, so the work grows with the boxes that come near.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["distinct", "meeting_keys"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_PASS = 1 << 20  # box pairs tested per numpy pass: bounds the temporaries to tens of MB


def meeting_keys(lo: F64, hi: F64, zlo: F64, zhi: F64, group: I64 | None) -> I64:
    """Keys a*n + b (a < b) of the boxes that meet, of the n boxes [lo, hi] (each (n, 3)) with
    altitudes [zlo, zhi]; none of two boxes in one ``group`` unless it is None. Unsorted, and a
    pair of two very large boxes comes twice (:func:`distinct` sorts them out).

    >>> lo = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 5.0], [50.0, 50.0, 50.0]])
    >>> distinct(meeting_keys(lo, lo + 10.0, np.zeros(3), np.ones(3), None)).tolist()
    [1]
    """
    n = len(lo)
    if n < 2:
        return np.empty(0, np.int64)
    size = (hi - lo).max(axis=1)
    # cells twice the usual box; the rare box too big for them meets every box directly
    cell = max(2 * float(np.median(size)), float(np.quantile(size, 0.99)) / 4, 10.0)
    big = size > 8 * cell
    ids = np.flatnonzero(~big)
    keys = [_join(ids, lo[ids], hi[ids], zlo[ids], zhi[ids], cell, n, group)]
    for b in np.flatnonzero(big).tolist():
        meet = (zlo <= zhi[b]) & (zlo[b] <= zhi)
        meet &= np.all((lo <= hi[b]) & (lo[b] <= hi), axis=1)
        meet[b] = False
        if group is not None:
            meet &= group != group[b]
        other = np.flatnonzero(meet)
        keys.append(np.minimum(other, b) * n + np.maximum(other, b))
    return np.concatenate(keys)


def distinct(keys: I64) -> I64:
    """Sorted without repeats (np.unique is several times slower on large int64 arrays)."""
    keys = np.sort(keys)
    out: I64 = keys[np.r_[True, keys[1:] != keys[:-1]][: len(keys)]]
    return out


def _join(
    ids: I64, lo: F64, hi: F64, zlo: F64, zhi: F64, cell: float, n: int, group: I64 | None
) -> I64:
    """Keys a*n + b (a < b, of ``ids``) of the boxes that meet.

    Each box is registered in every grid cell it touches; registrations are sorted by cell, then
    by lower altitude (whole metres or coarser, rounded outwards), so each one meets the rest of
    its cell whose altitudes overlap its own in one contiguous run. A pair is counted only in
    the cell holding the lower corner of the two boxes' intersection: the cell where, along
    every axis, one of the two boxes starts.
    """
    if len(ids) < 2:
        return np.empty(0, np.int64)
    clo = np.floor(lo / cell).astype(np.int64)
    span = np.floor(hi / cell).astype(np.int64) - clo + 1
    m = span[:, 0] * span[:, 1] * span[:, 2]
    owner = np.repeat(np.arange(len(ids)), m)
    off = np.arange(len(owner)) - np.repeat(np.cumsum(m) - m, m)
    base = clo.min(axis=0)
    ext = (clo + span).max(axis=0) - base
    cellno = np.zeros(len(owner), np.int64)  # fits: cells are at least 10 m
    first = np.zeros(len(owner), np.int64)
    for d in range(3):
        step = span[owner, d]
        at = off % step
        cellno = cellno * ext[d] + clo[owner, d] - base[d] + at
        first |= (at == 0).astype(np.int64) << d
        off //= step
    # one int64 orders by cell, then altitude, and carries the owner and the three start bits
    tail = int(len(ids)).bit_length() + 3
    cells = float(ext.prod())
    zmin = float(np.floor(zlo.min()))
    metres = float(zhi.max()) - zmin + 2
    if cells * 2.0**tail * metres >= 2.0**61:  # number only the cells in use
        used = distinct(cellno)
        cellno, cells = np.searchsorted(used, cellno).astype(np.int64), float(len(used))
    unit = max(1.0, metres * cells * 2.0**tail / 2.0**61)  # 1 m unless altitudes are wild
    zl = np.floor((zlo - zmin) / unit).astype(np.int64)
    zh = np.ceil((zhi - zmin) / unit).astype(np.int64)
    levels = int(zh.max()) + 1
    key = ((cellno * levels + zl[owner]) << tail) | (owner << 3) | first
    key.sort()
    head = key >> tail
    owner = (key >> 3) & ((1 << (tail - 3)) - 1)
    starts = (key & 7).astype(np.uint8)
    cnt = np.searchsorted(head, head // levels * levels + zh[owner], side="right")
    cnt -= np.arange(len(cnt)) + 1
    # float32 halves the memory the pair test reads; each bound is rounded outwards
    down, up = np.float32(-np.inf), np.float32(np.inf)
    cols = [np.nextafter(c.astype(np.float32), down) for c in lo.T]
    cols += [np.nextafter(c.astype(np.float32), up) for c in hi.T]
    out: list[I64] = []
    bounds = np.cumsum(cnt)
    cuts = np.searchsorted(bounds, np.arange(_PASS, int(bounds[-1]), _PASS))
    for p0, p1 in zip(np.r_[0, cuts], np.r_[cuts, len(cnt)], strict=True):
        cn = cnt[p0:p1]
        total = int(cn.sum())
        if total == 0:
            continue
        p = np.repeat(np.arange(p0, p1), cn)
        q = p + 1 + np.arange(total) - np.repeat(np.cumsum(cn) - cn, cn)
        here = (starts[p] | starts[q]) == 7
        a, b = owner[p[here]], owner[q[here]]
        if group is not None:
            keep = group[ids[a]] != group[ids[b]]
            a, b = a[keep], b[keep]
        meet = np.ones(len(a), dtype=bool)
        for d in range(3):
            meet &= (cols[d][a] <= cols[d + 3][b]) & (cols[d][b] <= cols[d + 3][a])
        a, b = ids[a[meet]], ids[b[meet]]
        out.append(np.minimum(a, b) * n + np.maximum(a, b))
    return np.concatenate(out) if out else np.empty(0, np.int64)
