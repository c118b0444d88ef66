"""``deconfliction serve`` in a subprocess for the HTTP benchmarks, started one way, so that each
measures the same server and waits for it the same way."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

__all__ = ["UNLIMITED", "start_server", "wait_for_warm"]

UNLIMITED = ["--rate-member", "off", "--rate-party", "off", "--rate-upload-kib", "off",
             "--connections-per-client", "0", "--no-budgets"]  # fmt: skip
"""serve's rate limits, connection cap and probing budgets off: these benchmarks measure load a
line would limit."""


def start_server(
    db_url: str,
    port: int,
    log: Path,
    *options: str,
    env: Mapping[str, str] | None = None,
    launcher: Sequence[str] = ("-m", "deconfliction"),
) -> subprocess.Popen[bytes]:
    """``serve`` on ``port`` with no scan loop and ``options``, once it answers ``/healthz``
    (two minutes at most); its output goes to ``log``. ``launcher``: what runs the CLI (a
    profiler, say)."""
    cmd = [sys.executable, *launcher, "serve", "--db", db_url, "--port", str(port),
           "--scan-interval-s", "0", *options]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start; see {log}")
        time.sleep(0.1)


WARMED = ("outlines of", "making outlines ahead failed")
"""What ``serve`` logs once it has made the outlines of the notices in force (api/app.py), a
start-up job that shares the server's CPU with the first requests."""


def wait_for_warm(log: Path, proc: subprocess.Popen[bytes], timeout_s: float = 600.0) -> float:
    """Wait until the server ``proc`` logging to ``log`` has made its outlines ahead, so that
    what a benchmark times next is the server at work, not the server starting; the seconds
    waited."""
    t0 = time.monotonic()
    while not any(w in log.read_text(errors="replace") for w in WARMED):
        if proc.poll() is not None or time.monotonic() - t0 > timeout_s:
            raise RuntimeError(f"the server did not finish starting; see {log}")
        time.sleep(0.2)
    return time.monotonic() - t0
