"""What the operator's view costs: the per-request middleware (request id, one JSON log line,
the latency histogram) and a ``/metrics`` scrape, each against a peer measured in the same run.

1. In process: a bare ASGI app that answers 200 at once, called directly N times, against the
   same app wrapped in ``api/observe.Observe`` with the process's log set up as ``serve
   --log-format json`` does (written to /dev/null): the difference is what every request pays.
2. Over HTTP: ``deconfliction serve`` on a fresh SQLite line, ``--notices`` notices declared
   first (a log and a record to read), then timed interleaved from one keep-alive client:
   ``GET /healthz`` (reads nothing: the peer), ``GET /v1/me`` (one token lookup), and
   ``GET /metrics`` with the scrape token.

    .venv/bin/python bench/ops.py                 # 20,000 calls in process, 300 of each over HTTP
    .venv/bin/python bench/ops.py --calls 2000 --requests 50   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from _serve import UNLIMITED, start_server
from deconfliction.api.logformat import configure
from deconfliction.api.metrics import Metrics, new_scrape_token
from deconfliction.api.observe import Observe
from deconfliction.domain import Role
from deconfliction.service import create_member, create_party, open_line


async def _bare(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _drive(app: Any, calls: int) -> float:
    """CPU seconds of this process per call of ``app`` on a minimal GET (CPU, not wall time:
    the benchmark machine is shared, and waiting for a core is not what the middleware costs)."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_: Any) -> None:
        return None

    started = time.process_time()
    for i in range(calls):
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/v1/me",
            "headers": [(b"x-request-id", f"bench-{i}".encode())],
            "query_string": b"",
        }
        await app(scope, receive, send)
    return (time.process_time() - started) / calls


def in_process(calls: int) -> tuple[float, float]:
    line = open_line("sqlite:///:memory:")
    handler = configure("json", stream=open(os.devnull, "w"))  # noqa: SIM115 (closed below)
    try:
        observed = Observe(_bare, Metrics(line))
        asyncio.run(_drive(_bare, calls // 10))  # warm up both
        asyncio.run(_drive(observed, calls // 10))
        bare = asyncio.run(_drive(_bare, calls))
        wrapped = asyncio.run(_drive(observed, calls))
    finally:
        logging.getLogger().removeHandler(handler)
        handler.stream.close()
        line.store.close()
    return bare, wrapped


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _line(folder: Path) -> tuple[str, str]:
    """A fresh line with a party and its coordinator: its URL and the token."""
    url = f"sqlite:///{folder}/ops.db"
    line = open_line(url)
    create_party(line, "blue", "Blue")
    token = create_member(line, "blue", Role.COORDINATOR)[1]
    line.store.close()
    return url, token


def _at(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _notice(i: int) -> dict[str, Any]:
    lon, lat = 30.0 + (i % 50) * 0.3, 20.0 + (i // 50) * 0.3
    ring = [[lon, lat], [lon + 0.1, lat], [lon + 0.1, lat + 0.1], [lon, lat + 0.1], [lon, lat]]
    return {
        "kind": "operation",
        "title": f"ops {i}",
        "audience": "all",
        "volumes": [
            {
                "footprint": {"type": "Polygon", "coordinates": [ring]},
                "time": {"start": _at(1), "end": _at(2)},
            }
        ],
    }


def over_http(folder: Path, notices: int, requests: int) -> dict[str, list[float]]:
    url, token = _line(folder)
    scrape = new_scrape_token()
    (folder / "metrics.token").write_text(scrape + "\n")
    (folder / "metrics.token").chmod(0o600)
    port = _free_port()
    proc = start_server(
        url,
        port,
        folder / "serve.log",
        "--log-format",
        "json",
        "--metrics-token-file",
        str(folder / "metrics.token"),
        "--no-tak",
        "--no-feeds",
        *UNLIMITED,
    )
    times: dict[str, list[float]] = {"/healthz": [], "/v1/me": [], "/metrics": []}
    auth = {
        "/healthz": {},
        "/v1/me": {"Authorization": f"Bearer {token}"},
        "/metrics": {"Authorization": f"Bearer {scrape}"},
    }
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for i in range(notices):  # a log and a record to read
                r = client.post("/v1/notices", json=_notice(i), headers=auth["/v1/me"])
                assert r.status_code == 201, r.text
            for _ in range(20):  # warm up
                for path in times:
                    client.get(path, headers=auth[path])
            for _ in range(requests):
                for path in times:
                    started = time.perf_counter()
                    r = client.get(path, headers=auth[path])
                    times[path].append(time.perf_counter() - started)
                    assert r.status_code == 200, (path, r.status_code)
            size = len(client.get("/metrics", headers=auth["/metrics"]).content)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"/metrics body: {size:,} bytes")
    return times


def _q(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--notices", type=int, default=200)
    args = parser.parse_args()

    bare, wrapped = in_process(args.calls)
    print(f"in process, {args.calls:,} calls each, CPU time:")
    print(f"  bare app        {bare * 1e6:8.1f} µs/request")
    print(f"  with Observe    {wrapped * 1e6:8.1f} µs/request")
    print(f"  added           {(wrapped - bare) * 1e6:8.1f} µs/request")
    print(f"  load average    {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory() as tmp:
        times = over_http(Path(tmp), args.notices, args.requests)
    peer = statistics.median(times["/healthz"])
    print(f"over HTTP, {args.requests} each, interleaved, one keep-alive client:")
    print("  route       p50 ms   p99 ms   p50 / healthz p50")
    for path, values in times.items():
        p50 = statistics.median(values)
        print(f"  {path:<10} {p50 * 1000:7.2f}  {_q(values, 99):7.2f}   {p50 / peer:5.2f}x")


if __name__ == "__main__":
    main()
