"""A line on a tmp SQLite file with its TAK door open on 127.0.0.1 port 0, on an event loop of
its own thread; members joined with `member tak-package`, their data packages unpacked."""

from __future__ import annotations

import asyncio
import io
import socket
import ssl
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from typer.testing import CliRunner

from deconfliction import service
from deconfliction.cli.main import app
from deconfliction.config import LineConfig, TakConfig
from deconfliction.feeds.tak.hub import TakServer, tak_door
from deconfliction.feeds.tak.package import CLIENT_P12, PREF, TRUST_P12
from tests.waiting import wait_for


@dataclass
class Joined:
    """A member's unpacked data package: PEM files a TLS client loads, and its member id."""

    member: str
    party: str
    cert: Path
    key: Path
    ca: Path
    p12: Path
    password: str
    pref: str

    def context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.ca))
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


class Door:
    """The TAK door of ``line``, served on a thread's event loop."""

    def __init__(
        self, line: service.Line, config: LineConfig, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        self.line = line
        self.loop = loop or asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._stop = asyncio.Event()
        started: Future[TakServer] = Future()

        async def serve() -> None:
            try:
                async with tak_door(line, config) as server:
                    started.set_result(server)
                    await self._stop.wait()
            except BaseException as e:
                if not started.done():
                    started.set_exception(e)
                raise

        self.task = asyncio.run_coroutine_threadsafe(serve(), self.loop)
        self.server = started.result(timeout=30)

    def call(self, fn: Any) -> Any:
        """``fn()`` on the door's loop, for reading its state safely."""
        return asyncio.run_coroutine_threadsafe(_call(fn), self.loop).result(timeout=30)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self.task.result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def raw(self, tls: Joined | None = None) -> socket.socket:
        """A blocking socket to the TLS port (as ``tls``) or the plain port."""
        if tls is None:
            assert self.server.port is not None
            return socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        assert self.server.tls_port is not None
        plain = socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=30)
        return tls.context().wrap_socket(plain, server_hostname="127.0.0.1")

    def answers(self, tls: Joined | None = None) -> None:
        """A good client is still served: its ping gets a pong."""
        with self.raw(tls) as s:
            s.sendall(ping())
            got = b""
            while b"t-x-c-t-r" not in got:
                chunk = s.recv(65536)
                assert chunk, "the server closed a good client's connection"
                got += chunk


async def _call(fn: Any) -> Any:
    return fn()


def ping() -> bytes:
    return event("ping-1", "t-x-c-t", 0.0, 0.0)


def event(
    uid: str, type_: str, lat: float, lon: float, detail: str = "", hae: float = 0.0
) -> bytes:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    z = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # noqa: E731
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><event version="2.0" uid="{uid}" type="{type_}" '
        f'how="m-g" time="{z(now)}" start="{z(now)}" stale="{z(now + timedelta(minutes=2))}">'
        f'<point lat="{lat}" lon="{lon}" hae="{hae}" ce="10" le="10"/><detail>{detail}</detail>'
        "</event>"
    ).encode()


def join(tmp: Path, db: str, party: str, name: str) -> Joined:
    """``member tak-package`` for a new coordinator of ``party``, unpacked into PEM files."""
    return unpack(tmp, db, name, party, "--party", party, "--name", name)


def unpack(tmp: Path, db: str, name: str, party: str, *chosen: str) -> Joined:
    """``member tak-package`` for the member ``chosen`` names (``--party P --name N`` for a new
    one, ``--member ID`` for a certificate again), unpacked into PEM files in ``tmp / name``."""
    out = tmp / f"{name}.zip"
    got = CliRunner().invoke(
        app,
        ["member", "tak-package", *chosen, "--out", str(out), "--host", "127.0.0.1", "--db", db],
    )
    assert got.exit_code == 0, got.output
    password = got.stdout.strip().splitlines()[-1]
    member = next(w for w in got.stderr.split() if w.count("-") == 4)
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as z:
        names = set(z.namelist())
        assert {"MANIFEST/manifest.xml", PREF, TRUST_P12, CLIENT_P12} <= names
        pref = z.read(PREF).decode()
        client = z.read(CLIENT_P12)
        trust = z.read(TRUST_P12)
    key, cert, _ = pkcs12.load_key_and_certificates(client, password.encode())
    _, _, cas = pkcs12.load_key_and_certificates(trust, password.encode())
    assert key is not None and cert is not None and cas
    d = tmp / name
    d.mkdir()
    (d / "member.p12").write_bytes(client)
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (d / "ca.pem").write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in cas))
    return Joined(
        member, party, d / "cert.pem", d / "key.pem", d / "ca.pem", d / "member.p12", password, pref
    )


@dataclass
class Scene:
    line: service.Line
    db: str
    door: Door
    coalition: Joined
    ngo: Joined
    gateway: service.Member


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    db = f"sqlite:///{tmp_path / 'line.db'}"
    line = service.open_line(db)
    service.create_party(line, "coalition", "Coalition")
    service.create_party(line, "ngo", "An NGO")
    coalition = join(tmp_path, db, "coalition", "alpha")
    ngo = join(tmp_path, db, "ngo", "bravo")
    gateway, _ = service.create_member(line, "ngo", service_role())
    config = LineConfig(
        db_url=db,
        tak=TakConfig(
            host="127.0.0.1",
            tls_port=0,
            port=0,
            gateway_member=gateway.id,
            idle_s=30.0,
            event_s=1.0,
            tick_s=0.05,
            share="all",  # the parties here agreed to see each other's positions
        ),
    )
    door = Door(line, config)
    try:
        yield Scene(line, db, door, coalition, ngo, gateway)
    finally:
        door.close()


def service_role() -> Any:
    from deconfliction.domain import Role

    return Role.COORDINATOR


def stat(door: Door, name: str) -> int:
    return int(door.call(lambda: door.server.stats[name]))


def until_stat(door: Door, name: str, at_least: int = 1) -> int:
    return wait_for(lambda: stat(door, name) >= at_least and stat(door, name), f"stat {name}")


__all__ = ["Door", "Joined", "Scene", "event", "join", "ping", "replace", "unpack", "until_stat"]
