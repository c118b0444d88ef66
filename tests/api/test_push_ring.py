"""The push's fan-out (``api/fanout.py``): every party's views of the log from one read, exactly
as each party reads them itself; a stream that resumes before the ring, inside it, or falls
behind it gets every event it is due once, in order; a WebSocket written by the fan-out itself
gets the same, and still closes at once on a revocation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import websockets
from fastapi.testclient import TestClient

from deconfliction import service
from deconfliction.api import fanout
from deconfliction.api.app import create_app
from deconfliction.api.fanout import FanOut, Item
from deconfliction.api.stream import SharedReads, _follow
from deconfliction.domain import EventKind, Member
from deconfliction.service import Line, Subscription
from deconfliction.store import open_store
from tests.api.conftest import Api, make_api, notice, square
from tests.api.test_events import Server
from tests.conftest import MakeStore
from tests.waiting import WAIT_S


def _member(api: Api, who: str) -> Member:
    with api.line.store.read() as tx:
        member = tx.member_for_token(service.hash_token(api.tokens[who]))
    assert member is not None
    return member


def _busy(api: Api, n: int, start: float = 40.0) -> None:
    """``n`` notices: shared with everyone, with red, or with nobody, some in conflict."""
    for i in range(n):
        who = ("blue", "aid", "red")[i % 3]
        audience: Any = ("all", ["red"], [])[i % 3]
        r = api.post(who, notice(square(start + 0.03 * (i % 4), 35.0), audience=audience))
        assert r.status_code == 201, r.text


def _due(api: Api, who: str, after: int = 0, kinds: list[EventKind] | None = None) -> list[int]:
    """What the party reads itself (as ``GET /v1/events``), as sequence numbers."""
    with api.line.store.read() as tx:
        got = service.received(tx, _member(api, who), after, 10_000, kinds, labels=api.line.labels)
    return [e["seq"] for e in got.events]


def _quiet(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """No receipts: the log holds only what the test made (its expectations stay fixed)."""
    monkeypatch.setattr(api.line.deliveries, "delivered", lambda *_: None)
    monkeypatch.setattr(api.line.deliveries, "delivered_messages", lambda *_: None)


def test_one_read_gives_every_party_exactly_its_own_view(api: Api) -> None:
    api.post("blue", notice(square(40.0, 35.0), audience=[]))  # red is told of it, redacted
    _busy(api, 9)
    parties = ["blue", "red", "aid", "host"]
    with api.line.store.read() as tx:
        views = service.views_after(tx, 0, parties, labels=api.line.labels)
        mine: dict[str, list[dict[str, Any]]] = {p: [] for p in parties}
        for e in views.events:
            for receivers, view in e.views:
                for p in receivers:
                    mine[p].append(view)
        for who, party in (("blue", "blue"), ("red", "red"), ("aid", "aid"), ("admin", "host")):
            own = service.received(tx, _member(api, who), 0, labels=api.line.labels)
            assert mine[party] == own.events
    assert any(len(receivers) > 1 for e in views.events for receivers, _ in e.views)
    assert any(e["conflict"]["redacted"] for e in mine["red"] if "conflict" in e)


async def _no() -> bool:
    return False


async def _fine() -> str | None:
    return None


async def _take(
    gen: AsyncIterator[list[Item] | None], until: int, written: list[int] | None = None
) -> list[int]:
    """Sequence numbers the stream yields (and the fan-out wrote) until it passes ``until``."""
    got: list[int] = []
    while max(got + (written or []), default=0) < until:
        batch = await asyncio.wait_for(anext(gen), WAIT_S)
        got.extend(i.seq for i in batch or ())
    return got


class _Reads(SharedReads):
    """Counts the stream's reads of the log."""

    def __init__(self, api: Api) -> None:
        super().__init__(api.line)
        self.count = 0

    async def read(self, caller: Member, after: int) -> Any:
        self.count += 1
        return await super().read(caller, after)


async def _settled(fan: FanOut, api: Api) -> None:
    """Until the fan-out has read the whole log."""
    end = service.last_event_seq(api.line)
    for _ in range(int(WAIT_S / 0.01)):
        if fan.last >= end:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the fan-out read to {fan.last}, not {end}")


def test_streams_before_inside_and_behind_the_ring_get_each_event_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _quiet(api, monkeypatch)
    red = _member(api, "red")
    _busy(api, 6)

    async def scenario() -> None:
        fan = FanOut(api.line, size=2, settle_s=0.0)
        reads = _Reads(api)
        everything = Subscription()

        def follow(after: int) -> AsyncIterator[list[Item] | None]:
            return _follow(fan, reads, red, after, everything, _no, _fine)

        keeper = follow(service.last_event_seq(api.line))  # red listens from now on
        await fan.start()
        try:
            first = asyncio.ensure_future(anext(keeper))
            await asyncio.sleep(0)
            await asyncio.to_thread(_busy, api, 9, 50.0)
            await _settled(fan, api)
            assert fan.floor("red") > 6  # the ring holds only the latest of red's views
            await first
            due = _due(api, "red")

            # resumed from before the ring: the log first, then the ring, nothing twice
            assert await _take(follow(0), due[-1]) == due
            assert reads.count >= 1

            # resumed inside the ring: from the ring only
            reads.count = 0
            inside = fan.floor("red")
            assert await _take(follow(inside), due[-1]) == _due(api, "red", inside)
            assert reads.count == 0

            # a stream that stops taking while the ring moves past it: caught up from the log
            end = due[-1]
            slow = follow(end)
            waiting = asyncio.ensure_future(anext(slow))
            await asyncio.sleep(0)
            await asyncio.to_thread(_busy, api, 1, 60.0)
            got = [i.seq for i in await asyncio.wait_for(waiting, WAIT_S) or ()]
            while not got:  # (a keep-alive first: its wait ended)
                got = [i.seq for i in await asyncio.wait_for(anext(slow), WAIT_S) or ()]
            # it took one batch, and takes no more for now
            await asyncio.to_thread(_busy, api, 9, 70.0)
            await _settled(fan, api)
            assert fan.floor("red") > got[-1]
            reads.count = 0
            later = _due(api, "red", end)
            got += await _take(slow, later[-1])
            assert got == later
            assert reads.count >= 1
        finally:
            await fan.stop()

    asyncio.run(scenario())


class _FakeDirect:
    """A connection that takes frames until told it is full."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.full = False

    @property
    def open(self) -> bool:
        return True

    def ready(self) -> bool:
        return not self.full

    def write(self, data: bytes) -> None:
        # unmasked text frames, as a client reads them
        while data:
            n, skip = data[1] & 0x7F, 2
            if n == 126:
                n, skip = int.from_bytes(data[2:4]), 4
            elif n == 127:
                n, skip = int.from_bytes(data[2:10]), 10
            self.frames.append(orjson.loads(data[skip : skip + n]))
            data = data[skip + n :]

    async def drain(self) -> None:
        return None


def test_a_pushed_stream_that_cannot_keep_up_carries_on_from_where_it_was(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _quiet(api, monkeypatch)
    red = _member(api, "red")
    _busy(api, 3)

    async def scenario() -> None:
        fan = FanOut(api.line, size=2, settle_s=0.0)
        direct = _FakeDirect()
        gen = _follow(
            fan,
            SharedReads(api.line),
            red,
            0,
            Subscription(),
            _no,
            _fine,
            direct,  # type: ignore[arg-type]
        )
        await fan.start()
        try:
            got = await _take(gen, max(_due(api, "red")))
            pending = asyncio.ensure_future(anext(gen))  # now written by the fan-out
            await asyncio.to_thread(_busy, api, 3, 50.0)
            await _settled(fan, api)
            for _ in range(int(WAIT_S / 0.01)):
                if direct.frames:
                    break
                await asyncio.sleep(0.01)
            assert direct.frames, "the fan-out wrote to the caught-up stream itself"
            direct.full = True
            await asyncio.to_thread(_busy, api, 9, 60.0)
            await _settled(fan, api)
            written = [f["seq"] for f in direct.frames]
            batch = await asyncio.wait_for(pending, WAIT_S)
            got += [i.seq for i in batch or ()]
            direct.full = False
            got += await _take(gen, max(_due(api, "red")), written)
            assert sorted(got + written) == _due(api, "red")
        finally:
            await fan.stop()

    asyncio.run(scenario())


def test_a_stream_pushed_while_a_read_passed_its_party_over_reads_what_that_read_skipped(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _quiet(api, monkeypatch)
    red = _member(api, "red")

    async def scenario() -> None:
        fan = FanOut(api.line, settle_s=0.0)
        await fan.start()
        try:
            with fan.listening("red"):
                at = fan.last
                pushed = fanout.Pushed(
                    red,
                    Subscription(),
                    _FakeDirect(),
                    at,
                    api.line.signal.members,  # type: ignore[arg-type]
                )
                assert fan.push(pushed)
                # a read begun before red listened ends, the log moved on by five events: they
                # are in no ring of red's, so its stream must read them from the log
                fan._append(at + 5, ["blue"], {})
                assert pushed.done.done() and pushed.position == at
                assert fan.floor("red") == at + 5
        finally:
            await fan.stop()

    asyncio.run(scenario())


def test_a_stream_that_checked_its_token_before_a_revocation_is_not_pushed(api: Api) -> None:
    red = _member(api, "red")

    async def scenario() -> None:
        fan = FanOut(api.line, settle_s=0.0)
        await fan.start()
        try:
            with fan.listening("red"):
                checked = api.line.signal.members
                api.line.signal.recheck_members()  # a token revoked on this node meanwhile
                for _ in range(int(WAIT_S / 0.01)):
                    if fan._members == api.line.signal.members:
                        break
                    await asyncio.sleep(0.01)
                stale = fanout.Pushed(red, Subscription(), _FakeDirect(), fan.last, checked)  # type: ignore[arg-type]
                assert not fan.push(stale), "it must check its token again first"
                fresh = fanout.Pushed(
                    red,
                    Subscription(),
                    _FakeDirect(),
                    fan.last,
                    api.line.signal.members,  # type: ignore[arg-type]
                )
                assert fan.push(fresh)
                fan.unpush(fresh)
        finally:
            await fan.stop()

    asyncio.run(scenario())


@pytest.fixture
def live(make_store: MakeStore) -> Any:
    made = make_api(make_store("sqlite"))
    with Server(made) as server:
        yield made, server


def test_uncompressed_websockets_get_prepared_frames_once_and_close_on_revocation(
    live: tuple[Api, Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, server = live
    monkeypatch.setattr("deconfliction.api.stream.WAIT_S", 60.0)  # only the revocation wakes
    writes: list[int] = []
    real = fanout.Direct.write

    def counted(self: fanout.Direct, data: bytes) -> None:
        writes.append(len(data))
        real(self, data)

    monkeypatch.setattr(fanout.Direct, "write", counted)
    url = f"ws://127.0.0.1:{server.port}/v1/stream"

    async def scenario() -> tuple[list[int], list[int], int | None]:
        red = {"Authorization": f"Bearer {api.tokens['red']}"}
        async with (
            websockets.connect(
                url + "?kinds=notice.created,conflict.opened",
                additional_headers=red,
                compression=None,
            ) as every,
            websockets.connect(
                url + "?kinds=conflict.opened", additional_headers=red, compression=None
            ) as conflicts,
        ):
            await asyncio.to_thread(_busy, api, 9)
            due = _due(api, "red", 0, [EventKind.NOTICE_CREATED, EventKind.CONFLICT_OPENED])
            got_all = [
                orjson.loads(await asyncio.wait_for(every.recv(), WAIT_S))["seq"] for _ in due
            ]
            opened = _due(api, "red", 0, [EventKind.CONFLICT_OPENED])
            got_conflicts = [
                orjson.loads(await asyncio.wait_for(conflicts.recv(), WAIT_S))["seq"]
                for _ in opened
            ]
            assert got_all == due and got_conflicts == opened
            await asyncio.to_thread(service.revoke_member, api.line, _member(api, "red").id)
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(every.recv(), WAIT_S)
            return got_all, got_conflicts, every.close_code

    _, _, code = asyncio.run(scenario())
    assert code == 4401
    assert writes, "the streams' frames went straight to the connection"


def test_a_write_by_another_process_arrives_when_the_signal_is_told(
    live: tuple[Api, Server],
) -> None:
    """What a bridge between nodes does (``EventSignal.notify``) wakes the fan-out: the write of
    another process arrives without waiting for the fan-out's own re-read."""
    api, server = live
    server.server.config.app.state.fan_out.reread_s = 60.0  # longer than the wait below
    elsewhere = Line(store=open_store(api.line.store.url), clock=api.line.clock)
    other = TestClient(create_app(elsewhere))
    url = f"ws://127.0.0.1:{server.port}/v1/stream"

    async def scenario() -> dict[str, Any]:
        red = {"Authorization": f"Bearer {api.tokens['red']}"}
        async with websockets.connect(url, additional_headers=red, compression=None) as ws:
            r = await asyncio.to_thread(
                other.post,
                "/v1/notices",
                json=notice(square(40.0, 35.0), audience=["red"]),
                headers=api.headers("blue"),
            )
            assert r.status_code == 201, r.text
            api.line.signal.notify(service.last_event_seq(api.line))  # as the bridge would
            return dict(orjson.loads(await asyncio.wait_for(ws.recv(), WAIT_S)))

    try:
        got = asyncio.run(scenario())
    finally:
        other.close()
        elsewhere.store.close()
    assert got["kind"] == "notice.created" and got["party"] == "blue"
