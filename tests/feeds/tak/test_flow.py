"""Positions in quantity: a gateway sending faster than the line stores loses none of them, and
positions of two parties reported together each reach the other party's connection."""

from __future__ import annotations

import socket

import pytest

from deconfliction import service
from deconfliction.feeds.tak import intake
from tests.feeds.tak.conftest import Scene, event, until_stat
from tests.waiting import WAIT_S


def _read_until(s: socket.socket, needle: bytes) -> bytes:
    s.settimeout(WAIT_S)
    got = b""
    while needle not in got:
        chunk = s.recv(65536)
        assert chunk, f"closed before {needle!r} came"
        got += chunk
    return got


def test_a_flood_waits_in_the_socket_and_every_position_is_stored(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake, "HELD", 25)  # paused at 25 unstored (within the rate's burst)
    sent = b"".join(event(f"relay-{i}", "a-n-G-U-C", 10.0, 20.0 + i * 1e-4) for i in range(150))
    with scene.door.raw() as s:
        s.sendall(sent)
        until_stat(scene.door, "positions stored", 150)
    tracks = service.list_tracks(scene.line, scene.gateway, service.TrackFilter(limit=1000))
    assert sorted(t.uid for t in tracks.items) == sorted(f"relay-{i}" for i in range(150))
    scene.door.answers()  # and the gateway is served still


def test_positions_of_two_parties_each_reach_the_other(scene: Scene) -> None:
    with scene.door.raw(scene.coalition) as alpha, scene.door.raw(scene.ngo) as bravo:
        alpha.sendall(event("alpha-1", "a-f-G-U-C", 10.0, 20.0))
        bravo.sendall(event("bravo-1", "a-f-G-U-C", 10.0, 20.01))
        assert b'uid="ngo.bravo-1"' in _read_until(alpha, b"ngo.bravo-1")
        assert b'uid="coalition.alpha-1"' in _read_until(bravo, b"coalition.alpha-1")
