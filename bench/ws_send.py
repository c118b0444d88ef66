"""What one WebSocket frame costs the server to send, by uvicorn WebSocket implementation and way
of sending: the push's per-delivery floor (``docs/benchmarks.md``, Push).

    .venv/bin/python bench/ws_send.py                 # 100,000 frames of 600 bytes per case

For each of uvicorn's ``--ws`` implementations (``websockets``, ``wsproto``,
``websockets-sansio``), a server process runs a bare Starlette WebSocket route and sends
``--frames`` text frames to one local client (the ``websockets`` library, no compression), each
way in turn: Starlette's ``send_text`` per frame; the server's raw ASGI ``send`` per frame;
prepared frame bytes written to the connection (``api.fanout.Direct``: sans-I/O only) one frame
per write (``direct``), and ten frames per write (``direct10``); ``wsproto`` only where it is
installed (it is not a dependency). The server measures its own CPU (user + system, so the
socket writes count) around the sends and reports it; the client reads every frame.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import socket
import subprocess
import sys
import time
from typing import Any

import orjson

CASES = ("starlette", "raw", "direct", "direct10")


def app_factory() -> Any:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket

    from deconfliction.api.fanout import RAW_SEND, Direct, RawSend, ws_frame

    async def route(ws: WebSocket) -> None:
        await ws.accept()
        case, n, size = ws.query_params["case"], int(ws.query_params["n"]), 600
        text = orjson.dumps({"seq": 1, "kind": "notice.created", "pad": "x" * size}).decode()
        frame = ws_frame(text.encode())
        raw = ws.scope[RAW_SEND]
        direct = Direct.of(raw)
        t0 = os.times()
        if case == "starlette":
            for _ in range(n):
                await ws.send_text(text)
        elif case == "raw":
            for _ in range(n):
                await raw({"type": "websocket.send", "text": text})
        elif direct is None:
            n = 0
        else:
            step = 10 if case == "direct10" else 1
            for _ in range(0, n, step):
                await direct.drain()
                direct.write(frame * step)
        t1 = os.times()
        cpu = (t1.user - t0.user) + (t1.system - t0.system)
        await ws.send_text(orjson.dumps({"done": n, "cpu_s": cpu}).decode())
        await ws.receive()

    return RawSend(Starlette(routes=[WebSocketRoute("/", route)]))


async def client(port: int, case: str, n: int) -> tuple[int, float]:
    import websockets

    url = f"ws://127.0.0.1:{port}/?case={case}&n={n}"
    async with websockets.connect(url, compression=None, max_size=None) as ws:
        while True:
            msg = orjson.loads(await ws.recv())
            if "done" in msg:
                return int(msg["done"]), float(msg["cpu_s"])


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--frames", type=int, default=100_000)
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs, {args.frames:,} frames per case; server CPU per frame, us")
    print(f"{'--ws':<20}" + "".join(f"{c:>14}" for c in CASES))
    for impl in ("websockets", "wsproto", "websockets-sansio"):
        if importlib.util.find_spec(impl.partition("-")[0]) is None:
            print(f"{impl:<20}(not installed)")
            continue
        port = _port()
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "ws_send:app_factory", "--port",
             str(port), "--ws", impl, "--ws-per-message-deflate", "false", "--log-level",
             "error", "--app-dir", os.path.dirname(os.path.abspath(__file__))],
        )  # fmt: skip
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            row = []
            for case in CASES:
                try:
                    sent, cpu = asyncio.run(client(port, case, args.frames))
                except Exception as e:  # an implementation this uvicorn or client cannot run
                    print(f"{impl:<20}{case}: {type(e).__name__}: {e}", flush=True)
                    sent, cpu = 0, 0.0
                row.append(f"{cpu / sent * 1e6:>14.1f}" if sent else f"{'-':>14}")
            print(f"{impl:<20}" + "".join(row), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
