"""Strategic detection: which volumes of other parties come within the buffers of a volume.

Index boxes narrow the candidates (in the store, or in memory for files); :func:`conflicts_with`
decides exactly: time gap, altitude gap, then one vectorized geodesic test for the survivors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import shapely

from deconfliction.domain import AltitudeBand, Buffers, TimeWindow, Volume
from deconfliction.geo import Shape, within
from deconfliction.geo.box import Box4

__all__ = [
    "UNBOUNDED_ALT_M",
    "Candidate",
    "Found",
    "conflicts_with",
    "detect_all",
    "effective_buffers",
    "index_boxes",
    "search_boxes",
]

UNBOUNDED_ALT_M = 1e9
"""How an index box writes an unbounded altitude."""


@dataclass(frozen=True)
class Candidate:
    """One volume as detection sees it; ``key`` names it (e.g. ``"notice-id#0"``)."""

    key: str
    party: str
    time: TimeWindow
    altitude: AltitudeBand
    shape: Shape
    buffers: Buffers | None

    @classmethod
    def of(
        cls, key: str, party: str, volume: Volume, shape: Shape, buffers: Buffers | None = None
    ) -> Candidate:
        """The candidate for ``volume`` (detection needs its window, band and prepared shape)."""
        return cls(key, party, volume.time, volume.altitude, shape, buffers)


@dataclass(frozen=True)
class Found:
    """A conflicting pair: ``window`` is where the time windows overlap once a's is widened."""

    a: str
    b: str
    distance_m: float
    window: TimeWindow


def effective_buffers(defaults: Buffers, a: Buffers | None, b: Buffers | None) -> Buffers:
    """The line's defaults raised by whatever either notice asks for.

    >>> effective_buffers(Buffers(100, 50, 60), Buffers(500, 0, 0), Buffers(0, 0, 600))
    Buffers(h_m=500, v_m=50, t_s=600)
    """
    return defaults.raised_by(a).raised_by(b)


def _boxes(c: Candidate, widen: Buffers) -> list[Box4]:
    alt = c.altitude
    lo = -UNBOUNDED_ALT_M if alt.lower_m is None else alt.lower_m - widen.v_m
    hi = UNBOUNDED_ALT_M if alt.upper_m is None else alt.upper_m + widen.v_m
    t0 = c.time.start.timestamp() - widen.t_s
    t1 = c.time.end.timestamp() + widen.t_s
    return [Box4(x0, y0, lo, t0, x1, y1, hi, t1) for x0, y0, x1, y1 in c.shape.boxes(widen.h_m)]


def search_boxes(c: Candidate, defaults: Buffers) -> list[Box4]:
    """Boxes to look for c's conflicts with: widened by the line's defaults raised by c's buffers.

    Any b with d(c, b) <= max(defaults, c's, b's buffers) has an index box meeting one of these:
    if c's side is the larger, these boxes reach b; otherwise b's own index box reaches c.
    """
    return _boxes(c, effective_buffers(defaults, c.buffers, None))


def index_boxes(c: Candidate, defaults: Buffers) -> list[Box4]:
    """Boxes to store for c: widened by c's own buffers only.

    ``defaults`` ride on the search side (:func:`search_boxes`), so changing the line's defaults
    never calls for re-indexing; the argument is kept for a uniform call.
    """
    del defaults
    return _boxes(c, effective_buffers(Buffers(), c.buffers, None))


def conflicts_with(
    a: Candidate, candidates: Sequence[Candidate], defaults: Buffers, *, all_pairs: bool = False
) -> list[Found]:
    """The candidates in strategic conflict with ``a`` (skipping its own party unless
    ``all_pairs``, and ``a`` itself)."""
    base = effective_buffers(defaults, a.buffers, None)
    base_pad = timedelta(seconds=base.t_s)
    a_start, a_end = a.time.start, a.time.end
    a_lo, a_hi = a.altitude.lower, a.altitude.upper
    keep: list[Candidate] = []
    h: list[float] = []
    spans: list[tuple[datetime, datetime]] = []
    # one pass in plain Python over what the index found (hundreds for a wide region): the
    # windows and bands compared inline, a window made only for the pairs that conflict
    for b in candidates:
        if b.key == a.key or (not all_pairs and b.party == a.party):
            continue
        if b.buffers is None:
            buf, pad = base, base_pad
        else:
            buf = base.raised_by(b.buffers)
            pad = timedelta(seconds=buf.t_s)
        start = max(a_start - pad, b.time.start)
        end = min(a_end + pad, b.time.end)
        if start > end:
            continue
        lo, hi = b.altitude.lower_m, b.altitude.upper_m
        if (hi is not None and a_lo - hi > buf.v_m) or (lo is not None and lo - a_hi > buf.v_m):
            continue
        keep.append(b)
        h.append(buf.h_m)
        spans.append((start, end))
    if not keep:
        return []
    hit, dist = within(
        a.shape, [b.shape for b in keep], np.asarray(h, dtype=np.float64), estimate=False
    )
    return [
        Found(a.key, keep[i].key, float(dist[i]), TimeWindow(*spans[i]))
        for i in np.flatnonzero(hit).tolist()
    ]


def detect_all(
    candidates: Sequence[Candidate], defaults: Buffers, *, all_pairs: bool = False
) -> list[Found]:
    """Every conflicting pair once, ``a < b`` by key, sorted; narrowed by an in-memory R-tree of
    the same boxes the store keeps, never by trying all pairs."""
    owners: list[int] = []
    flat: list[Box4] = []
    search_owner: list[int] = []
    search: list[Box4] = []
    for i, c in enumerate(candidates):
        for box in index_boxes(c, defaults):
            owners.append(i)
            flat.append(box)
        for box in search_boxes(c, defaults):
            search_owner.append(i)
            search.append(box)
    if not flat:
        return []
    index = np.array([_row(b) for b in flat])
    query = np.array([_row(b) for b in search])
    tree = shapely.STRtree(shapely.box(index[:, 0], index[:, 1], index[:, 4], index[:, 5]))
    q, t = tree.query(
        shapely.box(query[:, 0], query[:, 1], query[:, 4], query[:, 5]), predicate="intersects"
    )
    # altitude and time ranges must meet too (columns 2, 3 low; 6, 7 high)
    meet = np.all(
        (query[q][:, [2, 3]] <= index[t][:, [6, 7]]) & (index[t][:, [2, 3]] <= query[q][:, [6, 7]]),
        axis=1,
    )
    s_own = np.asarray(search_owner)[q[meet]]
    i_own = np.asarray(owners)[t[meet]]
    pairs: dict[int, set[int]] = defaultdict(set)
    for i, j in zip(s_own.tolist(), i_own.tolist(), strict=True):
        if i == j:
            continue
        lo, hi = (i, j) if candidates[i].key < candidates[j].key else (j, i)
        pairs[lo].add(hi)
    found: list[Found] = []
    for i, js in pairs.items():
        others = [candidates[j] for j in sorted(js)]
        found.extend(conflicts_with(candidates[i], others, defaults, all_pairs=all_pairs))
    return sorted(found, key=lambda f: (f.a, f.b))


def _row(b: Box4) -> tuple[float, ...]:
    return (b.lon_min, b.lat_min, b.alt_min, b.t_min, b.lon_max, b.lat_max, b.alt_max, b.t_max)
