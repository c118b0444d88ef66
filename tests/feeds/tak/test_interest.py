"""A connection's area of interest follows where its assets are now: a gateway relaying many is
sent what lies near its most recently reported positions, not near the first it ever sent."""

from __future__ import annotations

from tests.feeds.tak.conftest import Scene, event
from tests.feeds.tak.test_flow import _read_until


def test_a_gateway_is_sent_tracks_near_its_latest_positions(scene: Scene) -> None:
    with scene.door.raw() as gateway, scene.door.raw(scene.coalition) as alpha:
        far = b"".join(event(f"far-{i}", "a-n-G-U-C", -60.0 + i, -170.0) for i in range(20))
        gateway.sendall(far + event("near-1", "a-n-G-U-C", 10.0, 20.0))
        _read_until(alpha, b"ngo.near-1")  # the gateway's positions were stored and shared
        alpha.sendall(event("alpha-1", "a-f-G-U-C", 10.0, 20.01))
        assert b'uid="coalition.alpha-1"' in _read_until(gateway, b"coalition.alpha-1")
