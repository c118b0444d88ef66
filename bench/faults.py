"""Faults, proven: two nodes under steady load, broken one way at a time, with nothing lost.

    .venv/bin/python bench/faults.py                       # about 4 minutes, as root
    .venv/bin/python bench/faults.py --steady-s 5 --window-s 8 --nats-stop-s 10   # a quick look

Everything runs on loopback and stops by itself: a PostgreSQL cluster and a NATS server of the
bench's own (so restarting them disturbs nothing else on the machine), two ``deconfliction
serve --nats`` nodes over them, and in this process a steady load: ``--creators`` clients making
notices (``--rate`` creates/s in all, each client on a home node, moving to the other node when
a request fails, as a client behind a health-checking proxy does) and ``--subscribers``
WebSocket subscribers spread over the nodes, each resuming with ``after=`` its last seq on the
other node when its connection drops.

Then, one after the other, each followed by ``--window-s`` of the same load:

1. **kill -9 a node** (node A; started again once the window ends);
2. **restart PostgreSQL** as a power cut would (``pg_ctl stop -m immediate``, then start: the
   WAL is replayed), while both nodes serve;
3. **stop NATS for ``--nats-stop-s``** (SIGSTOP, then SIGCONT: a server that answers nothing,
   the harder case, noticed only by the client's pings); push falls back to each node reading
   the log's head, and comes back to NATS.

After each, the load pauses and ``deconfliction record verify`` runs over the database. At the
end: every acknowledged create (201) is in the database; every subscriber received exactly the
events its party may receive from where it began to where it ended, each once, in order
(checked against ``GET /v1/events``). Per fault: client errors (failed creates, dropped
streams), seconds until every client's writes succeed again and every dropped subscriber has
received again, and push latency (receive time minus the event's ``at``) in the window. The
steady phase also gives the two-node push cost: each node's CPU per delivery it made, and
events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import sqlalchemy as sa
import websockets
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from websockets.asyncio.client import connect

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _faults_cluster import Nats, Node, Postgres, make_line  # noqa: E402
from _push_report import cpu_s  # noqa: E402

console = Console(width=None if sys.stdout.isatty() else 130)

# -- the load ------------------------------------------------------------------------------------


def _z(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def notice_body(rng: random.Random) -> dict[str, Any]:
    """A square a few km wide somewhere in a 4°x4° box, within the next hours: some conflict."""
    lon, lat, d = 5 + rng.random() * 4, 45 + rng.random() * 4, 0.05
    start = datetime.now(UTC) + timedelta(minutes=30 + rng.randrange(240))
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    volume = {"footprint": {"type": "Polygon", "coordinates": [ring]},
              "time": {"start": _z(start), "end": _z(start + timedelta(hours=1))}}  # fmt: skip
    return {"kind": "operation", "title": "load", "audience": "all", "volumes": [volume]}


@dataclass
class Creator:
    index: int
    party: str
    token: str
    home: int
    ok: list[tuple[float, str]] = field(default_factory=list)
    """(when, notice id) of each acknowledged create."""
    failed: list[float] = field(default_factory=list)


@dataclass
class Sub:
    index: int
    party: str
    token: str
    node: int
    start: int
    seqs: list[int] = field(default_factory=list)
    recv: list[float] = field(default_factory=list)
    at: list[float] = field(default_factory=list)
    via: list[int] = field(default_factory=list)
    dropped: list[float] = field(default_factory=list)
    repeated: int = 0


class Load:
    def __init__(self, nodes: list[Node], tokens: dict[str, str], args: argparse.Namespace,
                 start: int) -> None:  # fmt: skip
        parties = sorted(tokens)
        self.nodes = nodes
        self.rate = args.rate
        self.creators = [Creator(i, parties[i % len(parties)], tokens[parties[i % len(parties)]],
                                 i % len(nodes)) for i in range(args.creators)]  # fmt: skip
        self.subs = [Sub(i, parties[i % len(parties)], tokens[parties[i % len(parties)]],
                         i % len(nodes), start) for i in range(args.subscribers)]  # fmt: skip
        self.running = asyncio.Event()
        self.running.set()
        self.stop = asyncio.Event()
        self.in_flight = 0
        self.pin: int | None = None
        """Every create goes to this node (while NATS is stopped: the other node's streams then
        hear of them only through the bridge's fallback, not through their own commits)."""

    async def create_loop(self, c: Creator, client: httpx.AsyncClient) -> None:
        rng = random.Random(c.index)
        gap = len(self.creators) / self.rate
        node = c.home
        due = time.monotonic()
        while not self.stop.is_set():
            await self.running.wait()
            due = max(due + gap, time.monotonic() - gap)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if self.stop.is_set() or not self.running.is_set():
                continue
            self.in_flight += 1
            try:
                to = self.nodes[node if self.pin is None else self.pin]
                r = await client.post(f"{to.base}/v1/notices",
                                      json=notice_body(rng),
                                      headers={"Authorization": f"Bearer {c.token}"})  # fmt: skip
                if r.status_code == 201:
                    c.ok.append((time.time(), r.json()["notice"]["id"]))
                    continue
                c.failed.append(time.time())
            except httpx.HTTPError:
                c.failed.append(time.time())
            finally:
                self.in_flight -= 1
            node = (node + 1) % len(self.nodes)  # the other node, as a proxy would
            await asyncio.sleep(0.2)

    async def sub_loop(self, s: Sub) -> None:
        headers = {"Authorization": f"Bearer {s.token}"}
        while not self.stop.is_set():
            after = s.seqs[-1] if s.seqs else s.start
            try:
                async with connect(f"{self.nodes[s.node].ws}?after={after}",
                                   additional_headers=headers, compression=None,
                                   open_timeout=10) as ws:  # fmt: skip
                    async for message in ws:
                        e = orjson.loads(message)
                        if s.seqs and e["seq"] <= s.seqs[-1]:
                            s.repeated += 1
                            continue
                        s.recv.append(time.time())
                        s.seqs.append(e["seq"])
                        s.at.append(datetime.fromisoformat(e["at"]).timestamp())
                        s.via.append(s.node)
                        if self.stop.is_set():
                            return
            except (OSError, websockets.WebSocketException, TimeoutError):
                pass
            if self.stop.is_set():
                return
            s.dropped.append(time.time())
            s.node = (s.node + 1) % len(self.nodes)  # resume on the other node
            await asyncio.sleep(0.2)

    async def pause(self) -> None:
        self.running.clear()
        while self.in_flight:
            await asyncio.sleep(0.05)

    def resume(self) -> None:
        self.running.set()


# -- one fault -----------------------------------------------------------------------------------


@dataclass
class Cost:
    fault: str
    started: float
    ended: float = 0.0
    create_errors: int = 0
    drops: int = 0
    writes_back_s: float = 0.0
    subs_back_s: float = 0.0
    latency_ms: tuple[float, ...] = (0.0, 0.0, 0.0)
    extra: str = ""
    verify: str = ""


def latency_ms(load: Load, t0: float, t1: float, via: int | None = None) -> tuple[float, ...]:
    """p50, p99 and max push latency of events made between ``t0`` and ``t1`` (as delivered
    through node ``via``, or any)."""
    lat = np.asarray([r - a for s in load.subs
                      for r, a, v in zip(s.recv, s.at, s.via, strict=True)
                      if t0 <= a <= t1 and via in (None, v)])  # fmt: skip
    if not lat.size:
        return (0.0, 0.0, 0.0)
    return tuple(float(x) * 1000 for x in (*np.percentile(lat, [50, 99]), lat.max()))


def cost_of(load: Load, fault: str, t0: float, t1: float, extra: str = "") -> Cost:
    cost = Cost(fault, t0, t1, extra=extra)
    back = 0.0
    for c in load.creators:
        errs = [t for t in c.failed if t0 <= t <= t1]
        cost.create_errors += len(errs)
        if errs:
            after = [t for t, _ in c.ok if t > errs[-1]]
            back = max(back, (after[0] if after else t1) - t0)
    cost.writes_back_s = back
    back = 0.0
    for s in load.subs:
        drops = [t for t in s.dropped if t0 <= t <= t1]
        cost.drops += len(drops)
        if drops:
            after = [t for t in s.recv if t > drops[-1]]
            back = max(back, (after[0] if after else t1) - t0)
    cost.subs_back_s = back
    cost.latency_ms = latency_ms(load, t0, t1)
    return cost


def verify(db_url: str, key: Path) -> str:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "deconfliction", "record", "verify", "--db", db_url,
         "--key-file", str(key)],
        capture_output=True, text=True, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    took = time.monotonic() - started
    if done.returncode != 0:
        return f"FAILED ({took:.1f} s): {(done.stdout + done.stderr).strip()[-400:]}"
    return f"passed ({took:.1f} s)"


async def settle_record(db_url: str) -> None:
    """Wait until the nodes' recorders have signed a checkpoint over every event."""
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                head = conn.execute(sa.text("SELECT coalesce(max(seq), 0) FROM event")).scalar()
                size = conn.execute(
                    sa.text("SELECT coalesce(max(size), 0) FROM record_checkpoint")
                ).scalar()
            if head == size:
                return
            await asyncio.sleep(0.3)
    finally:
        engine.dispose()


# -- the run -------------------------------------------------------------------------------------


async def sleep_showing(progress: Progress, task: Any, seconds: float, load: Load) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ok = sum(len(c.ok) for c in load.creators)
        got = sum(len(s.seqs) for s in load.subs)
        err = sum(len(c.failed) for c in load.creators)
        progress.update(task, advance=min(left, 0.25),
                        status=f"{ok} creates, {err} failed, {got} deliveries")  # fmt: skip
        await asyncio.sleep(min(left, 0.25))
    if progress.tasks[task].total is not None and progress.tasks[task].completed >= (
        progress.tasks[task].total or 0
    ):
        progress.stop_task(task)


async def run(args: argparse.Namespace, folder: Path) -> None:
    pg, nats = Postgres(), Nats()
    nodes: list[Node] = []
    try:
        db_url = pg.url
        key = folder / "line.key"
        tokens = make_line(db_url, key, args.parties)
        nodes = [Node(n, db_url, key, nats.url, folder) for n in ("A", "B")]
        for n in nodes:
            n.start()
        for n in nodes:
            n.ready()
        await _phases(args, pg, nats, nodes, tokens, db_url, key)
    finally:
        for n in nodes:
            n.close()
        nats.close()
        pg.close()


async def _phases(args: argparse.Namespace, pg: Postgres, nats: Nats, nodes: list[Node],
                  tokens: dict[str, str], db_url: str, key: Path) -> None:  # fmt: skip
    load = Load(nodes, tokens, args, start=0)
    costs: list[Cost] = []
    columns = (TextColumn("{task.description:<28}"), BarColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[status]}"))  # fmt: skip
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as client:
        tasks = [asyncio.create_task(load.create_loop(c, client)) for c in load.creators]
        tasks += [asyncio.create_task(load.sub_loop(s)) for s in load.subs]
        with Progress(*columns, console=console) as progress:
            # steady: the two-node push cost
            t = progress.add_task("steady load", total=args.steady_s, status="")
            await sleep_showing(progress, t, 2.0, load)  # connected and warm
            cpu0 = [cpu_s(n.pid) for n in nodes]
            d0 = [sum(v == i for s in load.subs for v in s.via) for i in range(len(nodes))]
            e0, w0 = max((s.seqs[-1] for s in load.subs if s.seqs), default=0), time.monotonic()
            await sleep_showing(progress, t, args.steady_s, load)
            wall = time.monotonic() - w0
            cpu = [cpu_s(n.pid) - c for n, c in zip(nodes, cpu0, strict=True)]
            d = [sum(v == i for s in load.subs for v in s.via) - d0[i] for i in range(len(nodes))]
            e1 = max((s.seqs[-1] for s in load.subs if s.seqs), default=0)
            now = time.time()
            steady = (wall, cpu, d, (e1 - e0) / wall, latency_ms(load, now - wall, now))

            # a node that only pushes: every create on A, B's CPU over what B delivered
            t = progress.add_task("steady, creates on A only", total=args.steady_s, status="")
            load.pin = 0
            await sleep_showing(progress, t, 2.0, load)
            b_cpu0, b_d0 = cpu_s(nodes[1].pid), sum(v == 1 for s in load.subs for v in s.via)
            w0 = time.monotonic()
            await sleep_showing(progress, t, args.steady_s, load)
            b_wall = time.monotonic() - w0
            b_cpu = cpu_s(nodes[1].pid) - b_cpu0
            b_d = sum(v == 1 for s in load.subs for v in s.via) - b_d0
            now = time.time()
            push_only = (b_wall, b_cpu, b_d, latency_ms(load, now - b_wall, now, via=1))
            load.pin = None

            # 1. kill -9 node A
            t = progress.add_task("kill -9 node A", total=args.window_s, status="")
            t0 = time.time()
            nodes[0].kill()
            await sleep_showing(progress, t, args.window_s, load)
            costs.append(cost_of(load, "kill -9 a node", t0, time.time()))
            nodes[0].start()
            restart_s = await asyncio.to_thread(nodes[0].ready)
            costs[-1].extra = f"node started again in {restart_s:.1f} s"
            await _verify(load, db_url, key, costs[-1], progress)

            # 2. PostgreSQL, as after a power cut
            t = progress.add_task("restart PostgreSQL", total=args.window_s, status="")
            t0 = time.time()
            await asyncio.to_thread(pg.crash)
            down = time.time()
            await asyncio.to_thread(pg.start)
            up = time.time()
            await sleep_showing(progress, t, args.window_s, load)
            costs.append(cost_of(load, "restart PostgreSQL", t0, time.time(),
                                 f"down {up - t0:.1f} s (stop {down - t0:.1f} s)"))  # fmt: skip
            await _verify(load, db_url, key, costs[-1], progress)

            # 3. NATS silent
            t = progress.add_task(f"stop NATS {args.nats_stop_s:.0f} s",
                                  total=args.nats_stop_s + args.window_s, status="")  # fmt: skip
            load.pin = 0  # B's streams now hear of new events only from A, over NATS or not
            before = nats.clients()
            lost0 = [n.said(": lost;") for n in nodes]
            t0 = time.time()
            nats.stop()
            await sleep_showing(progress, t, args.nats_stop_s, load)
            via_b = latency_ms(load, t0, time.time(), via=1)
            nats.cont()
            cont = time.monotonic()
            while (len(nats.clients() - before) < len(nodes)
                   and time.monotonic() - cont < args.window_s):  # fmt: skip
                await asyncio.sleep(0.1)
            back = time.monotonic() - cont
            lost = sum(n.said(": lost;") - n0 for n, n0 in zip(nodes, lost0, strict=True))
            during = cost_of(load, "NATS stopped", t0, time.time())
            await sleep_showing(progress, t, max(0.0, args.window_s - back), load)
            after = latency_ms(load, t0 + args.nats_stop_s + back, time.time(), via=1)
            load.pin = None
            ms = ["/".join(f"{x:.0f}" for x in lat) + " ms" for lat in (via_b, after)]
            during.extra = (f"creates on A only; pushed by B while stopped: p50/p99/max {ms[0]}, "
                            f"once back {ms[1]}; {lost} of {len(nodes)} nodes said NATS was lost "
                            f"and fell back; both back on it {back:.1f} s after "
                            "SIGCONT")  # fmt: skip
            costs.append(during)
            await _verify(load, db_url, key, costs[-1], progress)

            # the end: quiet, then judge
            t = progress.add_task("draining", total=None, status="")
            await load.pause()
            await _drained(load, client)
            load.stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            progress.update(t, status="done", total=1, completed=1)
            progress.stop_task(t)
        judged = await _judge(load, client, db_url)
    _report(args, costs, steady, push_only, judged)


async def _verify(load: Load, db_url: str, key: Path, cost: Cost, progress: Progress) -> None:
    t = progress.add_task("record verify", total=None, status="")
    await load.pause()
    await settle_record(db_url)
    cost.verify = await asyncio.to_thread(verify, db_url, key)
    progress.update(t, status=cost.verify, total=1, completed=1)
    progress.stop_task(t)
    load.resume()


async def _entitled(client: httpx.AsyncClient, base: str, token: str, after: int) -> list[int]:
    seqs: list[int] = []
    while True:
        r = await client.get(f"{base}/v1/events", params={"after": after, "limit": 1000},
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        got = r.json()
        seqs += [e["seq"] for e in got["events"]]
        if not got["events"]:
            return seqs
        after = got["last"]


async def _drained(load: Load, client: httpx.AsyncClient) -> None:
    """Until every subscriber has what its party may receive (deliveries write receipts, which
    are events too: wait for the log to go quiet), 30 s at most."""
    deadline = time.monotonic() + 30
    base = load.nodes[1].base
    while time.monotonic() < deadline:
        lasts = {}
        for party in {s.party for s in load.subs}:
            token = next(s.token for s in load.subs if s.party == party)
            seqs = await _entitled(client, base, token, 0)
            lasts[party] = seqs[-1] if seqs else 0
        if all((s.seqs[-1] if s.seqs else 0) >= lasts[s.party] for s in load.subs):
            await asyncio.sleep(1.5)  # and nothing more comes
            if all((s.seqs[-1] if s.seqs else 0) >= lasts[s.party] for s in load.subs):
                return
        await asyncio.sleep(0.5)


async def _judge(load: Load, client: httpx.AsyncClient, db_url: str) -> dict[str, Any]:
    acked = [nid for c in load.creators for _, nid in c.ok]
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        stored = set(conn.execute(sa.text("SELECT id FROM notice WHERE id = ANY(:ids)"),
                                  {"ids": acked}).scalars())  # fmt: skip
    engine.dispose()
    lost = wrong = repeated = 0
    base = load.nodes[1].base
    cache: dict[str, list[int]] = {}
    for s in load.subs:
        if s.party not in cache:
            cache[s.party] = await _entitled(client, base, s.token, s.start)
        upto = s.seqs[-1] if s.seqs else 0
        want = [q for q in cache[s.party] if q <= upto]
        repeated += s.repeated
        if s.seqs != want:
            wrong += 1
            lost += len(set(want) - set(s.seqs))
    return {"acked": len(acked), "missing": len(acked) - len(stored), "subs_wrong": wrong,
            "events_lost": lost, "repeated": repeated,
            "deliveries": sum(len(s.seqs) for s in load.subs)}  # fmt: skip


def _report(args: argparse.Namespace, costs: list[Cost], steady: Any, push_only: Any,
            judged: dict[str, Any]) -> None:  # fmt: skip
    wall, cpu, deliveries, events_s, lat = steady
    table = Table(title="Two nodes, steady load (before the faults)")
    for col in ("node", "deliveries/s", "CPU", "CPU per delivery"):
        table.add_column(col, justify="right")
    for name, c, d in zip("AB", cpu, deliveries, strict=True):
        per = f"{c / d * 1e6:.0f} µs" if d else "-"
        table.add_row(name, f"{d / wall:.0f}", f"{c / wall * 100:.0f} %", per)
    b_wall, b_cpu, b_d, b_lat = push_only
    table.add_row("B, creates on A only", f"{b_d / b_wall:.0f}", f"{b_cpu / b_wall * 100:.0f} %",
                  f"{b_cpu / b_d * 1e6:.0f} µs" if b_d else "-")  # fmt: skip
    console.print(table)
    console.print("pushed by B with every create on A: p50/p99/max "
                  + "/".join(f"{x:.0f}" for x in b_lat) + " ms")  # fmt: skip
    console.print(f"events/s in the log: {events_s:.1f}; creates asked: {args.rate}/s; "
                  f"subscribers: {args.subscribers} (CPU per delivery includes the node's share "
                  "of the creates); push p50/p99/max "
                  + "/".join(f"{x:.0f}" for x in lat) + " ms")  # fmt: skip
    table = Table(title="What each fault cost")
    for col in ("fault", "failed creates", "dropped streams", "writes back", "streams back",
                "push p50/p99/max", "record verify", "notes"):  # fmt: skip
        table.add_column(col)
    for c in costs:
        push = "/".join(f"{x:.0f}" for x in c.latency_ms) + " ms"
        table.add_row(c.fault, str(c.create_errors), str(c.drops), f"{c.writes_back_s:.1f} s",
                      f"{c.subs_back_s:.1f} s", push, c.verify, c.extra)  # fmt: skip
    console.print(table)
    ok = judged["missing"] == 0 and judged["subs_wrong"] == 0 and judged["repeated"] == 0
    console.print(
        f"acknowledged creates: {judged['acked']}, missing from the database: "
        f"{judged['missing']}; deliveries: {judged['deliveries']}; subscribers whose events "
        f"differ from their entitlement: {judged['subs_wrong']} ({judged['events_lost']} events "
        f"lost); repeated: {judged['repeated']} -> "
        + ("[bold green]nothing lost[/]" if ok else "[bold red]LOST OR REPEATED[/]")
    )
    if not ok or any(not c.verify.startswith("passed") for c in costs):
        raise SystemExit(1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--creators", type=int, default=4)
    p.add_argument("--rate", type=float, default=20.0, help="creates/s in all")
    p.add_argument("--subscribers", type=int, default=100)
    p.add_argument("--parties", type=int, default=4)
    p.add_argument("--steady-s", type=float, default=15.0)
    p.add_argument("--window-s", type=float, default=15.0, help="load after each fault")
    p.add_argument("--nats-stop-s", type=float, default=30.0)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="faults-") as folder:
        asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    main()
