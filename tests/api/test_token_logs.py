"""No token reaches a log: a client that puts its token in a URL, sends it in ``Authorization``,
opens streams with it or with a ticket, and makes the app fail with the header in the error,
leaves no token or ticket in what the server writes, at uvicorn's most talkative level (every
request's headers traced) and as ``deconfliction serve`` runs."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
import websockets
from fastapi import Request

from deconfliction.api.app import create_app
from deconfliction.api.logs import LOGGERS
from deconfliction.domain import Role
from deconfliction.service import create_member, create_party, open_line
from tests.api.conftest import Api, make_api
from tests.conftest import MakeStore
from tests.waiting import WAIT_S, wait_for

TRACE = 5  # uvicorn's level below DEBUG: every ASGI message, headers included


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _secret(token: str) -> str:
    """What must never be written: all of the token after its public prefix."""
    return token[12:] if token.startswith("dl_") else token[4:]


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=TRACE)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def traced(make_store: MakeStore) -> Iterator[tuple[Api, int, Captured]]:
    """A real server on a free port, uvicorn logging everything (access log on, trace level),
    into a handler on the root logger; the loggers are put back afterwards."""
    api = make_api(make_store("sqlite"))
    app = create_app(api.line)

    @app.get("/boom", include_in_schema=False)
    def boom(request: Request) -> None:  # an error that quotes the header, as a bug might
        raise RuntimeError(f"cannot handle {request.headers.get('authorization')}")

    captured = Captured()
    root = logging.getLogger()
    names = [*LOGGERS, "deconfliction"]
    saved = {n: (logging.getLogger(n).level, logging.getLogger(n).propagate) for n in names}
    root_level = root.level
    root.addHandler(captured)
    root.setLevel(TRACE)
    for n in names:  # to the root's handler, whatever an earlier server set up
        logging.getLogger(n).propagate = True
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, log_level="trace", access_log=True
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, f"the server on port {port} started")
        yield api, port, captured
    finally:
        server.should_exit = True
        thread.join(timeout=WAIT_S)
        root.removeHandler(captured)
        root.setLevel(root_level)
        for n, (level, propagate) in saved.items():
            logging.getLogger(n).setLevel(level)
            logging.getLogger(n).propagate = propagate


def test_no_token_or_ticket_in_a_traced_server_log(traced: tuple[Api, int, Captured]) -> None:
    api, port, captured = traced
    token = api.tokens["red"]
    base = f"http://127.0.0.1:{port}"
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=WAIT_S) as client:
        assert client.get("/v1/notices", params={"token": token}).status_code == 401
        assert client.get("/v1/notices", headers=bearer).status_code == 200
        ticket = client.post("/v1/stream/tickets", headers=bearer).json()["ticket"]
        with client.stream(
            "GET", "/v1/events", params={"ticket": ticket}, headers={"Accept": "text/event-stream"}
        ) as r:
            assert r.status_code == 200
            next(r.iter_lines())
        assert client.get("/boom", headers=bearer).status_code == 500

    async def sockets() -> None:
        url = f"ws://127.0.0.1:{port}/v1/stream"
        async with websockets.connect(f"{url}?token={token}") as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), WAIT_S)
        async with websockets.connect(url, additional_headers=bearer) as ws:
            await asyncio.sleep(0.2)  # accepted and served a moment

    asyncio.run(sockets())
    wait_for(lambda: any("WebSocket /v1/stream" in x for x in captured.lines), "the WS log")
    text = "\n".join(captured.lines)
    # the log did see all of it: access lines, the traced headers, the traceback
    assert "/v1/notices?token=[redacted]" in text
    assert "Bearer [redacted]" in text
    assert "Exception in ASGI application" in text and "cannot handle Bearer" in text
    assert "/v1/stream?token=[redacted]" in text
    assert _secret(token) not in text and _secret(ticket) not in text
    assert token[:11] in text  # the public prefix stays: it says whose


def test_no_token_in_the_log_of_deconfliction_serve(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/line.db"
    line = open_line(db)
    create_party(line, "blue", "Blue")
    token = create_member(line, "blue", Role.COORDINATOR)[1]
    line.store.close()
    port = _free_port()
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "deconfliction", "serve", "--db", db, "--port", str(port)],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "the server exited early"
                assert time.monotonic() < deadline, "the server did not start within 60 s"
                time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        bearer = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/v1/me", params={"token": token}).status_code == 401
        assert httpx.get(f"{base}/v1/me", headers=bearer).status_code == 200

        async def stream() -> None:
            async with websockets.connect(f"ws://127.0.0.1:{port}/v1/stream?token={token}") as ws:
                with pytest.raises(websockets.ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), WAIT_S)

        asyncio.run(stream())
        wait_for(lambda: '"route":"/v1/stream"' in Path(log.name).read_text(), "the WS log line")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    text = Path(log.name).read_text()
    assert _secret(token) not in text
    # nor the path as sent, nor the client's address: uvicorn's own WebSocket line is left out
    assert "?token=" not in text and '"WebSocket ' not in text
