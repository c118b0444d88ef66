"""Large notices reach TAK clients whole: a drawing of thousands of vertices goes out as XML and
as TAK Protocol v1, and neither its size nor one event that fails costs a party its connections."""

from __future__ import annotations

import math
import socket
from datetime import timedelta
from typing import Any

import pytest
from takproto.proto import TakMessage

from deconfliction import service
from deconfliction.api.convert import draft_from
from deconfliction.api.schemas import NoticeIn
from deconfliction.feeds.tak import session
from deconfliction.feeds.tak.session import MAX_QUEUED
from deconfliction.wire import cot
from tests.feeds.tak.conftest import Scene, event, ping, stat, until_stat
from tests.waiting import WAIT_S

NEGOTIATE = event(
    "neg-1", "t-x-takp-q", 0.0, 0.0, '<TakControl><TakRequest version="1"/></TakControl>'
)


def share(scene: Scene, member_id: str, vertices: int, lat: float = 10.0) -> str:
    """A notice of ``member_id``'s party shared with all: a ring of ``vertices`` points."""
    member = service.current_members(scene.line, [member_id])[member_id]
    now = scene.line.clock()
    z = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    ring = [
        [
            20.0 + 0.5 * math.cos(2 * math.pi * i / vertices),
            lat + 0.5 * math.sin(2 * math.pi * i / vertices),
        ]
        for i in range(vertices)
    ]
    body: dict[str, Any] = {
        "kind": "operation",
        "title": f"big {vertices}",
        "audience": "all",
        "volumes": [
            {
                "footprint": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                "time": {"start": z(now), "end": z(now + timedelta(hours=2))},
            }
        ],
    }
    made = service.create_notice(
        scene.line, member, lambda: draft_from(NoticeIn.model_validate(body))
    )
    return made.notice.id


class Client:
    """A raw TAK client that reads XML, or TAK Protocol v1 once it has negotiated it."""

    def __init__(self, s: socket.socket, protobuf: bool = False) -> None:
        self.s = s
        self.s.settimeout(WAIT_S)
        self.received = 0
        self.events: list[str] = []
        """Each whole event it was sent, as XML text (a protobuf one: uid, type, detail)."""
        self.protobuf = False
        self._xml = b""
        self._stream = cot.ProtobufStream(max_bytes=1 << 26)
        if protobuf:
            s.sendall(NEGOTIATE)
            self.until('type="t-x-takp-r"')
            self.protobuf = True
            rest, self._xml = self._xml, b""
            self._take(rest)

    def _take(self, data: bytes) -> None:
        if not self.protobuf:
            self._xml += data
            *whole, self._xml = self._xml.split(b"</event>")
            self.events += [e.decode() for e in whole]
            return
        for f in self._stream.feed(data):
            ev = TakMessage.FromString(f).cotEvent
            self.events.append(f'uid="{ev.uid}" type="{ev.type}" {ev.detail.xmlDetail}')

    def until(self, needle: str) -> str:
        """The first whole event it was sent holding ``needle``, once it is."""
        seen = 0
        while True:
            for e in self.events[seen:]:
                if needle in e:
                    return e
            seen = len(self.events)
            chunk = self.s.recv(1 << 20)
            assert chunk, "the server closed the connection"
            self.received += len(chunk)
            self._take(chunk)

    def answers(self) -> None:
        """Still open: a ping gets its pong."""
        if self.protobuf:
            self.s.sendall(cot.encode_stream(cot.to_protobuf(ping())))
        else:
            self.s.sendall(ping())
        self.until('type="t-x-c-t-r"')


def test_a_notice_of_3000_vertices_reaches_xml_and_protobuf_clients(scene: Scene) -> None:
    with (
        scene.door.raw(scene.ngo) as bravo_s,
        scene.door.raw() as gateway_s,
        scene.door.raw(scene.coalition) as alpha_s,
    ):
        bravo, gateway, alpha = Client(bravo_s, True), Client(gateway_s), Client(alpha_s)
        for c in (bravo, gateway, alpha):
            c.answers()  # joined
        notice = share(scene, scene.coalition.member, 3000)
        uid = cot.notice_uid(notice, 0)
        for c in (bravo, gateway, alpha):
            drawing = c.until(f'uid="{uid}"')
            assert drawing.count("<link point=") == 3001
        for c in (bravo, gateway, alpha):
            c.answers()


def _deaf(port: int) -> socket.socket:
    """A client that never reads, with a small receive buffer (the kernel holds little for it)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    return s


def test_a_picture_of_many_megabytes_reaches_a_reader_and_a_deaf_client_is_closed(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session, "STALL_S", 2.0)  # the deaf client is closed within the wait
    notices = [share(scene, scene.coalition.member, 10_000, lat=10.0 + i) for i in range(12)]
    assert scene.door.server.port is not None
    with _deaf(scene.door.server.port), scene.door.raw(scene.coalition) as alpha_s:
        alpha = Client(alpha_s)
        for notice in notices:
            drawing = alpha.until(f'uid="{cot.notice_uid(notice, 0)}"')
            assert drawing.count("<link point=") == 10_001
        assert alpha.received > MAX_QUEUED
        until_stat(scene.door, "closed: the connection stopped taking data")
        alpha.answers()
    assert stat(scene.door, "closed: too slow") == 0
