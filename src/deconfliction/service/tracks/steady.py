"""Which tactical pairs of a scan go on exactly as they were last told, decided for every pair
at once in numpy, so that reconciliation makes no object for them.

A pair found again whose conflict would not change materially (``TrackConflict.
differs_materially``) is neither stored nor told: :func:`quiet` answers True only for pairs the
object path in ``service.tracks.scan`` would also leave as they are, never for one it would
store (times compared with 10 µs to spare against the rounding of ``timedelta``; an answer of
False sends the pair down that path, which decides exactly). Written by hand: the rule is the
line's own (``Retell``), taken here column by column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from deconfliction.domain import AlertLevels, Audience, Retell, Severity, Track, TrackConflict
from deconfliction.service.tracks.findings import TacticalFound
from deconfliction.store.codec import dt_to_us

__all__ = ["Told", "quiet"]

_SPARE_US = 10.0
"""How far inside a retell threshold a time must be for the columns to call it unchanged: well
above the microsecond to which ``now + timedelta(seconds=...)`` rounds."""
_ROUNDS_TO_NOW_S = 1e-5
"""A time this close after ``now`` may round onto it: left to the object path."""
_NOBODY = Audience()
_RANK = {Severity.WARNING: 0, Severity.CAUTION: 1, Severity.ADVISORY: 2}

# a told conflict's figures: t_in, t_out, cpa (µs since the epoch, NaN: none), distance (NaN:
# none), severity rank
_Figures = tuple[float, float, float, float, int]


def _us(value: datetime | None) -> float:
    return float("nan") if value is None else float(dt_to_us(value))


def _figures(c: TrackConflict) -> _Figures:
    return (
        float(dt_to_us(c.t_in)),
        _us(c.t_out),
        _us(c.cpa),
        float("nan") if c.distance_m is None else c.distance_m,
        _RANK[c.severity],
    )


def _same_sides(c: TrackConflict, a: Track, b: Track) -> bool:
    """Whether the sides of ``c`` are those of a tactical pair of ``a`` and ``b`` (as the
    conflict the object path would make of it)."""
    return (
        c.party_b == b.party
        and c.track_b == b.uid
        and c.notice_a is None
        and c.volume_a is None
        and c.notice_b is None
        and c.volume_b is None
        and c.movement is None
        and c.reason is None
        and c.agreement is None
        and c.told == _NOBODY
        and c.visible_a == a.audience
        and c.visible_b == b.audience
    )


@dataclass
class Told:
    """What :func:`quiet` worked out of told conflicts, by key, while the conflict and its two
    tracks are the same objects: their figures and whether their sides match."""

    memo: dict[str, tuple[TrackConflict, Track, Track, _Figures, bool]] = field(
        default_factory=dict
    )


def quiet(
    found: TacticalFound,
    held: Sequence[TrackConflict | None],
    now_us: int,
    retell: Retell,
    alerts: AlertLevels,
    told: Told,
) -> npt.NDArray[np.bool_]:
    """For each pair of ``found``, whether its conflict ``held[k]`` (``None``: none live) goes
    on unchanged: same status, severity and sides, every instant moved by less than
    ``retell.time_s``, the distance not moved materially; or, for an instant already passed on
    both, kept as told (the object path's rules). ``told`` is updated to this scan's pairs."""
    n = len(found)
    out = np.zeros(n, dtype=bool)
    idx = [k for k, h in enumerate(held) if h is not None]
    if not idx:
        told.memo = {}
        return out
    tracks, a_of, b_of = found.tracks, found.a.tolist(), found.b.tolist()
    memo, kept = told.memo, {}
    figures: list[_Figures] = []
    sides = np.zeros(len(idx), dtype=bool)
    for q, k in enumerate(idx):
        c, key = held[k], found.keys[k]
        assert c is not None
        a, b = tracks[a_of[k]], tracks[b_of[k]]
        m = memo.get(key)
        if m is None or m[0] is not c or m[1] is not a or m[2] is not b:
            m = (c, a, b, _figures(c), _same_sides(c, a, b))
        kept[key] = m
        figures.append(m[3])
        sides[q] = m[4]
    told.memo = kept
    at = np.asarray(idx, dtype=np.int64)
    h = np.asarray(figures, dtype=np.float64).reshape(-1, 5)
    h_in, h_out, h_cpa, h_dist, h_rank = h[:, 0], h[:, 1], h[:, 2], h[:, 3], h[:, 4]
    t_in, t_out = found.t_in_s[at], found.t_out_s[at]
    tcpa, dist = found.tcpa_s[at], found.dcpa_m[at]
    now = float(now_us)
    limit = retell.time_s * 1e6 - _SPARE_US

    def near(
        seconds: npt.NDArray[np.float64], then: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        with np.errstate(invalid="ignore"):
            moved = np.abs(now + seconds * 1e6 - then)
        return np.asarray(moved < limit)

    rank = np.where(t_in <= alerts.warning_s, 0, np.where(t_in <= alerts.caution_s, 1, 2))
    ok = sides & (rank == h_rank)
    ok &= ~((t_in > 0) & (t_in < _ROUNDS_TO_NOW_S)) & ~((tcpa > 0) & (tcpa < _ROUNDS_TO_NOW_S))
    # a loss of separation under way keeps the time it began
    ok &= ((t_in <= 0) & (h_in <= now)) | near(t_in, h_in)
    ends = np.isfinite(t_out)
    ok &= ends != np.isnan(h_out)
    ok &= ~ends | near(np.where(ends, t_out, 0.0), h_out)
    ok &= ~np.isnan(h_cpa) & ~np.isnan(h_dist)
    moved = np.abs(dist - h_dist)
    floor = np.maximum(
        retell.least_m, np.minimum(retell.distance_m, 0.5 * np.maximum(dist, h_dist))
    )
    material = (moved >= floor) & (moved >= retell.distance_fraction * h_dist)
    # a closest approach passed on both keeps when and how close it was
    ok &= ((tcpa <= 0) & (h_cpa <= now)) | (near(tcpa, h_cpa) & ~material)
    out[at] = ok
    return out
