"""The push's fan-out: one read of the event log per wake-up, for every stream of this process.

One task per app owns the line's signal (``EventSignal``): whatever wakes it — a commit in this
process, a bridge's ``notify`` for another node's, or ``REREAD_S`` without either — it reads the
log once (``service.views_after``: each listening party's view of each event, need-to-know
decided there, as for ``GET /v1/events``), encodes each distinct view once (its JSON, its
WebSocket frame, its Server-Sent Event) and appends it to a bounded ring per party. Streams take
what they are due from their party's ring and filter it in memory. A WebSocket stream that has
caught up is handed to the fan-out, which then writes the prepared frames to the connection
itself (``Direct``), all of a wake-up's frames in one write: no task switch, encoding or
per-subscriber read per delivery. Delivery receipts are recorded once per event and party.

A stream behind its party's ring — resumed from before it, a party that just started listening,
or a subscriber too slow for it — reads the log itself (``stream.SharedReads``) until it reaches
the ring; both are in ``seq`` order, so it switches at a known sequence number and nothing is
lost or sent twice. A WebSocket whose connection cannot take more (the transport's buffer is
full) is handed back to its own task, which waits for it and resumes from where it was.

Written here: no library fans one prepared frame out to many ASGI WebSockets (broadcast
libraries relay a message through each subscriber's ASGI send, which is most of the cost).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import contextvars
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from deconfliction import service
from deconfliction.domain import Member
from deconfliction.service import Line, Subscription, delivered_from_events

__all__ = ["RAW_SEND", "Direct", "Encoded", "FanOut", "Item", "Pushed", "RawSend", "ws_frame"]

RING = 1024
"""Views kept per listening party (a view of many parties is kept once): a stream further
behind reads the log instead."""
REREAD_S = 5.0
"""How long the fan-out waits for a wake-up before it reads the log anyway (other processes)."""
SETTLE_S = 0.2
"""The least time between two reads that found events: under load, one read takes in what
several commits appended and each connection gets them in one write (on loopback a write costs
more than the frames in it); a commit after a quiet spell is read at once."""
BATCH = 1000
RETRY_S = 1.0
"""After a failed read (the database away): the streams wait, the fan-out tries again."""

log = logging.getLogger(__name__)


class Encoded:
    """One view of one event, encoded once for every stream that sends it."""

    __slots__ = ("_sse", "_text", "data", "deliveries", "event", "frame")

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self.data = orjson.dumps(event)
        self.frame = ws_frame(self.data)
        found = delivered_from_events([event])
        self.deliveries = found if found.notices or found.messages else None
        self._text: str | None = None
        self._sse: bytes | None = None

    @property
    def seq(self) -> int:
        return int(self.event["seq"])

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.data.decode()
        return self._text

    @property
    def sse(self) -> bytes:
        if self._sse is None:
            self._sse = b"id: %d\nevent: %s\ndata: %s\n\n" % (
                self.event["seq"],
                self.event["kind"].encode(),
                self.data,
            )
        return self._sse


def ws_frame(text: bytes) -> bytes:
    """``text`` (UTF-8) as the WebSocket text frame a server sends: unmasked, no extension."""
    return Frame(Opcode.TEXT, text).serialize(mask=False)


class Item:
    """A party's view of an event in its ring; ``recorded`` once the party's receipt of it was
    (by the first of its members it reached)."""

    __slots__ = ("enc", "recorded", "seq")

    def __init__(self, seq: int, enc: Encoded) -> None:
        self.seq = seq
        self.enc = enc
        self.recorded = False


class _Ring:
    """A party's views, oldest first: every one with ``seq > floor`` up to the fan-out's
    ``last`` (while the party listens)."""

    __slots__ = ("floor", "fresh", "items", "seqs")

    def __init__(self, floor: int) -> None:
        self.floor = floor
        self.items: list[Item] = []
        self.seqs: list[int] = []
        self.fresh: asyncio.Future[None] | None = None

    def add(self, items: Sequence[Item], size: int) -> None:
        self.items.extend(items)
        self.seqs.extend(i.seq for i in items)
        if len(self.items) > size + size // 4:  # trimmed in steps: a cut costs a copy
            cut = len(self.items) - size
            self.floor = self.seqs[cut - 1]
            del self.items[:cut], self.seqs[:cut]

    def after(self, seq: int) -> list[Item]:
        return self.items[bisect.bisect_right(self.seqs, seq) :]

    def wake(self) -> None:
        if self.fresh is not None:
            if not self.fresh.done():
                self.fresh.set_result(None)
            self.fresh = None


class Direct:
    """Prepared frames written straight to a uvicorn WebSocket connection (its websockets
    sans-I/O protocol) when it negotiated no extension (no compression): the bytes are what its
    own ``send`` would write for the same text."""

    __slots__ = ("_proto",)

    def __init__(self, proto: Any) -> None:
        self._proto = proto

    @classmethod
    def of(cls, send: Send | None) -> Direct | None:
        """For the raw ASGI ``send`` of a uvicorn WebSocket, or ``None`` (then use ``send``)."""
        proto = getattr(send, "__self__", None)
        conn = getattr(proto, "conn", None)
        if (
            type(proto).__name__ != "WebSocketsSansIOProtocol"
            or not hasattr(proto, "writable")
            or not hasattr(proto, "transport")
            or getattr(conn, "extensions", None) != []
        ):
            return None
        return cls(proto)

    @property
    def open(self) -> bool:
        p = self._proto
        return p.conn.state is State.OPEN and not p.close_sent and not p.transport.is_closing()

    def ready(self) -> bool:
        """Open (as far as the server knows: a close sent, or a transport closing, is not), and
        its transport takes more without waiting."""
        p = self._proto
        return p.writable.is_set() and not p.close_sent and not p.transport.is_closing()

    def write(self, data: bytes) -> None:
        self._proto.transport.write(data)

    async def drain(self) -> None:
        """Until the transport takes more."""
        await self._proto.writable.wait()


class Pushed:
    """A caught-up WebSocket the fan-out writes to itself, until it is handed back (``done``)."""

    __slots__ = ("all", "checked", "direct", "done", "key", "member", "position", "subscription")

    def __init__(
        self,
        member: Member,
        subscription: Subscription,
        direct: Direct,
        position: int,
        checked: int,
    ) -> None:
        self.member = member
        self.checked = checked
        """The signal's count of member re-checks when the stream last checked its token: a
        revocation since (``EventSignal.recheck_members``) hands the stream back at once."""
        self.subscription = subscription
        self.all = subscription == Subscription()
        self.key = (subscription.kinds, subscription.parties, subscription.area)
        """Equal for equal subscriptions, compared without Python code."""
        self.direct = direct
        self.position = position
        """Everything up to it was sent."""
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def hand_back(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


RAW_SEND = "deconfliction.raw_send"
"""Where ``RawSend`` leaves a WebSocket's send as the server gave it."""


class RawSend:
    """ASGI middleware: a WebSocket's ``send`` as the server gave it, in the scope, so that
    ``Direct`` can find the connection under the framework's wrappers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)


class FanOut:
    """The per-process fan-out (see the module's docstring)."""

    def __init__(
        self,
        line: Line,
        size: int = RING,
        reread_s: float = REREAD_S,
        settle_s: float = SETTLE_S,
    ) -> None:
        self.line = line
        self.size = size
        self.reread_s = reread_s
        self.settle_s = settle_s
        self.last = 0
        """The log is read up to here."""
        self._listening: Counter[str] = Counter()
        self._rings: dict[str, _Ring] = {}
        self._pushed: dict[str, set[Pushed]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        self._reader: ThreadPoolExecutor | None = None
        self._members = line.signal.members
        self._loops = 0

    # -- the streams' side ---------------------------------------------------------------------

    async def start(self) -> None:
        """Starts the fan-out on the running loop, once; returns when it knows the log's end."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.get_loop() is not loop or self._task.done():
            if self._task is not None and self._task.get_loop() is not loop:
                # a test client may run each connection on a loop of its own: those of the
                # last loop are gone with it
                self._listening.clear()
                self._rings.clear()
                self._pushed.clear()
                self._loops += 1
            self._ready = loop.create_future()
            if self._reader is None:
                # reads in a thread of their own: a notice's create never queues behind them
                self._reader = ThreadPoolExecutor(1, thread_name_prefix="fan-out")
            # a context of its own: started inside some request, its log lines are not that
            # request's (the request id is a context variable)
            self._task = loop.create_task(
                self._run(), name="fan-out", context=contextvars.Context()
            )
        assert self._ready is not None
        await asyncio.shield(self._ready)

    async def stop(self) -> None:
        """Stops the fan-out (the app stops); open streams end with it."""
        task, self._task = self._task, None
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._reader is not None:
            self._reader.shutdown(wait=True)
            self._reader = None
        for pushed in self._pushed.values():
            for p in pushed:
                p.hand_back()
        for ring in self._rings.values():
            ring.wake()

    @contextlib.contextmanager
    def listening(self, party: str) -> Iterator[None]:
        """While a stream of ``party`` is open: the fan-out keeps the party's views."""
        if self._listening[party] == 0:
            self._rings[party] = _Ring(self.last)
            self._pushed[party] = set()
        self._listening[party] += 1
        loops = self._loops
        try:
            yield
        finally:
            if loops == self._loops:  # (else a stream of a loop that is gone, and its party)
                self._drop(party)

    def _drop(self, party: str) -> None:
        self._listening[party] -= 1
        if self._listening[party] <= 0:
            del self._listening[party]
            ring = self._rings.pop(party, None)
            if ring is not None:
                ring.wake()
            for p in self._pushed.pop(party, ()):
                p.hand_back()

    def floor(self, party: str) -> int:
        """The ring holds every view of ``party`` after this (up to :attr:`last`)."""
        return self._rings[party].floor

    def take(self, party: str, after: int) -> list[Item]:
        """``party``'s views after ``after`` (which is at or past :meth:`floor`)."""
        return self._rings[party].after(after)

    async def wait(self, party: str, after: int, timeout_s: float, members: int) -> None:
        """Until ``party``'s ring has views after ``after``, a member's token was revoked or
        replaced (``members`` is no longer the signal's count), or ``timeout_s`` passed."""
        ring = self._rings[party]
        if (ring.seqs and ring.seqs[-1] > after) or members != self.line.signal.members:
            return
        if ring.fresh is None:
            ring.fresh = asyncio.get_running_loop().create_future()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(ring.fresh), timeout_s)

    def push(self, pushed: Pushed) -> bool:
        """The fan-out writes to ``pushed`` from now on, if it has all it was due (else the
        stream carries on by itself)."""
        party = pushed.member.party
        if (
            self._task is None
            or pushed.position != self.last
            or party not in self._pushed
            or self._members != self.line.signal.members
            or pushed.checked != self.line.signal.members
        ):
            return False
        self._pushed[party].add(pushed)
        return True

    def unpush(self, pushed: Pushed) -> None:
        self._pushed.get(pushed.member.party, set()).discard(pushed)
        pushed.hand_back()

    def record(self, member: Member, items: Sequence[Item]) -> None:
        """``member``'s party received ``items``: each receipt once per party."""
        notices: list[tuple[str, int, str]] = []
        messages: list[tuple[str, str, str]] = []
        for item in items:
            found = item.enc.deliveries
            if found is None or item.recorded:
                continue
            item.recorded = True
            notices.extend(found.notices)
            messages.extend(found.messages)
        if notices:
            self.line.deliveries.delivered(member, notices)
        if messages:
            self.line.deliveries.delivered_messages(member, messages)

    # -- the fan-out's side --------------------------------------------------------------------

    async def _run(self) -> None:
        signal = self.line.signal
        loop = asyncio.get_running_loop()
        while not self._rings:  # else carry on from where it was (the rings hold up to it)
            try:
                self.last = await loop.run_in_executor(
                    self._reader, service.last_event_seq, self.line
                )
                break
            except Exception:
                log.exception("the fan-out could not read the event log; trying again")
                await asyncio.sleep(RETRY_S)
        assert self._ready is not None
        self._ready.set_result(None)
        while True:
            await signal.wait_async(self.last, self.reread_s, self._members)
            if self._members != signal.members:
                self._recheck()
            before = self.last
            try:
                await self._catch_up(loop)
            except Exception:  # the database away: the streams wait, nothing is skipped
                log.exception("the fan-out could not read the event log; trying again")
                await asyncio.sleep(RETRY_S)
                continue
            if self.last > before or signal.last > self.last:
                # (told of events it could not read yet: not again at once)
                await asyncio.sleep(self.settle_s)

    async def _catch_up(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read the log to its end for the listening parties."""
        while True:
            parties = list(self._listening)
            if not parties:
                last = await loop.run_in_executor(self._reader, service.last_event_seq, self.line)
                self._append(max(last, self.last), [], {})  # who started listening meanwhile
                return
            views, fresh = await loop.run_in_executor(self._reader, self._read, self.last, parties)
            if self._members != self.line.signal.members:
                self._recheck()
            self._append(views.last, parties, fresh)
            if not views.more:
                return

    def _read(self, after: int, parties: list[str]) -> tuple[service.Views, dict[str, list[Item]]]:
        with self.line.store.read() as tx:
            views = service.views_after(tx, after, parties, BATCH, labels=self.line.labels)
        fresh: dict[str, list[Item]] = {}
        for e in views.events:
            for receivers, view in e.views:
                enc = Encoded(view)
                for party in receivers:
                    fresh.setdefault(party, []).append(Item(e.seq, enc))
        return views, fresh

    def _append(self, last: int, parties: list[str], fresh: dict[str, list[Item]]) -> None:
        """The views of a read made for ``parties``, up to ``last``."""
        self.last = last
        now = self.line.clock()
        for party, ring in self._rings.items():
            if party not in parties:
                # started listening during the read: its views begin after it
                ring.floor = max(ring.floor, last)
                continue
            items = fresh.get(party)
            if not items:
                continue
            ring.add(items, self.size)
            ring.wake()
            self._write(party, items, now)
        for party, pushed in self._pushed.items():
            if party in parties:
                for p in pushed:
                    p.position = last
            else:
                # pushed while a read made without its party ran: what that read passed over is
                # not in the ring, so the stream reads it from the log itself
                for p in pushed:
                    p.hand_back()
                pushed.clear()

    def _write(self, party: str, items: list[Item], now: Any) -> None:
        """Each caught-up WebSocket of ``party`` gets what it admits of ``items``, in one write;
        one that cannot take it now (or whose token stopped working) is handed back."""
        pushed = self._pushed.get(party)
        if not pushed:
            return
        joined: dict[tuple[Any, ...], tuple[bytes, list[Item]]] = {}
        members = self.line.signal.members
        for p in list(pushed):
            if not p.direct.ready() or p.checked != members or p.member.refusal(now) is not None:
                pushed.discard(p)
                p.hand_back()  # from p.position: what this read brought is taken from the ring
                continue
            got = joined.get(p.key)
            if got is None:
                mine = items if p.all else [i for i in items if p.subscription.admits(i.enc.event)]
                got = joined[p.key] = (b"".join(i.enc.frame for i in mine), mine)
            data, mine = got
            if data:
                p.direct.write(data)
                self.record(p.member, mine)

    def _recheck(self) -> None:
        """A token was revoked or replaced: every stream checks its own before it gets more."""
        self._members = self.line.signal.members
        for pushed in self._pushed.values():
            for p in pushed:
                p.hand_back()
            pushed.clear()
        for ring in self._rings.values():
            ring.wake()
