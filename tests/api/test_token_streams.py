"""A token that stops working stops its streams: an open WebSocket closes with 4401 and a
reason, an SSE stream ends, at once on a revocation or rotation and within a wait on expiry; a
stream ticket of a revoked member opens nothing; and a token in a URL is refused, never used."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import websockets

from deconfliction import service
from deconfliction.api.guard import CHECK_S
from deconfliction.api.stream import WAIT_S as STREAM_WAIT_S
from deconfliction.service import Line
from deconfliction.store import open_store
from tests.api.conftest import Api, Clock, make_api, notice, square
from tests.api.test_events import Server
from tests.conftest import MakeStore
from tests.waiting import WAIT_S

BOUND_S = CHECK_S + STREAM_WAIT_S
"""How long a stream may outlive its token: a revocation in this process wakes it at once; one
made elsewhere is read within CHECK_S, and expiry seen, at its next wake, within one wait."""


@pytest.fixture
def clocked_live(make_store: MakeStore) -> Iterator[tuple[Api, Server, Clock]]:
    """A real server on a line whose clock the test moves, with one notice every party reads."""
    clock = Clock()
    made = make_api(make_store("sqlite"), clock=clock)
    made.post("blue", notice(square(40.0, 35.0), audience="all"))
    with Server(made) as server:
        yield made, server, clock


def _member_id(api: Api, who: str) -> str:
    with api.line.store.read() as tx:
        member = tx.member_for_token(service.hash_token(api.tokens[who]))
    assert member is not None
    return member.id


async def _ws_until_closed(
    server: Server, headers: dict[str, str], then: object, query: str = ""
) -> tuple[int | None, str]:
    """Open a stream, read its first event (so it is past its first check and waiting), call
    ``then`` (in a thread), and read until the server closes it; the close code and reason."""
    url = f"ws://127.0.0.1:{server.port}/v1/stream{query}"
    async with websockets.connect(url, additional_headers=headers) as ws:
        assert callable(then)
        await asyncio.wait_for(ws.recv(), WAIT_S)
        await asyncio.to_thread(then)
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), BOUND_S + 5)
        return ws.close_code, ws.close_reason


@pytest.mark.parametrize("how", ["revoke", "rotate"])
def test_a_websocket_closes_when_its_token_is_revoked_or_rotated(
    clocked_live: tuple[Api, Server, Clock], how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, server, _ = clocked_live
    # streams would wake and re-check only after a minute: the revocation's own wake-up is
    # what must close this one within the bound
    monkeypatch.setattr("deconfliction.api.stream.WAIT_S", 60.0)
    monkeypatch.setattr("deconfliction.api.guard.CHECK_S", 60.0)
    member = _member_id(api, "red")

    def stop() -> None:
        if how == "revoke":
            service.revoke_member(api.line, member)
        else:
            service.rotate_token(api.line, member)

    code, reason = asyncio.run(_ws_until_closed(server, api.headers("red"), stop))
    assert code == 4401
    assert ("revoked" if how == "revoke" else "rotated") in reason


def test_a_revocation_by_another_process_closes_the_stream_too(
    clocked_live: tuple[Api, Server, Clock],
) -> None:
    api, server, clock = clocked_live
    member = _member_id(api, "red")
    # the CLI's line: the same database, but not the server's process (nor its wake-ups)
    elsewhere = Line(store=open_store(api.line.store.url), clock=clock)

    def revoke() -> None:
        service.revoke_member(elsewhere, member)

    try:
        code, reason = asyncio.run(_ws_until_closed(server, api.headers("red"), revoke))
    finally:
        elsewhere.store.close()
    assert code == 4401 and "revoked" in reason


def test_a_websocket_closes_when_its_token_expires(
    clocked_live: tuple[Api, Server, Clock],
) -> None:
    api, server, clock = clocked_live

    def expire() -> None:
        clock.advance(91 * 24 * 3600)

    code, reason = asyncio.run(_ws_until_closed(server, api.headers("red"), expire))
    assert code == 4401 and "expired" in reason


def test_an_sse_stream_ends_when_its_token_is_revoked(
    clocked_live: tuple[Api, Server, Clock],
) -> None:
    api, server, _ = clocked_live
    headers = {**api.headers("red"), "Accept": "text/event-stream"}
    seen: list[str] = []
    with httpx.Client(base_url=server.base, timeout=BOUND_S + 5) as client:
        with client.stream("GET", "/v1/events", headers=headers) as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            seen.append(next(lines))  # the stream is open
            service.revoke_member(api.line, _member_id(api, "red"))
            seen += list(lines)  # ends: the server closes the response
    assert any(s.startswith(": closed: this token was revoked") for s in seen), seen


def test_a_ticket_of_a_revoked_member_opens_nothing(
    clocked_live: tuple[Api, Server, Clock],
) -> None:
    api, server, _ = clocked_live
    tickets = [
        api.client.post("/v1/stream/tickets", headers=api.headers("red")).json()["ticket"]
        for _ in range(2)
    ]
    service.revoke_member(api.line, _member_id(api, "red"))
    r = httpx.get(f"{server.base}/v1/events", params={"ticket": tickets[0]}, timeout=WAIT_S)
    assert r.status_code == 401 and r.json()["pointer"] == "/query/ticket"

    async def attempt() -> int | None:
        url = f"ws://127.0.0.1:{server.port}/v1/stream?ticket={tickets[1]}"
        async with websockets.connect(url) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), WAIT_S)
            return ws.close_code

    assert asyncio.run(attempt()) == 4401
    asked = api.client.post("/v1/stream/tickets", headers=api.headers("red"))
    assert asked.status_code == 401  # nor is a new one issued


def test_a_ticket_of_an_expired_member_opens_nothing(
    clocked_live: tuple[Api, Server, Clock],
) -> None:
    api, _, clock = clocked_live
    # a ticket issued 30 s before its token expires outlives it: the token's expiry wins
    clock.advance(90 * 24 * 3600 - 30)
    ticket = api.client.post("/v1/stream/tickets", headers=api.headers("red")).json()["ticket"]
    clock.advance(31)
    r = api.client.get("/v1/events", params={"ticket": ticket})
    assert r.status_code == 401 and r.json()["pointer"] == "/query/ticket"
    assert "expired at" in r.json()["message"]


def test_a_token_in_a_url_is_refused_and_never_used(
    clocked_live: tuple[Api, Server, Clock],
) -> None:
    api, server, _ = clocked_live
    token = api.tokens["red"]
    for path in ("/v1/events", "/v1/notices", "/v1/me"):
        r = httpx.get(f"{server.base}{path}", params={"token": token}, timeout=WAIT_S)
        assert r.status_code == 401 and r.json()["pointer"] == "/query/token", path
        assert "Authorization" in r.json()["message"]

    async def attempt() -> tuple[int | None, str]:
        url = f"ws://127.0.0.1:{server.port}/v1/stream?token={token}"
        async with websockets.connect(url) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), WAIT_S)
            return ws.close_code, ws.close_reason

    code, reason = asyncio.run(attempt())
    assert code == 4401 and "token in a URL is refused" in reason
    with api.line.store.read() as tx:  # and it was never looked up: no use recorded
        [red] = tx.list_members("red")
    assert red.last_used_at is None
