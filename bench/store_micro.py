"""Store micro-benchmark: bulk load synthetic volumes, then time candidates() and checked creates.

    python bench/store_micro.py                       # SQLite file in a temp dir, 100k volumes
    python bench/store_micro.py --volumes 1000000
    python bench/store_micro.py --url postgresql://postgres@127.0.0.1:5432/test

Volumes are 0.2 deg x 0.2 deg x 6 h boxes spread uniformly over 30 days and a square whose side
is chosen so that a 0.3 deg x 6 h query meets about ``--hits`` of them, whatever ``--volumes``.
Shapes are opaque 512-byte blobs; no geometry is computed (this times the store alone).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deconfliction.domain import (
    AltitudeBand,
    Audience,
    Conflict,
    ConflictKind,
    ConflictStatus,
    Footprint,
    FootprintKind,
    Notice,
    NoticeKind,
    TimeWindow,
    Volume,
)
from deconfliction.store import Box4, VolumeRow, open_store

T0 = datetime(2027, 1, 1, tzinfo=UTC)
SPAN_H = 30 * 24
DUR_H = 6
SIZE = 0.2
QUERY = 0.3
SHAPE = bytes(range(256)) * 2


def _volume(
    rng: random.Random, side: float, notice_id: str, party: str
) -> tuple[Notice, VolumeRow]:
    lon = rng.uniform(0.0, side)
    lat = rng.uniform(0.0, side)
    start = T0 + timedelta(minutes=rng.randrange(SPAN_H * 60))
    end = start + timedelta(hours=DUR_H)
    ring = ((lon, lat), (lon + SIZE, lat), (lon + SIZE, lat + SIZE), (lon, lat + SIZE))
    footprint = Footprint(FootprintKind.POLYGON, (ring,))
    alt = AltitudeBand(0.0, 1000.0)
    window = TimeWindow(start, end)
    notice = Notice(
        id=notice_id,
        party=party,
        kind=NoticeKind.OPERATION,
        volumes=(Volume(footprint, window, alt),),
        audience=Audience(everyone=True),
        created_at=T0,
        updated_at=T0,
    )
    box = Box4(lon, lat, 0.0, start.timestamp(), lon + SIZE, lat + SIZE, 1000.0, end.timestamp())
    row = VolumeRow(notice_id, 0, party, 1, alt, window, SHAPE, (box,), None)
    return notice, row


def _query(rng: random.Random, side: float) -> Box4:
    lon = rng.uniform(0.0, side)
    lat = rng.uniform(0.0, side)
    t = (T0 + timedelta(minutes=rng.randrange(SPAN_H * 60))).timestamp()
    return Box4(lon, lat, 0.0, t, lon + QUERY, lat + QUERY, 1000.0, t + DUR_H * 3600)


def _conflict(i: int, mine: VolumeRow, other: VolumeRow) -> Conflict:
    return Conflict(
        id=f"c-{mine.notice_id}-{i}",
        kind=ConflictKind.STRATEGIC,
        status=ConflictStatus.OPEN,
        party_a=mine.party,
        notice_a=mine.notice_id,
        volume_a=0,
        version_a=1,
        party_b=other.party,
        notice_b=other.notice_id,
        volume_b=other.index,
        version_b=other.version,
        distance_m=0.0,
        window=other.time,
        detected_at=T0,
    )


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p50 = values[len(values) // 2] * 1e3
    p99 = values[int(len(values) * 0.99)] * 1e3
    return f"mean {statistics.fmean(values) * 1e3:.2f} ms, p50 {p50:.2f} ms, p99 {p99:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="")
    parser.add_argument("--volumes", type=int, default=100_000)
    parser.add_argument("--hits", type=int, default=100, help="target candidates per query")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--creates", type=int, default=1000)
    args = parser.parse_args()

    rng = random.Random(7)
    # Expected hits = N * ((SIZE + QUERY) / side)^2 * (2 * DUR_H / SPAN_H).
    side = (SIZE + QUERY) / (args.hits * SPAN_H / (2 * DUR_H) / args.volumes) ** 0.5
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = open_store(url)
        print(f"store {store.engine.url.get_backend_name()}, {args.volumes:,} volumes")

        started = time.perf_counter()
        batch = 5000
        for first in range(0, args.volumes, 50 * batch):
            with store.transaction() as tx:
                for lo in range(first, min(first + 50 * batch, args.volumes), batch):
                    hi = min(lo + batch, args.volumes)
                    items = [
                        (n, [r])
                        for n, r in (
                            _volume(rng, side, f"bulk-{i}", f"p{i % 20}") for i in range(lo, hi)
                        )
                    ]
                    tx.insert_notices_bulk(items)
        load_s = time.perf_counter() - started
        print(f"bulk load: {load_s:.1f} s ({args.volumes / load_s:,.0f} volumes/s)")

        times: list[float] = []
        found: list[int] = []
        with store.read() as tx:
            for _ in range(args.queries):
                q = _query(rng, side)
                t = time.perf_counter()
                got = tx.candidates([q], exclude_notice="none")
                times.append(time.perf_counter() - t)
                found.append(len(got))
        print(
            f"candidates(): {_ms(times)}; rows per query mean {statistics.fmean(found):.0f} "
            f"(min {min(found)}, max {max(found)})"
        )

        times = []
        n_conflicts = 0
        started = time.perf_counter()
        for i in range(args.creates):
            notice, row = _volume(rng, side, f"new-{i}", "checker")
            t = time.perf_counter()
            with store.transaction() as tx:
                tx.lock_for_notice_write()
                others = tx.candidates(row.boxes, exclude_notice=notice.id)
                conflicts = [_conflict(k, row, o) for k, o in enumerate(others[:70])]
                tx.insert_notice(notice, [row])
                tx.insert_conflicts(conflicts)
            times.append(time.perf_counter() - t)
            n_conflicts += len(conflicts)
        total = time.perf_counter() - started
        print(
            f"checked create (lock, candidates, notice, volume, "
            f"{n_conflicts / args.creates:.0f} conflicts, commit): {_ms(times)}; "
            f"{args.creates / total:,.0f} creates/s"
        )
        store.close()


if __name__ == "__main__":
    main()
