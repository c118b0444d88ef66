"""The guards in front of the routes, on plain ASGI: a body that does not arrive in time is a
408, and heavy bodies take turns while light requests pass them by."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from deconfliction.api.limits import BodyLimit, HeavyWork
from deconfliction.api.rates import BODY_BYTES

Answer = tuple[int, dict[str, str], dict[str, Any]]


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    """Echo the body's size and what the guards recorded; a heavy body waits for ``release``."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if len(body) >= 1000:
        await scope["release"].wait()
    answer = orjson.dumps({"size": len(body), "recorded": scope["state"].get(BODY_BYTES)})
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": answer})


async def _call(
    app: Any, chunks: list[bytes], release: asyncio.Event, stall: bool = False
) -> Answer:
    """Send ``chunks`` as the body (and then nothing, for ever, if ``stall``)."""
    pending = list(chunks)

    async def receive() -> dict[str, Any]:
        if pending:
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending) or stall}
        await asyncio.Event().wait()  # a client that stopped sending
        raise AssertionError("unreachable")

    got: dict[str, Any] = {}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            got["status"] = message["status"]
            got["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            got["body"] = orjson.loads(message["body"])

    scope = {"type": "http", "method": "POST", "path": "/v1/x", "headers": [],
             "state": {}, "release": release}  # fmt: skip
    await app(scope, receive, send)
    return got["status"], got["headers"], got["body"]


def test_a_body_that_stops_arriving_is_refused_with_408() -> None:
    app = BodyLimit(_inner, max_bytes=10_000, timeout_s=0.2)

    async def run() -> Answer:
        return await _call(app, [b"x" * 10], asyncio.Event(), stall=True)

    status, headers, body = asyncio.run(run())
    assert status == 408 and headers["connection"] == "close"
    assert body["error"] == "request_timeout"
    assert "did not arrive within 0.2 s (10 bytes came)" in body["message"]


def test_a_whole_body_passes_with_its_size_recorded() -> None:
    app = BodyLimit(_inner, max_bytes=10_000, timeout_s=5.0)
    release = asyncio.Event()
    release.set()
    assert asyncio.run(_call(app, [b"ab", b"cde"], release))[2] == {"size": 5, "recorded": 5}


def test_heavy_bodies_take_turns_and_light_ones_pass_them() -> None:
    app = BodyLimit(HeavyWork(_inner, heavy_bytes=1000, at_once=1, wait_s=0.3), max_bytes=10**6)

    async def run() -> tuple[Answer, Answer, Answer, Answer]:
        release = asyncio.Event()
        first = asyncio.create_task(_call(app, [b"x" * 2000], release))
        await asyncio.sleep(0)  # the first takes the one turn
        while not first.done() and app.app._turns.value:  # type: ignore[attr-defined]
            await asyncio.sleep(0.01)
        light = await _call(app, [b"y" * 10], release)  # answers while the heavy one works
        waited = await _call(app, [b"z" * 2000], release)  # no turn within 0.3 s
        release.set()
        return await first, light, waited, await _call(app, [b"w" * 2000], release)

    first, light, waited, after = asyncio.run(run())
    assert light[0] == 200 and light[2]["size"] == 10
    assert waited[0] == 503 and waited[2]["error"] == "busy"
    assert int(waited[1]["retry-after"]) >= 1
    assert first[0] == 200 and first[2]["size"] == 2000
    assert after[0] == 200  # the turn is given back
