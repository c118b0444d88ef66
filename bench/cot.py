"""TAK front door figures (docs/benchmarks.md): prints, asserts nothing.

(a) CoT in: ``--senders`` plain connections (the gateway port) send positions as fast as they can
for ``--seconds``; tracks stored per second. (b) ``--clients`` TLS-free connections in
``--parties`` parties, each sending one position every ``--every-s`` (placed so each sees about
``--neighbours`` others in its area), p99 from send to receipt on another connection, server CPU
per delivery and RSS. The server runs in a child process (``python bench/cot.py serve``) so its
CPU and memory are its own (/proc/PID/stat, /proc/PID/status).

    python bench/cot.py --seconds 10 --senders 100 --clients 1000 --parties 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _event(uid: str, lat: float, lon: float, at: datetime, callsign: str = "") -> bytes:
    z = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    st = (at + timedelta(seconds=900)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return (
        f'<event version="2.0" uid="{uid}" type="a-f-G-U-C" how="m-g" time="{z}" start="{z}" '
        f'stale="{st}"><point lat="{lat:.6f}" lon="{lon:.6f}" hae="100" ce="10" le="10"/>'
        f'<detail><contact callsign="{callsign or uid}"/><track course="90" speed="5"/>'
        "</detail></event>"
    ).encode()


def serve(db: str, gateways: list[str], ready: Path) -> None:
    """The child: one line, one TAK door with a plain port per party gateway."""
    import logging

    from deconfliction import service
    from deconfliction.config import LineConfig, TakConfig
    from deconfliction.feeds.tak.hub import tak_door

    logging.basicConfig(level=logging.WARNING if "-q" in sys.argv else logging.INFO)
    line = service.open_line(db)

    async def main() -> None:
        ports = []
        async with contextlib_exit() as stack:
            for gw in gateways:
                config = LineConfig(
                    db_url=db,
                    tak=TakConfig(
                        port=0, gateway_member=gw, rate=None, per_member=10_000,
                        per_address=100_000, idle_s=600, aoi_radius_m=30_000, tick_s=0.25,
                    ),
                )  # fmt: skip
                door = await stack.enter_async_context(tak_door(line, config))
                ports.append(door.port)
            ready.write_text(" ".join(map(str, ports)))
            await asyncio.Event().wait()

    asyncio.run(main())


def contextlib_exit():  # type: ignore[no-untyped-def]
    import contextlib

    return contextlib.AsyncExitStack()


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def flood(ports: list[int], senders: int, seconds: float) -> int:
    stop = time.monotonic() + seconds
    sent = 0

    async def one(i: int) -> None:
        nonlocal sent
        r, w = await asyncio.open_connection("127.0.0.1", ports[i % len(ports)])

        async def discard() -> None:  # what it is sent, read and dropped
            while await r.read(1 << 16):
                pass

        reading = asyncio.create_task(discard())
        n = 0
        while time.monotonic() < stop:
            at = datetime.now(UTC)
            w.write(b"".join(_event(f"f{i}-{n + k}", -60 + i + (n + k) % 50 * 0.001, 20.0, at)
                             for k in range(50)))  # fmt: skip
            n += 50
            await w.drain()
        sent += n
        reading.cancel()
        w.close()

    await asyncio.gather(*(one(i) for i in range(senders)))
    return sent


async def picture(ports: list[int], clients: int, every_s: float, seconds: float, neighbours: int
                  ) -> list[float]:  # fmt: skip
    """Each client reports one asset; latency = receipt time minus the time in the event."""
    latencies: list[float] = []
    spread = max(1, clients // max(1, neighbours))  # clusters of ~neighbours+1 clients
    stop = time.monotonic() + seconds

    async def one(i: int) -> None:
        port = ports[(i // spread) % len(ports)]  # a cluster spans parties
        r, w = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        lat, lon = 10.0 + (i % spread) * 1.0, 100.0  # 1 degree apart: 111 km, past 30 km AOI
        await asyncio.sleep(random.random() * every_s)

        async def read() -> None:
            buf = b""
            while True:
                chunk = await r.read(1 << 16)
                if not chunk:
                    return
                buf += chunk
                now = time.time()
                while b"</event>" in buf:
                    ev, _, buf = buf.partition(b"</event>")
                    k = ev.find(b' time="')
                    if k < 0 or b".c" not in ev[:120]:  # only (b)'s own assets
                        continue
                    t = ev[k + 7 : k + 31].decode()
                    sent = datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
                    latencies.append(now - sent)

        reader = asyncio.create_task(read())
        while time.monotonic() < stop:
            w.write(_event(f"c{i}", lat, lon, datetime.now(UTC)))
            await w.drain()
            await asyncio.sleep(every_s)
        reader.cancel()
        w.close()

    await asyncio.gather(*(one(i) for i in range(clients)))
    return latencies


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--senders", type=int, default=100)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--parties", type=int, default=20)
    ap.add_argument("--every-s", type=float, default=5.0)
    ap.add_argument("--neighbours", type=int, default=50)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    from deconfliction import service
    from deconfliction.domain import Role

    with tempfile.TemporaryDirectory() as d:
        db = f"sqlite:///{d}/line.db"
        line = service.open_line(db)
        gateways = []
        for p in range(a.parties):
            service.create_party(line, f"p{p}", f"Party {p}")
            gateways.append(service.create_member(line, f"p{p}", Role.COORDINATOR)[0].id)
        ready = Path(d) / "ready"
        child = subprocess.Popen(
            [sys.executable, __file__, "serve", db, str(ready), *gateways],
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
        )
        try:
            while not ready.exists() or not ready.read_text():
                time.sleep(0.05)
            ports = [int(p) for p in ready.read_text().split()]
            cpu0 = _cpu_s(child.pid)
            began = time.monotonic()
            sent = asyncio.run(flood(ports, a.senders, a.seconds))
            stored = -1
            while True:  # until what was sent is stored
                with line.store.read() as tx:  # a bench may read the store: it is no front door
                    now_stored = len(tx.live_tracks(datetime.now(UTC)))
                if now_stored == stored:
                    break
                stored = now_stored
                time.sleep(0.5)
            took = time.monotonic() - began - 0.5
            cpu1 = _cpu_s(child.pid)
            print(f"(a) CoT in: {a.senders} connections, {sent:,} positions sent in "
                  f"{a.seconds:g} s;"
                  f" {stored:,} stored in {took:.1f} s -> {stored / took:,.0f} tracks/s "
                  f"(server CPU {cpu1 - cpu0:.1f} s)")  # fmt: skip
            cpu0 = _cpu_s(child.pid)
            lat = asyncio.run(picture(ports, a.clients, a.every_s, a.seconds, a.neighbours))
            cpu1 = _cpu_s(child.pid)
            lat.sort()
            n = len(lat)
            p50 = lat[n // 2] if n else float("nan")
            p99 = lat[int(n * 0.99)] if n else float("nan")
            print(f"(b) {a.clients} connections in {a.parties} parties, one position each per "
                  f"{a.every_s:g} s for {a.seconds:g} s: {n:,} deliveries, p50 {p50 * 1000:.0f} ms,"
                  f" p99 {p99 * 1000:.0f} ms; server CPU {(cpu1 - cpu0) / max(n, 1) * 1e6:.0f} µs "
                  f"per delivery, RSS {_rss_mib(child.pid):.0f} MiB")  # fmt: skip
        finally:
            child.terminate()
            child.wait()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[4:], Path(sys.argv[3]))
    else:
        main()
