"""``deconfliction serve`` answers on the port it was given, on a migrated embedded store, and
over HTTPS with HSTS when given a certificate and its key."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.api.test_server_limits import _self_signed
from tests.waiting import wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_and_stops(tmp_path: Path) -> None:
    port = _free_port()
    db = f"sqlite:///{tmp_path}/line.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "deconfliction", "serve", "--db", db, "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "the server exited early"
                assert time.monotonic() < deadline, "the server did not start within 60 s"
                time.sleep(0.2)
        assert r.json() == {"status": "ok"}
        denied = httpx.get(f"http://127.0.0.1:{port}/v1/notices", timeout=30)
        assert denied.status_code == 401
        # made for the owner's eyes only, whatever the umask the server was started with
        made = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
        assert made["line.db"] == made["line.key"] == made["line.db-wal"] == 0o600
        assert denied.headers["x-content-type-options"] == "nosniff"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_with_a_certificate_speaks_only_https_and_sends_hsts(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    port = _free_port()
    db = f"sqlite:///{tmp_path}/line.db"
    serve = [sys.executable, "-m", "deconfliction", "serve", "--db", db, "--port", str(port)]
    env = {**os.environ, "NO_COLOR": "1"}
    alone = subprocess.run(
        [*serve, "--tls-cert", str(cert)], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert alone.returncode == 2 and "--tls-cert and --tls-key together" in alone.stderr
    tls = ["--tls-cert", str(cert), "--tls-key", str(key), "--no-tak"]
    proc = subprocess.Popen(
        [*serve, *tls],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    trust = ssl.create_default_context(cafile=str(cert))

    def health() -> httpx.Response | None:
        assert proc.poll() is None, "the server exited early"
        try:
            return httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trust, timeout=1)
        except httpx.TransportError:
            return None

    try:
        r = wait_for(health, "the server answers over HTTPS", within_s=60)
        assert r.json() == {"status": "ok"}
        assert r.headers["strict-transport-security"].startswith("max-age=")
        with pytest.raises(httpx.TransportError):  # nothing in clear on the same port
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
