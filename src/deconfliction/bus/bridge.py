"""Nodes tell each other of new events over NATS: "the log holds events up to seq N".

When the line runs as several ``serve`` processes over one PostgreSQL database, a commit on one
node must wake the streams of every node. Each node publishes its commits' newest seq on one
core NATS subject and subscribes to it; what it hears wakes its own ``EventSignal``
(``heard``), and its streams read the log as they do after a local commit. The message is only a
hint: the log in PostgreSQL is the truth (its seqs are gap-free, assigned under the write lock),
so a lost message costs latency, never an event. Hence core NATS (at most once, nothing stored)
rather than JetStream: a stored, acknowledged stream would add a write on the NATS server per
commit to replay hints that the log answers anyway.

When NATS is away (unreachable, or silent past its pings), the bridge reads the log's head
itself every ``fallback_s`` and wakes the signal with it, so every stream keeps up within that
without re-reading on its own; while NATS is up it still reads it every ``safety_s`` (a hint lost
in a reconnect, or a server gone silent before its pings tell, is caught there), and once at
each reconnection. One ``SELECT max(seq)`` a second per node is nothing to the database. The
client reconnects by itself.

The NATS protocol is nats-py's; what is written here is only the wiring between it, the signal
and the log's head (no library knows either), in a thread with its own event loop so that it
serves any front door (the HTTP server, a test, a benchmark) alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from nats.aio.client import Client
from nats.aio.msg import Msg

from deconfliction.bus.signal import EventSignal

__all__ = ["FALLBACK_S", "SAFETY_S", "SUBJECT", "BridgeStats", "NatsBridge", "subject_for"]

SUBJECT = "deconfliction.events"
"""Where nodes say how far the log goes (the payload: the seq in ASCII digits); a line names its
own subject below this one (:func:`subject_for`), so lines sharing a NATS do not wake each other."""

FALLBACK_S = 0.5
"""How often a node reads the log's head itself while NATS is away."""

SAFETY_S = 1.0
"""How often a node reads the log's head while NATS is up: a hint lost, or NATS gone silent
before its pings tell (a few seconds), costs at most this much latency."""

PING_S = 2
"""How often the client pings the server: a server gone silent is noticed within ~3 pings."""

_MAX_SEQ = 2**63 - 1
_LEAST_GAP_S = 0.02
"""The least time between two reads of the log's head, however many hints come."""


def subject_for(origin: str) -> str:
    """The subject of the line named ``origin`` (its checkpoints' origin): a NATS token of the
    name's SHA-256, since a name may hold dots and spaces that NATS subjects may not.

    >>> subject_for("example.org/line")[:24]
    'deconfliction.events.b4c'
    """
    return f"{SUBJECT}.{hashlib.sha256(origin.encode()).hexdigest()[:16]}"


_log = logging.getLogger(__name__)


@dataclass
class BridgeStats:
    """What the bridge has done, for tests, benchmarks and the operator."""

    connected: bool = False
    connections: int = 0
    """Times a connection to NATS was made (the first, and each reconnection)."""
    outages: int = 0
    """Times the connection was lost."""
    published: int = 0
    """Hints sent (one per burst of local commits)."""
    dropped: int = 0
    """Hints not sent because NATS was away (the other nodes read the log's head meanwhile)."""
    heard: int = 0
    """Hints received from other nodes."""
    woke: int = 0
    """Reads of the log's head, made because a hint came, that moved this node's signal on."""
    last_heard: int = 0
    """The newest seq heard from another node."""
    polls: int = 0
    """Reads of the log's head."""
    polled: int = 0
    """Reads on the timer that were news (events no hint had told of)."""


class NatsBridge:
    """Publishes the seqs ``signal.notify`` is given; wakes ``signal`` with the seqs other nodes
    publish on ``subject``, and with ``head()`` (the log's newest seq) on a timer.

    ``start()`` and ``stop()`` from any thread; ``stats`` tells what it has done.
    """

    def __init__(
        self,
        signal: EventSignal,
        url: str,
        head: Callable[[], int],
        *,
        subject: str = SUBJECT,
        name: str | None = None,
        fallback_s: float = FALLBACK_S,
        safety_s: float = SAFETY_S,
        reconnect_s: float = 1.0,
    ) -> None:
        self.signal = signal
        self.url = url
        self.head = head
        self.subject = subject
        self.name = name
        self.fallback_s = fallback_s
        self.safety_s = safety_s
        self.reconnect_s = reconnect_s
        self.stats = BridgeStats()
        self._lock = threading.Lock()
        self._outgoing = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kick: asyncio.Event | None = None
        self._poll_now: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._nc: Client | None = None
        self._thread = threading.Thread(target=self._run, name="nats-bridge", daemon=True)
        self._reads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="log-head")
        self._quiet = False
        """A failed read of the head was logged; the next ones are not, until one succeeds."""
        self._warned = False
        """NATS's refusal was logged; the next ones are not, until it answers."""
        self._closing = False
        self._hinted = False
        """A hint came since the last read of the head: the next news it brings is NATS's."""

    # -- any thread ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._started.wait(10)
        self.signal.forward_to(self._publish_soon)

    def stop(self) -> None:
        self.signal.forward_to(None)
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended already
                loop.call_soon_threadsafe(stop.set)
        if self._thread.is_alive():
            self._thread.join(timeout=15)
        self._reads.shutdown(wait=False, cancel_futures=True)

    def _publish_soon(self, seq: int) -> None:
        with self._lock:
            if seq <= self._outgoing:
                return
            self._outgoing = seq
        self._set(self._kick)

    def _set(self, event: asyncio.Event | None) -> None:
        loop = self._loop
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    # -- the bridge's own thread ----------------------------------------------------------------

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._kick, self._poll_now, self._stop = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._started.set()
        tasks = [
            asyncio.create_task(self._connect(), name="nats-connect"),
            asyncio.create_task(self._publish(), name="nats-publish"),
            asyncio.create_task(self._poll(), name="log-head"),
        ]
        try:
            await self._stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            nc, self._nc = self._nc, None
            self._closing = True
            if nc is not None and not nc.is_closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(nc.close(), 5)
            self.stats.connected = False

    async def _connect(self) -> None:
        """Connect, then let the client reconnect by itself (for ever); connect anew if it ever
        closes."""
        said = False
        while True:
            nc = self._nc
            if nc is None or nc.is_closed:
                nc = Client()
                self._nc = nc
                # a first connection that fails is retried by the client itself, for ever; what
                # it refuses outright (a URL it cannot read) is said, and tried again here
                try:
                    await self._open(nc)
                    said = False
                except Exception as exc:
                    if not said:
                        _log.warning("NATS at %s: %s", self._where(), _first_line(exc))
                        said = True
                    with contextlib.suppress(Exception):
                        await nc.close()
                    self._nc = None
            await asyncio.sleep(self.reconnect_s)

    async def _open(self, nc: Client) -> None:
        await nc.connect(
            self.url,
            name=self.name,
            no_echo=True,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=max(1, round(self.reconnect_s)),
            connect_timeout=2,
            ping_interval=PING_S,
            max_outstanding_pings=2,
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_connected,
            closed_cb=self._on_closed,
        )
        await nc.subscribe(self.subject, cb=self._on_message)
        await self._on_connected()

    async def _on_connected(self) -> None:
        self._warned = False
        self.stats.connected = True
        self.stats.connections += 1
        _log.info("NATS at %s: connected; nodes hear each other's commits", self._where())
        self._set(self._poll_now)  # what was committed while away: read the head now
        self._set(self._kick)  # and say how far this node's commits go

    async def _on_disconnected(self) -> None:
        if self.stats.connected and not self._closing:
            self.stats.outages += 1
            _log.warning(
                "NATS at %s: lost; streams follow the log every %.1f s until it is back",
                self._where(),
                self.fallback_s,
            )
        self.stats.connected = False
        self._set(self._poll_now)

    async def _on_closed(self) -> None:
        self.stats.connected = False

    async def _on_error(self, exc: Exception) -> None:
        if self.stats.connected or self._warned or self._closing:
            _log.debug("NATS at %s: %s", self._where(), exc)
            return
        self._warned = True  # once per outage: the client retries every second
        _log.warning(
            "NATS at %s: %s; streams follow the log every %.1f s until it answers",
            self._where(),
            _first_line(exc),
            self.fallback_s,
        )

    def _where(self) -> str:
        return self.url.rpartition("@")[2]  # never a password in the log

    async def _on_message(self, msg: Msg) -> None:
        # A hint is never believed: it only makes the node read the log's head now. A seq taken
        # on trust (from another line sharing this NATS, or anyone who may publish on it) past
        # the log's end would hold every stream's wait open at once, for ever: a busy loop.
        try:
            seq = int(msg.data)
        except ValueError:
            return
        if not 0 <= seq <= _MAX_SEQ:
            return
        self.stats.heard += 1
        self.stats.last_heard = max(self.stats.last_heard, seq)
        if seq > self.signal.last:
            self._hinted = True
            self._set(self._poll_now)

    async def _publish(self) -> None:
        assert self._kick is not None
        while True:
            await self._kick.wait()
            self._kick.clear()
            with self._lock:
                seq = self._outgoing
            if seq == 0:
                continue
            nc = self._nc
            if nc is None or not nc.is_connected:
                self.stats.dropped += 1
                continue
            try:
                await nc.publish(self.subject, b"%d" % seq)
                self.stats.published += 1
            except Exception as exc:  # lost with the connection; the others read the head
                self.stats.dropped += 1
                _log.debug("publishing seq %d failed: %s", seq, exc)

    async def _poll(self) -> None:
        assert self._poll_now is not None
        loop = asyncio.get_running_loop()
        self._poll_now.set()  # the head at once, at start
        while True:
            wait_s = self.safety_s if self.stats.connected else self.fallback_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poll_now.wait(), wait_s)
            self._poll_now.clear()
            try:
                seq = await loop.run_in_executor(self._reads, self.head)
            except Exception as exc:  # the database is away too: try again at the next turn
                if not self._quiet:
                    _log.warning("reading the log's head failed: %s", _first_line(exc))
                    self._quiet = True
                continue
            self._quiet = False
            self.stats.polls += 1
            hinted, self._hinted = self._hinted, False
            if self.signal.heard(seq):
                if hinted:
                    self.stats.woke += 1
                else:
                    self.stats.polled += 1
            await asyncio.sleep(_LEAST_GAP_S)  # a flood of hints: 50 reads a second at most


def _first_line(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0]
