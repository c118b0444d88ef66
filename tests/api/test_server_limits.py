"""The server's own bounds, against a real server on 127.0.0.1 (``api/serving.py`` in a
thread): a client that sends its headers or its body a byte at a time is cut off, one address
holds only so many connections, and TLS serves HTTPS, WSS and HSTS.

Every wait is bounded by ``WAIT_S``; no test sleeps a fixed time and hopes.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.sync.client import connect as ws_connect

from deconfliction import service
from deconfliction.api.app import QUIET, create_app
from deconfliction.api.headers import HSTS
from deconfliction.api.serving import server
from deconfliction.config import NO_RATES
from deconfliction.domain import Role
from deconfliction.service import Line
from tests.api.conftest import NOW, notice, square
from tests.conftest import MakeStore
from tests.waiting import WAIT_S, wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def line(make_store: MakeStore) -> tuple[Line, dict[str, str]]:
    made = Line(store=make_store("sqlite"), clock=lambda: NOW)
    tokens = {}
    for slug in ("blue", "red"):
        service.create_party(made, slug, slug.title())
        tokens[slug] = service.create_member(made, slug, Role.COORDINATOR)[1]
    return made, tokens


@contextmanager
def serving(line: Line, tls: tuple[Path, Path] | None = None, **limits: Any) -> Iterator[int]:
    """The line served on a free port with ``limits`` (and no rates); yields the port."""
    config = replace(
        QUIET,
        port=_free_port(),
        limits=replace(NO_RATES, **limits),
        tls_cert=tls[0] if tls else None,
        tls_key=tls[1] if tls else None,
    )
    running = server(
        create_app(line, config), config, log_level="warning", timeout_graceful_shutdown=1
    )
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    wait_for(lambda: running.started, "the server started")
    try:
        yield config.port
    finally:
        running.should_exit = True
        thread.join(timeout=WAIT_S)
        assert not thread.is_alive(), f"the server did not stop within {WAIT_S:.0f} s"


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (bounded by the socket's timeout)."""
    got = b""
    while chunk := sock.recv(65536):
        got += chunk
    return got


def _drip(sock: socket.socket, data: bytes, every_s: float = 0.05) -> tuple[bytes, float]:
    """Send ``data`` a byte at a time, then ``X-Pad: x`` header lines the same way, until the
    server answers or closes; returns its answer and how long the client kept sending."""
    start = time.monotonic()
    stream = iter(data)
    while time.monotonic() - start < WAIT_S:
        readable, _, _ = select.select([sock], [], [], every_s)
        if readable:
            return _answer(sock), time.monotonic() - start
        byte = next(stream, None)
        if byte is None:
            stream = iter(b"X-Pad: x\r\n")
            byte = next(stream)
        try:
            sock.send(bytes([byte]))
        except OSError:  # closed under us: read what it said
            return _answer(sock), time.monotonic() - start
    raise AssertionError(f"the server still took bytes after {WAIT_S:.0f} s")


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _body(answer: bytes) -> dict[str, Any]:
    return dict(orjson.loads(answer.split(b"\r\n\r\n", 1)[1]))


def test_headers_sent_a_byte_at_a_time_are_cut_off(line: tuple[Line, dict[str, str]]) -> None:
    with serving(line[0], header_timeout_s=1.0) as port, _connect(port) as sock:
        answer, sending_s = _drip(sock, b"GET /healthz HTTP/1.1\r\nHost: line\r\n")
    assert _status(answer) == 408
    assert _body(answer)["message"] == "the request's headers did not arrive within 1 s"
    assert sending_s < WAIT_S


def test_a_connection_that_says_nothing_is_closed(line: tuple[Line, dict[str, str]]) -> None:
    with serving(line[0], header_timeout_s=1.0) as port, _connect(port) as sock:
        assert _status(_answer(sock)) == 408


def test_headers_past_their_size_are_refused(line: tuple[Line, dict[str, str]]) -> None:
    pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"x" * 100) for i in range(1000))  # ~110 KiB
    with serving(line[0], header_timeout_s=30.0) as port, _connect(port) as sock:
        with suppress(OSError):  # the server may close while the rest is still being sent
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: line\r\n" + pad)
        try:
            answer = _answer(sock)
        except ConnectionResetError:  # closed with our bytes unread: refused all the same
            answer = b""
    # 431 is ours; h11, where it is the parser, says 400 first
    assert answer == b"" or _status(answer) in (400, 431)


def test_a_body_sent_a_byte_at_a_time_is_cut_off(line: tuple[Line, dict[str, str]]) -> None:
    _, tokens = line
    head = (
        "POST /v1/tracks HTTP/1.1\r\nHost: line\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {tokens['blue']}\r\nContent-Length: 100000\r\n\r\n["
    )
    with serving(line[0], header_timeout_s=30.0, body_timeout_s=1.0) as port:
        with _connect(port) as sock:
            sock.sendall(head.encode())
            answer, _ = _drip(sock, b'{"uid": "slow", ' * 1000)
    assert _status(answer) == 408
    assert "the body did not arrive within 1 s" in _body(answer)["message"]


def test_the_next_request_on_a_kept_connection_has_the_same_time(
    line: tuple[Line, dict[str, str]],
) -> None:
    with serving(line[0], header_timeout_s=1.0, keep_alive_s=30) as port, _connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: line\r\n\r\n")
        first = sock.recv(65536)
        assert _status(first) == 200
        assert b"strict-transport-security" not in first.lower()  # plain HTTP: no HSTS
        answer, _ = _drip(sock, b"GET /healthz HTTP/1.1\r\nHost: line\r\n")
    assert _status(answer) == 408


def _held(port: int) -> socket.socket:
    """A kept-alive connection the server has seen (it answered one request on it)."""
    sock = _connect(port)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: line\r\n\r\n")
    assert _status(sock.recv(65536)) == 200
    return sock


def test_one_address_holds_at_most_its_connections(line: tuple[Line, dict[str, str]]) -> None:
    _, tokens = line
    limits = {"header_timeout_s": 30.0, "keep_alive_s": 30, "connections_per_client": 3}
    with serving(line[0], **limits) as port, ExitStack() as held:
        kept = [held.enter_context(_held(port)), held.enter_context(_held(port))]
        held.enter_context(
            ws_connect(
                f"ws://127.0.0.1:{port}/v1/stream?after=0",
                additional_headers={"Authorization": f"Bearer {tokens['blue']}"},
                open_timeout=WAIT_S,
            )
        )
        # two kept connections and a WebSocket: the next one is refused, with a reason
        with _connect(port) as sock:
            answer = _answer(sock)
        assert _status(answer) == 429 and _body(answer)["error"] == "too_many_connections"
        kept[0].close()

        def served() -> bool:
            with _connect(port) as sock, suppress(ConnectionResetError):
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: line\r\nConnection: close\r\n\r\n")
                return _status(_answer(sock)) == 200
            return False  # refused while the server had not yet seen the close

        wait_for(served, "a connection served once another was closed")


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "line.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_tls_serves_https_with_hsts_and_streams_over_wss(
    line: tuple[Line, dict[str, str]], tmp_path: Path
) -> None:
    made, tokens = line
    cert, key = _self_signed(tmp_path)
    trust = ssl.create_default_context(cafile=str(cert))
    auth = {"Authorization": f"Bearer {tokens['red']}"}
    with serving(made, tls=(cert, key)) as port:
        base = f"https://127.0.0.1:{port}"
        with httpx.Client(verify=trust, timeout=WAIT_S) as client:
            health = client.get(f"{base}/healthz")
            assert health.status_code == 200
            assert health.headers["strict-transport-security"] == HSTS
            with ws_connect(
                f"wss://127.0.0.1:{port}/v1/stream?after=0",
                ssl=trust,
                additional_headers=auth,
                open_timeout=WAIT_S,
            ) as stream:
                posted = client.post(
                    f"{base}/v1/notices",
                    json=notice(square(40.0, 35.0)),
                    headers={"Authorization": f"Bearer {tokens['blue']}"},
                )
                assert posted.status_code == 201
                assert posted.headers["strict-transport-security"] == HSTS
                event = orjson.loads(stream.recv(timeout=WAIT_S))
        assert event["kind"] == "notice.created"
        assert event["notice"]["id"] == posted.json()["notice"]["id"]
        # a client that does not speak TLS gets nothing in clear
        with _connect(port) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: line\r\n\r\n")
            assert b"ok" not in _answer(sock)
