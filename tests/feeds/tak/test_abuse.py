"""Raw sockets send what an adversary on the line would: each is refused, the connection closed,
no file read, and the server goes on answering a good client."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.feeds.tak.conftest import Scene, event, until_stat
from tests.waiting import WAIT_S


def _closed(s: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    s.settimeout(WAIT_S)
    got = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return got
        if not chunk:
            return got
        got += chunk


def _xxe(path: Path) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE event [<!ENTITY x SYSTEM "file://{path}">]>'
        '<event version="2.0" uid="x" type="a-f-G" how="m-g" time="2026-01-01T00:00:00Z" '
        'start="2026-01-01T00:00:00Z" stale="2026-01-01T00:01:00Z"><point lat="1" lon="1" '
        'hae="0" ce="1" le="1"/><detail><contact callsign="&x;"/></detail></event>'
    ).encode()


_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']><event uid="&lol9;"/>'
)


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
@pytest.mark.parametrize("attack", ["xxe", "laughs", "huge", "garbage"])
def test_hostile_input_is_refused_and_the_server_stays_up(
    scene: Scene, tmp_path: Path, attack: str, tls: bool
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("THE-SECRET-CONTENT")
    payload = {
        "xxe": _xxe(secret),
        "laughs": _LAUGHS,
        "huge": event("big", "a-f-G", 1.0, 1.0, "<remarks>" + "A" * 1_000_000 + "</remarks>"),
        "garbage": bytes(range(256)) * 40,
    }[attack]
    joined = scene.coalition if tls else None
    with scene.door.raw(joined) as s:
        try:
            s.sendall(payload)
        except (ConnectionResetError, BrokenPipeError):
            pass  # closed before it had all of it
        answer = _closed(s)
    assert b"THE-SECRET-CONTENT" not in answer
    until_stat(scene.door, "closed: refused")
    assert scene.door.call(lambda: scene.door.server.stats["positions stored"]) == 0
    scene.door.answers(joined)


def test_half_an_event_then_silence_is_closed_after_the_timeout(scene: Scene) -> None:
    with scene.door.raw() as s:
        s.sendall(event("half", "a-f-G", 1.0, 1.0)[:120])
        _closed(s)  # event_s is 1 s in this scene; the wait is bounded by WAIT_S
    until_stat(scene.door, "closed: slow")
    scene.door.answers()


def test_a_bad_event_is_refused_alone(scene: Scene) -> None:
    with scene.door.raw() as s:
        s.sendall(event("bad", "a-f-G", 91.0, 1.0) + event("good", "a-f-G-U-C", 1.0, 1.0))
        until_stat(scene.door, "positions stored")
        assert scene.door.call(lambda: scene.door.server.stats["refused: invalid"]) == 1
