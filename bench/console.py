"""The console in a browser: 1,000 notices and 5,000 live tracks, the tracks moving every second.

    .venv/bin/python bench/console.py                       # 1,000 notices, 5,000 tracks, 60 s
    .venv/bin/python bench/console.py --quick               # 100 notices, 500 tracks, 5 s
    .venv/bin/python bench/console.py --notices 1000 --tracks 5000 --seconds 20

The targets (issue 12): the first full picture (every notice and every track drawn) at most 2 s
after "Sign in"; while 5,000 tracks update every second for a minute, no frame longer than
200 ms; the tab's memory reported.

- the line: a fresh SQLite file with three parties (coalition, counterpart, un-ocha) and a
  coordinator each; ``--notices`` notices over a 6 x 4 degree region (polygons, circles and
  corridors, 1-3 volumes each, windows around now on the real clock: most cover now, some start
  later), a third of them the coalition's, the others shared with it or not; ``--tracks`` live
  tracks (air, ground, sea) over the same region, a third the coalition's and the others shared
  with it, reported through ``service.report_tracks``;
- the server: ``python -m deconfliction serve --scan-interval-s 0`` on that file, a subprocess on
  a free port of 127.0.0.1 (no scan: the measure is of the browser, not the detector);
- the feeder, a thread of this process: every second, every track moved by a second of its
  speed and reported again through the service (its own connection to the file);
- the browser: Debian's headless chromium through Playwright, one page, signed in as the
  coalition. A script injected before the console's own records, with the Performance API,
  the marks the console makes (``console:tracks-drawn``, ``console:notices-shown``,
  ``console:tracks-read``), long tasks, long animation frames, and every frame's gap
  (``requestAnimationFrame``); the JS heap comes from the DevTools protocol
  (``Performance.getMetrics``).

Times are the page's ``performance.now()``: from the click on "Sign in" to ``body[data-ready]``
and to the first frame after both a draw of every track the member may see and the notices
shown. The update phase starts once that picture is drawn and lasts ``--seconds``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from rich.console import Console
from rich.table import Table

from _serve import UNLIMITED
from _serve import start_server as serve
from deconfliction import service
from deconfliction.api.convert import draft_from
from deconfliction.api.schemas import NoticeIn
from deconfliction.config import LineConfig
from deconfliction.domain import Role
from deconfliction.domain.probing import NO_BUDGETS

BENCH = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("DECONFLICTION_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # nothing but the loopback resolves: the page cannot reach beyond the machine
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
PARTIES = {"coalition": "Coalition Air Component", "counterpart": "Counterpart Forces",
           "un-ocha": "UN OCHA"}  # fmt: skip
ME = "coalition"
REGION = (36.0, 33.0, 42.0, 37.0)  # lon_min, lat_min, lon_max, lat_max
FIRST_S, FRAME_MS = 2.0, 200.0  # the targets

console = Console(width=None if sys.stdout.isatty() else 130)


# -- the line ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _at(lon: float, lat: float, az_deg: float, dist_m: float) -> list[float]:
    """A point ``dist_m`` from (lon, lat) towards ``az_deg`` (flat, good enough for a footprint)."""
    a = math.radians(az_deg)
    dlat = dist_m * math.cos(a) / 111_320.0
    dlon = dist_m * math.sin(a) / (111_320.0 * math.cos(math.radians(lat)))
    return [round(lon + dlon, 5), round(lat + dlat, 5)]


def _footprint(rng: random.Random, lon: float, lat: float) -> dict[str, Any]:
    shape = rng.random()
    if shape < 0.5:  # a polygon of 4-7 corners, 3-12 km across
        n, r = rng.randint(4, 7), rng.uniform(1_500, 6_000)
        ring = [_at(lon, lat, 360.0 * i / n + rng.uniform(-15, 15), r * rng.uniform(0.7, 1.0))
                for i in range(n)]  # fmt: skip
        return {"footprint": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}}
    if shape < 0.8:  # a circle of 1-6 km
        return {"footprint": {"type": "Point", "coordinates": [lon, lat]},
                "radius_m": rng.uniform(1_000, 6_000)}  # fmt: skip
    points, az = [[lon, lat]], rng.uniform(0, 360)  # a corridor of 2-4 legs of 5-15 km
    for _ in range(rng.randint(2, 4)):
        az += rng.uniform(-40, 40)
        points.append(_at(points[-1][0], points[-1][1], az, rng.uniform(5_000, 15_000)))
    return {"footprint": {"type": "LineString", "coordinates": points},
            "half_width_m": rng.uniform(1_000, 3_000)}  # fmt: skip


def _inside(rng: random.Random, margin: float) -> tuple[float, float]:
    lon0, lat0, lon1, lat1 = REGION
    return (rng.uniform(lon0 + margin, lon1 - margin), rng.uniform(lat0 + margin, lat1 - margin))


@dataclass
class Made:
    tokens: dict[str, str]
    seen_notices: int  # notices the coalition may see
    shown_volumes: int  # of their volumes, those whose window holds now (on the map at sign-in)
    conflicts: int  # live conflicts the coalition is told of
    tracks: dict[str, list[dict[str, Any]]]  # party -> its tracks' latest reports
    members: dict[str, Any]  # party -> its coordinator
    setup_s: float = 0.0


def make_line(db_url: str, notices: int, tracks: int, seed: int) -> Made:
    t0 = time.perf_counter()
    rng = random.Random(seed)
    line = service.open_line(LineConfig(db_url, budgets=NO_BUDGETS))
    tokens, members = {}, {}
    for slug, name in PARTIES.items():
        service.create_party(line, slug, name)
        members[slug], tokens[slug] = service.create_member(line, slug, Role.COORDINATOR, "bench")
    others = [p for p in PARTIES if p != ME]
    now = datetime.now(UTC)
    seen = shown = 0
    for i in range(notices):
        party = list(PARTIES)[i % 3]
        if party == ME:
            audience: Any = "all" if rng.random() < 0.5 else []
        else:
            r = rng.random()
            audience = "all" if r < 0.3 else [ME] if r < 0.6 else [o for o in others if o != party]
        lon, lat = _inside(rng, 0.3)
        volumes, covering = [], 0
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            if rng.random() < 0.8:  # on the map now
                start = now - timedelta(minutes=rng.uniform(5, 180))
                covering += 1
            else:  # later today
                start = now + timedelta(minutes=rng.uniform(30, 360))
            end = start + timedelta(minutes=rng.uniform(60, 8 * 60))
            if end <= now + timedelta(minutes=30):
                end = now + timedelta(minutes=30 + rng.uniform(0, 60))
            lower = rng.choice((0, 300, 600, 1_500, 3_000, 4_500, 6_000, 7_500, 9_000))
            upper = lower + rng.choice((300, 1_000, 2_000))
            volumes.append(
                {
                    **_footprint(rng, lon, lat),
                    "altitude": {"lower_m": lower, "upper_m": upper},
                    "time": {"start": start.isoformat(), "end": end.isoformat()},
                }
            )
            lon, lat = lon + rng.uniform(-0.1, 0.1), lat + rng.uniform(-0.1, 0.1)
        kind = "movement" if "half_width_m" in volumes[0] and rng.random() < 0.5 else "operation"
        if kind == "operation" and rng.random() < 0.2:
            kind = "site"
        body = {"kind": kind, "title": f"{kind} {i}", "audience": audience, "volumes": volumes}
        service.create_notice(line, members[party], draft_from(NoticeIn.model_validate(body)))
        if party == ME or audience == "all" or ME in audience:
            seen += 1
            shown += covering
    conflicts, page = 0, service.list_conflicts(line, members[ME], live_only=True, limit=1000)
    while True:
        conflicts += len(page.items)
        if page.after is None:
            break
        after = cast("tuple[datetime, str]", page.after)  # conflicts page on (instant, id)
        page = service.list_conflicts(
            line, members[ME], True, 1000, service.ConflictQuery(after=after)
        )
    reports: dict[str, list[dict[str, Any]]] = {p: [] for p in PARTIES}
    for i in range(tracks):
        party = list(PARTIES)[i % 3]
        domain = rng.choices(("air", "ground", "sea"), (6, 3, 1))[0]
        lon, lat = _inside(rng, 0.4)
        report = {
            "uid": f"{party[:3]}-{i:05d}",
            "callsign": f"{party[:3].upper()}{i:04d}",
            "domain": domain,
            "lat": lat,
            "lon": lon,
            "gs_mps": rng.uniform(120, 250) if domain == "air" else rng.uniform(0, 20),
            "trk_deg": rng.uniform(0, 360),
            "vs_mps": 0.0,
            "stale_s": 30.0,
        }
        if domain == "air":
            report["alt_m"] = rng.uniform(500, 9000)
        if party != ME:
            report["audience"] = [ME] if rng.random() < 0.5 else "all"
        reports[party].append(report)
    _report(line, members, reports, datetime.now(UTC))
    line.store.close()
    return Made(tokens, seen, shown, conflicts, reports, members, time.perf_counter() - t0)


def _report(
    line: service.Line,
    members: dict[str, Any],
    reports: dict[str, list[dict[str, Any]]],
    when: datetime,
) -> None:
    stamp = when.isoformat()
    for party, items in reports.items():
        for r in items:
            r["time"] = stamp
        result = service.report_tracks(line, members[party], items)
        if result.rejected:
            raise RuntimeError(
                f"{party}: {result.rejected[0].reason} at {result.rejected[0].pointer}"
            )


class Feeder:
    """Every second, every track a second further along and reported again, until stopped."""

    def __init__(self, db_url: str, made: Made) -> None:
        self.line = service.open_line(LineConfig(db_url, budgets=NO_BUDGETS))
        self.members = made.members
        self.reports = made.tracks
        self.stop = threading.Event()
        self.rounds: list[float] = []  # seconds each round took
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _move(self) -> None:
        for items in self.reports.values():
            for r in items:
                lon, lat = _at(r["lon"], r["lat"], r["trk_deg"], r["gs_mps"])
                lon0, lat0, lon1, lat1 = REGION
                if not (lon0 < lon < lon1 and lat0 < lat < lat1):  # turn back at the edge
                    r["trk_deg"] = (r["trk_deg"] + 180.0) % 360.0
                    continue
                r["lon"], r["lat"] = lon, lat

    def _run(self) -> None:
        due = time.monotonic()
        while not self.stop.is_set():
            t0 = time.monotonic()
            self._move()
            _report(self.line, self.members, self.reports, datetime.now(UTC))
            self.rounds.append(time.monotonic() - t0)
            due = max(due + 1.0, time.monotonic())
            self.stop.wait(due - time.monotonic())

    def start(self) -> Feeder:
        self.thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        self.line.store.close()


def start_server(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCH.parent / "src"), *sys.path])}
    return serve(db_url, port, log, "--host", "127.0.0.1", *UNLIMITED, env=env)


# -- the page ------------------------------------------------------------------------------------

PROBE = """
(() => {
  const b = (window.__bench = { marks: [], frames: [], longtasks: [], loafs: [], loaf: false,
                                recording: false });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if (e.name.startsWith("console:") || e.name.startsWith("bench:"))
        b.marks.push({ name: e.name, t: e.startTime, detail: e.detail });
  }).observe({ type: "mark" });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.longtasks.push({ t: e.startTime, d: e.duration });
  }).observe({ type: "longtask" });
  if (PerformanceObserver.supportedEntryTypes.includes("long-animation-frame")) {
    b.loaf = true;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        b.loafs.push({ t: e.startTime, d: e.duration, block: e.blockingDuration,
                       scripts: e.scripts.map((s) => [s.sourceFunctionName || s.invoker,
                                                      Math.round(s.duration)]) });
    }).observe({ type: "long-animation-frame" });
  }
  let last = null;
  const tick = (t) => {
    if (b.recording && last !== null) b.frames.push([t, t - last]);
    last = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  document.addEventListener("submit", () => performance.mark("bench:sign-in"), true);
  new MutationObserver(() => {
    if (document.body && document.body.dataset.ready === "true" && !b.ready) {
      b.ready = performance.now();
      performance.mark("bench:ready");
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-ready"] });
  // the first frame after every track and the notices are drawn
  b.whenDrawn = (tracks, volumes) => new Promise((resolve) => {
    const check = () => {
      const t = b.marks.find((m) => m.name === "console:tracks-drawn"
                                    && m.detail.drawn >= tracks);
      const n = b.marks.find((m) => m.name === "console:notices-shown"
                                    && m.detail.volumes >= volumes);
      if (t && n) {
        requestAnimationFrame(() => requestAnimationFrame((f) =>
          resolve({ tracks: t.t, notices: n.t, frame: f })));
      } else setTimeout(check, 10);
    };
    check();
  });
})();
"""


@dataclass
class Outcome:
    signin_ms: float = math.nan  # click to body[data-ready]
    drawn_ms: float = math.nan  # click to the first frame showing everything
    tracks_ms: float = math.nan
    notices_ms: float = math.nan
    frames: list[float] = field(default_factory=list)
    longtasks: list[float] = field(default_factory=list)
    loafs: list[dict[str, Any]] = field(default_factory=list)
    loaf: bool = False
    reads: list[dict[str, float]] = field(default_factory=list)
    draws: int = 0
    heap_mb: tuple[float, float, float] = (math.nan, math.nan, math.nan)  # drawn, end, peak
    boot_longtasks: list[float] = field(default_factory=list)
    drawn_tracks: int = 0
    errors: list[str] = field(default_factory=list)
    profiles: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    requests: list[tuple[str, float, float, int]] = field(default_factory=list)


def top_self(profile: dict[str, Any], n: int = 14) -> list[tuple[str, float]]:
    """The functions a CPU profile (DevTools' ``Profiler.stop``) spent most self time in, ms."""
    nodes = {x["id"]: x for x in profile["nodes"]}
    deltas = profile.get("timeDeltas", [])
    spent: dict[str, float] = {}
    for node_id, dt in zip(profile.get("samples", []), deltas, strict=False):
        frame = nodes[node_id]["callFrame"]
        url = frame["url"].rsplit("/", 1)[-1]
        name = f"{frame['functionName'] or '(anonymous)'} {url}:{frame['lineNumber'] + 1}"
        if not url:
            name = frame["functionName"] or "(program)"
        spent[name] = spent.get(name, 0.0) + dt / 1000.0
    return sorted(spent.items(), key=lambda kv: -kv[1])[:n]


def heap_mb(cdp: Any) -> float:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return float(metrics["JSHeapUsedSize"]) / 1e6


def browse(
    origin: str, token: str, made: Made, tracks: int, seconds: float, profile: bool
) -> Outcome:
    from playwright.sync_api import sync_playwright

    out = Outcome()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1600, "height": 1000})
            page = context.new_page()
            page.on("pageerror", lambda e: out.errors.append(str(e)))
            page.on("console", lambda m: out.errors.append(m.text) if m.type == "error" else None)
            page.add_init_script(PROBE)
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            if profile:
                cdp.send("Profiler.enable")
                cdp.send("Profiler.setSamplingInterval", {"interval": 500})
            page.goto(origin + "/")
            page.get_by_label("Token").fill(token)
            if profile:
                cdp.send("Profiler.start")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_selector("body[data-ready=true]", timeout=300_000)
            drawn = page.evaluate(
                "([t, v]) => window.__bench.whenDrawn(t, v)", [tracks, made.shown_volumes]
            )
            marks = page.evaluate("window.__bench.marks")
            click = next(m["t"] for m in marks if m["name"] == "bench:sign-in")
            ready = next(m["t"] for m in marks if m["name"] == "bench:ready")
            out.signin_ms = ready - click
            out.drawn_ms = drawn["frame"] - click
            out.tracks_ms = drawn["tracks"] - click
            out.notices_ms = drawn["notices"] - click
            out.boot_longtasks = page.evaluate(
                "(c) => window.__bench.longtasks.filter((l) => l.t >= c).map((l) => l.d)", click
            )
            if profile:
                out.profiles["sign-in"] = top_self(cdp.send("Profiler.stop")["profile"])
                cdp.send("Profiler.start")
            out.requests = page.evaluate(
                "([c, f]) => performance.getEntriesByType('resource')"
                ".filter((r) => r.startTime >= c && r.startTime < f)"
                ".map((r) => [new URL(r.name).pathname + new URL(r.name).search.slice(0, 40),"
                " r.startTime - c, r.duration, r.encodedBodySize])",
                [click, drawn["frame"]],
            )
            heap0 = heap_mb(cdp)
            start = page.evaluate(
                "() => { const b = window.__bench; b.recording = true; b.longtasks = [];"
                " b.loafs = []; b.marks = []; return performance.now(); }"
            )
            peak, end = heap0, time.monotonic() + seconds
            with console.status(f"tracks updating for {seconds:g} s"):
                while time.monotonic() < end:
                    time.sleep(min(5.0, max(0.0, end - time.monotonic())))
                    peak = max(peak, heap_mb(cdp))
            page.evaluate("window.__bench.recording = false")
            if profile:
                out.profiles["updates"] = top_self(cdp.send("Profiler.stop")["profile"])
            heap1 = heap_mb(cdp)
            got = page.evaluate(
                "() => { const b = window.__bench; return { frames: b.frames.map((f) => f[1]),"
                " longtasks: b.longtasks.map((l) => l.d), loafs: b.loafs, loaf: b.loaf,"
                " marks: b.marks }; }"
            )
            out.frames, out.longtasks, out.loafs, out.loaf = (
                got["frames"], got["longtasks"], got["loafs"], got["loaf"])  # fmt: skip
            out.reads = [m["detail"] for m in got["marks"] if m["name"] == "console:tracks-read"]
            draws = [m["detail"] for m in got["marks"] if m["name"] == "console:tracks-drawn"]
            out.draws = len(draws)
            out.drawn_tracks = min((d["drawn"] for d in draws), default=0)
            out.heap_mb = (heap0, heap1, max(peak, heap1))
            del start
        finally:
            browser.close()
    return out


# -- the report ----------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))]


def _ok(met: bool) -> str:
    return "[green]met[/green]" if met else "[red]missed[/red]"


def report(made: Made, out: Outcome, args: argparse.Namespace, feeder: Feeder) -> Table:
    table = Table(title=f"Console: {args.notices:,} notices ({made.seen_notices:,} seen, "
                  f"{made.shown_volumes:,} volumes on the map, {made.conflicts:,} conflicts), "
                  f"{args.tracks:,} tracks, "
                  f"{args.seconds:g} s of updates")  # fmt: skip
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("", justify="left")
    first = max(out.drawn_ms, out.signin_ms)
    table.add_row("Sign in -> body\\[data-ready]", f"{out.signin_ms:,.0f} ms", "", "")
    table.add_row("Sign in -> notices shown", f"{out.notices_ms:,.0f} ms", "", "")
    table.add_row("Sign in -> every track drawn", f"{out.tracks_ms:,.0f} ms", "", "")
    table.add_row("Sign in -> first full picture (frame)", f"{first:,.0f} ms",
                  f"<= {FIRST_S * 1000:,.0f} ms", _ok(first <= FIRST_S * 1000))  # fmt: skip
    bl = out.boot_longtasks
    table.add_row("  long tasks until then (n / longest)",
                  f"{len(bl)} / {max(bl, default=0):,.0f} ms", "", "")  # fmt: skip
    f = out.frames
    longest = max(f, default=math.nan)
    table.add_row("frames during updates", f"{len(f):,}", "", "")
    table.add_row("frame gap p50 / p99", f"{_pct(f, 50):,.1f} / {_pct(f, 99):,.1f} ms", "", "")
    table.add_row("longest frame", f"{longest:,.0f} ms", f"<= {FRAME_MS:,.0f} ms",
                  _ok(longest <= FRAME_MS))  # fmt: skip
    table.add_row("frames > 50 ms / > 200 ms",
                  f"{sum(x > 50 for x in f):,} / {sum(x > 200 for x in f):,}", "", "")  # fmt: skip
    lt = out.longtasks
    table.add_row("long tasks (n / total / longest)",
                  f"{len(lt)} / {sum(lt):,.0f} / {max(lt, default=0):,.0f} ms", "", "")  # fmt: skip
    if out.loaf:
        la = [x["d"] for x in out.loafs]
        table.add_row("long animation frames (n / longest)",
                      f"{len(la)} / {max(la, default=0):,.0f} ms", "", "")  # fmt: skip
    r = out.reads
    if r:
        fetch = [x["read"] - x["began"] for x in r]
        apply = [x["done"] - x["read"] for x in r]
        table.add_row("track reads / redraws", f"{len(r)} / {out.draws}", "", "")
        table.add_row("track read: fetch p50 / max",
                      f"{_pct(fetch, 50):,.0f} / {max(fetch):,.0f} ms", "", "")  # fmt: skip
        table.add_row("track read: map + redraw p50 / max",
                      f"{_pct(apply, 50):,.0f} / {max(apply):,.0f} ms", "", "")  # fmt: skip
        table.add_row("tracks per read (min)", f"{min(x['n'] for x in r):,}", "", "")
    h0, h1, hp = out.heap_mb
    table.add_row("JS heap drawn / end / peak", f"{h0:,.1f} / {h1:,.1f} / {hp:,.1f} MB", "", "")
    rounds = feeder.rounds
    if rounds:
        table.add_row("feeder round p50 / max (service)",
                      f"{_pct(rounds, 50):,.2f} / {max(rounds):,.2f} s", "", "")  # fmt: skip
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--notices", type=int, default=1_000)
    ap.add_argument("--tracks", type=int, default=5_000)
    ap.add_argument("--seconds", type=float, default=60.0, help="of track updates")
    ap.add_argument("--quick", action="store_true", help="100 notices, 500 tracks, 5 s")
    ap.add_argument("--seed", type=int, default=20_261_212)
    ap.add_argument(
        "--profile",
        action="store_true",
        help="sample the page's JavaScript (DevTools) and print where its time goes",
    )
    ap.add_argument("--keep", type=Path, help="keep the database and the server's log here")
    args = ap.parse_args()
    if args.quick:
        args.notices, args.tracks, args.seconds = 100, 500, 5.0
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BENCH,
                            capture_output=True, text=True).stdout.strip() or "?"  # fmt: skip
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=BENCH.parent,
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    console.print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {CHROMIUM}, commit {commit}"
        + (" (with uncommitted changes in src/)" if dirty else "")
    )
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db_url = f"sqlite:///{folder / 'console.db'}"
        with console.status(f"making {args.notices:,} notices and {args.tracks:,} tracks"):
            made = make_line(db_url, args.notices, args.tracks, args.seed)
        console.print(f"line made in {made.setup_s:,.1f} s")
        port = _free_port()
        server = start_server(db_url, port, folder / "server.log")
        feeder = Feeder(db_url, made).start()
        try:
            out = browse(f"http://127.0.0.1:{port}", made.tokens[ME], made, args.tracks,
                         args.seconds, args.profile)  # fmt: skip
        finally:
            feeder.close()
            server.terminate()
            server.wait(timeout=30)
    console.print(report(made, out, args, feeder))
    console.print(
        "load average at start / end: "
        + " / ".join(", ".join(f"{x:.1f}" for x in la) for la in (load0, os.getloadavg()))
    )
    console.print("the slowest requests between sign-in and the full picture (ms after the click):")
    for path, at, took, size in sorted(out.requests, key=lambda r: -r[2])[:8]:
        console.print(f"  {at:7,.0f} + {took:6,.0f} ms  {size / 1e3:7,.0f} kB  {path}")
    for phase, top in out.profiles.items():
        console.print(f"[bold]{phase}[/bold]: the page's self time by function")
        for name, ms in top:
            console.print(f"  {ms:9,.0f} ms  {name}")
    for e in out.errors[:5]:
        console.print(f"[red]page: {e}[/red]")
    worst = sorted(out.loafs, key=lambda x: -x["d"])[:3]
    for x in worst:
        console.print(f"  long animation frame {x['d']:.0f} ms (blocking {x['block']:.0f}): "
                      f"{x['scripts'][:4]}")  # fmt: skip


if __name__ == "__main__":
    main()
