"""Events over HTTP: ``GET /v1/events`` as JSON or Server-Sent Events, ``/v1/stream`` WebSocket.

All three read the same log through ``service.events.events_for`` (need-to-know decided there)
and resume from a sequence number: ``after=N``, SSE's ``Last-Event-ID``, or the WebSocket's
``after``. A stream sends what was missed first, then waits on the line's signal (and re-reads
every few seconds, for writes made by other processes), so nothing is lost or sent twice across
a reconnect. A stream whose token stops working (revoked, rotated, expired) ends: the WebSocket
closes with 4401 and the reason, the SSE stream says why in a comment and ends (``api.guard``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Query, Request, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from deconfliction import service
from deconfliction.api.auth import TOKEN_IN_URL, Caller, StreamCaller
from deconfliction.api.convert import bbox_param
from deconfliction.api.fanout import RAW_SEND, Direct, Encoded, FanOut, Item, Pushed, RawSend
from deconfliction.api.guard import MemberGuard
from deconfliction.api.rates import admit
from deconfliction.api.schemas import TicketOut
from deconfliction.domain import EventKind, Member
from deconfliction.errors import DeconflictionError, InvalidInput, NotAuthenticated
from deconfliction.service import Line, Subscription, events_for, received
from deconfliction.wire import utc_z

__all__ = ["install"]

WAIT_S = 5.0
"""How long a stream waits on the signal before it re-reads the log anyway (and keeps alive)."""
_BATCH = 500


def _kinds(value: str | None) -> list[EventKind] | None:
    if value is None:
        return None
    try:
        return [EventKind(k) for k in value.split(",") if k]
    except ValueError:
        known = ", ".join(k.value for k in EventKind)
        raise InvalidInput(f"kinds is a comma-separated list of: {known}", "/query/kinds") from None


def _subscription(
    kinds: str | None, parties: str | None, area: str | None, where: str = "/query"
) -> Subscription:
    wanted = _kinds(kinds)
    return Subscription(
        kinds=None if wanted is None else frozenset(k.value for k in wanted),
        parties=None if parties is None else frozenset(p for p in parties.split(",") if p),
        area=bbox_param(area, f"{where}/area", "area"),
    )


def _after(value: str | None, pointer: str) -> int:
    try:
        after = int(value or 0) if len(value or "") <= 20 else -1
    except ValueError:
        after = -1
    if not 0 <= after <= MAX_SEQ:
        raise InvalidInput(f"a sequence number is an integer from 0 to {MAX_SEQ}", pointer)
    return after


MAX_SEQ = 2**63 - 1
"""A sequence number fits the store's signed 64-bit column."""

After = Annotated[int, Query(ge=0, le=MAX_SEQ, description="the last sequence number you have")]
Kinds = Annotated[str | None, Query(description="comma-separated event kinds to receive")]
Parties = Annotated[str | None, Query(description="comma-separated parties whose changes")]
Area = Annotated[
    str | None,
    Query(description="lon_min,lat_min,lon_max,lat_max: notice events only where they may meet it"),
]


@dataclass(frozen=True, slots=True)
class _Read:
    items: list[Item]
    last: int
    more: bool
    head: int
    """The log's newest seq as the read began: with ``more`` false, the read saw everything of
    the party up to here (whoever else waited on it, whatever the ring did meanwhile)."""


class SharedReads:
    """One read of the log per party and position, however many streams wait on it: the way
    a stream behind the fan-out's ring (``api.fanout``) catches up.

    The streams of a party that wake at the same position share one read (in a worker thread),
    each event encoded once; each stream then applies its own filters.
    """

    def __init__(self, line: Line) -> None:
        self.line = line
        self._pending: dict[tuple[str, int], asyncio.Task[_Read]] = {}

    async def read(self, caller: Member, after: int) -> _Read:
        key = (caller.party, after)
        task = self._pending.get(key)
        if task is None:
            # a task of its own: a stream that goes away mid-read cancels only its own wait
            task = asyncio.ensure_future(run_in_threadpool(_read, self.line, caller, after))
            self._pending[key] = task
            task.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(task)


def _read(line: Line, caller: Member, after: int) -> _Read:
    with line.store.read() as tx:
        # the head first: on PostgreSQL (READ COMMITTED) each statement sees its own snapshot,
        # so the events read next see at least everything committed up to it
        head = tx.last_event_seq()
        got = received(tx, caller, after, _BATCH, labels=line.labels)
    # encoded once here, sent as is by every stream of the party
    return _Read([Item(e["seq"], Encoded(e)) for e in got.events], got.last, got.more, head)


class StreamEnded(Exception):
    """The stream's token stopped working; ``reason`` says why, for the member."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _follow(
    fan: FanOut,
    reads: SharedReads,
    caller: Member,
    after: int,
    subscription: Subscription,
    gone: Callable[[], Any],
    refusal: Callable[[], Awaitable[str | None]],
    direct: Direct | None = None,
) -> AsyncGenerator[list[Item] | None, None]:
    """Batches of events as they come, ``None`` when a wait ended with nothing (keep-alive);
    ``StreamEnded`` once ``refusal`` gives a reason (checked before every batch).

    Behind the party's ring, from the log; then from the ring; a WebSocket with ``direct`` then
    is written by the fan-out itself until it hands it back (a revocation to check, a transport
    that cannot take more), and carries on from where the fan-out left it.
    """
    party = caller.party
    signal = fan.line.signal
    await fan.start()
    with fan.listening(party):
        position = after
        while True:
            checked = signal.members  # a re-check asked after this wakes the waits below
            refused = await refusal()
            if refused is not None:
                raise StreamEnded(refused)
            if position < fan.floor(party):
                got = await reads.read(caller, position)
                # past the read, nothing of the party's is missed up to the log's head as it
                # began (not the ring's floor: this stream may have joined another's read, made
                # before the ring moved on); below the floor still, the next turn reads again
                position = got.last if got.more else max(got.last, got.head)
                mine = [i for i in got.items if subscription.admits(i.enc.event)]
            else:
                mine = [i for i in fan.take(party, position) if subscription.admits(i.enc.event)]
                position = max(position, fan.last)
            if mine:
                fan.record(caller, mine)
                yield mine
                continue
            if position < fan.floor(party):
                continue
            if await gone():
                return
            if direct is not None and direct.ready():
                pushed = Pushed(caller, subscription, direct, position, checked)
                if fan.push(pushed):
                    try:
                        await asyncio.wait([pushed.done], timeout=WAIT_S)
                    finally:
                        fan.unpush(pushed)
                    position = pushed.position
                    if await gone():
                        return
                    continue
            await fan.wait(party, position, WAIT_S, checked)
            if await gone():
                return
            yield None


def close_reason(text: str, limit: int = 123) -> str:
    """``text`` cut to fit a WebSocket close frame's reason (RFC 6455: 123 bytes of UTF-8),
    whole characters only; a longer reason fails the close and leaves the client no code.

    >>> close_reason("kinds is a list of: " + "notice.created, " * 10).encode().__len__() <= 123
    True
    """
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode(errors="ignore") + "…"


def install(app: FastAPI) -> None:
    """Add the event routes to ``app``."""
    line: Line = app.state.line
    reads = SharedReads(line)
    guard = MemberGuard(line)
    fan = FanOut(line)
    app.state.fan_out = fan
    app.add_middleware(RawSend)

    @app.post("/v1/stream/tickets", status_code=201, response_model=TicketOut, tags=["events"])
    async def ticket(caller: Caller) -> Response:
        """A ticket that opens one event stream (`/v1/stream?ticket=`, or `/v1/events?ticket=`
        with `Accept: text/event-stream`) within a minute: a browser cannot send a header with a
        WebSocket or an EventSource, and a URL is logged where a token must never be."""
        value, expires = await run_in_threadpool(service.issue_stream_ticket, line, caller)
        return Response(
            orjson.dumps({"ticket": value, "expires_at": utc_z(expires)}),
            status_code=201,
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    @app.get("/v1/events", tags=["events"])
    async def events(
        request: Request,
        caller: StreamCaller,
        after: After = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
        kinds: Kinds = None,
        parties: Parties = None,
        area: Area = None,
    ) -> Response:
        """Events after `after` you may receive, oldest first: notices shared with you, your
        conflicts as you may see them. With `Accept: text/event-stream`, a Server-Sent Events
        stream that resumes from `Last-Event-ID` and stays open until your token stops working
        (revoked, rotated, expired: a last comment says why)."""
        subscription = _subscription(kinds, parties, area)
        if "text/event-stream" in request.headers.get("accept", ""):
            start = after
            if "last-event-id" in request.headers:
                start = _after(request.headers["last-event-id"], "/headers/last-event-id")

            async def stream() -> AsyncIterator[bytes]:
                yield b": events after %d\n\n" % start
                with guard.watching(caller):
                    try:
                        batches = _follow(
                            fan,
                            reads,
                            caller,
                            start,
                            subscription,
                            request.is_disconnected,
                            lambda: guard.refusal(caller),
                        )
                        async with contextlib.aclosing(batches):
                            async for batch in batches:
                                if batch is None:
                                    yield b": keep-alive\n\n"
                                else:
                                    yield b"".join(i.enc.sse for i in batch)
                    except StreamEnded as end:
                        yield b": closed: %s\n\n" % end.reason.encode()

            return StreamingResponse(
                stream(),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
            )
        got = await run_in_threadpool(events_for, line, caller, after, limit, subscription)
        return Response(
            orjson.dumps({"events": got.events, "last": got.last}),
            media_type="application/json",
        )

    @app.websocket("/v1/stream")
    async def stream_ws(ws: WebSocket) -> None:
        """Events as JSON text frames; authenticate with `Authorization: Bearer`, or in a browser
        with `?ticket=` from `POST /v1/stream/tickets` (a token in the URL, `?token=`, is
        refused); resume with `?after=N`; `kinds`, `parties` and `area` filter. Closes with
        4401 when the token stops working (revoked, rotated, expired)."""
        token = ws.headers.get("authorization", "").removeprefix("Bearer ").strip()
        ticket = ws.query_params.get("ticket")
        try:
            if "token" in ws.query_params:
                raise NotAuthenticated(TOKEN_IN_URL, "/query/token")
            if not token and ticket is not None:
                caller = await run_in_threadpool(
                    admit, ws, lambda: service.authenticate_ticket(line, ticket)
                )
            else:
                caller = await run_in_threadpool(
                    admit, ws, lambda: service.authenticate(line, token or None)
                )
            after = _after(ws.query_params.get("after"), "/query/after")
            q = ws.query_params
            subscription = _subscription(q.get("kinds"), q.get("parties"), q.get("area"))
        except DeconflictionError as e:
            # accepted, then closed with a code and a reason: a browser cannot read a refused
            # handshake's status, but it can read these (4401 unauthenticated, 4422 bad query)
            await ws.accept()
            code = {"not_authenticated": 4401, "rate_limited": 4429}.get(e.code, 4422)
            await ws.close(code=code, reason=close_reason(e.reason))
            return
        await ws.accept()
        # the client says nothing after the handshake; reading only tells when it has left
        listener = asyncio.create_task(_until_closed(ws))

        async def gone() -> bool:
            return listener.done()

        direct = Direct.of(ws.scope.get(RAW_SEND))
        try:
            with guard.watching(caller):
                batches = _follow(
                    fan,
                    reads,
                    caller,
                    after,
                    subscription,
                    gone,
                    lambda: guard.refusal(caller),
                    direct,
                )
                async with contextlib.aclosing(batches):  # its party's listening ends with it
                    async for batch in batches:
                        if not batch:
                            continue
                        if direct is None:
                            for item in batch:
                                await ws.send_text(item.enc.text)
                            continue
                        await direct.drain()
                        if not direct.open:
                            break  # the client left
                        direct.write(b"".join(i.enc.frame for i in batch))
        except StreamEnded as end:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await ws.close(code=4401, reason=close_reason(end.reason))
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client left mid-send
        finally:
            listener.cancel()


async def _until_closed(ws: WebSocket) -> None:
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
