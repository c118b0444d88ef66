"""Reading one feed's source: SBS text and AIS sentences over TCP, AIS datagrams over UDP,
``aircraft.json`` over HTTP. Each reader returns (or raises) when its source goes away; the
caller (``run.run_feed``) connects again with backoff. The loop is the HTTP API's too: a poll's
JSON and a batch of datagrams are decoded in a worker thread, and datagrams are rated per feed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import orjson

from deconfliction.domain.feed import Feed, FeedKind
from deconfliction.feeds.sources.batch import Batcher, Stats
from deconfliction.wire.ais import AisTracker
from deconfliction.wire.readsb import aircraft_reports
from deconfliction.wire.sbs import SbsTracker

__all__ = ["Reader", "read_source"]

Clock = Callable[[], datetime]
Reader = Callable[[Feed, Batcher, Clock], Any]
Report = dict[str, Any]

MAX_LINE = 4096
"""Longer lines are garbage (an SBS line is under 200 bytes, an NMEA sentence 82)."""
IDLE_S = 60.0
"""A TCP source silent this long is taken as gone (a receiver that died without closing)."""
POLL_S = 1.0
"""How often ``aircraft.json`` is read (readsb writes it every second)."""
MAX_JSON = 32 * 1024 * 1024
"""The largest ``aircraft.json`` read (20,000 aircraft are about 10 MiB)."""
MAX_DATAGRAMS_S = 2000
"""Datagrams one UDP feed takes a second; more are dropped and counted (``Stats.dropped``), so a
flood to its port cannot hold the event loop (an AIS receiver sends tens a second)."""
_monotonic = time.monotonic


class _Lines:
    """Feeds lines to a tracker, counting the bad ones, and its reports to the batcher."""

    def __init__(self, tracker: SbsTracker | AisTracker, batcher: Batcher, clock: Clock) -> None:
        self.tracker, self.batcher, self.clock = tracker, batcher, clock
        self.stats: Stats = batcher.stats

    def take(self, raw: bytes) -> None:
        self.apply(self.decode([raw]))

    def decode(self, raws: list[bytes]) -> list[Report | str | None]:
        """Each non-blank line's report, or ``None`` (no report yet), or why it is bad; touches
        only the tracker, so it may run in a worker thread (one at a time)."""
        out: list[Report | str | None] = []
        for raw in raws:
            line = raw.strip()
            if not line:
                continue
            try:
                out.append(self.tracker.feed(line.decode("ascii"), self.clock()))
            except (ValueError, UnicodeDecodeError) as e:  # garbage, half lines, absurd values
                out.append(str(e)[:200] or type(e).__name__)
        return out

    def apply(self, decoded: list[Report | str | None]) -> None:
        """Count what ``decode`` made and batch its reports (on the event loop)."""
        for got in decoded:
            if isinstance(got, str):
                self.stats.line(False, got)
                continue
            self.stats.line(True)
            if got is not None:
                self.batcher.put(got)


def _host_port(source: str) -> tuple[str, int]:
    host, _, port = source.rpartition(":")
    return host.strip("[]"), int(port)


async def _tcp(feed: Feed, lines: _Lines) -> None:
    host, port = _host_port(feed.source)
    # asyncio.timeout, not wait_for: Python 3.11's wait_for drops a connection that is made just
    # as the feed is stopped, and its socket is then left open until the collector finds it.
    async with asyncio.timeout(10.0):
        reader, writer = await asyncio.open_connection(host, port, limit=MAX_LINE)
    lines.stats.connects += 1
    try:
        while True:
            try:
                raw = await asyncio.wait_for(reader.readline(), IDLE_S)
            except ValueError:  # a line past MAX_LINE: skipped whole
                lines.stats.line(False, f"a line longer than {MAX_LINE} bytes")
                continue
            if not raw:
                raise ConnectionError(f"{feed.source} closed the connection")
            if not raw.endswith(b"\n"):
                lines.stats.line(False, "half a line at the end of the connection")
                raise ConnectionError(f"{feed.source} closed the connection")
            lines.take(raw)
    finally:
        writer.close()


class _Datagrams(asyncio.DatagramProtocol):
    """Holds datagrams for ``_drain`` to decode, at most ``MAX_DATAGRAMS_S`` a second."""

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending: list[bytes] = []
        self.ready = asyncio.Event()
        self.per_s = MAX_DATAGRAMS_S
        self.window = _monotonic()
        self.taken = 0

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        now = _monotonic()
        if now - self.window >= 1.0:
            self.window, self.taken = now, 0
        if self.taken >= self.per_s:
            self.lines.stats.dropped += 1
            return
        self.taken += 1
        self.pending.append(data[: MAX_LINE * 4])
        self.ready.set()

    def error_received(self, exc: Exception) -> None:
        self.lines.stats.last_error = str(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


async def _drain(protocol: _Datagrams) -> None:
    """Decode the datagrams held so far in a worker thread, again whenever more come."""
    lines = protocol.lines
    while True:
        await protocol.ready.wait()
        protocol.ready.clear()
        held, protocol.pending = protocol.pending, []
        # one datagram, one or a few sentences
        raws = [raw for data in held for raw in data.split(b"\n")]
        lines.apply(await asyncio.to_thread(lines.decode, raws))


async def _udp(feed: Feed, lines: _Lines) -> None:
    host, port = _host_port(feed.source)
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _Datagrams(lines), local_addr=(host, port)
    )
    lines.stats.connects += 1
    draining = asyncio.ensure_future(_drain(protocol))
    try:
        await asyncio.wait({draining, protocol.lost}, return_when=asyncio.FIRST_COMPLETED)
        if draining.done():
            draining.result()  # what stopped it
        raise ConnectionError(f"stopped listening on {feed.source}")
    finally:
        draining.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await draining
        transport.close()


async def _poll(feed: Feed, batcher: Batcher, clock: Clock) -> None:
    stats = batcher.stats
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0), follow_redirects=False) as http:
        first = True
        while True:
            chunks, size = [], 0
            async with http.stream("GET", feed.source) as r:
                r.raise_for_status()
                async for chunk in r.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_JSON:
                        raise ValueError(f"aircraft.json is larger than {MAX_JSON:,} bytes")
                    chunks.append(chunk)
            if first:  # reached: a connection, as the sockets count them
                stats.connects += 1
                first = False
            now = clock()
            try:  # up to 32 MiB and 20,000 aircraft: off the event loop
                reports, bad = await asyncio.to_thread(_aircraft, b"".join(chunks), now)
            except (ValueError, orjson.JSONDecodeError) as e:
                stats.line(False, f"aircraft.json: {e}")
                reports, bad = [], []
            for why in bad:
                stats.line(False, why)
            for report in reports:
                stats.line(True)
                batcher.put(report)
            await asyncio.sleep(POLL_S)


def _aircraft(body: bytes, now: datetime) -> tuple[list[Report], list[str]]:
    return aircraft_reports(orjson.loads(body), now)


async def read_source(feed: Feed, batcher: Batcher, clock: Clock) -> None:
    """Read ``feed``'s source into ``batcher`` until it goes away (raising why)."""
    if feed.kind is FeedKind.ADSB_JSON:
        await _poll(feed, batcher, clock)
        return
    tracker = SbsTracker() if feed.kind is FeedKind.ADSB_SBS else AisTracker()
    lines = _Lines(tracker, batcher, clock)
    if feed.kind is FeedKind.AIS_UDP:
        await _udp(feed, lines)
    else:
        await _tcp(feed, lines)
