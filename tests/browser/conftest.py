"""Browser tests: Debian's chromium, driven by Playwright, against the line served on 127.0.0.1.

``browser`` is one headless chromium for the session, skipped (saying why) where it is not
installed; ``served`` is a line with the seed scenario's parties behind uvicorn on a free port;
``page`` is a fresh page on it that records every request it makes and lets through only those
to the line's own origin, so a test sees an attempt to reach the outside without making one.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from deconfliction import service
from deconfliction.domain import Role
from deconfliction.service import Line
from tests.api.conftest import NOW
from tests.cli.test_watch import Server
from tests.conftest import MakeStore

__all__ = ["ARGS", "CHROMIUM", "Page", "Served"]

CHROMIUM = os.environ.get("DECONFLICTION_CHROMIUM", "/usr/bin/chromium")
"""Debian's chromium (``apt-get install chromium``); Playwright's own download is never used."""

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # no name resolves but the loopback's: even a request the page is not stopped from making
    # could not leave the machine
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]

_LOCAL_SCHEMES = ("data", "blob", "about")
"""URLs a page makes of what it already holds: no request leaves it."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Headless chromium, or a skip that says how to get it. Closed when the browser tests are
    done: Playwright's sync API keeps an event loop running in the main thread while it is open,
    and the tests after these run their own (``asyncio.run``)."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip(
            f"no chromium at {CHROMIUM}: `apt-get install chromium` (Debian) to run the browser "
            "tests, or point DECONFLICTION_CHROMIUM at one"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
    )
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Served:
    """A line behind a real HTTP server; ``tokens`` holds a coordinator's token per party."""

    line: Line
    tokens: dict[str, str]
    server: Server

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture
def served(make_store: MakeStore) -> Iterator[Served]:
    line = Line(store=make_store("sqlite"), clock=lambda: NOW)
    tokens = {}
    for slug, name in (
        ("coalition", "Coalition Air Component"),
        ("counterpart", "Counterpart Forces"),
        ("un-ocha", "UN OCHA"),
    ):
        service.create_party(line, slug, name)
        tokens[slug] = service.create_member(line, slug, Role.COORDINATOR)[1]
    made = Served(line, tokens, Server(line, _free_port()).start())
    yield made
    made.server.stop()


@dataclass
class Page:
    """A page on ``origin``, every URL it asked for in order, and those of them that its own
    Content-Security-Policy refused before they were sent (``page`` is Playwright's)."""

    page: Any
    origin: str
    requested: list[str] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)

    def on_origin(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in _LOCAL_SCHEMES:
            return True
        return f"{parts.scheme}://{parts.netloc}" == self.origin

    def elsewhere(self) -> list[str]:
        """The requests for anywhere but the line that the page did not refuse itself."""
        return [u for u in self.requested if not self.on_origin(u) and u not in self.refused]


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Page]:
    """A new page that records each request it makes and aborts any not for the line.

    Requests are seen twice over: Playwright's (scripts, styles, fetches) and the DevTools
    protocol's, which also sees what Playwright does not report, such as the favicon, and says
    which ones the page's Content-Security-Policy blocked before they were sent.
    """
    context = browser.new_context()
    visit = Page(context.new_page(), served.origin)
    ids: dict[str, str] = {}

    def route(route: Any) -> None:
        if visit.on_origin(route.request.url):
            route.continue_()
        else:
            route.abort()

    def will_send(event: dict[str, Any]) -> None:
        ids[event["requestId"]] = event["request"]["url"]
        visit.requested.append(event["request"]["url"])

    def failed(event: dict[str, Any]) -> None:
        if event.get("blockedReason") == "csp" and event["requestId"] in ids:
            visit.refused.add(ids[event["requestId"]])

    context.on("request", lambda request: visit.requested.append(request.url))
    context.route("**/*", route)
    cdp = context.new_cdp_session(visit.page)
    cdp.on("Network.requestWillBeSent", will_send)
    cdp.on("Network.loadingFailed", failed)
    cdp.send("Network.enable")
    try:
        yield visit
    finally:
        context.close()
