"""The TAK clients of ``bench/cot.py``: each process runs its share of connections on asyncio.

Events are encoded before the run (a round of positions per connection, its times filled in by
``bytes.replace``), so the clients spend little of the machine the server needs.
"""

from __future__ import annotations

import asyncio
import random
import resource
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_T = b"1970-01-01T00:00:00.000Z"
_S = b"1970-01-01T00:15:00.000Z"
STALE_S = 900.0
"""Stale after the event's time: every track stays live while it is counted."""


def zulu(at: datetime) -> bytes:
    return (at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z").encode()


def event(uid: str, lat: float, lon: float) -> bytes:
    """One ground position, its time and stale left as placeholders."""
    return (
        f'<event version="2.0" uid="{uid}" type="a-f-G-U-C" how="m-g" time="{_T.decode()}" '
        f'start="{_T.decode()}" stale="{_S.decode()}"><point lat="{lat:.6f}" lon="{lon:.6f}" '
        f'hae="100" ce="10" le="10"/><detail><contact callsign="{uid}"/>'
        '<track course="90" speed="5"/></detail></event>'
    ).encode()


def stamped(template: bytes, at: datetime) -> bytes:
    return template.replace(_T, zulu(at)).replace(_S, zulu(at + timedelta(seconds=STALE_S)))


def _nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# -- (a) the flood --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flood:
    port: int
    connections: range
    assets: int
    seconds: float
    base: float
    """Round r of every connection carries the time base + r ms: a stored track's time tells
    how many of its reports reached the store."""


def flood(spec: Flood) -> int:
    """Send rounds of positions as fast as the server takes them; the positions sent."""
    _nofile()
    return asyncio.run(_flood(spec))


async def _flood(spec: Flood) -> int:
    stop = time.monotonic() + spec.seconds
    base = datetime.fromtimestamp(spec.base, UTC)
    sent = 0

    async def one(c: int) -> None:
        nonlocal sent
        r, w = await asyncio.open_connection("127.0.0.1", spec.port)
        sock = w.get_extra_info("socket")  # what waits is in the server (its socket, its queue)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 15)
        template = b"".join(
            event(f"a{c}-{k}", -60.0 + c * 0.01, 20.0 + k * 0.001) for k in range(spec.assets)
        )
        drop = asyncio.create_task(_discard(r))
        n = 0
        while time.monotonic() < stop:
            w.write(stamped(template, base + timedelta(milliseconds=n)))
            n += 1
            await w.drain()
        sent += n * spec.assets
        w.close()
        await w.wait_closed()  # all written (the loop ends with this process)
        drop.cancel()

    await asyncio.gather(*(one(c) for c in spec.connections))
    return sent


async def _discard(r: asyncio.StreamReader) -> None:
    while await r.read(1 << 16):
        pass


# -- (b) the picture ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    port: int
    clients: list[tuple[int, str, float, float]]
    """(client, certificate file, lat, lon) of each connection of this process."""
    ca: str
    every_s: float
    warm_s: float
    seconds: float
    start: float
    """When (wall clock) the measured window opens: receipts of events sent before are not
    counted."""


def picture(spec: Picture) -> tuple[list[float], int, int]:
    """Latencies (s) of the positions received in the window, positions sent, connections
    that failed."""
    _nofile()
    return asyncio.run(_picture(spec))


async def _picture(spec: Picture) -> tuple[list[float], int, int]:
    latencies: list[float] = []
    sent = failed = 0
    end = spec.start + spec.seconds

    async def one(i: int, cert: str, lat: float, lon: float) -> None:
        nonlocal sent, failed
        ctx = ssl.create_default_context(cafile=spec.ca)
        ctx.load_cert_chain(cert)
        await asyncio.sleep(random.random() * spec.warm_s / 2)  # connections arrive spread out
        try:
            r, w = await asyncio.open_connection("127.0.0.1", spec.port, ssl=ctx, limit=1 << 20)
        except OSError:
            failed += 1
            return
        template = event(f"b{i}", lat, lon)
        reading = asyncio.create_task(_receipts(r, spec.start, latencies))
        await asyncio.sleep(random.random() * spec.every_s)
        while time.time() < end:
            w.write(stamped(template, datetime.now(UTC)))
            sent += time.time() >= spec.start
            await w.drain()
            await asyncio.sleep(spec.every_s)
        await asyncio.sleep(min(2.0, spec.every_s))  # what is on its way
        reading.cancel()
        w.close()

    await asyncio.gather(*(one(*c) for c in spec.clients))
    return latencies, sent, failed


async def _receipts(r: asyncio.StreamReader, start: float, out: list[float]) -> None:
    """Latency of each position received: receipt minus the time the sender put in it."""
    buf = b""
    while chunk := await r.read(1 << 16):
        now = time.time()
        buf += chunk
        *events, buf = buf.split(b"</event>")
        for ev in events:
            k = ev.find(b' time="')
            if k < 0 or b'uid="p' not in ev[:60] or b".b" not in ev[:60]:
                continue  # not another client's position
            at = datetime.fromisoformat(ev[k + 7 : k + 30].decode() + "+00:00").timestamp()
            if at >= start:
                out.append(now - at)
