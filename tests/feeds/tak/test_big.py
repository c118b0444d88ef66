"""Large notices reach TAK clients whole: a drawing of thousands of vertices goes out as XML and
as TAK Protocol v1, and neither its size nor one event that fails costs a party its connections."""

from __future__ import annotations

import math
import socket
from datetime import timedelta
from typing import Any

from takproto.proto import TakMessage

from deconfliction import service
from deconfliction.api.convert import draft_from
from deconfliction.api.schemas import NoticeIn
from deconfliction.wire import cot
from tests.feeds.tak.conftest import Scene, event, ping
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
        self.xml = b""
        self.frames: list[bytes] = []
        self.protobuf = protobuf
        self._stream = cot.ProtobufStream(max_bytes=1 << 26)
        if protobuf:
            s.sendall(NEGOTIATE)
            self._read(lambda: b"t-x-takp-r" in self.xml and b"</event>" in self._after_answer())
            rest = self._after_answer().split(b"</event>", 1)[1]
            self.xml = self.xml[: len(self.xml) - len(rest)]
            self.frames += self._stream.feed(rest)

    def _after_answer(self) -> bytes:
        return self.xml[self.xml.find(b"t-x-takp-r") :]

    def _read(self, done: Any) -> None:
        while not done():
            chunk = self.s.recv(1 << 20)
            assert chunk, "the server closed the connection"
            if self.protobuf and b"t-x-takp-r" in self.xml and b"</event>" in self._after_answer():
                self.frames += self._stream.feed(chunk)
            else:
                self.xml += chunk

    def events(self) -> list[str]:
        """What it has been sent, each event as XML text (a protobuf one: its detail's XML)."""
        if not self.protobuf:
            return self.xml.decode().split("</event>")[:-1]  # whole events only
        out = []
        for f in self.frames:
            m = TakMessage.FromString(f)
            out.append(
                f'uid="{m.cotEvent.uid}" type="{m.cotEvent.type}" {m.cotEvent.detail.xmlDetail}'
            )
        return out

    def until(self, needle: str) -> str:
        """The first whole event it was sent holding ``needle``, once it is."""
        self._read(lambda: any(needle in e for e in self.events()))
        return next(e for e in self.events() if needle in e)

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
