"""Stream tickets: a browser opens a WebSocket or an EventSource with a one-use ticket in its URL,
never its token; and no token or ticket in a URL reaches the server's log."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
import websockets

from deconfliction.api.app import create_app
from deconfliction.service import Line
from tests.api.conftest import NOW, Api, Clock, make_api, notice, square
from tests.api.test_events import Server, live
from tests.conftest import MakeStore
from tests.waiting import WAIT_S

__all__ = ["live"]  # the fixture: a real server on a free port


def ticket(api: Api, who: str) -> dict[str, Any]:
    r = api.client.post("/v1/stream/tickets", headers=api.headers(who))
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    return dict(r.json())


def test_a_ticket_opens_one_websocket_once(live: tuple[Api, Server]) -> None:
    api, server = live
    api.post("blue", notice(square(40.0, 35.0), audience="all"))
    issued = ticket(api, "red")
    assert issued["ticket"].startswith("dlt_") and api.tokens["red"] not in issued["ticket"]
    url = f"ws://127.0.0.1:{server.port}/v1/stream?ticket={issued['ticket']}"

    async def twice() -> tuple[dict[str, Any], int | None]:
        async with websockets.connect(url) as ws:
            first = orjson.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
        async with websockets.connect(url) as ws:  # the same ticket again
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
            return first, ws.close_code

    first, refused = asyncio.run(twice())
    assert (first["seq"], first["kind"]) == (1, "notice.created")  # as red may see it
    assert refused == 4401


def test_a_ticket_opens_server_sent_events(live: tuple[Api, Server]) -> None:
    api, server = live
    api.post("blue", notice(square(40.0, 35.0), audience="all"))
    issued = ticket(api, "red")
    with httpx.Client(base_url=server.base, timeout=WAIT_S) as client:
        params = {"ticket": issued["ticket"]}
        headers = {"Accept": "text/event-stream"}
        with client.stream("GET", "/v1/events", params=params, headers=headers) as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            while not (line := next(lines)).startswith("data: "):
                pass
        assert orjson.loads(line.removeprefix("data: "))["kind"] == "notice.created"
        again = client.get("/v1/events", params=params)
    assert again.status_code == 401 and again.json()["pointer"] == "/query/ticket"


def test_a_ticket_expires_after_a_minute(make_store: MakeStore) -> None:
    clock = Clock()
    api = make_api(make_store("sqlite"), clock=clock)
    with api.client:
        issued = ticket(api, "blue")
        assert issued["expires_at"] == (NOW + timedelta(seconds=60)).isoformat().replace(
            "+00:00", "Z"
        )
        clock.advance(61)
        r = api.client.get("/v1/events", params={"ticket": issued["ticket"]})
        assert r.status_code == 401 and "expired" in r.json()["message"]
        assert api.client.post("/v1/stream/tickets").status_code == 401  # a token asks for one


def test_no_token_or_ticket_in_a_url_reaches_the_log(
    make_store: MakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    create_app(Line(store=make_store("sqlite")))  # puts the filter on the server's loggers
    with caplog.at_level(logging.INFO, logger="uvicorn.error"):
        # what uvicorn writes for every WebSocket it accepts
        logging.getLogger("uvicorn.error").info(
            '%s - "WebSocket %s" [accepted]',
            "127.0.0.1:50000",
            "/v1/stream?token=dl_SECRET-1&after=3&ticket=dlt_SECRET-2",
        )
    [record] = caplog.records
    text = record.getMessage()
    assert "SECRET" not in text
    assert "/v1/stream?token=[redacted]&after=3&ticket=[redacted]" in text
