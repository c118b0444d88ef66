"""The console: the line's picture in a browser, served by the line itself at ``/``.

The page (``deconfliction/console``: HTML, our own ES modules, styles and message catalogues)
and its third-party code and basemap (``console/vendor``, made by ``scripts/console-build``
from ``web/package-lock.json``) are static files; everything the page shows it asks of
``/v1`` with the member's token, like any other client. Nothing is fetched from elsewhere,
and the page's Content-Security-Policy (:func:`policy`) makes the browser refuse anything
that tries: no inline script or style, no eval, no other origin but an operator's own tile
server when one is configured.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconfliction.config import ConsoleConfig

__all__ = ["ASSETS", "install", "policy"]

ASSETS = "/console"
"""Where the page's scripts, styles, catalogues, vendor code and basemap are served from."""

_ROOT = Path(str(resources.files("deconfliction").joinpath("console")))

_MISSING = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Deconfliction Line</title>
<h1>The console is not built</h1>
<p>Its third-party code and basemap are installed from the npm registry by
<code>scripts/console-build</code> (which <code>./scripts/demo</code> and
<code>./scripts/test</code> run on first use). The API is at <a href="/docs">/docs</a>.</p>
</html>"""


def policy(tiles: str | None = None) -> str:
    """The console's Content-Security-Policy; ``tiles`` (an operator's tile URL template)
    adds its origin to the images the page may load, and only that."""
    images = ["'self'", "data:", "blob:"]
    if tiles:
        parts = urlsplit(tiles)
        if parts.scheme in ("http", "https") and parts.netloc:
            # a template's host may name a subdomain to spread the load ({s}.tiles.example):
            # a CSP source takes a wildcard there, not the placeholder
            host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
            images.append(f"{parts.scheme}://{host}")
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(images)}",
            "font-src 'self'",
            "connect-src 'self'",  # /v1 and its WebSocket, on the page's own origin
            "worker-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",  # the page's forms are handled by its scripts
            "frame-ancestors 'none'",
        ]
    )


_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class _ConsolePolicy:
    """ASGI middleware: the page and its assets carry the console's policy and headers."""

    def __init__(self, app: ASGIApp, value: str) -> None:
        self.app = app
        self.value = value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/" or path.startswith(ASSETS + "/")):
            await self.app(scope, receive, send)
            return

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = self.value
                for name, value in _HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_policy)


def install(app: FastAPI, config: ConsoleConfig) -> None:
    """Serve the console at ``/`` and its files under :data:`ASSETS`; ``config`` says which
    detailed map (a tile URL template or a PMTiles file) the page offers beside the basemap."""
    index = _ROOT / "index.html"
    built = (_ROOT / "vendor" / "versions.json").is_file()

    @app.get("/", include_in_schema=False)
    def console() -> Response:
        if not built:
            return Response(_MISSING, status_code=503, media_type="text/html")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    @app.get(f"{ASSETS}/config.json", include_in_schema=False)
    def console_config() -> Response:
        detail: dict[str, str] | None = None
        if config.pmtiles is not None:
            detail = {"pmtiles": f"{ASSETS}/tiles.pmtiles"}
        elif config.tiles is not None:
            detail = {"tiles": config.tiles}
        return JSONResponse(
            {"detail": detail, "attribution": config.attribution},
            headers={"Cache-Control": "no-cache"},
        )

    if config.pmtiles is not None:
        pmtiles = config.pmtiles

        @app.get(f"{ASSETS}/tiles.pmtiles", include_in_schema=False)
        def tiles() -> Response:
            # FileResponse answers Range requests, which is how PMTiles reads its directory
            return FileResponse(pmtiles, media_type="application/octet-stream")

    app.mount(ASSETS, StaticFiles(directory=_ROOT, check_dir=False), name="console")
    app.add_middleware(_ConsolePolicy, value=policy(config.tiles))
