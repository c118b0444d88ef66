"""Intrusion: tracks predicted to enter, within the lookahead, an active volume of another party.

A track flies on from its report along the geodesic of its true track at its ground speed, its
altitude linear in its vertical speed; the band and window tests give the interval of times it
could intrude, and exact geodesic tests of that stretch of path decide (:func:`~geo.within`), for
every track of a scan at once. A scan's candidates come from one join (:func:`swept_box_array`,
:func:`cover`, :func:`meeting`).
A surface track reported without its height is in every altitude band (the vertical test passes,
erring toward reporting; docs/conflicts.md); a track's ``alt_unc_m`` widens its height both ways.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import shapely

from deconfliction.detect.strategic import UNBOUNDED_ALT_M, Candidate, effective_buffers
from deconfliction.domain import Buffers, FootprintKind, Track
from deconfliction.geo import Shape, within
from deconfliction.geo.box import Box4
from deconfliction.geo.geodesy import DENSIFY_M, GEOD

__all__ = [
    "Intrusion",
    "cover",
    "intrusions",
    "intrusions_per_track",
    "meeting",
    "reach_boxes",
    "swept_box_array",
    "swept_boxes",
    "swept_boxes_many",
]

RESOLUTION_S = 0.5
"""How finely :attr:`Intrusion.t_in_s` is searched; it is never later than the true entry."""

CIRCLE, CORRIDOR = FootprintKind.CIRCLE, FootprintKind.CORRIDOR
_FAN_MANY = 12  # stretches of each path per round of the batched search
_FAN = 16  # prefixes of the path tested in one vectorized call per round of the t_in search
_SLACK_S = 1e-6  # widens the band and window intervals against rounding (toward reporting)
_POINT_M = 1e-3  # a stretch of path shorter than this is a circle that covers it


@dataclass(frozen=True)
class Intrusion:
    """Track ``track`` (index into the tracks given) predicted to enter candidate ``volume``.

    ``t_in_s`` counts seconds from ``now`` until the track is within the volume widened by the
    buffers (0 when it already is); ``distance_m`` is its horizontal distance from the footprint
    at ``now`` (0 inside).
    """

    track: int
    volume: int
    t_in_s: float
    distance_m: float


@dataclass(frozen=True)
class _Motion:
    """A track advanced to ``now``: distances along its geodesic count from the reported point."""

    lon: float
    lat: float
    trk_deg: float
    gs_mps: float
    s0_m: float  # how far along the geodesic it is at now
    alt0_m: float | None  # its altitude at now; None: a surface track without its height
    vs_mps: float
    unc_m: float = 0.0  # how far the true height may lie from alt0_m either way (alt_unc_m)

    @classmethod
    def of(cls, track: Track, now: datetime) -> _Motion:
        dt = (now - track.time).total_seconds()
        return cls(
            track.lon,
            track.lat,
            track.trk_deg,
            track.gs_mps,
            track.gs_mps * dt,
            None if track.alt_m is None else track.alt_m + track.vs_mps * dt,
            track.vs_mps,
            track.alt_unc_m,
        )

    def path(self, ta: float, tb: float) -> Shape:
        """The stretch of path flown over [ta, tb] (seconds after now), as a region."""
        return self.paths([(ta, tb)])[0]

    def paths(self, spans: Sequence[tuple[float, float]]) -> list[Shape]:
        """Stretches of path, one per (ta, tb), with one vectorized geodesic call for them all
        (:func:`_paths`)."""
        return _paths([self] * len(spans), spans)

    def interval(
        self, c: Candidate, buf: Buffers, now: datetime, lookahead_s: float
    ) -> tuple[float, float] | None:
        """The times in [0, lookahead_s] when the track is inside c's widened band and window.

        The band is widened by v and by the track's own uncertainty: a true height anywhere
        within ``unc_m`` of the reported one may be inside (erring toward reporting).
        """
        lo = c.altitude.lower - buf.v_m - self.unc_m
        hi = c.altitude.upper + buf.v_m + self.unc_m
        if self.alt0_m is None:  # height unknown: in every band
            a0, a1 = -math.inf, math.inf
        elif self.vs_mps == 0.0:
            if not lo <= self.alt0_m <= hi:
                return None
            a0, a1 = -math.inf, math.inf
        else:
            a0, a1 = sorted(((lo - self.alt0_m) / self.vs_mps, (hi - self.alt0_m) / self.vs_mps))
        w0 = (c.time.start - now).total_seconds() - buf.t_s
        w1 = (c.time.end - now).total_seconds() + buf.t_s
        t0 = max(0.0, a0 - _SLACK_S, w0 - _SLACK_S)
        t1 = min(lookahead_s, a1 + _SLACK_S, w1 + _SLACK_S)
        return (t0, t1) if t0 <= t1 else None


def _paths(motions: Sequence[_Motion], spans: Sequence[tuple[float, float]]) -> list[Shape]:
    """Stretches of path, span k of ``motions[k]``'s path, with one vectorized geodesic call.

    Each is a corridor of half-width 0 whose vertices lie on the track's own geodesic at most
    DENSIFY_M apart, so the region is exactly the path and needs no densifying: the shape is
    built here rather than by ``prepare``, with the middle of the stretch as its centre and
    half its length as its reach (an upper bound: no point of the path is farther from the
    middle than along it). A stretch shorter than a millimetre is a circle around its start
    that covers it.
    """
    lengths = [abs(m.gs_mps) * (tb - ta) for m, (ta, tb) in zip(motions, spans, strict=True)]
    counts = [1 if d < _POINT_M else math.ceil(d / DENSIFY_M) + 1 for d in lengths]
    # per span its n vertices then its middle: tau = ta + (tb - ta) * frac
    ends = np.asarray(spans, dtype=np.float64).reshape(-1, 2)
    per = np.asarray(counts, dtype=np.int64) + 1
    owner = np.repeat(np.arange(len(spans)), per)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(per) - per, per)
    last = np.maximum(per - 2, 1)[owner]
    frac = np.where(step == per[owner] - 1, 0.5, step / last)
    taus = ends[owner, 0] + (ends[owner, 1] - ends[owner, 0]) * frac
    fields = np.array(
        [(m.lon, m.lat, m.trk_deg, m.s0_m, m.gs_mps) for m in motions], dtype=np.float64
    ).reshape(-1, 5)[owner]
    lon, lat, _ = GEOD.fwd(
        fields[:, 0], fields[:, 1], fields[:, 2], fields[:, 3] + fields[:, 4] * taus
    )
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    starts = np.cumsum(per) - per
    offsets = np.column_stack([np.zeros(len(counts), dtype=np.int64), per - 1])
    first_lon, first_lat = lon[starts].tolist(), lat[starts].tolist()
    mid = starts + per - 1
    mid_lon, mid_lat = lon[mid].tolist(), lat[mid].tolist()
    shapes: list[Shape] = []
    for k, (at, d, n) in enumerate(zip(starts.tolist(), lengths, counts, strict=True)):
        x, y = lon[at : at + n], lat[at : at + n]
        if n == 1:
            centre = (first_lon[k], first_lat[k])
            shape = Shape(CIRCLE, x, y, offsets[k], max(0.0, d), 0.0, centre, 1e-3)
        else:
            seg = d / (n - 1) * (1.0 + 1e-9)
            reach = d / 2.0 * (1.0 + 1e-9) + 1e-3
            shape = Shape(CORRIDOR, x, y, offsets[k], 0.0, seg, (mid_lon[k], mid_lat[k]), reach)
        shapes.append(shape)
    return shapes


def swept_boxes(track: Track, now: datetime, lookahead_s: float, defaults: Buffers) -> list[Box4]:
    """Index boxes to search the store's volumes with, for the track's path over the lookahead.

    The path over [now, now + lookahead_s] widened by the line's default buffers (h, v, t); split
    at the antimeridian, every longitude near a pole (the conventions of
    :func:`~deconfliction.detect.strategic.search_boxes`); conservative. As there, a volume that
    asks for larger buffers is found by its own index boxes, which carry them.

    >>> from datetime import UTC
    >>> from deconfliction.domain import ALL, Audience, TrackDomain
    >>> now = datetime(2025, 6, 1, 6, 0, tzinfo=UTC)
    >>> t = Track("p", "a", TrackDomain.AIR, 50.0, 10.0, 1000.0, 100.0, 90.0, 5.0, now, 30.0,
    ...           Audience.of(ALL))
    >>> (b,) = swept_boxes(t, now, 300.0, Buffers(1000.0, 100.0, 60.0))
    >>> round(b.lon_min, 3), round(b.lon_max, 3), b.alt_min, b.alt_max, round(b.t_max - b.t_min, 3)
    (9.986, 10.432, 899.999, 2600.001, 420.002)
    """
    _check_lookahead(lookahead_s)
    m = _Motion.of(track, now)
    alt_lo, alt_hi = -UNBOUNDED_ALT_M, UNBOUNDED_ALT_M  # height unknown: every altitude
    if m.alt0_m is not None:
        ends = (m.alt0_m, m.alt0_m + m.vs_mps * lookahead_s)
        # the height's uncertainty, and a millimetre and a millisecond more against rounding
        alt_lo = min(ends) - defaults.v_m - m.unc_m - 1e-3
        alt_hi = max(ends) + defaults.v_m + m.unc_m + 1e-3
    t0 = now.timestamp() - defaults.t_s - 1e-3
    t1 = now.timestamp() + lookahead_s + defaults.t_s + 1e-3
    return [
        Box4(x0, y0, alt_lo, t0, x1, y1, alt_hi, t1)
        for x0, y0, x1, y1 in m.path(0.0, lookahead_s).boxes(defaults.h_m)
    ]


_SAMPLES = 16  # stretches of the path whose end points bound the boxes of swept_boxes_many
_M_PER_DEG_LAT = 110_574.0  # the shortest degree of latitude on WGS84 (at the equator), metres
_M_PER_DEG_LON = 111_319.0  # a degree of longitude at the equator; times cos(lat) is a lower bound
_POLAR_LAT = 89.9


def swept_boxes_many(
    tracks: Sequence[Track], now: datetime, lookahead_s: float, defaults: Buffers
) -> tuple[list[int], list[Box4]]:
    """:func:`swept_boxes` for many tracks at once: ``(owners, boxes)``, box k for track owners[k].

    One vectorized geodesic call places every track at 17 instants over the lookahead. Every
    point of a path lies within half a stretch (``gs * T / 32``) of one of them, so their
    lon/lat box widened by that and by h, in degrees that are never shorter than the metres
    they stand for, holds the path and every point within h of it. Looser than
    :func:`swept_boxes` by about a sixteenth of the path: more candidates to decide, never fewer.
    Split at the antimeridian; every longitude within reach of a pole. The boxes of
    :func:`swept_box_array`, as ``Box4``.
    """
    owners, boxes = swept_box_array(tracks, now, lookahead_s, defaults)
    return owners.tolist(), [Box4(*b) for b in boxes.tolist()]


def swept_box_array(
    tracks: Sequence[Track], now: datetime, lookahead_s: float, defaults: Buffers
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The boxes of :func:`swept_boxes_many` as arrays: ``owners`` (k,) and ``boxes`` (k, 8),
    each row ``lon_min, lat_min, alt_min, t_min, lon_max, lat_max, alt_max, t_max``, in the order
    of the tracks (a track split at the antimeridian has two consecutive rows)."""
    _check_lookahead(lookahead_s)
    n = len(tracks)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 8), dtype=np.float64)
    lon0 = np.array([t.lon for t in tracks], dtype=np.float64)
    lat0 = np.array([t.lat for t in tracks], dtype=np.float64)
    trk = np.array([t.trk_deg for t in tracks], dtype=np.float64)
    gs = np.abs(np.array([t.gs_mps for t in tracks], dtype=np.float64))
    vs = np.array([t.vs_mps for t in tracks], dtype=np.float64)
    dt = np.array([(now - t.time).total_seconds() for t in tracks], dtype=np.float64)
    alt_now = np.array([math.nan if t.alt_m is None else t.alt_m for t in tracks]) + vs * dt
    unc = np.array([t.alt_unc_m for t in tracks], dtype=np.float64)
    taus = np.linspace(0.0, lookahead_s, _SAMPLES + 1)
    dist = (gs[:, None] * (dt[:, None] + taus[None, :])).ravel()
    k = _SAMPLES + 1
    lon, lat, _ = GEOD.fwd(np.repeat(lon0, k), np.repeat(lat0, k), np.repeat(trk, k), dist)
    lon = np.asarray(lon, dtype=np.float64).reshape(n, k)
    lat = np.asarray(lat, dtype=np.float64).reshape(n, k)
    # unwrap longitudes around each track's first sample
    lon = lon[:, :1] + (lon - lon[:, :1] + 180.0) % 360.0 - 180.0
    margin = gs * lookahead_s / (2 * _SAMPLES) + defaults.h_m + 1.0
    dlat = margin / _M_PER_DEG_LAT
    lat_lo = lat.min(axis=1) - dlat
    lat_hi = lat.max(axis=1) + dlat
    widest = np.maximum(np.abs(lat_lo), np.abs(lat_hi))
    polar = widest >= _POLAR_LAT
    cos = np.cos(np.radians(np.minimum(widest, _POLAR_LAT)))
    dlon = margin / (_M_PER_DEG_LON * cos)
    lon_lo = lon.min(axis=1) - dlon
    lon_hi = lon.max(axis=1) + dlon
    ends = np.stack([alt_now, alt_now + vs * lookahead_s])
    unknown = np.isnan(alt_now)  # a surface track without its height: every altitude
    alt_lo = np.where(unknown, -UNBOUNDED_ALT_M, ends.min(axis=0) - defaults.v_m - unc - 1e-3)
    alt_hi = np.where(unknown, UNBOUNDED_ALT_M, ends.max(axis=0) + defaults.v_m + unc + 1e-3)
    t0 = now.timestamp() - defaults.t_s - 1e-3
    t1 = now.timestamp() + lookahead_s + defaults.t_s + 1e-3
    y0, y1 = np.maximum(-90.0, lat_lo), np.minimum(90.0, lat_hi)
    whole = polar | (lon_hi - lon_lo >= 360.0)
    # near a pole: every longitude, up to the pole on the side the box reaches
    y0 = np.where(polar & (lat_hi > 0), y0, np.where(polar, -90.0, y0))
    y1 = np.where(polar & (lat_hi > 0), 90.0, y1)
    west = ~whole & (lon_lo < -180.0)
    east = ~whole & ~west & (lon_hi > 180.0)
    x0 = np.where(whole, -180.0, np.where(west, lon_lo + 360.0, lon_lo))
    x1 = np.where(whole | west | east, 180.0, lon_hi)
    # the second half of a box split at the antimeridian
    split = np.flatnonzero(west | east)
    sx0 = np.full(len(split), -180.0)
    sx1 = np.where(west[split], lon_hi[split], lon_hi[split] - 360.0)
    owners = np.concatenate([np.arange(n), split])
    xs0 = np.concatenate([x0, sx0])
    xs1 = np.concatenate([x1, sx1])
    ys0 = np.concatenate([y0, y0[split]])
    ys1 = np.concatenate([y1, y1[split]])
    za = np.concatenate([alt_lo, alt_lo[split]])
    zb = np.concatenate([alt_hi, alt_hi[split]])
    m = len(owners)
    boxes = np.column_stack([xs0, ys0, za, np.full(m, t0), xs1, ys1, zb, np.full(m, t1)]).astype(
        np.float64
    )
    order = np.argsort(owners, kind="stable")
    return owners[order].astype(np.int64), boxes[order]


_REACH_SLACK = 1.01  # widens the reach of reach_boxes, and _REACH_PAD_M more, against rounding
_REACH_PAD_M = 1_000.0


def reach_boxes(
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    trk_deg: npt.NDArray[np.float64],
    gs_mps: npt.NDArray[np.float64],
    dt_s: npt.NDArray[np.float64],
    lookahead_s: float,
    defaults: Buffers,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Lon/lat boxes (n x 4: ``lon_min, lat_min, lon_max, lat_max``) each holding the box of
    :func:`swept_box_array` of one track, from one geodesic point per track (where it is half
    way through the lookahead) rather than 17: a cheap first cut of the tracks that may meet a
    volume.

    The path over the lookahead is ``|gs| T`` metres of the track's geodesic, so every point of
    it lies within ``L = |gs| T / 2`` of its middle along the ellipsoid, and the swept box widens
    its samples by ``margin = |gs| T / 32 + h + 1``; a degree of latitude is never shorter than
    110,574 m, nor one of longitude than 111,319 m times the cosine of the highest latitude
    reached. So the box of half-sides ``L + margin`` in those degrees around the middle holds the
    swept box (and 1 % and a kilometre more). ``whole``: the tracks for which no such box is
    drawn (it would reach a pole or cross the antimeridian): keep them all.

    >>> b, whole = reach_boxes(np.array([10.0]), np.array([50.0]), np.array([90.0]),
    ...                        np.array([100.0]), np.array([0.0]), 300.0,
    ...                        Buffers(1000.0, 100.0, 60.0))
    >>> [round(float(x), 3) for x in b[0]], bool(whole[0])  # swept_boxes: 9.986 to 10.432
    ([9.955, 49.836, 10.463, 50.164], False)
    """
    _check_lookahead(lookahead_s)
    gs = np.abs(gs_mps)
    n = len(gs)
    if n == 0:
        return np.zeros((0, 4), dtype=np.float64), np.zeros(0, dtype=bool)
    mid_lon, mid_lat, _ = GEOD.fwd(lon, lat, trk_deg, gs * (dt_s + lookahead_s / 2.0))
    mid_lon = np.asarray(mid_lon, dtype=np.float64)
    mid_lat = np.asarray(mid_lat, dtype=np.float64)
    margin = gs * lookahead_s / (2 * _SAMPLES) + defaults.h_m + 1.0
    r = (gs * lookahead_s / 2.0 + margin) * _REACH_SLACK + _REACH_PAD_M
    dlat = r / _M_PER_DEG_LAT
    widest = np.abs(mid_lat) + dlat
    polar = widest >= _POLAR_LAT
    dlon = r / (_M_PER_DEG_LON * np.cos(np.radians(np.minimum(widest, _POLAR_LAT))))
    boxes = np.column_stack([mid_lon - dlon, mid_lat - dlat, mid_lon + dlon, mid_lat + dlat])
    whole = polar | (boxes[:, 0] < -180.0) | (boxes[:, 2] > 180.0) | ~np.isfinite(boxes).all(1)
    return boxes, np.asarray(whole)


def meeting(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every pair ``(i, j)`` of boxes ``a[i]`` and ``b[j]`` (rows as :func:`swept_box_array`'s)
    that meet on all four axes, closed intervals, in one join: a shapely STRtree over ``b``'s
    lon/lat rectangles queried in bulk with ``a``'s (the tree's envelope test is the closed
    overlap of the rectangles), then altitude and time, vectorized."""
    none = np.zeros(0, dtype=np.int64)
    if len(a) == 0 or len(b) == 0:
        return none, none
    tree = shapely.STRtree(shapely.box(b[:, 0], b[:, 1], b[:, 4], b[:, 5]))
    i, j = tree.query(shapely.box(a[:, 0], a[:, 1], a[:, 4], a[:, 5]))
    lo_a, hi_a, lo_b, hi_b = a[i, :4], a[i, 4:], b[j, :4], b[j, 4:]
    keep = np.all((lo_a <= hi_b) & (lo_b <= hi_a), axis=1)
    return i[keep].astype(np.int64), j[keep].astype(np.int64)


_CELLS_DEG = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
_MAX_CELLS = 16  # a box wider than this many cells each way is a query box of its own
_COVER_BOXES = 200  # how many boxes a cover may have (one store query)


def cover(boxes: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A few boxes (rows as :func:`swept_box_array`'s) that together hold every box of
    ``boxes``, for one indexed store query where there would be one per box: the cells of a
    grid the boxes touch, merged into runs along each row of cells, with the hull of their
    altitudes and times. The finest grid (from half a degree up) whose cover has at most
    _COVER_BOXES boxes, else the coarsest: fine enough not to read far-away volumes, coarse
    enough for one query."""
    if len(boxes) == 0:
        return np.zeros((0, 8), dtype=np.float64)
    out = boxes
    for cell in _CELLS_DEG:
        out = _cover(boxes, cell)
        if len(out) <= _COVER_BOXES:
            break
    return out


def _cover(boxes: npt.NDArray[np.float64], cell: float) -> npt.NDArray[np.float64]:
    cols = int(math.ceil(360.0 / cell))
    rows = int(math.ceil(180.0 / cell))
    cx0 = np.clip(np.floor((boxes[:, 0] + 180.0) / cell), 0, cols - 1).astype(np.int64)
    cx1 = np.clip(np.floor((boxes[:, 4] + 180.0) / cell), 0, cols - 1).astype(np.int64)
    cy0 = np.clip(np.floor((boxes[:, 1] + 90.0) / cell), 0, rows - 1).astype(np.int64)
    cy1 = np.clip(np.floor((boxes[:, 5] + 90.0) / cell), 0, rows - 1).astype(np.int64)
    nx, ny = cx1 - cx0 + 1, cy1 - cy0 + 1
    big = (nx > _MAX_CELLS) | (ny > _MAX_CELLS)
    small = np.flatnonzero(~big)
    per = (nx * ny)[small]
    owner = np.repeat(small, per)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(per) - per, per)
    cx = cx0[owner] + step % nx[owner]
    cy = cy0[owner] + step // nx[owner]
    cells = np.unique(cy * cols + cx)
    cy_u, cx_u = cells // cols, cells % cols
    breaks = (np.diff(cells) != 1) | (np.diff(cy_u) != 0)
    starts = np.flatnonzero(np.concatenate(([True], breaks)))
    ends = np.concatenate((starts[1:], [len(cells)])) - 1
    pad = 1e-9  # outward, against rounding at the cells' edges
    alt_lo, alt_hi = float(boxes[:, 2].min()), float(boxes[:, 6].max())
    t_lo, t_hi = float(boxes[:, 3].min()), float(boxes[:, 7].max())
    k = len(starts)
    runs = np.column_stack(
        [
            np.maximum(-180.0, -180.0 + cx_u[starts] * cell - pad),
            np.maximum(-90.0, -90.0 + cy_u[starts] * cell - pad),
            np.full(k, alt_lo),
            np.full(k, t_lo),
            np.minimum(180.0, -180.0 + (cx_u[ends] + 1) * cell + pad),
            np.minimum(90.0, -90.0 + (cy_u[ends] + 1) * cell + pad),
            np.full(k, alt_hi),
            np.full(k, t_hi),
        ]
    )
    return np.concatenate([runs, boxes[big]]).astype(np.float64)


def intrusions(
    tracks: Sequence[Track],
    candidates: Sequence[Candidate],
    pairs: Sequence[tuple[int, int]],
    now: datetime,
    lookahead_s: float,
    defaults: Buffers,
) -> list[Intrusion]:
    """Decide each (track index, candidate index) pair exactly, sorted by (track, volume).

    Pairs of a track and a volume of its own party are skipped; repeated pairs count once. The
    buffers of a pair are the line's ``defaults`` raised by the candidate's own. A pair is
    reported when the track's path over [now, now + lookahead_s] comes within h of the footprint
    at a time when its altitude is inside the band widened by v and by the track's ``alt_unc_m``,
    and the instant inside the window widened by t (never a miss; a false alarm only within the
    Safety rule's tolerance on h). Every pair is decided at once, round by round
    (:func:`_entries`): one geodesic call per round and one exact call per volume, whatever the
    number of tracks; :func:`intrusions_per_track` decides them one track at a time.

    Parameters
    ----------
    tracks : the tracks, each extrapolated from its own report time (liveness is the caller's).
    candidates : the volumes they may enter (e.g. found with :func:`swept_boxes`).
    pairs : which (track, candidate) pairs to decide.
    now : when the lookahead starts (timezone-aware).
    lookahead_s : how far ahead to look (seconds).
    defaults : the line's default buffers.

    Examples
    --------
    >>> from datetime import UTC, timedelta
    >>> from deconfliction.domain import ALL, AltitudeBand, Audience, Footprint, TimeWindow
    >>> from deconfliction.domain import TrackDomain
    >>> from deconfliction.geo import prepare
    >>> now = datetime(2025, 6, 1, 6, 0, tzinfo=UTC)
    >>> site = prepare(Footprint(FootprintKind.CIRCLE, (((10.1, 50.0),),), 1000.0))
    >>> c = Candidate("n#0", "q", TimeWindow(now, now + timedelta(hours=1)), AltitudeBand(),
    ...               site, None)
    >>> t = Track("p", "a", TrackDomain.AIR, 50.0, 10.0, 1000.0, 50.0, 90.0, 0.0, now, 30.0,
    ...           Audience.of(ALL))
    >>> (hit,) = intrusions([t], [c], [(0, 0)], now, 300.0, Buffers(h_m=500.0))
    >>> hit.track, hit.volume, round(hit.t_in_s), round(hit.distance_m)
    (0, 0, 113, 6170)
    """
    _check_lookahead(lookahead_s)
    by_track: dict[int, dict[int, None]] = {}
    for i, j in pairs:
        if candidates[j].party != tracks[i].party:
            by_track.setdefault(i, {})[j] = None
    items: list[tuple[int, _Motion, _Pair]] = []
    for i in sorted(by_track):
        m = _Motion.of(tracks[i], now)
        for j in sorted(by_track[i]):
            c = candidates[j]
            buf = effective_buffers(defaults, None, c.buffers)
            span = m.interval(c, buf, now, lookahead_s)
            if span is not None:
                items.append((i, m, _Pair(j, c.shape, buf.h_m, *span)))
    if not items:
        return []
    t_in = _entries([(m, p) for _, m, p in items])
    hits = [(x, t) for x, t in zip(items, t_in, strict=True) if t is not None]
    if not hits:
        return []
    dist = _distances_now([(m, p) for (_, m, p), _ in hits])
    return [Intrusion(i, p.j, t, d) for ((i, _, p), t), d in zip(hits, dist, strict=True)]


def intrusions_per_track(
    tracks: Sequence[Track],
    candidates: Sequence[Candidate],
    pairs: Sequence[tuple[int, int]],
    now: datetime,
    lookahead_s: float,
    defaults: Buffers,
) -> list[Intrusion]:
    """:func:`intrusions` one track at a time, each entry time searched alone with prefixes of
    the path: the reference the batched decision is tested against (``tests/detect``)."""
    _check_lookahead(lookahead_s)
    by_track: dict[int, dict[int, None]] = {}
    for i, j in pairs:
        if candidates[j].party != tracks[i].party:
            by_track.setdefault(i, {})[j] = None
    found: list[Intrusion] = []
    for i in sorted(by_track):
        m = _Motion.of(tracks[i], now)
        sure = _sure(m, sorted(by_track[i]), candidates, now, lookahead_s, defaults)
        if not sure:
            continue
        _, dist = within(m.path(0.0, 0.0), [p.shape for p in sure], 0.0)
        found.extend(
            Intrusion(i, p.j, _entry(m, p.shape, p.h_m, p.t0, p.t1), float(d))
            for p, d in zip(sure, dist.tolist(), strict=True)
        )
    return found


def _check_lookahead(lookahead_s: float) -> None:
    if not lookahead_s >= 0.0:
        raise ValueError(f"lookahead_s must be a number of seconds >= 0, not {lookahead_s}")


def _sure(
    m: _Motion,
    js: list[int],
    candidates: Sequence[Candidate],
    now: datetime,
    lookahead_s: float,
    defaults: Buffers,
) -> list[_Pair]:
    """The candidates ``js`` the track ``m`` is predicted to enter (exact), sorted by index."""
    live: list[_Pair] = []
    for j in js:
        c = candidates[j]
        buf = effective_buffers(defaults, None, c.buffers)
        span = m.interval(c, buf, now, lookahead_s)
        if span is not None:
            live.append(_Pair(j, c.shape, buf.h_m, *span))
    if not live:
        return []
    # one call for every candidate over the union of their intervals: exact for those whose
    # interval is the union (the usual case), a sure "clear" for the others
    union = (min(p.t0 for p in live), max(p.t1 for p in live))
    sure: list[_Pair] = []
    narrower: dict[tuple[float, float], list[_Pair]] = {}
    for p in _hits(m.path(*union), live):
        if (p.t0, p.t1) == union:
            sure.append(p)
        else:
            narrower.setdefault((p.t0, p.t1), []).append(p)
    for span, group in narrower.items():
        sure.extend(_hits(m.path(*span), group))
    sure.sort(key=lambda p: p.j)
    return sure


def _by_volume(pairs: Sequence[_Pair]) -> dict[int, list[int]]:
    """Which of ``pairs`` (positions) share each candidate, so that one call decides them."""
    groups: dict[int, list[int]] = {}
    for k, p in enumerate(pairs):
        groups.setdefault(p.j, []).append(k)
    return groups


def _distances_now(items: Sequence[tuple[_Motion, _Pair]]) -> list[float]:
    """Each track's horizontal distance at now from its candidate's footprint (0 inside): one
    :func:`~geo.within` call per candidate for every track in it."""
    points = _paths([m for m, _ in items], [(0.0, 0.0)] * len(items))
    out = [0.0] * len(items)
    for ks in _by_volume([p for _, p in items]).values():
        shape = items[ks[0]][1].shape
        _, dist = within(shape, [points[k] for k in ks], 0.0)
        for k, d in zip(ks, dist.tolist(), strict=True):
            out[k] = float(d)
    return out


def _entries(items: Sequence[tuple[_Motion, _Pair]]) -> list[float | None]:
    """Whether each (track, candidate) pair meets, and when it first does, all pairs at once:
    the entry time to RESOLUTION_S (never later than the true one), None when it never does.

    The first round tests the instant t0 alone and _FAN_MANY disjoint stretches covering the
    pair's whole interval [t0, t1]: the pair meets when one of them comes within h
    (:func:`~geo.within` never misses, so a true entry is never lost; a false alarm only within
    its tolerance, as for the whole path at once). Each later round cuts the bracket [lo, hi]
    the same way; the first stretch that comes within h is the new bracket, and when none of
    the first _FAN_MANY - 1 does, it is the last one. Every stretch before the bracket is surely
    clear, so the answer, lo, is never later than the true entry. Each round places every
    pair's stretches with one geodesic call and decides them with one ``within`` call per
    candidate, for every track facing it.
    """
    n = len(items)
    lo = [p.t0 for _, p in items]
    hi = [p.t1 for _, p in items]
    out: list[float | None] = [None] * n
    first = True
    active = list(range(n))
    while active:
        motions: list[_Motion] = []
        spans: list[tuple[float, float]] = []
        cuts: dict[int, list[float]] = {}
        start: dict[int, int] = {}
        groups: dict[int, tuple[_Pair, list[int]]] = {}
        for k in active:
            m, p = items[k]
            taus = (lo[k] + (hi[k] - lo[k]) * np.arange(1, _FAN_MANY) / _FAN_MANY).tolist()
            bounds = [lo[k], *taus, hi[k]] if first else [lo[k], *taus]
            cuts[k] = bounds
            start[k] = len(spans)
            if first:
                spans.append((p.t0, p.t0))
            spans.extend(zip(bounds[:-1], bounds[1:], strict=True))
            motions.extend([m] * (len(spans) - start[k]))
            groups.setdefault(p.j, (p, []))[1].extend(range(start[k], len(spans)))
        shapes = _paths(motions, spans)
        hit = np.zeros(len(spans), dtype=bool)
        for p, idx in groups.values():
            hit[idx] = within(p.shape, [shapes[i] for i in idx], p.h_m, estimate=False)[0]
        still = []
        for k in active:
            bounds = cuts[k]
            row = hit[start[k] : start[k] + len(bounds) - 1 + first].tolist()
            if first:
                if row[0]:  # within h at t0 already
                    out[k] = lo[k]
                    continue
                row = row[1:]
            q = next((q for q, x in enumerate(row) if x), None)
            if q is None:
                if first:
                    continue  # no stretch of its interval comes within h: clear
                lo[k] = bounds[-1]
            else:
                lo[k], hi[k] = bounds[q], bounds[q + 1]
            if hi[k] - lo[k] > RESOLUTION_S:
                still.append(k)
            else:
                out[k] = lo[k]
        active = still
        first = False
    return out


class _Pair(NamedTuple):
    """A candidate still in play for one track: its index, shape, h and interval of times."""

    j: int
    shape: Shape
    h_m: float
    t0: float
    t1: float


def _hits(path: Shape, pairs: list[_Pair]) -> list[_Pair]:
    """The pairs whose footprint comes within their h of ``path`` (one vectorized call)."""
    h = np.array([p.h_m for p in pairs], dtype=np.float64)
    hit, _ = within(path, [p.shape for p in pairs], h, estimate=False)
    return [p for p, x in zip(pairs, hit.tolist(), strict=True) if x]


def _entry(m: _Motion, shape: Shape, h_m: float, t0: float, t1: float) -> float:
    """The first time in [t0, t1] the track is within ``h_m`` of ``shape``, to RESOLUTION_S.

    The path over [t0, t1] is known to come within h_m. The distance from the prefix [t0, tau]
    to the footprint never grows with tau, so the search keeps lo (its prefix surely clear) and hi
    (its prefix within h_m) and narrows [lo, hi] with _FAN prefixes per vectorized call; it
    returns lo, never later than the true entry.
    """
    lo, hi = t0, t1
    first = True
    while hi - lo > RESOLUTION_S:
        taus = (lo + (hi - lo) * np.arange(1, _FAN) / _FAN).tolist()
        spans = [(lo, t) for t in taus]
        if first:  # already within at t0?
            spans.insert(0, (t0, t0))
        shapes = m.paths(spans)
        hit = within(shape, shapes, h_m, estimate=False)[0].tolist()
        if first:
            if hit[0]:
                return t0
            hit = hit[1:]
            first = False
        k = next((n for n, x in enumerate(hit) if x), None)
        if k is None:
            lo = taus[-1]
        else:
            lo, hi = (lo if k == 0 else taus[k - 1]), taus[k]
    return lo
