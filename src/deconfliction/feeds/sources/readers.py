"""Reading one feed's source: SBS text and AIS sentences over TCP, AIS datagrams over UDP,
``aircraft.json`` over HTTP. Each reader returns (or raises) when its source goes away; the
caller (``run.run_feed``) connects again with backoff."""

from __future__ import annotations

import asyncio
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

MAX_LINE = 4096
"""Longer lines are garbage (an SBS line is under 200 bytes, an NMEA sentence 82)."""
IDLE_S = 60.0
"""A TCP source silent this long is taken as gone (a receiver that died without closing)."""
POLL_S = 1.0
"""How often ``aircraft.json`` is read (readsb writes it every second)."""
MAX_JSON = 32 * 1024 * 1024
"""The largest ``aircraft.json`` read (20,000 aircraft are about 10 MiB)."""


class _Lines:
    """Feeds lines to a tracker, counting the bad ones, and its reports to the batcher."""

    def __init__(self, tracker: SbsTracker | AisTracker, batcher: Batcher, clock: Clock) -> None:
        self.tracker, self.batcher, self.clock = tracker, batcher, clock
        self.stats: Stats = batcher.stats

    def take(self, raw: bytes) -> None:
        line = raw.strip()
        if not line:
            return
        try:
            report = self.tracker.feed(line.decode("ascii"), self.clock())
        except (ValueError, UnicodeDecodeError) as e:  # garbage, half lines, absurd values
            self.stats.line(False, str(e)[:200])
            return
        self.stats.line(True)
        if report is not None:
            self.batcher.put(report)


def _host_port(source: str) -> tuple[str, int]:
    host, _, port = source.rpartition(":")
    return host.strip("[]"), int(port)


async def _tcp(feed: Feed, lines: _Lines) -> None:
    host, port = _host_port(feed.source)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, limit=MAX_LINE), 10.0
    )
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
    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        for raw in data[: MAX_LINE * 4].split(b"\n"):  # one datagram, one or a few sentences
            self.lines.take(raw)

    def error_received(self, exc: Exception) -> None:
        self.lines.stats.last_error = str(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


async def _udp(feed: Feed, lines: _Lines) -> None:
    host, port = _host_port(feed.source)
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _Datagrams(lines), local_addr=(host, port)
    )
    lines.stats.connects += 1
    try:
        await protocol.lost
        raise ConnectionError(f"stopped listening on {feed.source}")
    finally:
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
            try:
                reports, bad = aircraft_reports(orjson.loads(b"".join(chunks)), now)
            except (ValueError, orjson.JSONDecodeError) as e:
                stats.line(False, f"aircraft.json: {e}")
                reports, bad = [], []
            for why in bad:
                stats.line(False, why)
            for report in reports:
                stats.line(True)
                batcher.put(report)
            await asyncio.sleep(POLL_S)


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
