"""A line with a party for feeds, local sources the tests start on 127.0.0.1, and waiting for a
condition with a bound (never a fixed sleep)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from deconfliction import service
from deconfliction.domain import Track
from deconfliction.service import Line
from tests.conftest import MakeStore

T = TypeVar("T")
WAIT_S = 30.0
PARTY = "civil-aviation"


@pytest.fixture
def line(make_store: MakeStore) -> Line:
    line = Line(store=make_store("sqlite"))
    service.create_party(line, PARTY, "Civil aviation")
    return line


async def until(condition: Callable[[], T], what: str, within_s: float = WAIT_S) -> T:
    """``condition()`` once it is true; fail naming ``what`` after ``within_s``."""
    deadline = time.monotonic() + within_s
    while True:
        got = condition()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within_s:.0f} s: {what}")
        await asyncio.sleep(0.02)


def track(line: Line, uid: str) -> Track | None:
    with line.store.read() as tx:
        return tx.get_tracks(PARTY, [uid]).get(uid)


class LineServer:
    """A TCP server on 127.0.0.1 that sends each client what ``send`` is given; ``drop`` closes
    it and every connection (the receiver goes away), ``start`` brings it back on its port."""

    def __init__(self) -> None:
        self.port = 0
        self.clients: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.connected = asyncio.Event()

    async def _client(self, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.clients.append(writer)
        self.connected.set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def send(self, *lines: str | bytes) -> None:
        data = b"".join(x if isinstance(x, bytes) else x.encode() + b"\r\n" for x in lines)
        for w in self.clients:
            w.write(data)
            await w.drain()

    async def drop(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in self.clients:
            w.close()
        self.clients.clear()
        self.connected.clear()
        await self.server.wait_closed()
