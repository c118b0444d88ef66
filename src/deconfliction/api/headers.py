"""Security headers on every answer: not sniffed, not framed, no referrer, nothing cached that
a token fetched, and HSTS when the line is reached over TLS.

The console (``api/console.py``) and the docs pages (``api/docs.py``) set their own
Content-Security-Policy, which is kept; every other answer is JSON, GeoJSON, KML or an event
stream, none of which may load or run anything: ``default-src 'none'``.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HSTS", "POLICY", "SecurityHeaders"]

POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""The Content-Security-Policy of an answer that is data, not a page."""

HSTS = "max-age=31536000"
"""A year: a browser that once reached the line over TLS never tries plain HTTP for it."""

_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    """ASGI middleware adding :data:`POLICY` (unless the answer has a policy of its own),
    ``nosniff``, ``no-referrer``, ``Cache-Control: no-store`` on every answer to a request
    that carried a token or a ticket, and :data:`HSTS` when the
    request came over HTTPS (directly, or through a trusted proxy that said so)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)
        private = "authorization" in request or _has_secret(scope.get("query_string", b""))
        secure = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS.items():
                    headers[name] = value
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = POLICY
                if private:
                    headers["Cache-Control"] = "no-store"
                if secure:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, with_headers)


def _has_secret(query: bytes) -> bool:
    return any(p.split(b"=", 1)[0] in (b"token", b"ticket") for p in query.split(b"&"))
