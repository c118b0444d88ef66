"""Real traffic replayed through POST /v1/tracks at 60x, with the detector's conflicts listed.

    .venv/bin/python bench/replay.py                  # the whole quickstart sample: 3 h in 3 min
    .venv/bin/python bench/replay.py --minutes 20     # a quick look

The traffic is the ``quickstart`` sample of the ``traffic`` package (Paris area, 7 Oct 2021,
one report per aircraft per second), made once through a benchmark-only venv
(bench/_replay_sample.py says how). In one process:

- a line on a fresh SQLite file whose clock runs ``--speed`` times wall time from the sample's
  first report, so the reports' 2021 times are "now" to it (the API refuses reports more than
  60 s ahead and lets a track go stale ``stale_s`` after its time);
- one party per airline (ICAO prefix of an airline callsign: AFR1234 -> ``afr``; any other
  callsign -> ``other``), each with a coordinator; ``--parties aircraft`` makes one per aircraft,
  since the detector never pairs two tracks of one party;
- the HTTP API under uvicorn in a thread on 127.0.0.1, its own scanner running every
  ``--scan-interval`` wall seconds (1 s: a scan per simulated minute at 60x) with a 300 s
  look-ahead; this script reads ``app.state.scanner.last`` every tick to time each scan;
- the feeder, this thread: every 0.25 wall seconds, for each party, the reports whose times fell
  in the simulated interval just elapsed, as one JSON array to POST /v1/tracks with the party's
  token (every 1 s report is sent; ``--thin`` sends only each aircraft's newest per batch).

At the end the clock stops, one more scan runs, GET /v1/conflicts is read with every party's
token, and the figures, the conflicts, and the real losses of separation in the recorded data
(bench/_replay_check.py) are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _replay_report import print_figures  # noqa: E402
from _replay_sample import Sample, ensure_sample, load  # noqa: E402
from deconfliction.api.app import create_app  # noqa: E402
from deconfliction.domain import Role  # noqa: E402
from deconfliction.domain.probing import NO_BUDGETS  # noqa: E402
from deconfliction.service import Line, ScanResult, ScanSettings, create_member, create_party  # noqa: E402
from deconfliction.store import open_store  # noqa: E402

console = Console(width=None if sys.stdout.isatty() else 150)

TICK_S = 0.25
STALE_S = 60.0


class SimClock:
    """``speed`` x wall time from ``t0``; before ``start`` it reads ``t0``, after ``freeze`` the
    instant it froze at."""

    def __init__(self, t0: datetime, speed: float) -> None:
        self.t0, self.speed = t0, speed
        self._wall0: float | None = None
        self._frozen: datetime | None = None

    def start(self) -> None:
        self._wall0 = time.monotonic()

    def freeze(self) -> datetime:
        self._frozen = self()
        return self._frozen

    def __call__(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        if self._wall0 is None:
            return self.t0
        return self.t0 + timedelta(seconds=(time.monotonic() - self._wall0) * self.speed)


class Server:
    """uvicorn in a daemon thread (it installs no signal handlers off the main thread)."""

    def __init__(self, app: Any, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Feed:
    """What the feeder sent and what the line answered."""

    sent: int = 0
    accepted: int = 0
    ignored: int = 0
    rejected: int = 0
    batches: int = 0
    status: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latency_s: list[float] = field(default_factory=list)
    batch_size: list[int] = field(default_factory=list)
    ticks: int = 0
    overruns: int = 0
    wall_s: float = 0.0
    sim_s: float = 0.0
    scans: list[ScanResult] = field(default_factory=list)
    posted: np.ndarray = field(default_factory=lambda: np.empty(0))  # sim s, per report
    stored: np.ndarray = field(default_factory=lambda: np.empty(0))  # its POST returned
    scan_log: list[str] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)  # conflict events in the log, by kind


class ScanWatch(threading.Thread):
    """Keeps every result the app's scanner publishes (it only holds the latest, ``last``)."""

    def __init__(self, app: Any, into: list[ScanResult]) -> None:
        super().__init__(name="scan-watch", daemon=True)
        self.app, self.into = app, into
        self.done = threading.Event()

    def latest(self) -> ScanResult | None:
        last: ScanResult | None = self.app.state.scanner.last
        return last

    def run(self) -> None:
        seen = self.latest()
        while not self.done.wait(0.01):  # scans are >= --scan-interval apart; 10 ms catches all
            last = self.latest()
            if last is not None and last is not seen:
                self.into.append(last)
                seen = last


class _ScanLog(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(self.format(record).splitlines()[-1])


def encode(s: Sample) -> list[bytes]:
    """Each usable report as the JSON object POST /v1/tracks takes."""
    secs = (s.t_s * 1e3).round().astype(np.int64).astype("datetime64[ms]")
    times = np.char.add(np.datetime_as_string(secs, unit="s"), "Z").tolist()
    cols = (s.icao24.tolist(), s.lat.tolist(), s.lon.tolist(), s.alt_m.tolist(),
            s.gs_mps.tolist(), s.trk_deg.tolist(), s.vs_mps.tolist(), times,
            s.callsign.tolist())  # fmt: skip
    return [
        orjson.dumps(
            {
                "uid": u,
                "domain": "air",
                "lat": la,
                "lon": lo,
                "alt_m": al,
                "gs_mps": gs,
                "trk_deg": tr,
                "vs_mps": vs,
                "time": t,
                "callsign": cs or None,
                "stale_s": STALE_S,
                "audience": "all",
            }
        )
        for u, la, lo, al, gs, tr, vs, t, cs in zip(*cols, strict=True)
    ]


def _post(
    client: httpx.Client, token: str, rows: list[bytes], feed: Feed, clock: SimClock,
    which: np.ndarray,
) -> None:  # fmt: skip
    body = b"[" + b",".join(rows) + b"]"
    feed.posted[which] = clock().timestamp()
    t0 = time.perf_counter()
    r = client.post("/v1/tracks", content=body, headers={"Authorization": f"Bearer {token}",
                    "Content-Type": "application/json"})  # fmt: skip
    feed.latency_s.append(time.perf_counter() - t0)
    feed.stored[which] = clock().timestamp()
    feed.batches += 1
    feed.sent += len(rows)
    feed.batch_size.append(len(rows))
    feed.status[r.status_code] += 1
    if r.status_code in (200, 422):
        doc = r.json()
        feed.accepted += doc["accepted"]
        feed.ignored += doc["ignored"]
        feed.rejected += doc["rejected"]
        for e in doc.get("errors", []):
            field_ = e["pointer"].split("/")[-1]
            feed.errors[f"422 {field_}: {e['message']}"] += 1
    else:
        feed.errors[f"{r.status_code}: {r.text[:200]}"] += 1


def feed_line(
    s: Sample, party: np.ndarray, tokens: dict[str, str], clock: SimClock, app: Any, port: int,
    thin: bool,
) -> Feed:  # fmt: skip
    feed = Feed(posted=np.full(len(s), np.nan), stored=np.full(len(s), np.nan))
    logging.getLogger("deconfliction").addHandler(_ScanLog(feed.scan_log))
    rows = encode(s)
    slugs = sorted(tokens)
    pidx = np.searchsorted(slugs, party)
    t_first, t_last = float(s.t_s[0]), float(s.t_s[-1])
    sim_total = t_last - t_first
    watch = ScanWatch(app, feed.scans)
    watch.start()
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[sim]}"),
        TextColumn("{task.fields[info]}"), TimeElapsedColumn(), console=console,
    )  # fmt: skip
    lo = 0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60.0) as client, progress:
        task = progress.add_task(f"replay at {clock.speed:g}x", total=sim_total, sim="", info="")
        clock.start()
        wall0 = time.monotonic()
        next_tick = wall0
        while lo < len(rows):
            now = clock()
            sim = t_first + (now - clock.t0).total_seconds()
            hi = int(np.searchsorted(s.t_s, sim, side="right"))
            if hi > lo:
                idx = np.arange(lo, hi)
                if thin:  # newest report of each aircraft in this interval
                    _, last = np.unique(s.icao24[lo:hi][::-1], return_index=True)
                    idx = np.sort(hi - 1 - last)
                for p in np.unique(pidx[idx]).tolist():
                    mine = idx[pidx[idx] == p]
                    batch = [rows[i] for i in mine.tolist()]
                    _post(client, tokens[slugs[p]], batch, feed, clock, mine)
                lo = hi
            feed.ticks += 1
            last = feed.scans[-1] if feed.scans else None
            progress.update(
                task, completed=min(sim - t_first, sim_total), sim=f"{now:%H:%M:%S}Z",
                info=f"{feed.sent:,} sent, {last.tracks if last else 0} live, "
                f"{sum(len(x.opened) for x in feed.scans)} opened",
            )  # fmt: skip
            next_tick += TICK_S
            delay = next_tick - time.monotonic()
            if delay < 0:
                feed.overruns += 1
                next_tick = time.monotonic()
            else:
                time.sleep(delay)
        feed.wall_s = time.monotonic() - wall0
        frozen = clock.freeze()
        feed.sim_s = (frozen - clock.t0).total_seconds()
        deadline = time.monotonic() + 30
        while (not feed.scans or feed.scans[-1].at != frozen) and time.monotonic() < deadline:
            time.sleep(0.05)  # one scan more, at the frozen instant, sees the last reports
        watch.done.set()
        watch.join()
    return feed


def conflicts(port: int, tokens: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every conflict any party is told of (deduplicated by id), following each list's pages."""
    found: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60.0) as client:
        for _, token in sorted(tokens.items()):
            params: dict[str, Any] = {"limit": 1000}
            while True:
                r = client.get("/v1/conflicts", params=params,
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                r.raise_for_status()
                page = r.json()
                for c in page["conflicts"]:
                    found.setdefault(c["id"], c)
                if page["next"] is None:
                    break
                params["cursor"] = page["next"]
    return found


def conflict_events(line: Line) -> Counter[str]:
    """How many events of each conflict kind the log holds (each one a record entry)."""
    counts: Counter[str] = Counter()
    after = 0
    while True:
        with line.store.read() as tx:
            batch = tx.events_after(after, None, limit=10_000)
        if not batch:
            return counts
        counts.update(e.kind.value for e in batch if e.kind.value.startswith("conflict."))
        after = batch[-1].seq


def _machine() -> list[tuple[str, str]]:
    cpu = platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ""
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    git = ["git", "-C", str(BENCH.parent)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()  # fmt: skip
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "src"], capture_output=True,
                           text=True).stdout.split()[1::2]  # fmt: skip
    return [
        ("cpu", f"{cpu}, {os.cpu_count()} cores; load average {load} at the start"),
        ("python", f"{platform.python_version()}, uvicorn {uvicorn.__version__}"),
        ("commit", commit + (f" (uncommitted: {', '.join(dirty)})" if dirty else "")),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--speed", type=float, default=60.0, help="simulated seconds per wall second")
    ap.add_argument("--minutes", type=float, help="replay only the first N minutes of the sample")
    ap.add_argument("--port", type=int, default=0, help="default: a free port")
    ap.add_argument("--keep-db", action="store_true", help="keep the SQLite file and say where")
    ap.add_argument("--thin", action="store_true",
                    help="send only each aircraft's newest report per batch")  # fmt: skip
    ap.add_argument("--parties", choices=("airline", "aircraft"), default="airline")
    ap.add_argument("--scan-interval", type=float, default=1.0, help="wall seconds between scans")
    ap.add_argument("--lookahead", type=float, default=300.0, help="seconds")
    ap.add_argument("--refresh-sample", action="store_true", help="extract the sample again")
    args = ap.parse_args(argv)

    console.rule("Real traffic replay: traffic's quickstart sample through POST /v1/tracks")
    for k, v in _machine():
        console.print(f"{k:>8}  {v}")
    s = load(ensure_sample(console, args.refresh_sample), args.minutes)
    party = s.party_of(args.parties)
    t0 = datetime.fromtimestamp(float(s.t_s[0]), UTC)
    clock = SimClock(t0, args.speed)
    tmp = Path(tempfile.mkdtemp(prefix="replay-"))
    db = tmp / "replay.db"
    line = Line(budgets=NO_BUDGETS, store=open_store(f"sqlite:///{db}"), clock=clock)
    tokens: dict[str, str] = {}
    for slug in sorted(set(party.tolist())):
        name = "aircraft without an airline callsign" if slug == "other" else slug.upper()
        create_party(line, slug, name)
        tokens[slug] = create_member(line, slug, Role.COORDINATOR)[1]
    port = args.port or free_port()
    settings = ScanSettings(lookahead_s=args.lookahead)
    app = create_app(line, scan=settings, scan_interval_s=args.scan_interval)
    server = Server(app, port)
    server.start()
    try:
        feed = feed_line(s, party, tokens, clock, app, port, args.thin)
        found = conflicts(port, tokens)
        failures = app.state.scanner.failures
        feed.events = conflict_events(line)
    finally:
        server.stop()
        line.store.close()
    print_figures(console, s, party, feed, found, failures, args)
    if args.keep_db:
        console.print(f"database kept: {db}")
    else:
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
