"""Heavy work and everyone else: does a cheap GET still answer while big geometries are worked?

    .venv/bin/python bench/heavy.py                      # 4 bodies of ~7.5 MB, capped and not
    .venv/bin/python bench/heavy.py --heavy 2 --volumes 10    # a quicker look

For each setting of ``serve --heavy-at-once`` (default: 0, no cap, as before; then 1, the
default), a fresh SQLite line and ``python -m deconfliction serve`` in a subprocess with the
default rate limits. This process first times ``GET /v1/parties`` alone (the baseline), then
sends ``--heavy`` notices at once, each from its own party, each with ``--volumes`` polygons of
9,999 vertices (27 make a ~7.5 MB body, the size the adversarial test sent), and, while any of
them is in flight, one ``GET /v1/parties`` every 50 ms on its own keep-alive connection (eight
members in turn, within the default rates). It prints the cheap GET's latency (median, 95th
percentile, worst) beside the baseline, and when each heavy request was answered, with what
status.
"""

from __future__ import annotations

import argparse
import math
import platform
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import orjson

from _serve import start_server as serve
from deconfliction import service
from deconfliction.config import LineConfig
from deconfliction.domain import Role
from deconfliction.domain.probing import NO_BUDGETS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_line(db_url: str, parties: int) -> tuple[dict[str, str], list[str]]:
    """A coordinator's token for each heavy party, and readers of one more party (several, as
    each member may make 600 requests a minute)."""
    line = service.open_line(LineConfig(db_url, budgets=NO_BUDGETS))
    tokens = {}
    for p in range(parties + 1):
        slug = f"p{p}"
        service.create_party(line, slug, f"Party {p}")
        tokens[slug] = service.create_member(line, slug, Role.COORDINATOR, "bench")[1]
    readers = [service.create_member(line, f"p{parties}", Role.OBSERVER)[1] for _ in range(8)]
    line.store.close()
    return tokens, readers


def heavy_body(volumes: int, offset: float) -> bytes:
    def ring(lon: float, lat: float, n: int = 9999, r: float = 0.05) -> list[list[float]]:
        pts = [[round(lon + r * math.cos(2 * math.pi * i / n), 9),
                round(lat + r * math.sin(2 * math.pi * i / n), 9)] for i in range(n)]  # fmt: skip
        return [*pts, pts[0]]

    vols = [
        {
            "footprint": {"type": "Polygon", "coordinates": [ring(10 + 0.2 * i, 50 + offset)]},
            "time": {"start": "2027-01-01T00:00:00Z", "end": "2027-01-01T01:00:00Z"},
        }
        for i in range(volumes)
    ]
    body = {"kind": "operation", "title": "heavy", "audience": "all", "volumes": vols}
    return orjson.dumps(body)


def start_server(db_url: str, port: int, at_once: int, log: Path) -> subprocess.Popen[bytes]:
    """serve with its default rate limits (what this benchmark is about) and no budgets."""
    return serve(db_url, port, log, "--no-budgets", "--heavy-at-once", str(at_once))


def cheap(client: httpx.Client, readers: list[str]) -> float:
    readers.append(token := readers.pop(0))
    start = time.perf_counter()
    r = client.get("/v1/parties", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return time.perf_counter() - start


def run(args: argparse.Namespace, folder: Path, at_once: int) -> dict[str, object]:
    db_url = f"sqlite:///{folder / f'limits-{at_once}.db'}"
    tokens, readers = make_line(db_url, args.heavy)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(db_url, port, at_once, folder / f"server-{at_once}.log")
    bodies = [heavy_body(args.volumes, 0.5 * i) for i in range(args.heavy)]
    try:
        with httpx.Client(base_url=base, timeout=300) as client:
            for _ in range(20):  # warm up
                cheap(client, readers)
            baseline = [cheap(client, readers) for _ in range(args.baseline)]

            done: list[tuple[float, int]] = []
            start = time.perf_counter()

            def send(i: int) -> None:
                with httpx.Client(base_url=base, timeout=300) as own:
                    r = own.post("/v1/notices", content=bodies[i], headers={
                        "Authorization": f"Bearer {tokens[f'p{i}']}",
                        "Content-Type": "application/json"})  # fmt: skip
                done.append((time.perf_counter() - start, r.status_code))

            senders = [threading.Thread(target=send, args=(i,)) for i in range(args.heavy)]
            for t in senders:
                t.start()
            during = []
            while any(t.is_alive() for t in senders):
                during.append(cheap(client, readers))
                time.sleep(0.05)
            for t in senders:
                t.join()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return {"at_once": at_once, "baseline": baseline, "during": during, "heavy": sorted(done),
            "size": len(bodies[0])}  # fmt: skip


def ms(values: list[float], q: float) -> str:
    return f"{np.quantile(np.asarray(values), q) * 1000:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--heavy", type=int, default=4, help="heavy notices sent at once")
    parser.add_argument("--volumes", type=int, default=27, help="9,999-vertex polygons in each")
    parser.add_argument("--baseline", type=int, default=100, help="cheap GETs timed alone")
    parser.add_argument("--at-once", type=int, nargs="+", default=[0, 1],
                        help="serve --heavy-at-once settings to compare (0: no cap)")  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = [run(args, Path(tmp), k) for k in args.at_once]
    print(f"machine: {platform.machine()}, {platform.python_version()}; "
          f"{args.heavy} notices of {results[0]['size'] / 1e6:.1f} MB "
          f"({args.volumes} polygons x 9,999 vertices) sent at once")  # fmt: skip
    print(f"{'heavy-at-once':>13} {'phase':>9} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for r in results:
        label = str(r["at_once"] or "no cap")
        for phase in ("baseline", "during"):
            values = r[phase]
            assert isinstance(values, list)
            print(f"{label:>13} {phase:>9} {len(values):5d} {ms(values, 0.5)} "
                  f"{ms(values, 0.95)} {max(values) * 1000:8.1f}")  # fmt: skip
        heavy = r["heavy"]
        assert isinstance(heavy, list)
        answered = ", ".join(f"{t:.1f} s ({status})" for t, status in heavy)
        print(f"{label:>13} heavy answered at: {answered}")


if __name__ == "__main__":
    main()
