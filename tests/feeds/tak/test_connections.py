"""Connections are counted as they are accepted, before any TLS handshake: parallel connects past
the per-address cap are refused at once, and a good client is served once they are gone."""

from __future__ import annotations

import socket
from dataclasses import replace

from deconfliction.config import LineConfig
from tests.feeds.tak.conftest import Door, Scene, until_stat
from tests.waiting import WAIT_S


def test_connects_past_the_per_address_cap_are_refused_before_the_handshake(scene: Scene) -> None:
    tak = replace(scene.door.server.config, per_address=2)
    door = Door(scene.line, replace(LineConfig(db_url=scene.db), tak=tak))
    try:
        assert door.server.tls_port is not None
        held = [
            socket.create_connection(("127.0.0.1", door.server.tls_port), timeout=WAIT_S)
            for _ in range(5)
        ]  # TCP only: no handshake begun, none finished
        try:
            until_stat(door, "refused: connections per address", 3)
        finally:
            for s in held:
                s.close()
        door.answers(scene.coalition)  # the slots were given back
    finally:
        door.close()
