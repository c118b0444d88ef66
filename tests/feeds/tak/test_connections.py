"""Connections are capped per address (and in all), counted with no await between the check and
the count, so parallel connects past the cap are refused; and TLS connections arriving together
are all served on the loop `serve` runs (uvloop), which loses none of their handshakes."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import replace

import uvloop

from deconfliction.config import LineConfig
from tests.feeds.tak.conftest import Door, Scene, until_stat
from tests.waiting import WAIT_S


async def _hold(door: Door, ctx: ssl.SSLContext, n: int, spread_s: float) -> list[str]:
    """``n`` TLS connections opened together (within ``spread_s``), each read until the server
    speaks or closes, held open until all are done: "served" or "refused" for each."""
    assert door.server.tls_port is not None
    port = door.server.tls_port
    ready = asyncio.Event()
    opened = []

    async def one(i: int) -> str:
        await asyncio.sleep(spread_s * i / n)
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
            opened.append(w)
            first = await asyncio.wait_for(r.read(1), WAIT_S)
        except (OSError, ssl.SSLError):
            return "refused"
        await ready.wait()
        return "served" if first else "refused"

    tasks = [asyncio.ensure_future(one(i)) for i in range(n)]
    while sum(t.done() for t in tasks) + len(opened) < n:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0)
    ready.set()
    out = await asyncio.gather(*tasks)
    for w in opened:
        w.transport.abort()  # the server is not waited on to close them
    await asyncio.sleep(0)
    return out


def test_connects_past_the_per_address_cap_are_refused(scene: Scene) -> None:
    tak = replace(scene.door.server.config, per_address=2, per_member=100)
    door = Door(scene.line, replace(LineConfig(db_url=scene.db), tak=tak))
    try:
        got = asyncio.run(_hold(door, scene.coalition.context(), 5, 0.0))
        assert sorted(got) == ["refused"] * 3 + ["served"] * 2
        until_stat(door, "refused: connections per address", 3)
        door.answers(scene.coalition)  # the slots were given back
    finally:
        door.close()


def test_tls_connections_arriving_together_are_all_served_on_uvloop(scene: Scene) -> None:
    tak = replace(scene.door.server.config, per_member=100, per_address=100)
    door = Door(scene.line, replace(LineConfig(db_url=scene.db), tak=tak), uvloop.new_event_loop())
    try:
        got = asyncio.run(_hold(door, scene.coalition.context(), 40, 1.0))
        assert got == ["served"] * 40
    finally:
        door.close()
