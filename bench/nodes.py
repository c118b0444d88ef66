"""Nodes: 1, 2, 4. The same push load and the same creates on N ``serve`` nodes over one
PostgreSQL and one NATS, and what each node, PostgreSQL and the load itself cost.

    .venv/bin/python bench/nodes.py                       # 1, 2, 4 nodes; as root
    .venv/bin/python bench/nodes.py --nodes 1,2 --seconds 8 --subscribers 200 --creates-s 5

Everything runs on loopback and stops by itself (``bench/_faults_cluster.py``): a PostgreSQL
cluster and a NATS server of the bench's own, shared by the steps, and per step a fresh
database, a line made in it and N nodes, ``deconfliction serve --nats``. Each step:

1. **push**: ``--subscribers`` WebSocket subscribers (``bench/_push_workload.py``'s parties and
   filters, subscriber i on node i mod N, held by ``--client-procs`` processes of
   ``bench/_push_client.py``), and ``POST /v1/notices`` paced so that notices and their conflicts
   come to ``--rate`` events/s for ``--seconds``, notice i on node i mod N. Then the deliveries
   drain, the log is read back and every subscriber's deliveries are judged against what it is
   entitled to (missing, duplicate, unexpected) as ``bench/push.py`` does; latency is receive
   time minus the event's ``at`` (the line's clock as the change began, before its commit).
2. **creates** (``--creates-s`` each, 0 to skip): for each of ``--create-clients`` (1 and 8),
   that many closed-loop clients, no subscriber, each sending its next notice as soon as the
   last is answered, client j's i-th to node (i + j) mod N: checked creates/s over HTTP. One
   client shows how long a create holds the write lock when nobody waits for it.

For each: each node's CPU seconds (``/proc/PID/stat``), PostgreSQL's (the postmaster, its live
children and the children it reaped), the load's (this process, which generates and samples; and
the subscriber processes), the load average, and how much of the time one transaction held the
notice write lock (the PostgreSQL advisory lock every node takes to number its writes; sampled
from ``pg_locks`` about 40 times a second). CPU per delivery and per create, and the lock's
share of the time, are what carry over to more cores and more machines; rates measured on a
small shared machine measure the machine (nodes, PostgreSQL and load share its cores), and the
bench says so and prints what the per-unit figures predict.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import psycopg
import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _faults_cluster import Nats, Node, Postgres, make_line  # noqa: E402
from _push_report import Outcome, cpu_s  # noqa: E402
from _push_workload import generate, notice_body, slug, subscriptions, warm_up  # noqa: E402
from push import READY_S, STOP_S, _Client, _reap, drain  # noqa: E402

console = Console(width=None if sys.stdout.isatty() else 150)

_TICK = os.sysconf("SC_CLK_TCK")
_KEY = 0x6465_636F_6E66_6C6E  # the notice write lock (store/sqlstore.py NOTICE_WRITE_LOCK)

# -- what things cost ----------------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def pg_cpu_s(pg: Postgres) -> float:
    """CPU seconds of the PostgreSQL server so far: the postmaster (with the children it has
    reaped: ``cutime``, ``cstime``) and its live children (backends, WAL writer, checkpointer)."""
    master = int((pg.dir / "data" / "postmaster.pid").read_text().split()[0])
    f = _stat(master)
    total = sum(int(x) for x in f[11:15])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            g = _stat(int(entry.name))
        except OSError:
            continue
        if int(g[1]) == master:
            total += int(g[11]) + int(g[12])
    return total / _TICK


class LockSampler:
    """How often a transaction holds the notice write lock, how often one waits for it, and
    what the holder is doing: from ``pg_locks`` and ``pg_stat_activity`` in a thread of its own
    (its own connection, ~40 samples a second). A holder ``idle in transaction`` is waiting for
    its node (the node's Python between two statements, or a node waiting for a core); one
    ``active`` is PostgreSQL running a statement, or flushing the WAL at commit."""

    QUERY = (
        "SELECT l.granted, a.state, a.wait_event_type, a.wait_event, "
        r"left(regexp_replace(a.query, '\s+', ' ', 'g'), 48) "
        "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' "
        f"AND l.classid = {_KEY >> 32} AND l.objid = {_KEY & 0xFFFF_FFFF} AND l.objsubid = 1"
    )

    def __init__(self, pg: Postgres, db: str) -> None:
        self.dsn = f"host=127.0.0.1 port={pg.port} user=postgres dbname={db}"
        self.samples = self.held = self.waited = 0
        self.doing: Counter[str] = Counter()
        self.statements: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _doing(state: str | None, wait_type: str | None, wait: str | None) -> str:
        if state == "idle in transaction":
            return "node"
        if state == "active" and wait_type is None:
            return "PostgreSQL running"
        if state == "active" and wait_type == "IO" and (wait or "").startswith("WAL"):
            return "WAL flush"
        return f"other ({state}, {wait_type}/{wait})"

    def _run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.is_set():
                rows = conn.execute(self.QUERY).fetchall()
                self.samples += 1
                self.waited += any(not r[0] for r in rows)
                for granted, state, wait_type, wait, query in rows:
                    if granted:
                        self.held += 1
                        self.doing[self._doing(state, wait_type, wait)] += 1
                        self.statements[query or "?"] += 1
                self._stop.wait(0.025)

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    @property
    def held_share(self) -> float:
        return self.held / self.samples if self.samples else float("nan")

    @property
    def waited_share(self) -> float:
        return self.waited / self.samples if self.samples else float("nan")

    def holder(self) -> str:
        """What the holder did, as shares of the samples that found the lock held."""
        if not self.held:
            return "-"
        keys = ("node", "PostgreSQL running", "WAL flush")
        other = self.held - sum(self.doing[k] for k in keys)
        return " / ".join(f"{self.doing[k] / self.held * 100:.0f}" for k in keys) + (
            f" / {other / self.held * 100:.0f}"
        )


@dataclass
class Meter:
    """CPU seconds of every process of a step between ``start()`` and ``stop()``."""

    pg: Postgres
    nodes: list[Node]
    clients: list[Any] = field(default_factory=list)
    wall: float = 0.0
    node_s: list[float] = field(default_factory=list)
    pg_s: float = 0.0
    gen_s: float = 0.0
    clients_s: float = 0.0
    load1: float = 0.0

    def _now(self) -> tuple[float, list[float], float, float, float]:
        return (
            time.monotonic(),
            [cpu_s(n.pid) for n in self.nodes],
            pg_cpu_s(self.pg),
            cpu_s(os.getpid()),
            sum(cpu_s(c.proc.pid) for c in self.clients),
        )

    def start(self) -> None:
        self._t0 = self._now()

    def stop(self) -> None:
        t1 = self._now()
        t0 = self._t0
        self.wall = t1[0] - t0[0]
        self.node_s = [b - a for a, b in zip(t0[1], t1[1], strict=True)]
        self.pg_s, self.gen_s, self.clients_s = t1[2] - t0[2], t1[3] - t0[3], t1[4] - t0[4]
        self.load1 = os.getloadavg()[0]

    def cores(self, seconds: float) -> float:
        return seconds / self.wall if self.wall else float("nan")


# -- one step ------------------------------------------------------------------------------------


@dataclass
class Step:
    n: int
    push: Outcome | None = None
    push_meter: Meter | None = None
    push_lock: LockSampler | None = None
    per_node_deliveries: list[int] = field(default_factory=list)
    creates: list[Creates] = field(default_factory=list)


@dataclass
class Creates:
    """One run of closed-loop creating clients."""

    clients: int
    meter: Meter
    done: int = 0
    errors: int = 0
    took_s: list[float] = field(default_factory=list)
    lock: LockSampler | None = None

    @property
    def rate(self) -> float:
        return self.done / self.meter.wall

    @property
    def held_ms(self) -> float:
        """How long the write lock was held per create (its share of the time over the rate)."""
        if not self.done or self.lock is None:
            return float("nan")
        return self.lock.held_share / self.rate * 1e3


def new_database(pg: Postgres, name: str) -> str:
    engine = sa.create_engine(pg.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return pg.url.rpartition("/")[0] + f"/{name}"


def head_seq(db_url: str) -> int:
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        seq = conn.execute(sa.text("SELECT coalesce(max(seq), 0) FROM event")).scalar()
    engine.dispose()
    return int(seq or 0)


def run_step(args: argparse.Namespace, pg: Postgres, nats: Nats, n: int, folder: Path) -> Step:
    db = f"nodes{n}"
    db_url = new_database(pg, db)
    key = folder / f"line-{n}.key"
    tokens = make_line(db_url, key, args.parties, slug)
    nodes = [Node(f"n{n}-{k}", db_url, key, nats.url, folder) for k in range(n)]
    step = Step(n)
    try:
        with console.status(f"starting {n} node{'s' if n > 1 else ''}"):
            for node in nodes:
                node.start()
            for node in nodes:
                node.ready()
            for node in nodes:
                warm_up(node.base, tokens, n=20)
        _push(args, pg, db, db_url, nodes, tokens, folder, step)
        if args.creates_s > 0:
            for k in args.create_clients:
                step.creates.append(_creates(args, k, pg, db, nodes, tokens))
    finally:
        for node in nodes:
            node.close()
    return step


def _push(args: argparse.Namespace, pg: Postgres, db: str, db_url: str, nodes: list[Node],
          tokens: dict[str, str], folder: Path, step: Step) -> None:  # fmt: skip
    n = len(nodes)
    subs = subscriptions(args.subscribers, args.parties)
    after = head_seq(db_url)
    procs = max(1, min(args.client_procs, len(subs)))
    clients: list[_Client] = []
    try:
        for k in range(procs):
            mine = range(k, len(subs), procs)
            spec = {
                "url": nodes[0].ws,
                "after": after,
                "indices": list(mine),
                "subs": [{"token": tokens[subs[i].party], "kinds": subs[i].kinds,
                          "parties": subs[i].parties, "url": nodes[i % n].ws}
                         for i in mine],
            }  # fmt: skip
            path = folder / f"spec-{n}-{k}.json"
            path.write_bytes(orjson.dumps(spec))
            clients.append(_Client(path, folder / f"received-{n}-{k}.npz"))
        with console.status(f"connecting {len(subs):,} subscribers to {n} node(s)"):
            _Client.wait_all_ready(clients, timeout=READY_S)
        meter = Meter(pg, nodes, clients)
        meter.start()
        with (
            LockSampler(pg, db) as lock,
            Progress(TextColumn("{task.description:<20}"), BarColumn(),
                     TextColumn("{task.completed:,}/{task.total:,} {task.fields[rate]}"),
                     TimeElapsedColumn(), console=console) as progress,
        ):  # fmt: skip
            gen = asyncio.run(
                generate([x.base for x in nodes], tokens, args.rate, args.seconds,
                         args.connections, args.seed, progress)
            )  # fmt: skip
            log, expected, other, disagree = drain(
                db_url, after, gen, subs, clients, progress, args.drain_s
            )
        meter.stop()
        got = _Client.stop_all(clients, timeout=STOP_S)
    finally:
        _reap([c.proc for c in clients])
        for c in clients:
            c.close()
    step.push = Outcome(
        rate=args.rate, subs=subs, expected=expected, other=other, disagree=disagree, log=log,
        gen_events=gen.events, notices=len(gen.notices), conflicts=len(gen.conflicts),
        errors=dict(gen.errors), post_s=gen.post_s, wall_s=gen.ended - gen.started,
        sub=got["sub"], seq=got["seq"], t=got["t"], reconnects=int(got["reconnects"].sum()),
        client_procs=procs, server_cpu_s=sum(meter.node_s), client_cpu_s=meter.clients_s,
        cpu_wall_s=meter.wall, server_rss_mb=float("nan"), started=gen.started,
    )  # fmt: skip
    step.push.judged  # noqa: B018  (fills the counts)
    step.push_meter = meter
    step.push_lock = lock
    step.per_node_deliveries = np.bincount(got["sub"] % n, minlength=n).tolist()


def _creates(args: argparse.Namespace, clients: int, pg: Postgres, db: str, nodes: list[Node],
             tokens: dict[str, str]) -> Creates:  # fmt: skip
    slugs = sorted(tokens)
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2 + clients)
    counter = [0]
    out = Creates(clients, Meter(pg, nodes))

    async def client(j: int, http: httpx.AsyncClient, end: float) -> None:
        rng = random.Random(args.seed + j)
        i = 0
        while time.monotonic() < end:
            k = counter[0]
            counter[0] += 1
            author = rng.randrange(len(slugs))
            body = notice_body(k, rng, len(slugs), author, t0)
            node = nodes[(i + j) % len(nodes)]
            i += 1
            sent = time.perf_counter()
            try:
                r = await http.post(f"{node.base}/v1/notices", content=orjson.dumps(body),
                                    headers={"Authorization": f"Bearer {tokens[slugs[author]]}",
                                             "Content-Type": "application/json"})  # fmt: skip
            except httpx.HTTPError:
                out.errors += 1
                continue
            if r.status_code != 201:
                out.errors += 1
                continue
            out.took_s.append(time.perf_counter() - sent)
            out.done += 1

    async def drive(progress: Progress) -> None:
        limits = httpx.Limits(max_connections=clients)
        async with httpx.AsyncClient(limits=limits, timeout=60) as http:
            end = time.monotonic() + args.creates_s
            task = progress.add_task(f"creates, {clients} client(s)", total=args.creates_s,
                                     status="")  # fmt: skip
            runs = [asyncio.create_task(client(j, http, end)) for j in range(clients)]
            while (left := end - time.monotonic()) > 0:
                await asyncio.sleep(min(left, 0.25))
                progress.update(task, completed=args.creates_s - max(left, 0),
                                status=f"{out.done:,} created")  # fmt: skip
            await asyncio.gather(*runs)

    out.meter.start()
    with (
        LockSampler(pg, db) as lock,
        Progress(TextColumn("{task.description:<20}"), BarColumn(), TimeElapsedColumn(),
                 TextColumn("{task.fields[status]}"), console=console) as progress,
    ):  # fmt: skip
        asyncio.run(drive(progress))
    out.meter.stop()
    out.lock = lock
    return out


# -- the report ----------------------------------------------------------------------------------


def _ms(xs: Any, p: float) -> str:
    return f"{float(np.percentile(xs, p)) * 1e3:,.0f}" if len(xs) else "-"


def _pc(x: float) -> str:
    return "-" if x != x else f"{x * 100:.0f} %"


def report(steps: list[Step], args: argparse.Namespace) -> None:
    title = (
        f"Nodes over one PostgreSQL and NATS: {args.subscribers:,} subscribers, {args.rate:g} "
        f"events/s asked for {args.seconds:g} s; then creating clients "
        f"({', '.join(map(str, args.create_clients))}) for {args.creates_s:g} s each"
    )
    table = Table(title=title)
    table.add_column("")
    for s in steps:
        table.add_column(f"{s.n} node{'s' if s.n > 1 else ''}", justify="right")
    rows: list[tuple[str, list[str]]] = []

    def row(name: str, f: Any) -> None:
        rows.append((name, [f(s) for s in steps]))

    def push(s: Step) -> tuple[Outcome, Meter]:
        assert s.push is not None and s.push_meter is not None
        return s.push, s.push_meter

    row("push: events/s achieved", lambda s: f"{push(s)[0].gen_events / push(s)[0].wall_s:,.0f}")
    row("  deliveries/s", lambda s: f"{len(push(s)[0].seq) / push(s)[0].wall_s:,.0f}")
    row("  deliveries per event made",
        lambda s: f"{len(push(s)[0].seq) / max(push(s)[0].gen_events, 1):,.0f}")  # fmt: skip
    row("  latency from commit p50 / p99 ms", lambda s: f"{_ms(push(s)[0].judged[0], 50)} / "
        f"{_ms(push(s)[0].judged[0], 99)}")  # fmt: skip
    row("  POST p50 / p99 ms",
        lambda s: f"{_ms(push(s)[0].post_s, 50)} / {_ms(push(s)[0].post_s, 99)}")  # fmt: skip
    row("  missing / duplicate / unexpected", lambda s: "{} / {} / {}".format(
        *(push(s)[0].counts[k] for k in ("missing", "duplicates", "unexpected"))))  # fmt: skip
    row("  generator errors, reconnections", lambda s: f"{sum(push(s)[0].errors.values())}, "
        f"{push(s)[0].reconnects}")  # fmt: skip
    row("  each node: CPU cores", lambda s: " ".join(
        f"{push(s)[1].cores(c):.2f}" for c in push(s)[1].node_s))  # fmt: skip
    row("  each node: CPU µs per own delivery", lambda s: " ".join(
        f"{c / d * 1e6:.0f}" if d else "-"
        for c, d in zip(push(s)[1].node_s, s.per_node_deliveries, strict=True)))  # fmt: skip
    row("  nodes: CPU µs per delivery", lambda s: f"{_per(push(s)[1].node_s, push(s)[0]):.1f}")
    row("  PostgreSQL: CPU cores", lambda s: f"{push(s)[1].cores(push(s)[1].pg_s):.2f}")
    row("  PostgreSQL: CPU µs per delivery",
        lambda s: f"{_per([push(s)[1].pg_s], push(s)[0]):.1f}")  # fmt: skip
    row("  generator (this process) cores", lambda s: f"{push(s)[1].cores(push(s)[1].gen_s):.2f}")
    row("  subscriber processes cores",
        lambda s: f"{push(s)[1].cores(push(s)[1].clients_s):.2f}")  # fmt: skip
    row("  all CPU, cores (of 2)", lambda s: f"{_all_cores(push(s)[1]):.2f}")
    row("  write lock held / waited for", lambda s: _lock(s.push_lock))
    row("  holder: node / PG / WAL flush / other %",
        lambda s: s.push_lock.holder() if s.push_lock else "-")  # fmt: skip
    row("  load average (1 min) at the end", lambda s: f"{push(s)[1].load1:.1f}")
    for k, clients in enumerate(args.create_clients if args.creates_s > 0 else []):

        def c(s: Step, k: int = k) -> Creates:
            return s.creates[k]

        row(f"creates, {clients} client(s): creates/s", lambda s, c=c: f"{c(s).rate:,.0f}")
        row("  p50 / p99 ms", lambda s, c=c: f"{_ms(c(s).took_s, 50)} / {_ms(c(s).took_s, 99)}")
        row("  errors", lambda s, c=c: str(c(s).errors))
        row(
            "  nodes: CPU cores (sum)",
            lambda s, c=c: f"{c(s).meter.cores(sum(c(s).meter.node_s)):.2f}",
        )
        row("  nodes: CPU ms per create",
            lambda s, c=c: f"{sum(c(s).meter.node_s) / max(c(s).done, 1) * 1e3:.1f}")  # fmt: skip
        row("  PostgreSQL: CPU cores", lambda s, c=c: f"{c(s).meter.cores(c(s).meter.pg_s):.2f}")
        row("  PostgreSQL: CPU ms per create",
            lambda s, c=c: f"{c(s).meter.pg_s / max(c(s).done, 1) * 1e3:.1f}")  # fmt: skip
        row(
            "  client (this process) cores",
            lambda s, c=c: f"{c(s).meter.cores(c(s).meter.gen_s):.2f}",
        )
        row("  write lock held / waited for", lambda s, c=c: _lock(c(s).lock))
        row("  holder: node / PG / WAL flush / other %",
            lambda s, c=c: c(s).lock.holder() if c(s).lock else "-")  # fmt: skip
        row("  write lock held per create, ms", lambda s, c=c: f"{c(s).held_ms:.1f}")
        row("  lock-bound creates/s (1 / held)",
            lambda s, c=c: f"{1e3 / c(s).held_ms:,.0f}" if c(s).held_ms > 0 else "-")  # fmt: skip
        row("  load average (1 min) at the end", lambda s, c=c: f"{c(s).meter.load1:.1f}")
    for name, cells in rows:
        table.add_row(name, *cells)
    console.print(table)
    for s in steps:
        _statements(f"push, {s.n} node(s)", s.push_lock)
        for c in s.creates:
            _statements(f"creates, {s.n} node(s), {c.clients} client(s)", c.lock)
    _predict(steps, args)


def _lock(lock: LockSampler | None) -> str:
    return "-" if lock is None else f"{_pc(lock.held_share)} / {_pc(lock.waited_share)}"


def _held(c: Creates) -> float:
    return c.lock.held_share if c.lock else float("nan")


def _statements(name: str, lock: LockSampler | None) -> None:
    """The statements the lock's holder ran last (or was running), the most frequent first."""
    if lock is None or not lock.held:
        return
    top = ", ".join(f"{n / lock.held * 100:.0f} % {q!r}" for q, n in lock.statements.most_common(5))
    console.print(f"{name}: the holder's last statement: {top}")


def _per(cpu: list[float], o: Outcome) -> float:
    return sum(cpu) / len(o.seq) * 1e6 if len(o.seq) else float("nan")


def _all_cores(m: Meter) -> float:
    return m.cores(sum(m.node_s) + m.pg_s + m.gen_s + m.clients_s)


def _predict(steps: list[Step], args: argparse.Namespace) -> None:
    """What the per-unit figures say about more cores and machines."""
    cpus = os.cpu_count() or 1
    console.print(
        f"[bold]Reading it.[/] {cpus} CPUs hold every process here: nodes, PostgreSQL, the "
        "generator and the subscribers. Past the first node, rates measure the machine; CPU per "
        "delivery and per create carry over to more cores and more machines."
    )
    for s in steps:
        o, m = s.push, s.push_meter
        if o is None or m is None or not len(o.seq):
            continue
        node_us = _per(m.node_s, o)
        pg_us = _per([m.pg_s], o)
        per_event = len(o.seq) / max(o.gen_events, 1)
        need = 500 * per_event * 1000 / max(args.subscribers, 1)  # deliveries/s at 500 events/s
        line = (
            f"{s.n} node(s): {node_us:.1f} µs of node CPU and {pg_us:.1f} µs of PostgreSQL per "
            f"delivery -> {1e6 / node_us:,.0f} deliveries/s per node core; 500 events/s to "
            f"1,000 subscribers ({per_event:,.0f} deliveries per event here) is "
            f"{need:,.0f} deliveries/s: {need * node_us / 1e6:.1f} node cores and "
            f"{need * pg_us / 1e6:.2f} of PostgreSQL's"
        )
        for c in s.creates:
            if c.done and c.held_ms > 0:
                line += (
                    f"; {c.clients} creating: {sum(c.meter.node_s) / c.done * 1e3:.1f} ms of "
                    f"node CPU and {c.meter.pg_s / c.done * 1e3:.1f} ms of PostgreSQL's a "
                    f"create, the write lock held {c.held_ms:.1f} ms each ({_pc(_held(c))} of "
                    f"the time at {c.rate:,.0f}/s: at most ~{1e3 / c.held_ms:,.0f}/s)"
                )
        console.print(line)


# -- the run -------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--nodes", default="1,2,4", help="node counts, one step each")
    ap.add_argument("--subscribers", type=int, default=1_000)
    ap.add_argument("--rate", type=float, default=200.0, help="events per second asked")
    ap.add_argument("--seconds", type=float, default=20.0, help="push load per step")
    ap.add_argument("--parties", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16, help="the generator's HTTP connections")
    ap.add_argument("--client-procs", type=int, default=1, help="subscriber processes")
    ap.add_argument("--drain-s", type=float, default=60.0, help="wait at most this long after")
    ap.add_argument("--creates-s", type=float, default=10.0, help="creates per step (0: none)")
    ap.add_argument("--create-clients", default="1,8", help="closed-loop clients, one run each")
    ap.add_argument("--seed", type=int, default=20_261_206)
    args = ap.parse_args()
    counts = [int(x) for x in args.nodes.split(",") if x.strip()]
    args.create_clients = [int(x) for x in args.create_clients.split(",") if x.strip()]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BENCH,
                            capture_output=True, text=True).stdout.strip() or "?"  # fmt: skip
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    console.print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, commit {commit}; uptime: {uptime}"
    )
    steps = []
    with tempfile.TemporaryDirectory(prefix="nodes-") as tmp:
        pg, nats = Postgres(), Nats()
        try:
            for n in counts:
                console.rule(f"{n} node{'s' if n > 1 else ''}")
                steps.append(run_step(args, pg, nats, n, Path(tmp)))
        finally:
            nats.close()
            pg.close()
    report(steps, args)
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    console.print(f"uptime at the end: {uptime}")
    bad = sum(s.push.counts["missing"] + s.push.counts["duplicates"]
              + s.push.counts["unexpected"] for s in steps if s.push)  # fmt: skip
    if bad:
        console.print(f"[red]{bad:,} deliveries missing, duplicated or unexpected[/red]")
        sys.exit(1)


if __name__ == "__main__":
    main()
