"""Push at scale: 1,000 WebSocket subscribers, notices and conflicts at 500 events/s.

    .venv/bin/python bench/push.py                                  # 1,000 subscribers, 20 s
    .venv/bin/python bench/push.py --subscribers 10 100 1000        # one run each, one table
    .venv/bin/python bench/push.py --subscribers 100 --rate 100 --seconds 5    # a quick look

Three kinds of process on one machine (one clock), for each run:

- the server: ``python -m deconfliction serve --scan-interval-s 0`` on a fresh SQLite file,
  after this script made ``--parties`` parties with a coordinator each through the service, and
  warmed up with 50 private notices nobody subscribes to;
- the subscribers: ``bench/_push_client.py``, ``--client-procs`` asyncio processes (1) holding
  ``--subscribers`` WebSocket connections to ``/v1/stream`` between them (subscriber i in process
  i mod N), spread evenly over the parties' tokens, with a mix of filters (all events; conflicts
  only; notices only; changes by two other parties only); all are connected before the generator
  starts, and their received arrays are merged before judging;
- the generator, this process: ``POST /v1/notices`` over ``--connections`` keep-alive
  connections, paced so that notices and the conflicts they raise add up to ``--rate`` events/s
  for ``--seconds`` (``bench/_push_workload.py`` has the audiences and places).

Afterwards the log is read back from the database. What each subscriber is entitled to comes
from the generator's own records and the audience rules (a notice event reaches its party and
its audience; a conflict event its two parties), then its filters; anything else in the log
(none today) from the log's ``told``. Latency is receive time minus the event's ``at`` (the
line's clock when the change began, just before its commit). The server's CPU comes from
``/proc/PID/stat`` over the run and its drain, its peak RSS from ``VmHWM``. ``--profile``
samples the server with py-spy (GIL holder only) during each run and prints where its time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _push_report import Outcome, cpu_s, peak_rss_mb, print_profile, report  # noqa: E402
from _push_workload import Generated, Sub, generate, slug, subscriptions, warm_up  # noqa: E402
from _serve import UNLIMITED  # noqa: E402
from _serve import start_server as serve  # noqa: E402
from deconfliction import service  # noqa: E402
from deconfliction.config import LineConfig  # noqa: E402
from deconfliction.domain import Role  # noqa: E402
from deconfliction.domain.probing import NO_BUDGETS  # noqa: E402
from deconfliction.store import open_store  # noqa: E402

console = Console(width=None if sys.stdout.isatty() else 130)

# -- the line -------------------------------------------------------------------------------------


def make_line(db_url: str, parties: int) -> dict[str, str]:
    line = service.open_line(LineConfig(db_url, budgets=NO_BUDGETS))
    tokens = {}
    for p in range(parties):
        service.create_party(line, slug(p), f"Party {p}")
        tokens[slug(p)] = service.create_member(line, slug(p), Role.COORDINATOR, "bench")[1]
    line.store.close()
    return tokens


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    return serve(db_url, port, log, *UNLIMITED)


# -- the run -------------------------------------------------------------------------------------


def read_log(db_url: str, after: int) -> list[Any]:
    store = open_store(db_url)
    events = []
    with store.read() as tx:
        while batch := tx.events_after(after, None, 10_000):
            events.extend(batch)
            after = batch[-1].seq
    store.close()
    return events


def entitled(
    log: list[Any], gen: Generated, subs: list[Sub]
) -> tuple[dict[Sub, np.ndarray], int, int]:
    """For each distinct subscription, the sequence numbers it must receive; how many events of
    the log the generator did not make (judged by the log's ``told``); and how many of the
    others the log tells to different parties than the audience rules do (a cross-check)."""
    other = disagree = 0
    who: list[tuple[int, str, str, frozenset[str] | None]] = []  # seq, kind, by, to (None: all)
    for e in log:
        told = None if e.told.everyone else frozenset(e.told.parties) | {e.party}
        family = e.kind.value.partition(".")[0]
        if family == "notice" and e.subject in gen.notices:
            party, audience = gen.notices[e.subject]
            to = None if audience is None else audience | {party}
        elif family == "conflict" and e.subject in gen.conflicts:
            to = gen.conflicts[e.subject]
        else:
            other += 1
            to = told
        disagree += to != told
        who.append((e.seq, e.kind.value, e.party, to))
    out = {}
    for sub in set(subs):
        seqs = [s for s, kind, by, to in who
                if (to is None or sub.party in to) and sub.wants(kind, by)]  # fmt: skip
        out[sub] = np.asarray(seqs, np.int64)
    return out, other, disagree


def drain(
    db_url: str,
    after: int,
    gen: Generated,
    subs: list[Sub],
    clients: list[Any],
    progress: Progress,
    drain_s: float,
) -> tuple[list[Any], dict[Sub, np.ndarray], int, int]:
    """Wait (at most ``drain_s`` after the load ended) until the subscribers ``clients`` hold
    every event they are entitled to; the log read (past ``after``) and ``entitled``'s answer.

    The line may append events of its own while it pushes (receipts of what it delivered): the
    log is read again whenever the deliveries seem complete or stall."""
    log = read_log(db_url, after)
    task = progress.add_task("deliveries", total=0, rate="")
    last, still, total = -1, time.time(), -1
    expected, other, disagree = entitled(log, gen, subs)
    while time.time() - gen.ended < drain_s:
        if total < 0:
            expected, other, disagree = entitled(log, gen, subs)
            total = sum(len(expected[s]) for s in subs)
            progress.update(task, total=total)
        got = sum(c.latest() for c in clients)
        progress.update(task, completed=got)
        if got != last:
            last, still = got, time.time()
        if got >= total or time.time() - still > 10:
            time.sleep(1.0)  # longer than the line takes to write its receipts
            newer = read_log(db_url, log[-1].seq if log else after)
            if not newer:
                break  # complete, or nothing for 10 s: what is missing will not come
            log, total = log + newer, -1
        time.sleep(0.1)
    return log, expected, other, disagree


def run(args: argparse.Namespace, folder: Path, n: int, rate: float) -> Outcome:
    """One run: a fresh line and server, ``n`` subscribers, ``rate`` events/s."""
    db_url = f"sqlite:///{folder / 'push.db'}"
    tokens = make_line(db_url, args.parties)
    subs = subscriptions(n, args.parties)
    procs = client_procs(args.client_procs, n)
    port = _free_port()
    server = start_server(db_url, port, folder / "server.log")
    clients: list[_Client] = []
    profiler = None
    try:
        warm_up(f"http://127.0.0.1:{port}", tokens)
        after = read_log(db_url, 0)[-1].seq
        for k in range(procs):  # subscriber i in process i mod procs, with its index and token
            mine = range(k, len(subs), procs)
            spec = {
                "url": f"ws://127.0.0.1:{port}/v1/stream",
                "after": after,
                "indices": list(mine),
                "subs": [
                    {"token": tokens[subs[i].party], "kinds": subs[i].kinds,
                     "parties": subs[i].parties} for i in mine
                ],
            }  # fmt: skip
            name = "" if procs == 1 else f"-{k}"
            (folder / f"spec{name}.json").write_bytes(orjson.dumps(spec))
            clients.append(_Client(folder / f"spec{name}.json", folder / f"received{name}.npz"))
        with console.status(f"connecting {len(subs):,} subscribers in {procs} processes"):
            _Client.wait_all_ready(clients, timeout=READY_S)
        profiler = _profile(server.pid, args, folder)
        cpu0, ccpu0, t_cpu = cpu_s(server.pid), _clients_cpu_s(clients), time.time()
        with Progress(TextColumn("{task.description:<20}"), BarColumn(),
                      TextColumn("{task.completed:,}/{task.total:,} {task.fields[rate]}"),
                      TimeElapsedColumn(), console=console) as progress:  # fmt: skip
            gen = asyncio.run(
                generate(f"http://127.0.0.1:{port}", tokens, rate, args.seconds,
                         args.connections, args.seed, progress)
            )  # fmt: skip
            log, expected, other, disagree = drain(
                db_url, after, gen, subs, clients, progress, args.drain_s
            )
            drained_at = time.time()
        cpu1, ccpu1 = cpu_s(server.pid), _clients_cpu_s(clients)
        rss = peak_rss_mb(server.pid)
        got = _Client.stop_all(clients, timeout=STOP_S)
        if profiler is not None:
            profiler.wait(timeout=120)
            print_profile(console, folder / "profile.txt")
        return Outcome(
            rate=rate, subs=subs, expected=expected, other=other, disagree=disagree, log=log,
            gen_events=gen.events,
            notices=len(gen.notices), conflicts=len(gen.conflicts), errors=dict(gen.errors),
            post_s=gen.post_s,
            wall_s=gen.ended - gen.started, sub=got["sub"], seq=got["seq"], t=got["t"],
            reconnects=int(got["reconnects"].sum()), client_procs=procs,
            server_cpu_s=cpu1 - cpu0, client_cpu_s=ccpu1 - ccpu0, cpu_wall_s=drained_at - t_cpu,
            server_rss_mb=rss, started=gen.started,
        )  # fmt: skip
    finally:
        _reap([c.proc for c in clients] + [p for p in (profiler, server) if p is not None])
        for c in clients:
            c.close()


READY_S = 300.0
"""How long all subscriber processes together may take to connect (each connection's own
handshake timeout is 120 s)."""
STOP_S = 300.0
"""How long all subscriber processes together may take to close and write their arrays."""


def client_procs(asked: int, subscribers: int) -> int:
    """The subscriber processes of a run: as asked, but none without a subscriber (one at 0)."""
    return max(1, min(asked, subscribers))


def _clients_cpu_s(clients: list[_Client]) -> float:
    """The subscriber processes' CPU seconds so far, summed."""
    return sum(cpu_s(c.proc.pid) for c in clients)


def _reap(procs: list[subprocess.Popen[Any]]) -> None:
    """Stop every process still running (SIGTERM, then SIGKILL after 30 s) and reap them all."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + 30
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


class _Client:
    """One subscriber process (``bench/_push_client.py``): its stdout (``ready``, the running
    message count, ``done``) is read in a thread."""

    def __init__(self, spec: Path, out: Path) -> None:
        self.out = out
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH / "_push_client.py"), str(spec), str(out)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )  # fmt: skip
        self.ready = False
        self._n = 0
        self._said = ""  # the first line that was not expected, for the error
        self._started = threading.Event()  # ready, or its stdout ended
        self._done = threading.Event()  # done, or its stdout ended
        self._pump = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self._pump.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            if line.startswith("count "):
                self._n = int(line.split()[1])
            elif line.startswith("ready"):
                self.ready = True
                self._started.set()
            elif line.startswith("done"):
                self._done.set()
            elif not self._said:
                self._said = line.strip()
        self._started.set()
        self._done.set()

    def latest(self) -> int:
        return self._n

    def _failed(self, what: str) -> RuntimeError:
        code = self.proc.poll()
        return RuntimeError(
            f"subscriber process {self.proc.pid} {what}"
            + (f" (exit status {code})" if code is not None else "")
            + (f": {self._said!r}" if self._said else "")
        )

    @staticmethod
    def wait_all_ready(clients: list[_Client], timeout: float) -> None:
        """Wait until every process has connected all its subscribers, at most ``timeout`` s."""
        deadline = time.monotonic() + timeout
        for c in clients:
            c._started.wait(max(0.0, deadline - time.monotonic()))
            if not c.ready:
                raise c._failed("did not connect" if c._started.is_set() else
                                f"had not connected after {timeout:g} s")  # fmt: skip

    @staticmethod
    def stop_all(clients: list[_Client], timeout: float) -> dict[str, np.ndarray]:
        """Tell every process to stop, wait (at most ``timeout`` s in all) for each to write its
        arrays and exit, and merge them: subscriber indices are global, so they concatenate."""
        for c in clients:
            assert c.proc.stdin is not None
            try:
                c.proc.stdin.write("stop\n")
                c.proc.stdin.flush()
            except BrokenPipeError:
                pass  # it has gone already: judged below
        deadline = time.monotonic() + timeout
        parts = []
        for c in clients:
            c._done.wait(max(0.0, deadline - time.monotonic()))
            try:
                code = c.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise c._failed(f"had not stopped after {timeout:g} s") from None
            if code != 0 or not c.out.exists():
                raise c._failed("failed")
            with np.load(c.out) as got:
                parts.append({k: got[k] for k in ("sub", "seq", "t", "reconnects")})
        return {k: np.concatenate([p[k] for p in parts]) for k in ("sub", "seq", "t", "reconnects")}

    def close(self) -> None:
        """Close the pipes (after the process is reaped: its stdout has ended)."""
        self._pump.join(timeout=5)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass  # a write still buffered for a process that has gone


def _profile(pid: int, args: argparse.Namespace, folder: Path) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the server 100 times a second while it holds the GIL, for the run."""
    if not args.profile:
        return None
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        console.print("[yellow]py-spy is not installed: .venv/bin/pip install py-spy[/yellow]")
        return None
    return subprocess.Popen(
        [str(spy), "record", "--pid", str(pid), "--duration", str(int(args.seconds)),
         "--rate", "100", "--format", "raw", "--gil", "--nonblocking",
         "--output", str(folder / "profile.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--subscribers", type=int, nargs="+", default=[1_000])
    ap.add_argument("--rate", type=float, nargs="+", default=[500.0], help="events per second")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--parties", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16, help="the generator's HTTP connections")
    ap.add_argument("--drain-s", type=float, default=120.0, help="wait at most this long after")
    ap.add_argument("--seed", type=int, default=20_261_125)
    ap.add_argument(
        "--client-procs", type=_positive, default=1,
        help="subscriber processes sharing the WebSockets (at most one per subscriber)",
    )  # fmt: skip
    ap.add_argument("--profile", action="store_true", help="sample the server with py-spy")
    ap.add_argument("--keep", type=Path, help="keep each run's database, logs and arrays here")
    args = ap.parse_args()
    # stopped from outside: unwind as on Ctrl-C, so that the server and subscribers are reaped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BENCH,
                            capture_output=True, text=True).stdout.strip() or "?"  # fmt: skip
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=BENCH.parent,
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    console.print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, commit {commit}"
        + (" (with uncommitted changes in src/)" if dirty else "")
    )
    outcomes = []
    for n in args.subscribers:
        for rate in args.rate:
            procs = client_procs(args.client_procs, n)
            console.rule(f"{n:,} subscribers in {procs} process{'es' if procs > 1 else ''}, "
                         f"{rate:g} events/s for {args.seconds:g} s")  # fmt: skip
            if args.keep:
                folder = args.keep / f"{n}-{rate:g}"
                folder.mkdir(parents=True, exist_ok=True)
                outcomes.append(run(args, folder, n, rate))
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    outcomes.append(run(args, Path(tmp), n, rate))
    console.print(report(outcomes, args.seconds))
    missing = sum(o.missing for o in outcomes)
    if missing:
        console.print(f"[red]{missing:,} entitled deliveries missing[/red]")
        sys.exit(1)


if __name__ == "__main__":
    main()
