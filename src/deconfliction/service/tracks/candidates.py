"""Which stored volumes each live track of a scan may meet: the candidates of intrusions (every
track at once, in one join) and of deviations near other parties' volumes (an indexed search per
batch of boxes). ``service.tracks.findings`` decides them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from deconfliction.detect.intrusion import cover, meeting, reach_boxes, swept_box_array
from deconfliction.detect.settings import ScanSettings
from deconfliction.detect.strategic import UNBOUNDED_ALT_M
from deconfliction.geo import Box4
from deconfliction.service.line import Line
from deconfliction.service.tracks.live import TrackColumns
from deconfliction.store.base import Tx, VolumeRow

__all__ = ["intrusion_pairs", "search"]

_BOX_CHUNK = 200


def _meets(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which boxes of ``a`` (n x 8: mins then maxes) meet which of ``b`` (m x 8): n x m."""
    lo_a, hi_a = a[:, None, :4], a[:, None, 4:]
    lo_b, hi_b = b[None, :, :4], b[None, :, 4:]
    meets: np.ndarray = np.all((lo_a <= hi_b) & (lo_b <= hi_a), axis=2)
    return meets


def _array(boxes: Sequence[Box4]) -> np.ndarray:
    return np.array(
        [
            (b.lon_min, b.lat_min, b.alt_min, b.t_min, b.lon_max, b.lat_max, b.alt_max, b.t_max)
            for b in boxes
        ],
        dtype=np.float64,
    ).reshape(-1, 8)


def search(
    tx: Tx, owners: Sequence[int], boxes: Sequence[Box4]
) -> tuple[list[VolumeRow], list[tuple[int, int]]]:
    """Stored volumes whose boxes meet ``boxes``, and (owner, row) pairs for each that does."""
    rows: list[VolumeRow] = []
    seen: dict[tuple[str, int], int] = {}
    pairs: set[tuple[int, int]] = set()
    for s in range(0, len(boxes), _BOX_CHUNK):
        chunk = boxes[s : s + _BOX_CHUNK]
        found = tx.candidates(chunk)
        if not found:
            continue
        index = []
        for r in found:
            k = (r.notice_id, r.index)
            if k not in seen:
                seen[k] = len(rows)
                rows.append(r)
            index.append(seen[k])
        row_boxes = [b for r in found for b in r.boxes]
        row_of = np.repeat(index, [len(r.boxes) for r in found])
        hit = _meets(_array(chunk), _array(row_boxes))
        qi, ri = np.nonzero(hit)
        own = np.asarray(owners[s : s + _BOX_CHUNK])
        pairs.update(zip(own[qi].tolist(), row_of[ri].tolist(), strict=True))
    return rows, sorted(pairs)


def _volumes(
    tx: Tx, boxes: npt.NDArray[np.float64]
) -> tuple[list[VolumeRow], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The active volumes whose index boxes meet the few boxes ``cover(boxes)`` (a superset of
    those meeting ``boxes``): their rows, and every index box of theirs (k x 8) with its row."""
    rows: dict[tuple[str, int], VolumeRow] = {}
    query = [Box4(*b) for b in cover(boxes).tolist()]
    for s in range(0, len(query), _BOX_CHUNK):
        for r in tx.candidates(query[s : s + _BOX_CHUNK]):
            rows.setdefault((r.notice_id, r.index), r)
    found = [rows[k] for k in sorted(rows)]
    row_of = np.repeat(np.arange(len(found), dtype=np.int64), [len(r.boxes) for r in found])
    return found, row_of, _array([b for r in found for b in r.boxes])


_NEAR_CELL_DEG = 0.5  # the cells by which tracks' reach boxes are merged for the first cut


def intrusion_pairs(
    tx: Tx, line: Line, columns: TrackColumns, now: datetime, settings: ScanSettings
) -> tuple[list[VolumeRow], list[tuple[int, int]]]:
    """The candidate volumes of every track, in one join: all tracks' swept boxes against the
    index boxes of the active volumes near any of them; (track, row) pairs of other parties.

    A first cut with one geodesic point a track keeps the swept boxes (17 points a track) to the
    tracks that may meet a volume: each track's reach box (``reach_boxes``, which holds its
    swept box), merged by the cell of the grid the track is in, asks the store for volumes (with
    the swept boxes of the tracks the cut keeps whole: together they hold every swept box); the
    tracks of cells whose merged box meets a volume's index box are kept when their own reach
    box does too. A track dropped has no swept box that meets a volume's."""
    tracks, states = columns.tracks, columns.states
    lookahead_s, defaults = settings.lookahead_s, line.defaults
    dt = columns.seconds_since(now)
    reach, whole = reach_boxes(
        states.lon, states.lat, states.trk_deg, states.gs_mps, dt, lookahead_s, defaults
    )
    kept = np.flatnonzero(whole)
    k_owners, k_boxes = swept_box_array([tracks[i] for i in kept.tolist()], now, lookahead_s,
                                        defaults)  # fmt: skip
    cut = np.flatnonzero(~whole)
    cell = np.floor((states.lon[cut] + 180.0) / _NEAR_CELL_DEG) * 1e4 + np.floor(
        (states.lat[cut] + 90.0) / _NEAR_CELL_DEG
    )
    order = np.argsort(cell, kind="stable")
    cut, cell = cut[order], cell[order]
    starts = np.flatnonzero(np.concatenate(([True], np.diff(cell) != 0))) if len(cut) else cut
    t0 = now.timestamp() - defaults.t_s - 1e-3
    t1 = now.timestamp() + lookahead_s + defaults.t_s + 1e-3
    m = len(starts)
    merged = np.zeros((m, 8), dtype=np.float64)
    if m:
        r = reach[cut]
        merged[:, 0] = np.minimum.reduceat(r[:, 0], starts)
        merged[:, 1] = np.minimum.reduceat(r[:, 1], starts)
        merged[:, 4] = np.maximum.reduceat(r[:, 2], starts)
        merged[:, 5] = np.maximum.reduceat(r[:, 3], starts)
    merged[:, 2], merged[:, 6] = -UNBOUNDED_ALT_M, UNBOUNDED_ALT_M
    merged[:, 3], merged[:, 7] = t0, t1
    rows, row_of, volume_boxes = _volumes(tx, np.concatenate([merged, k_boxes]))
    if not rows:
        return rows, []
    near, _ = meeting(merged, volume_boxes)
    near_cells = np.zeros(m, dtype=bool)
    near_cells[near] = True
    # the tracks of the cells near a volume (each sorted track's cell counts the starts so far)
    first = np.zeros(len(cut), dtype=np.int64)
    first[starts] = 1
    cell_of = np.cumsum(first) - 1
    in_near = cut[near_cells[cell_of]]
    # and of those, the tracks whose own box meets one
    own = np.zeros((len(in_near), 8), dtype=np.float64)
    own[:, [0, 1, 4, 5]] = reach[in_near]
    own[:, 2], own[:, 6], own[:, 3], own[:, 7] = -UNBOUNDED_ALT_M, UNBOUNDED_ALT_M, t0, t1
    near_tracks = np.unique(in_near[meeting(own, volume_boxes)[0]])
    n_owners, n_boxes = swept_box_array([tracks[i] for i in near_tracks.tolist()], now,
                                        lookahead_s, defaults)  # fmt: skip
    owners = np.concatenate([near_tracks[n_owners], kept[k_owners]])
    boxes = np.concatenate([n_boxes, k_boxes])
    bi, vi = meeting(boxes, volume_boxes)
    if len(bi) == 0:
        return rows, []
    key = np.unique(owners[bi] * len(rows) + row_of[vi])
    ti, ri = np.divmod(key, len(rows))
    parties = [r.party for r in rows]
    pairs = [
        (t, r)
        for t, r in zip(ti.tolist(), ri.tolist(), strict=True)
        if parties[r] != tracks[t].party
    ]
    return rows, pairs
