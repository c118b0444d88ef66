"""One TAK connection: its member, what it reads (framed, rate-limited, timed) and what it is sent
(a bounded queue of prepared bytes, in the protocol it negotiated).

Reading: events are framed by the codec's stream readers, which refuse garbage and oversize; a
connection that sends nothing for ``idle_s``, or takes longer than ``event_s`` to finish an event
it began, is closed; past ``rate`` events a second (``burst`` at once) events are refused and
counted, and a connection that goes on flooding is closed. While its member has too many
positions not yet stored, a connection is not read (the intake's ``room``): that wait is the
server's, so it counts toward neither limit. Writing: a client that does not read what it is
sent (``MAX_QUEUED`` bytes behind, or nothing taken for ``STALL_S``) is closed rather than held
in memory. A joining connection's picture, however large, is sent at the pace it reads
(``room``): a big picture is not a slow reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import TYPE_CHECKING

from deconfliction.domain import Member
from deconfliction.errors import InvalidInput
from deconfliction.wire import cot

if TYPE_CHECKING:
    from deconfliction.feeds.tak.hub import TakServer

__all__ = ["MAX_QUEUED", "Prepared", "Session"]

log = logging.getLogger("deconfliction.tak")

MAX_QUEUED = 4 * 1024 * 1024
"""Bytes a connection may have waiting to be written before it is closed as too slow."""
STALL_S = 60.0
"""A connection that takes none of what it is sent for this long is closed."""
_CHUNK = 64 * 1024
_FLOOD = 20
"""A connection refused this many bursts' worth of events is closed."""


class Prepared:
    """One event to send, encoded once as XML and, when some client speaks it, once as TAK
    Protocol v1 (protobuf in its stream framing)."""

    __slots__ = ("_proto", "xml")

    def __init__(self, xml: bytes) -> None:
        self.xml = xml
        self._proto: bytes | None = None

    def proto(self) -> bytes:
        if self._proto is None:  # the line's own XML: past the cap put on what clients send
            self._proto = cot.encode_stream(cot.to_protobuf(self.xml, trusted=True))
        return self._proto


class Bucket:
    """A token bucket: ``rate`` a second on average, ``burst`` at once (``None``: no limit)."""

    def __init__(self, rate: float | None, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> bool:
        if self.rate is None:
            return True
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class Session:
    """A connected TAK client acting as ``member``."""

    def __init__(
        self,
        hub: TakServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        member: Member,
        address: str,
    ) -> None:
        self.hub = hub
        self.reader = reader
        self.writer = writer
        self.member = member
        self.address = address
        self.protobuf = False
        self.positions: dict[str, tuple[float, float]] = {}
        """Where this connection's own assets were last reported: its area of interest."""
        self.fresh = True
        """Not yet sent the tracks it may see (the next round sends all of them)."""
        self.closed = asyncio.Event()
        self.reason = ""
        self._queue: deque[bytes] = deque()
        self._queued = 0
        self._ready = asyncio.Event()
        self._writing = False
        self._taken = asyncio.Event()
        """Set whenever the connection took what was written (and on closing)."""
        self._bucket = Bucket(hub.config.rate, hub.config.burst)
        self._refused = 0

    # -- out -----------------------------------------------------------------------------
    def send(self, items: list[Prepared] | Prepared) -> None:
        """Queue prepared events, in this connection's protocol; an event that cannot be
        encoded is left out alone (logged and counted), never the batch or the connection."""
        if self.closed.is_set():
            return
        batch = [items] if isinstance(items, Prepared) else items
        if not batch:
            return
        if not self.protobuf:
            self._push(b"".join(p.xml for p in batch))
            return
        parts: list[bytes] = []
        for p in batch:
            try:
                parts.append(p.proto())
            except Exception:
                log.exception("TAK could not encode an event for %s", self.member.id)
                self.hub.stats["unsent: encoding"] += 1
        if parts:
            self._push(b"".join(parts))

    def _push(self, data: bytes) -> None:
        if self._queued >= MAX_QUEUED:  # one batch of any size; more only once it is taken
            self.close("too slow: it does not read what it is sent")
            return
        self._queue.append(data)
        self._queued += len(data)
        self._ready.set()

    async def room(self) -> None:
        """Return once everything sent was written and the connection took it (or it is
        closed): a paced sender waits here, for as long as the connection goes on reading."""
        while not self.closed.is_set() and (self._queued or self._writing):
            self._taken.clear()
            await self._taken.wait()

    async def _write_loop(self) -> None:
        while not self.closed.is_set():
            await self._ready.wait()
            self._ready.clear()
            while self._queue:
                data = b"".join(self._queue)
                self._queue.clear()
                self._queued = 0
                self._writing = True
                self.writer.write(data)
                try:
                    await asyncio.wait_for(self.writer.drain(), STALL_S)
                except (OSError, TimeoutError, ConnectionError):
                    self.close("the connection stopped taking data")
                    return
                self._writing = False
            self._taken.set()

    # -- in ------------------------------------------------------------------------------
    async def run(self) -> None:
        """Serve the connection until either side ends it."""
        writing = asyncio.create_task(self._write_loop())
        reading = asyncio.create_task(self._read_loop())
        closing = asyncio.create_task(self.closed.wait())
        try:
            await asyncio.wait({reading, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (writing, reading, closing):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.gather(writing, reading, closing, return_exceptions=True)
            self.closed.set()
            self.writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.writer.wait_closed(), 1.0)

    def close(self, reason: str) -> None:
        if not self.closed.is_set():
            self.reason = reason
            log.info(
                "TAK connection of %s from %s closed: %s", self.member.id, self.address, reason
            )
            self.hub.stats[f"closed: {reason.split(':')[0]}"] += 1
            self.closed.set()
            self._taken.set()

    async def _read_loop(self) -> None:
        config = self.hub.config
        stream: cot.XmlStream | cot.ProtobufStream = cot.XmlStream()
        begun: float | None = None  # when the event now held in part began to arrive
        while not self.closed.is_set():
            paused = time.monotonic()
            await self.hub.intake.room(self.member.id)  # the member's positions are stored first
            if begun is not None:  # the server's wait is not the sender's slowness
                begun += time.monotonic() - paused
            if begun is None:
                wait = config.idle_s
            else:
                wait = max(0.0, config.event_s - (time.monotonic() - begun))
            try:
                data = await asyncio.wait_for(self.reader.read(_CHUNK), wait)
            except TimeoutError:
                self.close("idle" if begun is None else "slow: an event begun was not finished")
                return
            except (OSError, ConnectionError):
                self.close("gone")
                return
            if not data:
                self.close("gone")
                return
            try:
                frames = stream.feed(data)
            except InvalidInput as e:
                self.close(f"refused: {e.reason}")
                return
            if frames:
                begun = None
            if _holds_part(stream, data, frames) and begun is None:
                begun = time.monotonic()
            for frame in frames:
                if not self._take(frame, stream):
                    return
            if self.protobuf and isinstance(stream, cot.XmlStream):
                held = stream.rest()  # after the negotiation, protobuf only
                stream = cot.ProtobufStream()
                try:
                    for frame in stream.feed(held):
                        if not self._take(frame, stream):
                            return
                except InvalidInput as e:
                    self.close(f"refused: {e.reason}")
                    return

    def _take(self, frame: bytes, stream: object) -> bool:
        """Handle one framed event; ``False`` once the connection is to be closed."""
        if not self._bucket.take():
            self._refused += 1
            self.hub.stats["refused: rate"] += 1
            if self._refused > _FLOOD * self._bucket.burst:
                self.close("refused: too many events, too fast")
                return False
            return True
        try:
            event = (
                cot.parse_protobuf(frame) if isinstance(stream, cot.ProtobufStream) else
                cot.parse_event(frame)
            )  # fmt: skip
        except InvalidInput as e:
            self.hub.stats["refused: invalid"] += 1
            log.info("TAK event refused from %s: %s at %s", self.member.id, e.reason, e.pointer)
            if _hostile(e.reason):
                self.close(f"refused: {e.reason}")
                return False
            return True
        self.hub.take(self, event)
        return True


def _holds_part(stream: object, data: bytes, frames: list[bytes]) -> bool:
    """Whether the stream holds the beginning of an event not yet complete."""
    held = getattr(stream, "pending", None)
    if isinstance(held, int):
        return held > 0
    return not frames or not data.rstrip().endswith(b">")


def _hostile(reason: str) -> bool:
    """A refusal that no honest client earns: a DTD, an entity, an oversized event."""
    return any(w in reason for w in ("DTD", "entit", "bytes;", "not well-formed"))
