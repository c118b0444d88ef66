"""A 2-D box tree that also cuts by time: index boxes laid out in lanes of time, side by side.

GEOS's ``STRtree`` (shapely 2) indexes two dimensions. Over longitude and latitude alone, a
query about the next six hours gets back every box under its footprint whatever its window:
at 1,000,000 volumes over a month, a 100 km circle hits ~49,000 boxes of which ~640 also meet it
in time, and a line that keeps its expired notices (expiry is not a write) piles up boxes that
no later question can meet. Here time picks the lane a box sits in:

- Lanes come in levels of width 3 h, 1 day, 8 days, 64 days and 512 days. A box goes to the
  finest level whose width is at least its duration, into the lanes ``floor(t / width)`` its
  window touches (two, or three at a rounding edge: nothing below needs a bound). Boxes longer
  than 512 days, and any with a non-finite time, a window that ends before it starts or a lane
  past ``_MAX_LANE``, go to a second, plain tree.
- Lane ``k`` of level ``l`` is shifted along x by ``720 * (k * levels + l)`` degrees: lanes of
  360 degrees of longitude with a gap between, all in one tree.
- A query box is asked of each level, in the lanes its window touches (from the lesser of its
  ends' lanes to the greater): one shifted box a lane, or, past ``_LANES_PER_QUERY`` lanes, one
  box over the whole run of lanes (a superset), and of the plain tree.

Nothing is missed: a box meeting a query box in time shares an instant with it, and the lane of
that instant at the box's level is among the box's lanes and the query's (``floor(t / width)``
is monotonic in ``t``, in floating point too), and rounded addition is monotonic in each
operand, so the shifted boxes meet where the unshifted longitudes do (a run of lanes too: its
low side has the least shift, its high side the greatest). Like the plain tree, the answer is a
superset on which the caller decides all four dimensions exactly.

Written here because no well-kept library offers a 4-D box tree over numpy arrays (GEOS trees
are 2-D; the R*Tree modules that are 4-D live inside databases); the tree itself is shapely's.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["LEVELS_S", "LaneTree"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

LEVELS_S = np.array([3 * 3600.0, 86_400.0, 8 * 86_400.0, 64 * 86_400.0, 512 * 86_400.0])
"""The lane widths of each level, seconds."""
_N_LEVELS = len(LEVELS_S)
_SHIFT = 720.0
"""Degrees between the starts of two lanes: a lane's 360 and a gap as wide."""
_LANES_PER_QUERY = 8
_MAX_LANE = 2.0**40
"""Lane numbers past this (times beyond ~1.2e16 s at 3 h lanes, ~4.9e19 s at 512 days) go to the
plain tree: shifts stay exact integers (below 2**53)."""


def _boxes(coords: F64, shift: F64) -> npt.NDArray[np.object_]:
    boxes: npt.NDArray[np.object_] = shapely.box(
        coords[:, 0] + shift, coords[:, 1], coords[:, 4] + shift, coords[:, 5]
    )
    return boxes


class LaneTree:
    """The 2-D boxes of ``coords`` (rows: lon, lat, alt, t minima, then maxima) in lanes by time.

    ``query`` answers (query row, ``coords`` row) pairs whose longitude and latitude ranges
    meet and whose windows may meet: a superset of the pairs that meet in all four dimensions.
    """

    def __init__(self, coords: F64) -> None:
        t0, t1 = coords[:, 3], coords[:, 7]
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is NaN: the plain tree
            level = np.searchsorted(LEVELS_S, t1 - t0, side="left")
            width = LEVELS_S[np.minimum(level, _N_LEVELS - 1)]
            k0, k1 = np.floor(t0 / width), np.floor(t1 / width)
            laned = (
                (level < _N_LEVELS)
                & (t0 <= t1)  # an inverted window would make a negative count of lanes
                & np.isfinite(k0)
                & np.isfinite(k1)
                & (np.abs(k0) < _MAX_LANE)
                & (np.abs(k1) < _MAX_LANE)
            )
        rows = np.flatnonzero(laned)
        first = k0[rows].astype(np.int64)
        count = k1[rows].astype(np.int64) - first + 1
        self._row = np.repeat(rows, count)
        step = np.arange(len(self._row)) - np.repeat(np.cumsum(count) - count, count)
        lane = (np.repeat(first, count) + step) * _N_LEVELS + np.repeat(level[rows], count)
        self._tree = shapely.STRtree(_boxes(coords[self._row], lane * _SHIFT))
        self._plain_row = np.flatnonzero(~laned)
        plain = coords[self._plain_row]
        self._plain = shapely.STRtree(_boxes(plain, np.zeros(len(plain))))

    def __len__(self) -> int:
        """Entries held: each laned box once a lane it sits in (two, three at a rounding edge),
        each plain box once."""
        return len(self._row) + len(self._plain_row)

    def query(self, q: F64) -> tuple[I64, I64]:
        """(index into ``q``, row of ``coords``) for every box the trees hold meeting a query
        box in longitude and latitude, in a lane its window touches; a pair may repeat."""
        with np.errstate(invalid="ignore", over="ignore"):  # rows x levels
            k0 = np.floor(q[:, 3, None] / LEVELS_S)
            k1 = np.floor(q[:, 7, None] / LEVELS_S)
        k0 = np.clip(np.nan_to_num(k0, nan=-_MAX_LANE), -_MAX_LANE, _MAX_LANE).ravel()
        k1 = np.clip(np.nan_to_num(k1, nan=_MAX_LANE), -_MAX_LANE, _MAX_LANE).ravel()
        # a window that ends before it starts still meets a box holding both its ends (as
        # memindex._meet compares bounds): its lanes run from the lesser end's to the greater's
        k0, k1 = np.minimum(k0, k1), np.maximum(k0, k1)
        level = np.tile(np.arange(_N_LEVELS), len(q))
        few = (k1 - k0) < _LANES_PER_QUERY
        # a few lanes: one shifted box each; many: one box from the first lane to the last
        count = np.where(few, k1 - k0 + 1, 1).astype(np.int64)
        cell = np.repeat(np.arange(len(k0)), count)
        step = np.arange(len(cell)) - np.repeat(np.cumsum(count) - count, count)
        first = (k0[cell] + step) * _N_LEVELS + level[cell]
        last = np.where(few[cell], first, k1[cell] * _N_LEVELS + level[cell])
        row = cell // _N_LEVELS
        boxes = shapely.box(
            q[row, 0] + first * _SHIFT, q[row, 1], q[row, 4] + last * _SHIFT, q[row, 5]
        )
        qi, ti = self._tree.query(boxes)
        pi, pt = self._plain.query(_boxes(q, np.zeros(len(q))))
        return (
            np.concatenate([row[qi], pi]).astype(np.int64),
            np.concatenate([self._row[ti], self._plain_row[pt]]).astype(np.int64),
        )
