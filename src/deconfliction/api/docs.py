"""The API's documentation pages, working on a network with nothing but the line: Swagger UI at
``/docs`` and ReDoc at ``/redoc``, their scripts, styles and icon served by the line itself."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ASSETS", "PAGES", "POLICY", "OwnOriginOnly", "documented_app"]

ASSETS = "/docs/assets"
"""Where the pages' scripts, styles and icon are served from, out of the fastapi-offline package."""

PAGES = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

POLICY = "; ".join(
    [
        "default-src 'self'",
        # FastAPI starts Swagger UI with an inline script; ReDoc styles itself inline
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        # Swagger UI's icons are data: URLs; ReDoc's "API docs by Redocly" logo, which it would
        # fetch from its vendor's CDN, is refused here and not shown
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",  # ReDoc's search index runs in a worker made from a blob
        "connect-src 'self'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
"""The pages' Content-Security-Policy: the browser itself refuses anything not from the line."""


def documented_app(**kwargs: Any) -> FastAPI:
    """A FastAPI app (``kwargs`` as for ``FastAPI``) whose docs pages need nothing from outside.

    Swagger UI would also show a validator badge fetched from swagger.io: ``validatorUrl`` null
    leaves it out. The pages come with :data:`POLICY`, so a page that still tried to reach
    elsewhere (a new Swagger UI feature, a ``$ref`` to a URL) is stopped by the browser.
    """
    app = FastAPIOffline(static_url=ASSETS, swagger_ui_parameters={"validatorUrl": None}, **kwargs)
    app.add_middleware(OwnOriginOnly)
    return app


class OwnOriginOnly:
    """ASGI middleware: the answers to :data:`PAGES` carry the Content-Security-Policy
    :data:`POLICY`; every other answer (event streams included) passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in PAGES:
            await self.app(scope, receive, send)
            return

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Content-Security-Policy"] = POLICY
            await send(message)

        await self.app(scope, receive, with_policy)
