"""Feeds running inside serve's event loop against sources the test starts on 127.0.0.1: tracks
stored as the feed's member, a receiver that drops and comes back, bad input counted and skipped,
feeds added and removed while running."""

from __future__ import annotations

import asyncio
import socket

import orjson
import pytest
from pyais.encode import encode_dict

from deconfliction import service
from deconfliction.domain.feed import FeedKind
from deconfliction.feeds.sources import Supervisor, readers
from deconfliction.service import Line
from tests.feeds.sources.conftest import PARTY, LineServer, track, until

CALL = "MSG,1,1,1,4CA2D6,1,,,,,RYR4PL  ,,,,,,,,,,,0"
VEL = "MSG,4,1,1,4CA2D6,1,,,,,,,420,88.5,,,-640,,,,,0"


def pos(lat: float) -> str:
    return f"MSG,3,1,1,4CA2D6,1,,,,,,35000,,,{lat},-6.26,,,0,0,0,0"


def at_lat(line: Line, uid: str, lat: float) -> bool:
    t = track(line, uid)
    return t is not None and abs(t.lat - lat) < 1e-9


def test_sbs_feed_stores_tracks_skips_bad_lines_and_reconnects(line: Line) -> None:
    async def scenario() -> None:
        receiver = LineServer()
        await receiver.start()
        view = service.add_feed(line, PARTY, FeedKind.ADSB_SBS, f"127.0.0.1:{receiver.port}")
        feeds = Supervisor(line, poll_s=0.1, interval_s=0.1)
        watching = asyncio.create_task(feeds.run())
        try:
            await asyncio.wait_for(receiver.connected.wait(), 30)
            await receiver.send(CALL, "garbage", b"\xff\xfe\r\n", VEL, pos(53.35),
                                "MSG,3,1,1,4CA2D6,1,,,,,,9e9,,,53.35,-6.26,,,0,0,0,0")  # fmt: skip
            await until(lambda: at_lat(line, "icao:4CA2D6", 53.35), "the first position stored")
            stored = track(line, "icao:4CA2D6")
            assert stored is not None and stored.callsign == "RYR4PL"
            assert stored.alt_unc_m > 300  # a barometric altitude, widened
            stats = feeds.stats[view.feed.id]
            await until(lambda: stats.bad >= 3, "three bad lines counted")
            # the receiver goes away (half a line on the wire), then comes back on its port
            await receiver.send(b"MSG,3,1,1,4CA2")
            await receiver.drop()
            await until(lambda: stats.failures >= 1, "the feed noticing the receiver gone")
            await receiver.start()
            await asyncio.wait_for(receiver.connected.wait(), 30)
            await receiver.send(VEL, pos(53.36))
            await until(lambda: at_lat(line, "icao:4CA2D6", 53.36), "tracks resumed")
            assert stats.connects == 2 and stats.rejected == 0
            # removing the feed stops it: its member is revoked, its task ends
            service.remove_feed(line, view.feed.id)
            await until(lambda: not feeds._tasks, "the feed stopped")
        finally:
            watching.cancel()
            await feeds.stop()
            await receiver.drop()

    asyncio.run(scenario())


class JsonReceiver:
    """Serves aircraft.json over HTTP/1.1 on 127.0.0.1; while ``down`` it closes at once."""

    def __init__(self) -> None:
        self.doc: dict[str, object] = {"now": 0, "aircraft": []}
        self.down = False
        self.polls = 0

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            if self.down:
                return
            self.polls += 1
            body = orjson.dumps(self.doc)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(body), body))  # fmt: skip
            await writer.drain()
        finally:
            writer.close()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])


def aircraft(lat: float) -> dict[str, object]:
    return {"hex": "3c6444", "flight": "DLH4AB", "lat": lat, "lon": 8.5, "alt_baro": 12000,
            "alt_geom": 12400, "gs": 300, "track": 10, "geom_rate": 0, "seen_pos": 0.2}  # fmt: skip


def test_aircraft_json_is_polled_and_resumes_after_the_receiver_drops(line: Line) -> None:
    async def scenario() -> None:
        receiver = JsonReceiver()
        port = await receiver.start()
        url = f"http://127.0.0.1:{port}/data/aircraft.json"
        view = service.add_feed(line, PARTY, FeedKind.ADSB_JSON, url)
        feeds = Supervisor(line, poll_s=0.1, interval_s=0.1)
        watching = asyncio.create_task(feeds.run())
        try:
            receiver.doc = {"now": 0, "aircraft": [aircraft(50.0), {"hex": "bad"}]}
            await until(lambda: at_lat(line, "icao:3C6444", 50.0), "the aircraft stored")
            stored = track(line, "icao:3C6444")
            assert stored is not None and stored.alt_unc_m == 15.0  # geometric
            stats = feeds.stats[view.feed.id]
            receiver.down = True
            await until(lambda: stats.failures >= 1, "the feed noticing the receiver gone")
            receiver.doc = {"now": 0, "aircraft": [aircraft(50.01)]}
            receiver.down = False
            await until(lambda: at_lat(line, "icao:3C6444", 50.01), "tracks resumed")
            assert stats.bad >= 1
        finally:
            watching.cancel()
            await feeds.stop()
            receiver.server.close()

    asyncio.run(scenario())


def ais(fields: dict[str, object]) -> list[bytes]:
    return [s.encode() for s in encode_dict(fields, talker_id="AI", sentence_type="VDM")]


VESSEL = {"type": 1, "mmsi": 244670316, "lat": 51.9, "lon": 4.1, "speed": 12.3, "course": 87.0}
NAMED = {"type": 5, "mmsi": 244670316, "shipname": "NOORDERLICHT", "callsign": "PDAB"}


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ais_over_udp_single_and_multipart_sentences(line: Line) -> None:
    async def scenario() -> None:
        port = free_udp_port()
        view = service.add_feed(line, PARTY, FeedKind.AIS_UDP, f"127.0.0.1:{port}")
        feeds = Supervisor(line, poll_s=0.1, interval_s=0.1)
        watching = asyncio.create_task(feeds.run())
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

        def send_all() -> bool:
            # datagrams sent before the feed listens are lost: send until the name is seen
            for d in [b"garbage", *ais(NAMED), *ais(VESSEL)]:  # type 5 in two datagrams
                sender.sendto(d + b"\r\n", ("127.0.0.1", port))
            t = track(line, "mmsi:244670316")
            return t is not None and t.callsign == "NOORDERLICHT"

        try:
            await until(send_all, "the named vessel stored")
            t = track(line, "mmsi:244670316")
            assert t is not None and t.domain.value == "sea" and t.alt_m is None
            assert feeds.stats[view.feed.id].bad >= 1
        finally:
            sender.close()
            watching.cancel()
            await feeds.stop()

    asyncio.run(scenario())


def test_ais_over_tcp(line: Line) -> None:
    async def scenario() -> None:
        source = LineServer()
        await source.start()
        service.add_feed(line, PARTY, FeedKind.AIS_TCP, f"127.0.0.1:{source.port}")
        feeds = Supervisor(line, poll_s=0.1, interval_s=0.1)
        watching = asyncio.create_task(feeds.run())
        try:
            await asyncio.wait_for(source.connected.wait(), 30)
            await source.send(*(b + b"\r\n" for b in [*ais(NAMED), *ais(VESSEL)]))
            await until(lambda: track(line, "mmsi:244670316"), "the vessel stored")
        finally:
            watching.cancel()
            await feeds.stop()
            await source.drop()

    asyncio.run(scenario())


def test_a_udp_flood_past_the_bound_is_dropped_and_the_feed_goes_on(
    line: Line, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]  # the readers' second, frozen until the test moves it
    monkeypatch.setattr(readers, "_monotonic", lambda: clock[0])
    monkeypatch.setattr(readers, "MAX_DATAGRAMS_S", 20)

    async def scenario() -> None:
        port = free_udp_port()
        view = service.add_feed(line, PARTY, FeedKind.AIS_UDP, f"127.0.0.1:{port}")
        feeds = Supervisor(line, poll_s=0.1, interval_s=0.1)
        watching = asyncio.create_task(feeds.run())
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

        def flood() -> bool:  # until the feed listens (datagrams before that are lost)
            for _ in range(60):
                sender.sendto(b"garbage\r\n", ("127.0.0.1", port))
            stats = feeds.stats.get(view.feed.id)
            return stats is not None and stats.dropped > 0

        try:
            await until(flood, "datagrams past the bound dropped")
            stats = feeds.stats[view.feed.id]
            assert stats.bad <= 20  # no more than the bound was decoded this second
            await until(lambda: stats.bad >= 1, "the datagrams taken decoded")

            def send_vessel() -> bool:
                clock[0] += 1.0  # the next second: the feed takes datagrams again (the
                # flood still queued in the socket spends the first seconds' bound)
                for d in ais(VESSEL):
                    sender.sendto(d + b"\r\n", ("127.0.0.1", port))
                return track(line, "mmsi:244670316") is not None

            await until(send_vessel, "a vessel stored after the flood")
        finally:
            sender.close()
            watching.cancel()
            await feeds.stop()

    asyncio.run(scenario())
