"""The subscriber side of ``bench/push.py``: one process holding many WebSocket subscribers.

    python bench/_push_client.py SPEC.json OUT.npz

SPEC names the stream URL, the sequence number to start after, one entry per subscriber
(token, kinds, parties, and optionally a stream URL of its own: ``bench/nodes.py`` spreads the
subscribers over nodes) and, optionally, each one's index among all the run's subscribers
(``indices``; by default its position here): ``bench/push.py --client-procs N`` gives each of N
such processes its share. The process connects them all (50 at a time), prints ``ready N``, then
``count N`` (messages so far) every 0.25 s, and stops when it reads ``stop`` on stdin: it writes
OUT (subscriber index, sequence number and receive time of every message) and prints ``done``.
A subscriber whose connection drops reconnects after the last event it received, as a client of
the line should; the reconnections are counted.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from typing import Any
from urllib.parse import urlencode

import numpy as np
import orjson
import websockets
from websockets.asyncio.client import connect


class Subscriber:
    __slots__ = ("index", "url", "headers", "seqs", "times", "reconnects")

    def __init__(self, index: int, base: str, after: int, spec: dict[str, Any]) -> None:
        self.index = index
        self.headers = {"Authorization": f"Bearer {spec['token']}"}  # never in the URL
        params: dict[str, Any] = {"after": after}
        for key in ("kinds", "parties"):
            if spec.get(key):
                params[key] = spec[key]
        self.url = f"{base}?{urlencode(params)}"
        self.seqs: list[int] = []
        self.times: list[float] = []
        self.reconnects = 0


def _seq(message: str | bytes) -> int:
    """The sequence number of an event frame; the line writes ``seq`` first."""
    text = message if isinstance(message, str) else message.decode()
    if text.startswith('{"seq":'):
        return int(text[7 : text.index(",", 7)])
    return int(orjson.loads(text)["seq"])


async def _open(url: str, headers: dict[str, str]) -> websockets.asyncio.client.ClientConnection:
    # no compression (the line's frames are small and CPU is what is measured); no client
    # pings: the server pings, and this process answers while it reads
    return await connect(
        url,
        additional_headers=headers,
        compression=None,
        max_size=None,
        ping_interval=None,
        open_timeout=120,
    )


async def _run(sub: Subscriber, ws: Any, stop: asyncio.Event, counter: list[int]) -> None:
    seqs, times = sub.seqs, sub.times
    while True:
        try:
            async for message in ws:
                times.append(time.time())
                seqs.append(_seq(message))
                counter[0] += 1
        except websockets.ConnectionClosed:
            pass
        if stop.is_set():
            return
        sub.reconnects += 1
        after = seqs[-1] if seqs else None
        url = sub.url if after is None else _with_after(sub.url, after)
        while not stop.is_set():
            try:
                ws = await _open(url, sub.headers)
                break
            except (OSError, websockets.InvalidHandshake, TimeoutError):
                await asyncio.sleep(0.5)
        else:
            return


def _with_after(url: str, after: int) -> str:
    head, _, query = url.partition("?")
    parts = [p for p in query.split("&") if not p.startswith("after=")]
    return f"{head}?{'&'.join([*parts, f'after={after}'])}"


async def main(spec_path: str, out_path: str) -> None:
    spec = orjson.loads(open(spec_path, "rb").read())
    indices = spec.get("indices") or range(len(spec["subs"]))
    subs = [
        Subscriber(i, s.get("url", spec["url"]), spec["after"], s)
        for i, s in zip(indices, spec["subs"], strict=True)
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def read_stdin() -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=read_stdin, daemon=True).start()
    gate = asyncio.Semaphore(50)

    async def opened(sub: Subscriber) -> Any:
        async with gate:
            return await _open(sub.url, sub.headers)

    sockets = await asyncio.gather(*(opened(s) for s in subs))
    counter = [0]
    tasks = [
        asyncio.create_task(_run(s, ws, stop, counter)) for s, ws in zip(subs, sockets, strict=True)
    ]
    print(f"ready {len(subs)}", flush=True)
    while not stop.is_set():
        print(f"count {counter[0]}", flush=True)
        try:
            await asyncio.wait_for(stop.wait(), 0.25)
        except TimeoutError:
            pass
    for ws in sockets:
        await ws.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    np.savez(
        out_path,
        sub=np.concatenate([np.full(len(s.seqs), s.index, np.int32) for s in subs] or [[]]),
        seq=np.concatenate([np.asarray(s.seqs, np.int64) for s in subs] or [[]]),
        t=np.concatenate([np.asarray(s.times, np.float64) for s in subs] or [[]]),
        reconnects=np.asarray([s.reconnects for s in subs], np.int32),
    )
    print("done", flush=True)


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
    else:
        uvloop.run(main(sys.argv[1], sys.argv[2]))
