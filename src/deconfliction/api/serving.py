"""The HTTP server the line runs under: uvicorn, with TLS when given a certificate, and the
bounds uvicorn lacks on a connection before its request reaches the app.

uvicorn closes a keep-alive connection idle for ``timeout_keep_alive``, and answers 503 past
``limit_concurrency`` connections; it sets no time for a request's headers to arrive (a client
that sends them a byte at a time holds its connection for ever) and no count of connections
per client. :func:`guarded` adds both to uvicorn's own protocol: the headers of each request
must arrive within ``header_timeout_s`` (408, then the connection is closed) and in at most
``max_header_bytes``, and one client address may hold ``connections_per_client`` connections
(WebSockets included; 429 on the next one). A body's own time is bounded in the app
(``api/limits.py``), where its size is known.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

import orjson
import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from deconfliction.config import Limits, LineConfig

__all__ = ["guarded", "server"]


def guarded(limits: Limits, base: type[Any] = AutoHTTPProtocol) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol ``base`` (httptools where it is installed, else h11) with the
    header time and size of ``limits`` and its cap on connections per client."""
    header_timeout_s = limits.header_timeout_s
    max_header_bytes = limits.max_header_bytes
    per_client = limits.connections_per_client

    class Guarded(base):  # type: ignore[misc]
        _timer: asyncio.TimerHandle | None = None
        _header_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            host = self.client[0] if self.client else None
            if per_client is not None and host is not None:
                held = sum(
                    1 for c in self.connections if (getattr(c, "client", None) or ("",))[0] == host
                )
                if held > per_client:
                    self._refuse(
                        HTTPStatus.TOO_MANY_REQUESTS,
                        "too_many_connections",
                        f"this address holds {per_client} connections to the line already; "
                        "close one, or reuse it",
                    )
                    return
            self._await_headers()

        def _waiting_for_headers(self) -> bool:
            return self.cycle is None or bool(self.cycle.response_complete)

        def _await_headers(self) -> None:
            self._header_bytes = 0
            if header_timeout_s is not None:
                self._timer = self.loop.call_later(header_timeout_s, self._headers_late)

        def _stop_timer(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _headers_late(self) -> None:
            self._timer = None
            if not self.transport.is_closing() and self._waiting_for_headers():
                self._refuse(
                    HTTPStatus.REQUEST_TIMEOUT,
                    "request_timeout",
                    f"the request's headers did not arrive within {header_timeout_s:g} s",
                )

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.transport.is_closing() or self.transport.get_protocol() is not self:
                self._stop_timer()  # closed, or upgraded to a WebSocket
            elif not self._waiting_for_headers():
                self._stop_timer()  # a request's headers are in; its body has its own time
            else:
                self._header_bytes += len(data)
                if self._header_bytes > max_header_bytes:
                    self._refuse(
                        HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                        "headers_too_large",
                        f"the request's headers are over {max_header_bytes} bytes",
                    )

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self._waiting_for_headers():
                self._stop_timer()
                self._await_headers()  # the next request on this connection

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_timer()
            super().connection_lost(exc)

        def _refuse(self, status: HTTPStatus, code: str, message: str) -> None:
            self._stop_timer()
            body = orjson.dumps({"error": code, "message": message, "pointer": "", "errors": []})
            head = (
                f"HTTP/1.1 {status.value} {status.phrase}\r\n"
                "content-type: application/json\r\n"
                f"content-length: {len(body)}\r\n"
                + ("retry-after: 1\r\n" if status == HTTPStatus.TOO_MANY_REQUESTS else "")
                + "connection: close\r\n\r\n"
            )
            self.transport.write(head.encode() + body)
            self.transport.close()

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{base.__name__}"
    return Guarded


def server(app: Any, config: LineConfig, **options: Any) -> uvicorn.Server:
    """A uvicorn server for ``app`` on ``config``'s address, with its limits and TLS files;
    ``options`` are uvicorn's own (``log_level``, ``timeout_graceful_shutdown`` ...)."""
    limits = config.limits
    settings: dict[str, Any] = {
        "log_level": "info",
        "log_config": None,  # its records go to the root logger's handler (api/logformat.py)
        "access_log": False,  # replaced by one line per request (api/observe.py)
        "timeout_graceful_shutdown": 5,
        # events are pushed as frames prepared once for every subscriber (api/fanout.py);
        # compressed, each would be compressed again per subscriber, at several times the cost
        "ws_per_message_deflate": False,
        **options,
    }
    return uvicorn.Server(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            http=guarded(limits),
            timeout_keep_alive=limits.keep_alive_s,
            limit_concurrency=limits.connections,
            h11_max_incomplete_event_size=limits.max_header_bytes,
            ssl_certfile=config.tls_cert,
            ssl_keyfile=config.tls_key,
            server_header=False,  # which server and version is no one's business
            **settings,
        )
    )
