"""A real TAK client (pytak) joins over TLS with the certificate from `member tak-package`, sends
positions, sees another party's track and a conflict alert, and answers a thread in GeoChat."""

from __future__ import annotations

import asyncio
import configparser
import contextlib
import re
import ssl
import warnings
from typing import Any

from deconfliction import service
from tests.feeds.tak.conftest import Joined, Scene, event, until_stat
from tests.waiting import WAIT_S, wait_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pytak warns that its optional aiohttp is absent
    import pytak


async def _pytak(joined: Joined, port: int) -> tuple[Any, Any]:
    config = configparser.ConfigParser()
    config["tak"] = {
        "COT_URL": f"tls://127.0.0.1:{port}",
        "PYTAK_TLS_CLIENT_CERT": str(joined.p12),
        "PYTAK_TLS_CLIENT_PASSWORD": joined.password,
        "PYTAK_TLS_CLIENT_CAFILE": str(joined.ca),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return await pytak.protocol_factory(config["tak"])  # type: ignore[no-any-return]


async def _event_of(reader: Any, seen: bytearray, needle: bytes) -> bytes:
    """The whole event (read on until its end) whose text holds ``needle``."""
    await _until(reader, seen, needle)
    start = seen.rfind(b"<event", 0, seen.find(needle))
    await _until(reader, seen, b"</event>", start)
    return bytes(seen[start : seen.find(b"</event>", start) + len(b"</event>")])


async def _until(reader: Any, seen: bytearray, needle: bytes, start: int = 0) -> None:
    async def read() -> None:
        while seen.find(needle, start) < 0:
            chunk = await reader.read(65536)
            assert chunk, f"closed before {needle!r} came"
            seen.extend(chunk)

    await asyncio.wait_for(read(), WAIT_S)


def test_a_tak_client_joins_sees_others_and_answers_in_geochat(scene: Scene) -> None:
    port = scene.door.server.tls_port
    assert port is not None
    assert "127.0.0.1:8089:ssl" in scene.coalition.pref

    async def run() -> None:
        reader, writer = await _pytak(scene.coalition, port)
        seen = bytearray()
        # my position, then another party's asset 2 km away at the same height
        writer.write(event("alpha-1", "a-f-A-M-F-Q", 48.0, 11.0, hae=1000.0))
        await writer.drain()
        await asyncio.to_thread(until_stat, scene.door, "positions stored")
        ngo = service.current_members(scene.line, [scene.ngo.member])[scene.ngo.member]
        report = {
            "uid": "ngo-heli", "domain": "air", "lat": 48.01, "lon": 11.0, "alt_m": 1000.0,
            "gs_mps": 50.0, "trk_deg": 180.0, "vs_mps": 0.0, "callsign": "RESCUE1",
            "time": service_time(scene), "audience": "all",
        }  # fmt: skip
        assert service.report_tracks(scene.line, ngo, [report]).accepted == 1
        await _until(reader, seen, b"RESCUE1")  # the other party's track
        await asyncio.to_thread(service.scan, scene.line)
        await _until(reader, seen, b"conflict")  # its alert, pinned where the two tracks are
        alert = await _event_of(reader, seen, b'uid="dl-conflict.')
        lat, lon = (float(re.search(rb'%s="([-0-9.]+)"' % k, alert)[1]) for k in (b"lat", b"lon"))  # type: ignore[index]
        assert 47.9 < lat < 48.1 and 10.9 < lon < 11.1, alert

        thread = service.open_thread(scene.line, ngo, ["coalition"], "keep clear of the valley")
        await _until(reader, seen, thread.id.encode())
        chat = (
            f'<__chat chatroom="{thread.id}" id="{thread.id}" senderCallsign="alpha" '
            f'messageId="m-1"><chatgrp uid0="alpha-1" id="{thread.id}"/></__chat>'
            "<remarks>wilco, leaving the valley</remarks>"
        )
        writer.write(event(f"GeoChat.alpha-1.{thread.id}.m-1", "b-t-f", 48.0, 11.0, chat))
        await writer.drain()

        def posted() -> bool:
            view = service.get_thread(scene.line, ngo, thread.id)
            return any(m.text == "wilco, leaving the valley" for m in view.messages)

        await asyncio.to_thread(wait_for, posted, "the GeoChat reply on the thread")
        # TLS closes in a round trip with the door's thread: waited on here, or a loaded
        # machine ends this loop first and leaves the socket to the garbage collector. The
        # door may still be pushing when our close_notify reaches it; the socket closes either way.
        writer.close()
        with contextlib.suppress(ssl.SSLError, ConnectionError):
            await asyncio.wait_for(writer.wait_closed(), WAIT_S)

    asyncio.run(run())
    tracks = service.list_tracks(
        scene.line,
        service.current_members(scene.line, [scene.coalition.member])[scene.coalition.member],
        service.TrackFilter(),
    )
    assert [t.uid for t in tracks.items if t.party == "coalition"] == ["alpha-1"]


def service_time(scene: Scene) -> str:
    return scene.line.clock().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_the_gateway_port_reports_as_its_member(scene: Scene) -> None:
    with scene.door.raw() as s:
        s.sendall(event("relay-7", "a-n-G-U-C", 10.0, 20.0))
        until_stat(scene.door, "positions stored")
    tracks = service.list_tracks(scene.line, scene.gateway, service.TrackFilter())
    assert [(t.party, t.uid) for t in tracks.items] == [("ngo", "relay-7")]


def test_a_revoked_members_connection_closes_at_once(scene: Scene) -> None:
    with scene.door.raw(scene.coalition) as s:
        s.sendall(b" ")  # nothing yet; the connection is open
        scene.door.answers(scene.coalition)
        service.revoke_member(scene.line, scene.coalition.member)
        s.settimeout(WAIT_S)
        while s.recv(65536):
            pass  # what was queued, then the close
    until_stat(scene.door, "closed: member")
    # and it may not come back
    with scene.door.raw(scene.coalition) as again:
        again.settimeout(WAIT_S)
        try:
            assert again.recv(65536) == b""
        except (ConnectionResetError, OSError):
            pass
    scene.door.answers(scene.ngo)
