"""TAK front door figures (docs/benchmarks.md, "TAK server"): prints, asserts nothing.

One ``deconfliction serve`` process (no scan loop), measured from /proc/PID, two workloads:

``in``: ``--senders`` connections on the plain gateway port, each relaying ``--assets`` assets
and sending rounds of their positions as fast as the server takes them for ``--seconds``. Round
r of every connection carries the time base + r ms, so the tracks in the store at any moment say
how many reports reached it (sum of r + 1): stored per second while sending, the backlog when
sending stops, and how long it takes to clear.

``picture``: ``--clients`` TLS connections in ``--parties`` parties (a member each, its
certificate issued by the line's TAK CA as ``member tak-package`` does), placed in clusters so
each sees about ``--neighbours`` others' positions inside its area of interest, each sending one
position every ``--every-s``. p50/p99 from the time in a position to its receipt on another
connection, server CPU per delivery, RSS.

    python bench/cot.py in --senders 100 --seconds 20
    python bench/cot.py picture --clients 1000 --parties 20 --seconds 30
    python bench/cot.py in --senders 10 --seconds 5 --profile /tmp/tak.prof   # where it goes
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import socket
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from _cot_clients import Flood, Picture, flood, picture
from _push_report import cpu_s
from _serve import UNLIMITED, start_server
from deconfliction import service
from deconfliction.config import LineConfig
from deconfliction.domain import Role
from deconfliction.domain.probing import NO_BUDGETS

console = Console(width=None if sys.stdout.isatty() else 130)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return 0.0


def _load() -> str:
    return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _serve(args: argparse.Namespace, folder: Path, *tak: str) -> tuple[object, list[str]]:
    db = f"sqlite:///{folder / 'line.db'}"
    options = [*UNLIMITED, "--key-file", str(folder / "line.key"), "--tak-rate", "0",
               "--tak-connections-per-member", "100000", "--tak-connections-per-address",
               "100000", "--tak-share", "all", *tak]  # fmt: skip
    launcher = ("-m", "deconfliction")
    if args.profile:
        launcher = (str(Path(__file__).with_name("_profiled.py")), args.profile)
    proc = start_server(db, _free_port(), folder / "server.log", *options, launcher=launcher)
    return proc, options


def _stop(proc: object, args: argparse.Namespace) -> None:
    import subprocess

    assert isinstance(proc, subprocess.Popen)
    proc.terminate()
    proc.wait(60)
    if args.log:
        import shutil

        shutil.copy(Path(proc.args[proc.args.index("--key-file") + 1]).with_name("server.log"),
                    args.log)  # fmt: skip
    if args.profile:
        import pstats

        console.print(f"[bold]profile of the server[/] ({args.profile}), by own time:")
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(30)


def _line(folder: Path) -> service.Line:
    return service.open_line(
        LineConfig(
            f"sqlite:///{folder / 'line.db'}", key_path=folder / "line.key", budgets=NO_BUDGETS
        )  # fmt: skip
    )


# -- (a) ------------------------------------------------------------------------------------------


def _stored(db: Path, party: str, base_us: int) -> int:
    """Reports that reached the store: each track's time is base + (round) ms."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        row = c.execute(
            "SELECT COALESCE(SUM((time_us - ?) / 1000 + 1), 0) FROM track WHERE party = ?",
            (base_us, party),
        ).fetchone()
    return int(row[0])


def run_in(args: argparse.Namespace, folder: Path) -> None:
    line = _line(folder)
    service.create_party(line, "gw", "Gateway")
    gateway = service.create_member(line, "gw", Role.COORDINATOR, "gateway")[0]
    line.store.close()
    port = _free_port()
    proc, _ = _serve(args, folder, "--tak-port", str(port), "--tak-gateway-member", gateway.id)
    pid = proc.pid  # type: ignore[attr-defined]
    db = folder / "line.db"
    base = time.time() - 30.0
    base_us = int(base * 1e6) // 1000 * 1000
    base = base_us / 1e6
    procs = min(args.procs, args.senders)
    specs = [Flood(port, range(p, args.senders, procs), args.assets, args.seconds, base)
             for p in range(procs)]  # fmt: skip
    try:
        cpu0, t0 = cpu_s(pid), time.monotonic()
        with mp.get_context("fork").Pool(procs) as pool:
            pending = pool.map_async(flood, specs)
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("(a) sending", total=args.seconds)
                while not pending.ready():
                    pending.wait(1.0)
                    stored = _stored(db, "gw", base_us)
                    bar.update(task, completed=time.monotonic() - t0,
                               description=f"(a) {stored:,} stored")  # fmt: skip
            sent = sum(pending.get())
        took, cpu1 = time.monotonic() - t0, cpu_s(pid)
        stored = _stored(db, "gw", base_us)
        backlog = sent - stored
        drained = took
        while time.monotonic() - t0 - drained < 3.0:  # the backlog clears (or stops clearing)
            time.sleep(0.2)
            now = _stored(db, "gw", base_us)
            if now != stored:
                stored, drained = now, time.monotonic() - t0
        cpu2 = cpu_s(pid)
        rss = _rss_mib(pid)
    finally:
        _stop(proc, args)
    console.print(
        f"(a) CoT in: {args.senders} connections x {args.assets} assets, {sent:,} positions sent "
        f"in {took:.1f} s ({sent / took:,.0f}/s); stored by then {sent - backlog:,} "
        f"([bold]{(sent - backlog) / took:,.0f} tracks/s[/]), backlog {backlog:,}; all "
        f"{stored:,} stored after {drained:.1f} s ({stored / drained:,.0f}/s), "
        f"{sent - stored:,} never; server CPU {cpu1 - cpu0:.1f} s while sending "
        f"({(cpu2 - cpu0) / max(stored, 1) * 1e6:.0f} µs per track), RSS {rss:.0f} MiB; {_load()}"
    )


# -- (b) ------------------------------------------------------------------------------------------


def _certificates(folder: Path, parties: int) -> tuple[str, list[str]]:
    """A member per party with a client certificate of the line's TAK CA (as ``member
    tak-package`` makes them): the CA file and each party's key and certificate file."""
    from cryptography.hazmat.primitives import serialization

    from deconfliction.feeds.tak import pki

    line = _line(folder)
    config = LineConfig(line_db := f"sqlite:///{folder / 'line.db'}", key_path=folder / "line.key")
    assert config.tak_ca_path is not None and line_db
    ca = pki.load_or_create(config.tak_ca_path, line.origin, line.clock())
    files = []
    for p in range(parties):
        service.create_party(line, f"p{p}", f"Party {p}")
        member = service.create_member(line, f"p{p}", Role.COORDINATOR, f"p{p}")[0]
        cert, key = pki.issue_member(ca, member, line.clock())
        path = folder / f"p{p}.pem"
        path.write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
            + cert.public_bytes(serialization.Encoding.PEM)
        )  # fmt: skip
        files.append(str(path))
    line.store.close()
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca.cert_pem())
    return str(ca_file), files


def run_picture(args: argparse.Namespace, folder: Path) -> None:
    ca, certs = _certificates(folder, args.parties)
    port = _free_port()
    proc, _ = _serve(args, folder, "--tak-tls-port", str(port), "--tak-host", "127.0.0.1")
    pid = proc.pid  # type: ignore[attr-defined]
    size = args.neighbours + 1
    clusters = max(1, round(args.clients / size))
    placed = []
    for i in range(args.clients):  # clusters 3 degrees apart; a cluster within 20 km
        c, k = (i // args.parties) % clusters, i // (args.parties * clusters)  # every party
        lat = -40.0 + c * 3.0 + (i % args.parties) * 0.01 + k * 0.002
        lon = 30.0 + (i % 7) * 0.01
        placed.append((i, certs[i % args.parties], lat, lon))
    procs = min(args.procs, args.clients)
    start = time.time() + args.warm_s
    specs = [Picture(port, placed[p::procs], ca, args.every_s, args.warm_s, args.seconds, start)
             for p in range(procs)]  # fmt: skip
    try:
        with mp.get_context("fork").Pool(procs) as pool:
            pending = pool.map_async(picture, specs)
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("(b) connecting", total=args.warm_s + args.seconds)
                while time.time() < start:
                    pending.wait(0.5)
                    bar.update(task, completed=time.time() - start + args.warm_s)
                cpu0 = cpu_s(pid)
                bar.update(task, description="(b) measuring")
                while time.time() < start + args.seconds:
                    pending.wait(0.5)
                    bar.update(task, completed=time.time() - start + args.warm_s)
                cpu1 = cpu_s(pid)
                rss = _rss_mib(pid)
            done = pending.get()
    finally:
        _stop(proc, args)
    lat = sorted(x for d in done for x in d[0])
    sent = sum(d[1] for d in done)
    failed = sum(d[2] for d in done)
    n = len(lat)
    p50 = lat[n // 2] if n else float("nan")
    p99 = lat[int(n * 0.99)] if n else float("nan")
    per = n / max(1, args.clients - failed) / args.seconds * args.every_s
    console.print(
        f"(b) {args.clients} TLS connections in {args.parties} parties ({failed} failed to "
        f"connect), one position each per {args.every_s:g} s for {args.seconds:g} s: {sent:,} "
        f"sent, {n:,} deliveries ({per:.0f} per connection per {args.every_s:g} s); "
        f"[bold]p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms[/], "
        f"max {lat[-1] * 1000 if n else 0:.0f} ms; "
        f"server CPU {cpu1 - cpu0:.1f} s = {(cpu1 - cpu0) / max(n, 1) * 1e6:.0f} µs per "
        f"delivery, RSS {rss:.0f} MiB; {_load()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workload", choices=["in", "picture"])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--procs", type=int, default=3, help="client processes")
    ap.add_argument("--senders", type=int, default=100)
    ap.add_argument("--assets", type=int, default=200, help="(in) assets per connection")
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--parties", type=int, default=20)
    ap.add_argument("--every-s", type=float, default=5.0)
    ap.add_argument("--neighbours", type=int, default=50)
    ap.add_argument("--warm-s", type=float, default=10.0, help="(picture) to connect first")
    ap.add_argument("--log", help="keep the server's output in this file")
    ap.add_argument("--profile", help="run the server under cProfile, stats to this file")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cot-bench-") as d:
        (run_in if args.workload == "in" else run_picture)(args, Path(d))


if __name__ == "__main__":
    main()
