"""Micro-benchmark of the geometry core: per-call timings of what a checked create does.

Run: ``python bench/geo_micro.py``. Volumes are square-ish, 100 m - 200 km, scattered around one
volume so that most candidates conflict, as in the service benchmark.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
from pyproj import Geod

from deconfliction.detect import Candidate, conflicts_with, detect_all
from deconfliction.domain import Buffers, Footprint, TimeWindow, Volume
from deconfliction.geo import Shape, parse_footprints, prepare, within

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
