"""A conflict reaches a TAK connection as an alert pinned where its party may see the conflict:
at its own notice when the other notice is hidden from it, never at the hidden one."""

from __future__ import annotations

import re
import socket
from datetime import timedelta
from typing import Any

from deconfliction import service
from deconfliction.api.convert import draft_from
from deconfliction.api.schemas import NoticeIn
from tests.feeds.tak.conftest import Scene, ping
from tests.waiting import WAIT_S


def _square(lon: float, lat: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + 0.1, lat], [lon + 0.1, lat + 0.1], [lon, lat + 0.1], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _declare(scene: Scene, member: service.Member, title: str, lon: float, audience: Any) -> None:
    now = scene.line.clock()
    z = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    body = {
        "kind": "operation",
        "title": title,
        "audience": audience,
        "volumes": [
            {
                "footprint": _square(lon, 35.3),
                "time": {"start": z(now), "end": z(now + timedelta(hours=2))},
            }
        ],
    }
    service.create_notice(scene.line, member, draft_from(NoticeIn(**body)))


def _alert(s: socket.socket) -> bytes:
    """Read until a whole conflict alert has come."""
    s.settimeout(WAIT_S)
    got = b""
    while True:
        found = re.search(rb'<event[^>]*uid="dl-conflict\.[^"]*".*?</event>', got, re.S)
        if found:
            return found[0]
        chunk = s.recv(65536)
        assert chunk, "closed before an alert came"
        got += chunk


def test_an_alert_is_pinned_at_what_the_party_may_see(scene: Scene) -> None:
    coalition = service.get_member(scene.line, scene.coalition.member)
    # the NGO's notice, hidden from the coalition, east of the coalition's, overlapping it
    _declare(scene, scene.gateway, "Hidden NGO site", 40.15, [])
    _declare(scene, coalition, "Coalition op", 40.1, "all")
    with scene.door.raw(scene.coalition) as s:
        s.sendall(ping())
        alert = _alert(s)
    lon = float(re.search(rb'lon="([-0-9.]+)"', alert)[1])  # type: ignore[index]
    assert abs(lon - 40.15) < 1e-6  # the coalition's own square's vertex mean (40.1..40.2)
    assert b"Hidden NGO site" not in alert
