"""What really happened in the replayed sample: losses of separation between the recorded tracks.

bench/replay.py compares them with the conflicts the line predicted: was each real loss told
before it began, and which predictions never came true (the detector extrapolates in straight
lines; real aircraft turn, level off and land).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import Geod

from _replay_sample import Sample

__all__ = ["AIRPORTS", "Loss", "losses", "nearest_airport", "why_untold"]

_GEOD = Geod(ellps="WGS84")
_R_SPHERE = 6_371_008.8
_BLOCK_S = 120
_MERGE_S = 60.0  # a gap shorter than this keeps one loss going

AIRPORTS = {  # aerodrome reference points
    "CDG": (49.0097, 2.5478),
    "ORY": (48.7233, 2.3794),
    "LBG": (48.9694, 2.4414),
    "BVA": (49.4542, 2.1128),
}


@dataclass(frozen=True)
class Loss:
    """Two recorded aircraft of different parties within the minima at the same second(s)."""

    a: str  # icao24, a < b
    b: str
    start_s: float
    end_s: float
    seconds: int  # seconds both were reported and within the minima
    min_h_m: float
    v_at_min_m: float
    lowest_ft: float  # the lower aircraft's altitude at the closest second


def _haversine(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    d: np.ndarray = 2 * _R_SPHERE * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return d


def nearest_airport(lat: float, lon: float, within_m: float = 25_000.0) -> str:
    names = list(AIRPORTS)
    pts = np.array([AIRPORTS[n] for n in names])
    d = _haversine(np.full(len(pts), lat), np.full(len(pts), lon), pts[:, 0], pts[:, 1])
    k = int(np.argmin(d))
    return names[k] if d[k] <= within_m else ""


def losses(s: Sample, party: np.ndarray, h_m: float, v_m: float) -> tuple[list[Loss], int]:
    """Losses between aircraft of different parties, and how many pairs of one party lost it.

    Only seconds at which both aircraft have a usable report count (the sample reports every
    second); horizontal distance on the WGS84 ellipsoid, vertical from the reported altitudes.
    """
    uids, k = np.unique(s.icao24, return_inverse=True)
    _, pk = np.unique(party, return_inverse=True)
    sec = np.rint(s.t_s - s.t_s[0]).astype(np.int64)
    n_t, n_k = int(sec.max()) + 1, len(uids)
    lat, lon, alt = (np.full((n_t, n_k), np.nan) for _ in range(3))
    grp = np.full((n_t, n_k), -1, np.int64)
    lat[sec, k], lon[sec, k], alt[sec, k], grp[sec, k] = s.lat, s.lon, s.alt_m, pk
    hits: list[tuple[int, int, int, float, float, float]] = []
    same_party: set[tuple[int, int]] = set()
    for t0 in range(0, n_t, _BLOCK_S):
        blk = slice(t0, min(n_t, t0 + _BLOCK_S))
        act = np.flatnonzero(np.isfinite(lat[blk]).any(axis=0))
        if len(act) < 2:
            continue
        la, lo, al, gr = (x[blk][:, act] for x in (lat, lon, alt, grp))
        h = _haversine(la[:, :, None], lo[:, :, None], la[:, None, :], lo[:, None, :])
        dv = np.abs(al[:, :, None] - al[:, None, :])
        upper = np.triu(np.ones((len(act), len(act)), bool), 1)
        near = (h < h_m * 1.01) & (dv < v_m) & upper  # NaN compares False
        ti, i, j = np.nonzero(near)
        if not len(ti):
            continue
        _, _, d = _GEOD.inv(lo[ti, i], la[ti, i], lo[ti, j], la[ti, j])
        keep = d < h_m
        ti, i, j, d = ti[keep], i[keep], j[keep], d[keep]
        same = gr[ti, i] == gr[ti, j]
        same_party.update(zip(act[i[same]].tolist(), act[j[same]].tolist(), strict=True))
        for t, a, b, dd in zip(ti[~same], i[~same], j[~same], d[~same], strict=True):
            lowest = min(al[t, a], al[t, b]) / 0.3048
            hits.append((t0 + int(t), int(act[a]), int(act[b]), float(dd),
                         float(dv[t, a, b]), float(lowest)))  # fmt: skip
    out: list[Loss] = []
    hits.sort(key=lambda x: (x[1], x[2], x[0]))
    run: list[tuple[int, int, int, float, float, float]] = []

    def close() -> None:
        if run:
            best = min(run, key=lambda x: x[3])
            a, b = sorted((str(uids[run[0][1]]), str(uids[run[0][2]])))
            out.append(Loss(a, b, s.t_s[0] + run[0][0], s.t_s[0] + run[-1][0], len(run),
                            best[3], best[4], best[5]))  # fmt: skip

    for h_ in hits:
        if run and (h_[1:3] != run[-1][1:3] or h_[0] - run[-1][0] > _MERGE_S):
            close()
            run = []
        run.append(h_)
    close()
    out.sort(key=lambda x: x.start_s)
    return out, len(same_party)


def why_untold(
    x: Loss,
    s: Sample,
    scan_at: np.ndarray,
    scan_read_by: np.ndarray,
    posted: np.ndarray,
    stored: np.ndarray,
    lookahead_s: float,
    stale_s: float,
) -> tuple[str, str]:
    """What the line could see of a loss it never told, at each scan during it (or none).

    A report was certainly stored by a scan at ``at`` when its POST had returned by then
    (``stored``, simulated seconds per report; NaN when never sent); one whose POST had started
    by the end of the scan's read (``scan_read_by``) but returned after ``at`` may or may not
    have been. The detector is run again offline on every such version of the two tracks:
    "finds it" on all versions at some scan would be a miss by the line.
    """
    inside = np.flatnonzero((scan_at >= x.start_s) & (scan_at <= x.end_s))
    if not len(inside):
        before = int(((scan_at < x.start_s) & (scan_at >= x.start_s - lookahead_s)).sum())
        return "no scan during it", f"{before} scan(s) in the {lookahead_s:g} s before missed it"
    seen = [_at_scan(x, s, float(scan_at[k]), float(scan_read_by[k]), posted, stored,
                     lookahead_s, stale_s) for k in inside]  # fmt: skip
    rank = ("the detector finds it offline", "depends on a report in flight", "a track not live")
    for verdict in rank:
        for v, text in seen:
            if v == verdict:
                return v, text
    return seen[0]


def _at_scan(
    x: Loss, s: Sample, at: float, read_by: float, posted: np.ndarray, stored: np.ndarray,
    lookahead_s: float, stale_s: float,
) -> tuple[str, str]:  # fmt: skip
    from deconfliction.detect.tactical import States, detect

    when = f"scan {_hms(at)}"
    versions: list[list[int | None]] = []  # None: no live track at that scan
    for uid in (x.a, x.b):
        idx = np.flatnonzero(s.icao24 == uid)
        sure = idx[stored[idx] <= at]
        maybe = idx[(stored[idx] > at) & (posted[idx] <= read_by)]
        first = [int(sure[np.argmax(s.t_s[sure])])] if len(sure) else []
        alt = [int(i) for i in maybe if not first or s.t_s[i] > s.t_s[first[0]]]
        mine = [_live(i, s, at, stale_s) for i in [first[0] if first else None, *alt[-1:]]]
        if all(i is None for i in mine):
            age = "none" if not first else f"{at - s.t_s[first[0]]:.0f} s old"
            return "a track not live", f"{when}: {uid}'s newest stored report {age}"
        versions.append(mine)
    found, last = [], ""
    for ia in versions[0]:
        for ib in versions[1]:
            if ia is None or ib is None:
                found.append(False)
                continue
            st = States.of(s.lat[[ia, ib]], s.lon[[ia, ib]], s.alt_m[[ia, ib]],
                           s.gs_mps[[ia, ib]], s.trk_deg[[ia, ib]], s.vs_mps[[ia, ib]])  # fmt: skip
            st = st.advanced(at - s.t_s[[ia, ib]])
            found.append(len(detect(st, lookahead_s).i) > 0)
            _, _, d = _GEOD.inv(st.lon[0], st.lat[0], st.lon[1], st.lat[1])
            dz = abs(st.alt_m[0] - st.alt_m[1]) / 0.3048
            last = f"{d / 1852:.2f} NM, {dz:,.0f} ft"
    seen = ""
    ra, rb = s.where(x.a, round(at), strict=True), s.where(x.b, round(at), strict=True)
    if ra is not None and rb is not None and s.t_s[ra] == s.t_s[rb] == round(at):
        _, _, rd = _GEOD.inv(s.lon[ra], s.lat[ra], s.lon[rb], s.lat[rb])
        rz = abs(s.alt_m[ra] - s.alt_m[rb]) / 0.3048
        seen = f" (recorded: {rd / 1852:.2f} NM, {rz:,.0f} ft)"
    text = f"{when}: extrapolated {last} apart{seen}"
    if all(found):
        return "the detector finds it offline", text
    if any(found):
        return "depends on a report in flight", text + f"; {len(found)} versions"
    return "the detector finds none offline", text


def _live(i: int | None, s: Sample, at: float, stale_s: float) -> int | None:
    return i if i is not None and at - s.t_s[i] <= stale_s else None


def _hms(t: float) -> str:
    from datetime import UTC, datetime

    return f"{datetime.fromtimestamp(t, UTC):%H:%M:%S}"
