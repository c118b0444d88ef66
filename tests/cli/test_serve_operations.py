"""``deconfliction serve`` for an operator: a scrape token made owner-only on first start and the
only key to ``/metrics``; ``/readyz``; a log of JSON lines (standard error is not a terminal)
with one line per request, its id echoed, and no token."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from deconfliction.domain import Role
from deconfliction.service import create_member, create_party, open_line
from tests.waiting import wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    """``serve`` on ``port``, its standard error into ``serve.log`` (a file: not a terminal)."""
    db = f"sqlite:///{tmp_path}/line.db"
    with (tmp_path / "serve.log").open("w") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "deconfliction", "serve", "--db", db, "--port", str(port)]
            + list(extra),
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=log,
            env={**os.environ, "NO_COLOR": "1"},
        )


def test_serve_metrics_readiness_and_json_log(tmp_path: Path) -> None:
    line = open_line(f"sqlite:///{tmp_path}/line.db")
    create_party(line, "blue", "Blue")
    token = create_member(line, "blue", Role.COORDINATOR)[1]
    line.store.close()
    port = _free_port()
    proc = _serve(tmp_path, port, "--metrics-token-file", "scrape.token", "--no-tak")
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "the server exited early"
                assert time.monotonic() < deadline, "the server did not start within 60 s"
                time.sleep(0.2)
        made = tmp_path / "scrape.token"
        assert made.stat().st_mode & 0o777 == 0o600
        scrape = made.read_text().strip()
        bearer = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/metrics", headers=bearer).status_code == 401
        metrics = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {scrape}"})
        assert metrics.status_code == 200 and "deconfliction_events_total" in metrics.text
        ready = wait_for(
            lambda: (r := httpx.get(f"{base}/readyz")).status_code == 200 and r, "ready"
        )
        assert set(ready.json()["checks"]) == {"store", "scanner", "deadlines", "record"}
        me = httpx.get(f"{base}/v1/me", headers={**bearer, "X-Request-ID": "proxy-42"})
        assert me.headers["x-request-id"] == "proxy-42"
        log = tmp_path / "serve.log"
        wait_for(lambda: "proxy-42" in log.read_text(), "the request's log line")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lines = [json.loads(x) for x in log.read_text().splitlines()]  # every line is JSON
    [line_of_me] = [x for x in lines if x.get("request_id") == "proxy-42"]
    assert line_of_me["route"] == "/v1/me" and line_of_me["party"] == "blue"
    assert any(x["event"].startswith("made a scrape token") for x in lines)
    text = log.read_text()
    assert token[12:] not in text and scrape[4:] not in text


def test_serve_refuses_a_scrape_token_others_can_read(tmp_path: Path) -> None:
    loose = tmp_path / "scrape.token"
    loose.write_text("dlm_" + "x" * 40 + "\n")
    loose.chmod(0o644)
    proc = _serve(tmp_path, _free_port(), "--metrics-token-file", str(loose))
    assert proc.wait(timeout=60) == 2
    assert "chmod 600" in (tmp_path / "serve.log").read_text()
