"""One log line and one observation per request: ASGI middleware, outermost, so every answer is
counted, the guards' refusals included.

Each request gets an id: a well-formed ``X-Request-ID`` from the reverse proxy (so the proxy's
log and the line's name the same request), else one made here; it is sent back in the answer's
``X-Request-ID`` and bound to every log line written while the request runs. When the request
ends, one ``request`` line says its id, method, route template, status, duration and the party
of the member it authenticated as (never the token, never the member's id: the host's log may
travel further than the host's database, and the party is what an operator needs to tell who is
busy); a WebSocket's ``websocket`` line says the same when it closes. Paths are written as their
route's template (``/v1/notices/{notice_id}``), not as sent: an id in a path is a party's
business, and the metrics would grow a series per id. uvicorn's access log stays off: this line
replaces it.

Hand-written: a pure ASGI wrapper of the send channel; the libraries that do request ids and
metrics as middleware take raw paths or wrap responses in ways that break streams.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconfliction.api.logformat import get_logger
from deconfliction.api.logs import redact
from deconfliction.api.metrics import Metrics
from deconfliction.api.rates import PARTY

__all__ = ["REQUEST_ID", "Observe", "request_id_of", "route_template"]

REQUEST_ID = "request_id"
"""Where the request's id is kept in its state (``request.state.request_id``)."""

UNMATCHED = "(unmatched)"
"""The route of a request no route answers (a 404 for an unknown path)."""

_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id_of(headers: Headers) -> str:
    """The proxy's ``X-Request-ID`` when it is 1-128 letters, digits and ``._:-`` and nothing
    shaped like a token; otherwise a new random one (32 hex digits)."""
    given = headers.get("x-request-id", "")
    if _WELL_FORMED.fullmatch(given) and redact(given) == given:
        return given
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The template of the route that answered (``/v1/notices/{notice_id}``), never the path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    return f"{path}/{{path}}" if isinstance(route, Mount) else path or "/"


class Observe:
    """Request ids, the request log line, and the request and stream metrics (``metrics``
    ``None``: an app without them)."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None) -> None:
        self.app = app
        self.metrics = metrics
        self.log = get_logger("deconfliction.requests")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = request_id_of(Headers(scope=scope))
        state: dict[str, Any] = scope.setdefault("state", {})
        state[REQUEST_ID] = rid
        structlog.contextvars.bind_contextvars(request_id=rid)
        started = time.perf_counter()
        seen: dict[str, Any] = {}
        metrics = self.metrics

        async def observed(message: Message) -> None:
            t = message["type"]
            if t == "websocket.send" or t == "http.response.body":
                await send(message)  # the hot path: every frame of a stream
                return
            if t == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                seen["status"] = message["status"]
                seen["first_byte"] = time.perf_counter()
                if headers.get("content-type", "").startswith("text/event-stream"):
                    seen["stream"] = "sse"
            elif t == "websocket.accept":
                MutableHeaders(scope=message)["X-Request-ID"] = rid
                seen["status"] = 101
                seen["stream"] = "websocket"
            elif t == "websocket.close" and "status" not in seen:
                seen["status"] = 403  # refused before the handshake completed
            elif t == "websocket.close":
                seen["close"] = message.get("code", 1000)
            if "stream" in seen and "counted" not in seen and metrics is not None:
                seen["counted"] = True
                metrics.subscribers.labels(seen["stream"]).inc()
            await send(message)

        failed = False
        try:
            await self.app(scope, receive, observed)
        except BaseException:
            failed = True
            raise
        finally:
            self._done(scope, state, seen, started, failed)

    def _done(
        self,
        scope: Scope,
        state: dict[str, Any],
        seen: dict[str, Any],
        started: float,
        failed: bool,
    ) -> None:
        ended = time.perf_counter()
        status = int(seen.get("status", 500 if failed or scope["type"] == "http" else 403))
        route = route_template(scope)
        method = scope.get("method", "GET") if scope["type"] == "http" else "WEBSOCKET"
        if self.metrics is not None:
            if seen.get("counted"):
                self.metrics.subscribers.labels(seen["stream"]).dec()
            if scope["type"] == "http":
                first = seen.get("first_byte", ended)
                self.metrics.request(route, method, status, first - started)
        fields: dict[str, Any] = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round((ended - started) * 1000, 1),
        }
        party = state.get(PARTY)
        if party is not None:
            fields["party"] = party
        if "close" in seen:
            fields["close_code"] = seen["close"]
        event = "websocket" if scope["type"] == "websocket" else "request"
        if status == 500:
            self.log.error(event, **fields)
        else:
            self.log.info(event, **fields)
