"""What tokens cost: authenticating a request, and closing a revoked member's stream.

    python bench/tokens.py [--requests 2000] [--streams 100 500]

Prints the median time of ``service.authenticate`` on SQLite with the last use written at most
once a minute (as the line does) and, for comparison, written on every request; then, with N
WebSocket streams open on a real server, how long each of five revocations takes to close its
member's stream (code 4401).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

import uvicorn
import websockets

from deconfliction import service
from deconfliction.api.app import create_app
from deconfliction.domain import Role
from deconfliction.domain.probing import NO_BUDGETS
from deconfliction.service import Line
from deconfliction.store import open_store


def auth_cost(folder: str, requests: int) -> tuple[float, float]:
    """Median microseconds of one authentication: last use once a minute, and every time."""
    now = [datetime(2026, 12, 6, tzinfo=UTC)]
    line = Line(
        budgets=NO_BUDGETS, store=open_store(f"sqlite:///{folder}/auth.db"), clock=lambda: now[0]
    )
    service.create_party(line, "blue", "Blue")
    token = service.create_member(line, "blue", Role.COORDINATOR)[1]

    def run(step: timedelta) -> float:
        took = []
        for _ in range(requests):
            now[0] += step
            started = time.perf_counter()
            service.authenticate(line, token)
            took.append(time.perf_counter() - started)
        return statistics.median(took) * 1e6

    try:
        return run(timedelta(milliseconds=10)), run(timedelta(seconds=61))
    finally:
        line.store.close()


def close_latency(folder: str, streams: int, revocations: int = 5) -> list[float]:
    """Milliseconds from ``revoke_member`` returning to the revoked stream's close."""
    line = Line(budgets=NO_BUDGETS, store=open_store(f"sqlite:///{folder}/streams-{streams}.db"))
    service.create_party(line, "blue", "Blue")
    made = [service.create_member(line, "blue", Role.OBSERVER) for _ in range(streams)]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(line), port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)

    async def measure() -> list[float]:
        url = f"ws://127.0.0.1:{port}/v1/stream"
        sockets = [
            await websockets.connect(url, additional_headers={"Authorization": f"Bearer {t}"})
            for _, t in made
        ]
        await asyncio.sleep(1.0)  # every stream past its first check, waiting
        took = []
        for i in range(revocations):
            started = time.perf_counter()
            await asyncio.to_thread(service.revoke_member, line, made[i][0].id)
            try:
                await asyncio.wait_for(sockets[i].recv(), 30)
            except websockets.ConnectionClosed:
                pass
            took.append((time.perf_counter() - started) * 1000)
            assert sockets[i].close_code == 4401, sockets[i].close_code
        for ws in sockets:
            await ws.close()
        return took

    try:
        return asyncio.run(measure())
    finally:
        server.should_exit = True
        line.store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--streams", type=int, nargs="+", default=[100, 500])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        minute, every = auth_cost(folder, args.requests)
        print(
            f"authenticate, median of {args.requests}: {minute:.0f} us with the last use written "
            f"once a minute; {every:.0f} us if written on every request"
        )
        for n in args.streams:
            took = close_latency(folder, n)
            shown = ", ".join(f"{t:.0f}" for t in took)
            print(f"{n} streams open: revocation to close of its stream, ms: {shown}")


if __name__ == "__main__":
    main()
