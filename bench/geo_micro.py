"""Micro-benchmark of the geometry core: per-call timings of what a checked create does.

Run: ``python bench/geo_micro.py``. Volumes are square-ish, 100 m - 200 km, scattered around one
volume so that most candidates conflict; then the service benchmark's own workload
(``bench/_workload.py``: 1,000,000 volumes over Syria/Iraq), where each create meets the ~150
candidates whose 4-D boxes meet its own (zero buffers).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from pyproj import Geod

from deconfliction.detect import Candidate, conflicts_with, detect_all
from deconfliction.domain import Buffers, Footprint, FootprintKind, TimeWindow, Volume
from deconfliction.geo import Shape, parse_footprints, prepare, within

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _workload import generate  # noqa: E402

GEOD = Geod(ellps="WGS84")
RNG = np.random.default_rng(7)


def quad(lon: float, lat: float, size_m: float) -> dict[str, object]:
    az = np.array([45.0, 135.0, 225.0, 315.0]) + RNG.uniform(-10, 10, 4)
    x, y, _ = GEOD.fwd(np.full(4, lon), np.full(4, lat), az, np.full(4, size_m / 2))
    ring = [[float(a), float(b)] for a, b in zip(x, y, strict=True)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def footprints(
    n: int, lon: float = 30.0, lat: float = 45.0, spread_m: float = 60_000.0
) -> list[Footprint]:
    out = []
    for _ in range(n):
        x, y, _ = GEOD.fwd(lon, lat, RNG.uniform(0, 360), RNG.uniform(0, spread_m))
        size = float(np.exp(RNG.uniform(np.log(100.0), np.log(200_000.0))))
        out.append(parse_footprints(quad(float(x), float(y), size))[0])
    return out


def timed(label: str, fn: Callable[[], object], repeat: int = 200) -> float:
    fn()
    t = time.perf_counter()
    for _ in range(repeat):
        fn()
    per = (time.perf_counter() - t) / repeat
    print(f"{label:<58s} {per * 1e6:10.1f} us")
    return per


def theatre(n_creates: int = 20, n_stored: int = 1_000_000) -> list[tuple[Shape, list[Shape]]]:
    """Creates of the service benchmark's workload, each with the candidates its boxes meet."""
    vols = generate(np.random.default_rng(20_260_601), n_stored + n_creates, 0)
    c = vols.corners
    lo, hi = c.min(axis=1), c.max(axis=1)
    # widened so that each create meets ~150 candidates, half of them near misses (the service
    # benchmark's figure; the workload's rectangles meet whenever their boxes meet)
    pad = 0.25
    out = []
    for i in range(n_stored, n_stored + n_creates):
        meet = np.all(lo[:n_stored] <= hi[i] + pad, axis=1) & np.all(
            hi[:n_stored] + pad >= lo[i], axis=1
        )
        meet &= (vols.start_us[:n_stored] <= vols.end_us[i]) & (
            vols.end_us[:n_stored] >= vols.start_us[i]
        )
        meet &= vols.party[:n_stored] != vols.party[i]

        def shape(j: int) -> Shape:
            ring = tuple((float(x), float(y)) for x, y in c[j])
            return prepare(Footprint(FootprintKind.POLYGON, (ring,)))

        out.append((shape(i), [shape(int(j)) for j in np.flatnonzero(meet)]))
    return out


def main() -> None:
    fps = footprints(101)
    shapes = [prepare(f) for f in fps]
    blobs = [s.to_bytes() for s in shapes]
    a, bs = shapes[0], shapes[1:]
    print(f"mean densified vertices per shape: {np.mean([s.n_points for s in shapes]):.1f}")
    timed("parse_footprints (one quad)", lambda: parse_footprints(quad(30.0, 45.0, 50_000.0)))
    timed("prepare (one quad)", lambda: prepare(fps[0]))
    timed("Shape.to_bytes", lambda: a.to_bytes(), 2000)
    timed("Shape.from_bytes", lambda: Shape.from_bytes(blobs[0]), 2000)
    timed("Shape.boxes(h=5 km)", lambda: a.boxes(5_000.0), 2000)
    timed("from_bytes x 100 (decode candidates)", lambda: [Shape.from_bytes(b) for b in blobs[1:]])
    hit, _ = within(a, bs, 5_000.0)
    print(f"  candidates in conflict at h = 5 km: {int(hit.sum())} of {len(bs)}")
    timed("within(a, 100 candidates, h = 5 km)", lambda: within(a, bs, 5_000.0))
    timed("within(a, 10 candidates, h = 5 km)", lambda: within(a, bs[:10], 5_000.0))
    timed("within(a, 1 candidate, h = 5 km)", lambda: within(a, bs[:1], 5_000.0), 1000)
    creates = theatre()
    n_cand = np.mean([len(bs) for _, bs in creates])
    n_hit = np.mean([int(within(a, bs, 0.0)[0].sum()) for a, bs in creates])
    print(
        f"theatre: {len(creates)} creates, {n_cand:.0f} candidates and {n_hit:.0f} conflicts each"
    )
    per = timed(
        "theatre: within(a, candidates, h = 0) per create",
        lambda: [within(a, bs, 0.0) for a, bs in creates],
        20,
    )
    print(f"  {per / len(creates) * 1e6:.1f} us per create")
    if "estimate" in (within.__kwdefaults__ or {}):
        per = timed(
            "theatre: within(..., estimate=False) per create (service)",
            lambda: [within(a, bs, 0.0, estimate=False) for a, bs in creates],
            20,
        )
        print(f"  {per / len(creates) * 1e6:.1f} us per create")
    theatre_blobs = [[s.to_bytes() for s in bs] for _, bs in creates]
    per = timed(
        "theatre: from_bytes x candidates per create",
        lambda: [[Shape.from_bytes(b) for b in bl] for bl in theatre_blobs],
        20,
    )
    print(f"  {per / len(creates) * 1e6:.1f} us per create")
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    window = TimeWindow(t0, t0 + timedelta(hours=2))
    cands = [
        Candidate.of(f"n{i}#0", f"p{i % 3}", Volume(f, window), s, None)
        for i, (f, s) in enumerate(zip(fps, shapes, strict=True))
    ]
    timed(
        "conflicts_with(a, 100 candidates)",
        lambda: conflicts_with(cands[0], cands[1:], Buffers(5_000)),
    )
    many = footprints(2000, spread_m=1_500_000.0)
    big = [
        Candidate.of(f"m{i}#0", f"p{i % 3}", Volume(f, window), prepare(f), None)
        for i, f in enumerate(many)
    ]
    per = timed("detect_all(2,000 volumes, h = 5 km)", lambda: detect_all(big, Buffers(5_000)), 3)
    print(f"  conflicts: {len(detect_all(big, Buffers(5_000)))}, {per:.2f} s")


if __name__ == "__main__":
    main()
