"""ASGI guards on what a request may cost before the routes see it: a body over the line's size
(413) or slower than its time (408) is refused before it is read whole, and heavy bodies (big
geometries, big track batches) are worked on a few at a time, so cheap requests keep answering.
"""

from __future__ import annotations

import math

import anyio
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconfliction.api.rates import BODY_BYTES

__all__ = ["BodyLimit", "HeavyWork"]


async def _refuse(
    send: Send, status: int, code: str, message: str, headers: list[tuple[bytes, bytes]]
) -> None:
    body = orjson.dumps({"error": code, "message": message, "pointer": "", "errors": []})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Answer 413 when Content-Length, or the bytes actually streamed, exceed ``max_bytes``, and
    408 when the whole body has not come within ``timeout_s``; the size read is left in the
    request's state (``BODY_BYTES``) for the rate limits."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def _too_large(self, send: Send) -> None:
        message = f"the body is over the line's limit of {self.max_bytes} bytes"
        await _refuse(send, 413, "payload_too_large", message, [(b"connection", b"close")])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._too_large(send)
                    return
        # Read the whole body here, refusing as soon as it passes the limit or its time, then
        # hand it on: the framework would turn an exception raised mid-stream into a vague 400.
        chunks: list[bytes] = []
        seen = 0
        with anyio.move_on_after(math.inf if self.timeout_s is None else self.timeout_s) as late:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return
                chunk = message.get("body", b"")
                seen += len(chunk)
                if seen > self.max_bytes:
                    await self._too_large(send)
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        if late.cancelled_caught:
            late_by = (f"the body did not arrive within {self.timeout_s:g} s "
                       f"({seen} bytes came); send it faster, or in smaller parts")  # fmt: skip
            await _refuse(send, 408, "request_timeout", late_by, [(b"connection", b"close")])
            return
        body = b"".join(chunks)
        scope.setdefault("state", {})[BODY_BYTES] = len(body)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class HeavyWork:
    """ASGI middleware: a request whose body is at least ``heavy_bytes`` waits for one of
    ``at_once`` turns (503 with ``Retry-After`` after ``wait_s``); lighter requests never wait.

    Parsing and preparing an 8 MB geometry holds a CPU for seconds, part of it on the event
    loop; four at once stalled every other request. One at a time, the rest of the line keeps
    answering while they queue. Sits inside :class:`BodyLimit`, which reads the body and
    records its size.
    """

    def __init__(self, app: ASGIApp, heavy_bytes: int, at_once: int, wait_s: float) -> None:
        self.app = app
        self.heavy_bytes = heavy_bytes
        self.wait_s = wait_s
        self._turns = anyio.Semaphore(at_once)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = scope.get("state", {}).get(BODY_BYTES, 0) if scope["type"] == "http" else 0
        if size < self.heavy_bytes:
            await self.app(scope, receive, send)
            return
        got = False
        with anyio.move_on_after(self.wait_s):
            await self._turns.acquire()
            got = True
        if not got:
            message = (f"the line is busy with other large requests; this one ({size} bytes) "
                       f"waited {self.wait_s:g} s for its turn, try again shortly")  # fmt: skip
            retry = str(max(1, math.ceil(self.wait_s / 2))).encode()
            await _refuse(send, 503, "busy", message, [(b"retry-after", retry)])
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._turns.release()
