"""A feed's batches fit what the line accepts: 12,000 aircraft are stored, in batches of at most
``MAX_REPORTS``; a batch the line refuses as too large is split, one refused as invalid is
dropped and counted, and only one that failed for a passing cause is sent again."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson

from deconfliction import service
from deconfliction.domain.feed import FeedKind
from deconfliction.domain.limits import MAX_REPORTS
from deconfliction.feeds.sources import Supervisor
from deconfliction.feeds.sources.batch import Batcher, Stats
from deconfliction.feeds.sources.remote import http_sink
from deconfliction.service import Line
from tests.feeds.sources.conftest import PARTY
from tests.feeds.sources.test_running import JsonReceiver
from tests.waiting import wait_for

N = 12_000


def fleet(n: int = N) -> list[dict[str, object]]:
    """n aircraft on a grid over Europe, each with its own ICAO address."""
    return [{"hex": f"{0x400000 + k:06x}", "lat": 40.0 + (k // 200) * 0.1,
             "lon": (k % 200) * 0.1, "alt_geom": 30000, "gs": 400, "track": 90,
             "geom_rate": 0, "seen_pos": 0.5} for k in range(n)]  # fmt: skip


def stored(line: Line) -> int:
    with line.store.read() as tx:
        return len(tx.get_tracks(PARTY, [f"icao:{0x400000 + k:06X}" for k in range(N)]))


def test_a_receiver_hearing_12000_aircraft_has_them_all_stored(line: Line) -> None:
    async def scenario() -> None:
        receiver = JsonReceiver()
        receiver.doc = {"now": 0, "aircraft": fleet()}
        port = await receiver.start()
        url = f"http://127.0.0.1:{port}/data/aircraft.json"
        view = service.add_feed(line, PARTY, FeedKind.ADSB_JSON, url)
        feeds = Supervisor(line, poll_s=0.1, interval_s=0.1)
        watching = asyncio.create_task(feeds.run())
        try:
            # polled off the loop: a read of 12,000 tracks on it holds up the feed sharing it
            await asyncio.to_thread(
                wait_for, lambda: stored(line) == N, "all 12,000 aircraft stored", 120
            )
            stats = feeds.stats[view.feed.id]
            assert stats.rejected == 0 and stats.failures == 0, stats.last_error
        finally:
            watching.cancel()
            await feeds.stop()
            receiver.server.close()

    asyncio.run(scenario())


class RemoteLine:
    """``POST /v1/tracks`` as a remote line answers it: 413 above ``limit`` reports, else 200
    (or what ``answer`` says); every batch it was sent, in order."""

    def __init__(self, limit: int = MAX_REPORTS, answer: int = 200) -> None:
        self.limit, self.answer = limit, answer
        self.batches: list[list[dict[str, Any]]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        batch = orjson.loads(request.content)
        self.batches.append(batch)
        if len(batch) > self.limit:
            return httpx.Response(413, json={"message": f"send at most {self.limit}"})
        if self.answer == 422:
            return httpx.Response(422, json={"pointer": "", "message": "not a batch"})
        if self.answer != 200:
            return httpx.Response(self.answer, json={"message": "busy"})
        return httpx.Response(200, json={"accepted": len(batch), "ignored": 0})


def reports(n: int) -> list[dict[str, Any]]:
    return [{"uid": f"icao:{k:06X}"} for k in range(n)]


async def send_all(
    remote: RemoteLine, n: int, max_reports: int = 2000
) -> tuple[Stats, int, Exception | None]:
    """Puts n reports into a batcher posting to ``remote`` and flushes it once: its counts, how
    many reports it holds to send again, and the error the flush raised."""
    transport = httpx.MockTransport(remote.handle)
    async with httpx.AsyncClient(transport=transport, base_url="http://line") as http:
        stats = Stats()
        batcher = Batcher(http_sink(http), stats, max_reports=max_reports)
        for r in reports(n):
            batcher.put(r)
        try:
            await batcher.flush()
        except Exception as e:
            return stats, len(batcher._held), e
    return stats, len(batcher._held), None


def test_a_feed_run_remotely_sends_12000_aircraft_in_batches_the_line_takes() -> None:
    remote = RemoteLine()
    stats, held, error = asyncio.run(send_all(remote, N, max_reports=50_000))
    assert [len(b) for b in remote.batches] == [MAX_REPORTS, N - MAX_REPORTS]
    assert (stats.accepted, stats.rejected, held, error) == (N, 0, 0, None)


def test_a_batch_refused_as_too_large_is_split_not_held() -> None:
    remote = RemoteLine(limit=3000)  # a line with a smaller limit than this one's
    stats, held, error = asyncio.run(send_all(remote, 5000, max_reports=5000))
    assert [len(b) for b in remote.batches] == [5000, 2500, 2500]
    assert (stats.accepted, stats.rejected, held, error) == (5000, 0, 0, None)


def test_a_batch_refused_as_invalid_is_dropped_and_counted_not_held() -> None:
    remote = RemoteLine(answer=422)
    stats, held, error = asyncio.run(send_all(remote, 10))
    assert (stats.accepted, stats.rejected, held, error) == (0, 10, 0, None)
    assert len(remote.batches) == 1


def test_a_batch_that_failed_for_a_passing_cause_is_held_to_be_sent_again() -> None:
    remote = RemoteLine(answer=503)
    stats, held, error = asyncio.run(send_all(remote, 4500))
    assert isinstance(error, RuntimeError) and "503" in str(error)
    assert [len(b) for b in remote.batches] == [2000]
    assert (stats.accepted, held) == (0, 4500)  # the failed batch and the two not yet sent
