"""Strategic detection at scale: the line on embedded SQLite against PostGIS, one process.

    .venv/bin/python bench/strategic.py                 # N = 1,000,000 stored, K = 2,000 creates
    .venv/bin/python bench/strategic.py --n 20000 --k 500 --skip-postgis

What it measures (docs/benchmarks.md has the figures and the targets):

1. Ours: N volumes bulk-loaded into a fresh SQLite file with the service's own shape preparation
   and index boxes; K checked creates through ``service.create_notice`` (find conflicts and insert
   in one transaction); K more over HTTP against ``deconfliction serve``, then ``kill -9`` and a
   count of the acknowledged creates found after reopening; the radius query (every volume within
   100 km of a point over 6 h) through the in-memory index of active volumes and the exact test.
   Both sides sync their log before a create is answered (SQLite ``synchronous=FULL``, unless
   ``--sqlite-sync normal``; PostgreSQL ``synchronous_commit = on``). ``--clients C`` adds K
   creates from C clients at once on each side.
2. PostGIS, what a user would otherwise pick: one table with a GiST index over
   (geography, tstzrange), the same N volumes by COPY, the same K checked creates
   (SELECT ... ST_DWithin(..., 0) then INSERT, one transaction each) and the same radius queries;
   conflict sets and radius results are compared with ours.

PostGIS is installed with apt-get when ``CREATE EXTENSION postgis`` is not available (root only);
the database ``bench_strategic`` is created and dropped by the run.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import multiprocessing as mp
import os
import platform
import pstats
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _push_report import cpu_s  # noqa: E402
from _serve import UNLIMITED, wait_for_warm  # noqa: E402
from _workload import (  # noqa: E402
    N_PARTIES,
    RadiusQuery,
    Volumes,
    generate,
    party_slug,
    radius_queries,
)

console = Console(width=None if sys.stdout.isatty() else 130)

SEED = 20_260_601
RADIUS_M = 100_000.0
PG_DB = "bench_strategic"
CHUNK = 2_000  # notices per worker task and per insert_notices_bulk call
TX_CHUNKS = 25  # insert_notices_bulk calls per load transaction (50,000 notices)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _us_to_dt(us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(us))


def _z(us: int) -> str:
    return _us_to_dt(us).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bench_uuid(i: int) -> str:
    """Notice id of pre-loaded volume ``i``: a UUID, like the service's, that maps back to i."""
    return str(uuid.UUID(int=i + 1))


@dataclass
class Latencies:
    """Per-operation wall times in seconds, and the wall time of the whole run."""

    samples: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    results: list[set[int]] = field(default_factory=list)
    cpu_s: float = float("nan")
    """CPU seconds the process doing the work spent over the run (ours: this process at the
    service layer, the server over HTTP; PostGIS: the database's backend for the connection)."""

    def pct(self, q: float) -> float:
        return float(np.percentile(self.samples, q)) * 1e3 if self.samples else float("nan")

    @property
    def rate(self) -> float:
        return len(self.samples) / self.wall_s if self.wall_s else float("nan")

    @property
    def cpu_ms(self) -> float:
        """CPU milliseconds per operation."""
        return self.cpu_s / len(self.samples) * 1e3 if self.samples else float("nan")


def _cpu_s(pid: int) -> float:
    """``cpu_s`` of process ``pid``, ``nan`` when it is not on this machine (``--pg`` elsewhere)."""
    try:
        return cpu_s(pid)
    except OSError:
        return float("nan")


@dataclass
class Side:
    """What one contender measured."""

    name: str
    load_s: float = float("nan")
    creates: Latencies = field(default_factory=Latencies)
    conflicts_per_create: float = float("nan")
    radius: Latencies = field(default_factory=Latencies)
    radius_counts: list[int] = field(default_factory=list)
    many: Latencies = field(default_factory=Latencies)
    """Creates from --clients clients at once."""
    note: str = ""


# --------------------------------------------------------------------------------------------
# the workload as each side wants it


def _polygon_wkt(c: np.ndarray) -> str:
    ring = c.tolist()
    pts = ", ".join(f"{x!r} {y!r}" for x, y in (*ring, ring[0]))
    return f"SRID=4326;POLYGON(({pts}))"


def _volume(vols: Volumes, i: int) -> Any:
    from deconfliction.domain import Footprint, FootprintKind, TimeWindow, Volume

    ring = tuple((float(x), float(y)) for x, y in vols.corners[i])
    return Volume(
        Footprint(FootprintKind.POLYGON, (ring,)),
        TimeWindow(_us_to_dt(vols.start_us[i]), _us_to_dt(vols.end_us[i])),
    )


def _draft(vols: Volumes, i: int, title: str = "bench create") -> Any:
    from deconfliction.domain import Audience, NoticeKind
    from deconfliction.service import NoticeDraft

    return NoticeDraft(
        kind=NoticeKind.OPERATION,
        volumes=(_volume(vols, i),),
        audience=Audience(everyone=True),
        title=f"{title} {i}",
    )


def _http_body(vols: Volumes, i: int) -> dict[str, Any]:
    c = vols.corners[i]
    ring = [[float(x), float(y)] for x, y in (*c, c[0])]
    return {
        "kind": "operation",
        "title": f"bench http {i}",
        "audience": "all",
        "volumes": [
            {
                "footprint": {"type": "Polygon", "coordinates": [ring]},
                "time": {"start": _z(vols.start_us[i]), "end": _z(vols.end_us[i])},
            }
        ],
    }


# --------------------------------------------------------------------------------------------
# ours: bulk load through the service's preparation code, in worker processes

_LOAD: Volumes | None = None  # inherited by forked workers


def _prepare_chunk(bounds: tuple[int, int]) -> list[tuple[Any, list[Any]]]:
    """Notices with their index rows for volumes lo..hi, prepared as the service prepares them."""
    from deconfliction.detect.strategic import Candidate, index_boxes
    from deconfliction.domain import Audience, Buffers, Notice, NoticeKind
    from deconfliction.service.notices.strategic import prepare_volumes
    from deconfliction.store.base import VolumeRow

    assert _LOAD is not None
    lo, hi = bounds
    volumes = [_volume(_LOAD, i) for i in range(lo, hi)]
    prepared = prepare_volumes(volumes)
    defaults = Buffers()
    now = datetime.now(UTC)
    out: list[tuple[Any, list[Any]]] = []
    for k, pv in enumerate(prepared):
        i = lo + k
        party = party_slug(int(_LOAD.party[i]))
        nid = _bench_uuid(i)
        notice = Notice(
            id=nid,
            party=party,
            kind=NoticeKind.OPERATION,
            volumes=(pv.volume,),
            audience=Audience(everyone=True),
            created_at=now,
            updated_at=now,
            title=f"bench {i}",
        )
        cand = Candidate.of(key=f"{nid}#0", party=party, volume=pv.volume, shape=pv.shape,
                         buffers=None)  # fmt: skip
        row = VolumeRow(
            notice_id=nid,
            index=0,
            party=party,
            version=1,
            altitude=pv.volume.altitude,
            time=pv.volume.time,
            shape=pv.shape.to_bytes(),
            boxes=tuple(index_boxes(cand, defaults)),
            buffers=None,
        )
        out.append((notice, [row]))
    return out


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(lo, min(n, lo + size)) for lo in range(0, n, size)]


def load_ours(line: Any, stored: Volumes, workers: int) -> float:
    global _LOAD
    _LOAD = stored
    n = len(stored)
    t0 = time.perf_counter()
    ctx = mp.get_context("fork")
    with _progress() as progress, ctx.Pool(workers) as pool:
        task = progress.add_task("ours: bulk load (SQLite)", total=n, rate="")
        results: Iterator[list[tuple[Any, list[Any]]]] = pool.imap(
            _prepare_chunk, _chunks(n, CHUNK)
        )
        done = 0
        batches = iter(results)
        while done < n:
            with line.store.transaction() as tx:
                for _ in range(TX_CHUNKS):
                    items = next(batches, None)
                    if items is None:
                        break
                    tx.insert_notices_bulk(items)
                    done += len(items)
                    rate = done / (time.perf_counter() - t0)
                    progress.update(task, completed=done, rate=f"{rate:,.0f}/s")
    _LOAD = None
    return time.perf_counter() - t0


# --------------------------------------------------------------------------------------------
# ours: checked creates at the service layer


def creates_ours(
    line: Any, members: dict[int, Any], vols: Volumes, id_base: int, ids: dict[str, int]
) -> tuple[Latencies, list[set[int]]]:
    from deconfliction import service

    lat = Latencies()
    found: list[set[int]] = []
    drafts = [_draft(vols, i) for i in range(len(vols))]
    with _progress() as progress:
        task = progress.add_task("ours: service.create_notice", total=len(vols), rate="")
        t_start, cpu_start = time.perf_counter(), time.process_time()
        for i, draft in enumerate(drafts):
            actor = members[int(vols.party[i])]
            t0 = time.perf_counter()
            result = service.create_notice(line, actor, draft)
            lat.samples.append(time.perf_counter() - t0)
            ids[result.notice.id] = id_base + i
            found.append({_bench_id(c.other.notice, ids) for c in result.conflicts})
            if i % 50 == 0 or i == len(vols) - 1:
                rate = (i + 1) / (time.perf_counter() - t_start)
                progress.update(task, completed=i + 1, rate=f"{rate:,.0f}/s")
        lat.wall_s = time.perf_counter() - t_start
        lat.cpu_s = time.process_time() - cpu_start
    return lat, found


def _split(n: int, clients: int) -> list[range]:
    return [range(c, n, clients) for c in range(clients)]


def _at_once(run: Callable[[range], None], n: int, clients: int) -> float:
    """``run`` over ``n`` items split among ``clients`` threads started together; wall seconds."""
    t_start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(r,)) for r in _split(n, clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t_start


def concurrent_ours(line: Any, members: dict[int, Any], vols: Volumes, clients: int) -> Latencies:
    """The creates of ``vols`` from ``clients`` threads at once on one line (one process)."""
    from deconfliction import service

    drafts = [_draft(vols, i, "bench concurrent") for i in range(len(vols))]
    lat = Latencies()

    def run(mine: range) -> None:
        for i in mine:
            t0 = time.perf_counter()
            service.create_notice(line, members[int(vols.party[i])], drafts[i])
            lat.samples.append(time.perf_counter() - t0)

    with console.status(f"ours: {len(vols):,} creates from {clients} threads"):
        lat.wall_s = _at_once(run, len(vols), clients)
    return lat


def _bench_id(notice_id: str | None, ids: dict[str, int]) -> int:
    if notice_id is None:  # redacted: cannot happen, every notice is shared with all
        return -1
    got = ids.get(notice_id)
    return got if got is not None else uuid.UUID(notice_id).int - 1


# --------------------------------------------------------------------------------------------
# ours: the radius query


def radius_ours(line: Any, queries: Sequence[RadiusQuery], ids: dict[str, int]) -> Latencies:
    """Every volume within RADIUS_M of a point over a window: the strategic code path with a
    circle footprint (search boxes -> the in-memory index, caught up with the store -> exact
    test), all parties counted."""
    from deconfliction.detect.strategic import Candidate, conflicts_with, search_boxes
    from deconfliction.domain import Buffers, Footprint, FootprintKind, TimeWindow, Volume
    from deconfliction.service.notices.strategic import prepare_volumes

    defaults = Buffers()
    lat = Latencies()
    results: list[set[int]] = []
    t_start = time.perf_counter()
    for q in queries:
        t0 = time.perf_counter()
        vol = Volume(
            Footprint(FootprintKind.CIRCLE, (((q.lon, q.lat),),), RADIUS_M),
            TimeWindow(_us_to_dt(q.start_us), _us_to_dt(q.end_us)),
        )
        (pv,) = prepare_volumes([vol])
        me = Candidate.of(key="query#0", party="", volume=vol, shape=pv.shape, buffers=None)
        with line.store.read() as tx:
            held = tx.nearby(search_boxes(me, defaults))
        hits = conflicts_with(me, [h.candidate for h in held], defaults, all_pairs=True)
        lat.samples.append(time.perf_counter() - t0)
        results.append({_bench_id(f.b.split("#")[0], ids) for f in hits})
    lat.wall_s = time.perf_counter() - t_start
    lat.results = results
    return lat


# --------------------------------------------------------------------------------------------
# ours: over HTTP, then kill -9


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_ours(
    db_url: str,
    tokens: dict[int, str],
    vols: Volumes,
    log_path: Path,
    sync: str,
    conc: Volumes | None = None,
    clients: int = 0,
) -> tuple[Latencies, list[str], str, Latencies]:
    """K POST /v1/notices, one keep-alive client; then ``conc`` from ``clients`` clients at once;
    then kill -9 with one more create in flight.

    Returns the latencies, the ids of every acknowledged (201) create, a note, and the
    concurrent clients' latencies."""
    import httpx

    port = _free_port()
    cmd = [sys.executable, "-m", "deconfliction", "serve", "--db", db_url, "--port", str(port),
           "--sqlite-sync", sync, *UNLIMITED]  # fmt: skip
    many = Latencies()
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    acked: list[str] = []
    lat = Latencies()
    try:
        with httpx.Client(base_url=base, timeout=60.0) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {log_path}")
                time.sleep(0.1)
            warm_s = wait_for_warm(log_path, proc)
            console.print(f"ours over HTTP: outlines made ahead {warm_s:.1f} s after the server "
                          "answered; the creates start now")  # fmt: skip
            bodies = [_http_body(vols, i) for i in range(len(vols) - 1)]
            headers = {
                i: {"Authorization": f"Bearer {t}", "content-type": "application/json"}
                for i, t in tokens.items()
            }
            import orjson

            payloads = [orjson.dumps(b) for b in bodies]
            with _progress() as progress:
                task = progress.add_task("ours: POST /v1/notices", total=len(payloads), rate="")
                t_start, cpu_start = time.perf_counter(), _cpu_s(proc.pid)
                for i, payload in enumerate(payloads):
                    t0 = time.perf_counter()
                    r = client.post(
                        "/v1/notices", content=payload, headers=headers[int(vols.party[i])]
                    )
                    lat.samples.append(time.perf_counter() - t0)
                    if r.status_code != 201:
                        raise RuntimeError(f"POST /v1/notices answered {r.status_code}: {r.text}")
                    acked.append(r.json()["notice"]["id"])
                    if i % 50 == 0 or i == len(payloads) - 1:
                        rate = (i + 1) / (time.perf_counter() - t_start)
                        progress.update(task, completed=i + 1, rate=f"{rate:,.0f}/s")
                lat.wall_s = time.perf_counter() - t_start
                lat.cpu_s = _cpu_s(proc.pid) - cpu_start
            if conc is not None and clients:
                many = _http_concurrent(base, headers, conc, clients, acked)
        # one more create in flight when the server dies: acknowledged or not, never half-stored
        last = len(vols) - 1
        in_flight: list[str] = []

        def post_last() -> None:
            try:
                with httpx.Client(base_url=base, timeout=10.0) as c:
                    r = c.post(
                        "/v1/notices",
                        content=orjson.dumps(_http_body(vols, last)),
                        headers=headers[int(vols.party[last])],
                    )
                    if r.status_code == 201:
                        in_flight.append(r.json()["notice"]["id"])
            except httpx.TransportError:
                pass

        th = threading.Thread(target=post_last)
        th.start()
        time.sleep(0.003)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        th.join()
        acked.extend(in_flight)
        note = "last create in flight at kill: " + ("acknowledged" if in_flight else "lost")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        log.close()
    return lat, acked, note, many


def _http_concurrent(
    base: str, headers: dict[int, dict[str, str]], vols: Volumes, clients: int, acked: list[str]
) -> Latencies:
    import httpx
    import orjson

    lat = Latencies()
    payloads = [orjson.dumps(_http_body(vols, i)) for i in range(len(vols))]

    def run(mine: range) -> None:
        with httpx.Client(base_url=base, timeout=60.0) as client:
            for i in mine:
                t0 = time.perf_counter()
                r = client.post("/v1/notices", content=payloads[i],
                                headers=headers[int(vols.party[i])])  # fmt: skip
                lat.samples.append(time.perf_counter() - t0)
                if r.status_code != 201:
                    raise RuntimeError(f"POST /v1/notices answered {r.status_code}: {r.text}")
                acked.append(r.json()["notice"]["id"])

    with console.status(f"ours: {len(vols):,} POST /v1/notices from {clients} clients"):
        lat.wall_s = _at_once(run, len(vols), clients)
    return lat


def durability_check(db_url: str, acked: Sequence[str]) -> int:
    """Reopen the database after kill -9 and count the acknowledged creates it holds."""
    from deconfliction.store import open_store

    store = open_store(db_url)
    try:
        with store.read() as tx:
            return sum(tx.get_notice(nid) is not None for nid in acked)
    finally:
        store.close()


# --------------------------------------------------------------------------------------------
# PostGIS


def _pg_connect(dsn: str, dbname: str | None = None, autocommit: bool = False) -> Any:
    import psycopg
    from psycopg.conninfo import make_conninfo

    kwargs: dict[str, Any] = {"dbname": dbname} if dbname else {}
    return psycopg.connect(make_conninfo(dsn, **kwargs), autocommit=autocommit)


def ensure_postgis(dsn: str) -> str | None:
    """Make ``CREATE EXTENSION postgis`` possible; None when it is, else the reason it is not."""
    try:
        with _pg_connect(dsn, autocommit=True) as conn:
            major = conn.info.server_version // 10_000
            have = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
    except Exception as e:  # any failure: no PostgreSQL to compare with
        return f"PostgreSQL at {dsn} does not answer ({e.__class__.__name__}: {e})"
    if have:
        return None
    package = f"postgresql-{major}-postgis-3"
    if os.geteuid() != 0:
        return f"PostGIS is not installed and installing {package} needs root"
    console.print(f"[yellow]PostGIS is not installed: apt-get install -y {package}[/yellow]")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    ok = subprocess.run(install, env=env, capture_output=True).returncode == 0
    if not ok:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        done = subprocess.run(install, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            return f"apt-get install {package} failed: {done.stderr.strip()[-300:]}"
    return None


def _pg_fresh_db(dsn: str) -> None:
    with _pg_connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        conn.execute(f"CREATE DATABASE {PG_DB}")


def _pg_drop_db(dsn: str) -> None:
    with _pg_connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def _during(vols: Volumes, i: int) -> str:
    return f"[{_z(vols.start_us[i])},{_z(vols.end_us[i])}]"


def load_postgis(conn: Any, stored: Volumes) -> tuple[float, float]:
    """COPY the volumes in, then build the GiST index; returns (copy s, index s)."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    conn.execute("SET TIME ZONE 'UTC'")
    conn.execute(
        "CREATE TABLE vol (id bigint PRIMARY KEY, party text NOT NULL, "
        "geog geography(Polygon, 4326) NOT NULL, during tstzrange NOT NULL)"
    )
    conn.commit()
    n = len(stored)
    starts = np.datetime_as_string(stored.start_us.astype("datetime64[us]"), unit="s")
    ends = np.datetime_as_string(stored.end_us.astype("datetime64[us]"), unit="s")
    t0 = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("PostGIS: COPY", total=n, rate="")
        with conn.cursor() as cur, cur.copy("COPY vol (id, party, geog, during) FROM STDIN") as cp:
            for lo, hi in _chunks(n, 20_000):
                buf = io.StringIO()
                for i in range(lo, hi):
                    buf.write(
                        f"{i}\t{party_slug(int(stored.party[i]))}\t"
                        f"{_polygon_wkt(stored.corners[i])}\t"
                        f"[{starts[i]}Z,{ends[i]}Z]\n"
                    )
                cp.write(buf.getvalue())
                rate = hi / (time.perf_counter() - t0)
                progress.update(task, completed=hi, rate=f"{rate:,.0f}/s")
        conn.commit()
    copy_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    with console.status("PostGIS: CREATE INDEX ... USING gist (geog, during); ANALYZE"):
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("CREATE INDEX vol_geog_during ON vol USING gist (geog, during)")
        conn.commit()
        conn.execute("ANALYZE vol")
        conn.commit()
    return copy_s, time.perf_counter() - t1


_PG_SELECT = (
    "SELECT id FROM vol WHERE party <> %s AND during && %s::tstzrange "
    "AND ST_DWithin(geog, %s::geography, 0)"
)
_PG_INSERT = (
    "INSERT INTO vol (id, party, geog, during) VALUES (%s, %s, %s::geography, %s::tstzrange)"
)


def creates_postgis(conn: Any, vols: Volumes, id_base: int) -> tuple[Latencies, list[set[int]]]:
    lat = Latencies()
    found: list[set[int]] = []
    params = [
        (party_slug(int(vols.party[i])), _during(vols, i), _polygon_wkt(vols.corners[i]))
        for i in range(len(vols))
    ]
    backend = int(conn.execute("SELECT pg_backend_pid()").fetchone()[0])
    with _progress() as progress:
        task = progress.add_task("PostGIS: SELECT + INSERT", total=len(vols), rate="")
        t_start, cpu_start = time.perf_counter(), _cpu_s(backend)
        with conn.cursor() as cur:
            for i, (party, during, wkt) in enumerate(params):
                t0 = time.perf_counter()
                with conn.transaction():
                    cur.execute(_PG_SELECT, (party, during, wkt), prepare=True)
                    ids = {r[0] for r in cur.fetchall()}
                    cur.execute(_PG_INSERT, (id_base + i, party, wkt, during), prepare=True)
                lat.samples.append(time.perf_counter() - t0)
                found.append(ids)
                if i % 50 == 0 or i == len(vols) - 1:
                    rate = (i + 1) / (time.perf_counter() - t_start)
                    progress.update(task, completed=i + 1, rate=f"{rate:,.0f}/s")
        lat.wall_s = time.perf_counter() - t_start
        lat.cpu_s = _cpu_s(backend) - cpu_start
    return lat, found


def concurrent_postgis(dsn: str, vols: Volumes, id_base: int, clients: int) -> Latencies:
    """The same checked creates from ``clients`` connections at once, each under one
    transaction-scoped advisory lock (as our PostgreSQL store serialises notice writes: without
    it two concurrent conflicting creates could both miss each other)."""
    lat = Latencies()
    params = [
        (party_slug(int(vols.party[i])), _during(vols, i), _polygon_wkt(vols.corners[i]))
        for i in range(len(vols))
    ]

    def run(mine: range) -> None:
        with _pg_connect(dsn, PG_DB) as conn, conn.cursor() as cur:
            for i in mine:
                party, during, wkt = params[i]
                t0 = time.perf_counter()
                with conn.transaction():
                    cur.execute("SELECT pg_advisory_xact_lock(7)", prepare=True)
                    cur.execute(_PG_SELECT, (party, during, wkt), prepare=True)
                    cur.fetchall()
                    cur.execute(_PG_INSERT, (id_base + i, party, wkt, during), prepare=True)
                lat.samples.append(time.perf_counter() - t0)

    with console.status(f"PostGIS: {len(vols):,} creates from {clients} connections"):
        lat.wall_s = _at_once(run, len(vols), clients)
    return lat


_PG_RADIUS = (
    "SELECT id FROM vol WHERE ST_DWithin(geog, "
    "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s) "
    "AND during && tstzrange(%s, %s, '[]')"
)


def radius_postgis(conn: Any, queries: Sequence[RadiusQuery]) -> Latencies:
    lat = Latencies()
    results: list[set[int]] = []
    t_start = time.perf_counter()
    with conn.cursor() as cur:
        for q in queries:
            t0 = time.perf_counter()
            cur.execute(
                _PG_RADIUS,
                (q.lon, q.lat, RADIUS_M, _us_to_dt(q.start_us), _us_to_dt(q.end_us)),
                prepare=True,
            )
            ids = {r[0] for r in cur.fetchall()}
            conn.commit()
            lat.samples.append(time.perf_counter() - t0)
            results.append(ids)
    lat.wall_s = time.perf_counter() - t_start
    lat.results = results
    return lat


def pair_distances(conn: Any, pairs: Sequence[tuple[int, int]]) -> list[float]:
    """PostGIS's geodesic distance (spheroid) between stored volumes, for disagreements."""
    if not pairs:
        return []
    with conn.cursor() as cur:
        out = []
        for a, b in pairs:
            cur.execute(
                "SELECT ST_Distance(x.geog, y.geog) FROM vol x, vol y "
                "WHERE x.id = %s AND y.id = %s",
                (a, b),
            )
            row = cur.fetchone()
            out.append(float("nan") if row is None else float(row[0]))
        conn.commit()
    return out


def radius_distances(conn: Any, q: RadiusQuery, ids: Sequence[int]) -> list[float]:
    with conn.cursor() as cur:
        out = []
        for i in ids:
            cur.execute(
                "SELECT ST_Distance(geog, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography) "
                "FROM vol WHERE id = %s",
                (q.lon, q.lat, i),
            )
            row = cur.fetchone()
            out.append(float("nan") if row is None else float(row[0]))
        conn.commit()
    return out


# --------------------------------------------------------------------------------------------
# the run


def _profile_creates(line: Any, members: dict[int, Any], vols: Volumes, top: int) -> str:
    from deconfliction import service

    drafts = [_draft(vols, i, "bench profile") for i in range(len(vols))]
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for i, draft in enumerate(drafts):
        service.create_notice(line, members[int(vols.party[i])], draft)
    prof.disable()
    per = (time.perf_counter() - t0) / len(drafts) * 1e3
    out = io.StringIO()
    out.write(f"{len(drafts)} creates under cProfile, {per:.2f} ms each (profiler overhead in)\n")
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _machine(pg_version: str) -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024**2:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return [
        ("cpu", f"{os.cpu_count()} x {cpu}"),
        ("memory", mem),
        ("python", platform.python_version()),
        ("sqlite", sqlite3.sqlite_version),
        ("postgresql / postgis", pg_version),
    ]


def _ours_distance(a: Any, b: Any) -> float:
    """Our geodesic distance estimate between two volumes' footprints."""
    from deconfliction.geo import prepare, within

    _, dist = within(prepare(a.footprint), [prepare(b.footprint)], 0.0)
    return float(dist[0])


def _fmt(v: float, digits: int = 1) -> str:
    return "-" if v != v else f"{v:,.{digits}f}"


def _span(values: Sequence[float]) -> str:
    if not values:
        return ""
    return f" (PostGIS distance {min(values):,.1f}-{max(values):,.1f} m)"


def _ratio(a: float, b: float, higher_better: bool = True) -> str:
    if a != a or b != b or not a or not b:
        return "-"
    return f"{(a / b if higher_better else b / a):.2f}x"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="volumes stored before the creates")
    ap.add_argument("--k", type=int, default=2_000, help="checked creates per contender")
    ap.add_argument("--queries", type=int, default=50, help="radius queries (random points)")
    ap.add_argument("--skip-postgis", action="store_true")
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--profile", type=int, default=200, metavar="M",
                    help="profile M more creates with cProfile at the end (0: skip)")  # fmt: skip
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres",
                    help="PostgreSQL to create the benchmark database in")  # fmt: skip
    ap.add_argument("--db", default=None, help="SQLite file for ours (default: a temp file)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--clients", type=int, default=0, metavar="C",
                    help="also K creates from C clients at once, each side (0: skip)")  # fmt: skip
    ap.add_argument("--sqlite-sync", choices=("full", "normal"), default="full",
                    help="SQLite's synchronous for ours (full: as durable as PostgreSQL's "
                    "synchronous_commit=on)")  # fmt: skip
    args = ap.parse_args(argv)

    from deconfliction import service
    from deconfliction.config import LineConfig
    from deconfliction.domain import Role
    from deconfliction.domain.probing import NO_BUDGETS

    workdir = Path(tempfile.mkdtemp(prefix="bench_strategic_"))
    db_path = Path(args.db) if args.db else workdir / "line.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db_url = f"sqlite:///{db_path}"

    now = datetime.now(UTC)
    base = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=2)
    base_us = int(base.timestamp()) * 1_000_000
    rng = np.random.default_rng(args.seed)
    stored = generate(rng, args.n, base_us)
    creates = generate(rng, args.k, base_us)
    http_creates = generate(rng, args.k + 1, base_us)
    profile_creates = generate(rng, max(args.profile, 1), base_us)
    queries = radius_queries(rng, args.queries, base_us)
    conc = generate(rng, args.k, base_us) if args.clients else None
    conc_http = generate(rng, args.k, base_us) if args.clients else None
    console.rule(f"Strategic detection: N = {args.n:,} stored, K = {args.k:,} creates")
    console.print(
        f"workload: seed {args.seed}, windows from {base:%Y-%m-%d} for 30 days, "
        f"{N_PARTIES} parties, squares 100 m - 200 km, 15 min - 24 h, unbounded altitude, "
        f"no buffers; SQLite file {db_path}, synchronous={args.sqlite_sync.upper()} (WAL)"
    )

    # ---- ours ------------------------------------------------------------------------------
    ours = Side("ours (service)")
    ours_http = Side("ours (HTTP)")
    line = service.open_line(LineConfig(db_url, sqlite_sync=args.sqlite_sync, budgets=NO_BUDGETS))
    members: dict[int, Any] = {}
    tokens: dict[int, str] = {}
    for p in range(N_PARTIES):
        service.create_party(line, party_slug(p), f"Party {p}")
        members[p], tokens[p] = service.create_member(line, party_slug(p), Role.COORDINATOR)
    ours.load_s = load_ours(line, stored, args.workers)
    console.print(f"ours: loaded {args.n:,} volumes in {ours.load_s:.1f} s "
                  f"({args.n / ours.load_s:,.0f}/s)")  # fmt: skip
    t0 = time.perf_counter()
    held = service.warm_strategic(line)
    gc.freeze()  # as serve does once its index is built (cli/server.py)
    memindex_s = time.perf_counter() - t0
    console.print(f"ours: in-memory index of {held:,} volumes built in {memindex_s:.1f} s")

    ids: dict[str, int] = {}
    ours.creates, ours_found = creates_ours(line, members, creates, args.n, ids)
    ours.conflicts_per_create = float(np.mean([len(s) for s in ours_found]))
    console.print(
        f"ours: {ours.creates.rate:,.0f} creates/s, p50 {ours.creates.pct(50):.2f} ms, "
        f"p90 {ours.creates.pct(90):.2f} ms, p99 {ours.creates.pct(99):.2f} ms; "
        f"mean conflicts per create {ours.conflicts_per_create:.1f}"
    )
    ours.radius = radius_ours(line, queries, ids)
    ours.radius_counts = [len(r) for r in ours.radius.results]  # type: ignore[attr-defined]
    console.print(
        f"ours: radius query median {ours.radius.pct(50):.2f} ms, "
        f"mean {np.mean(ours.radius_counts):.0f} volumes found"
    )
    if conc is not None:
        ours.many = concurrent_ours(line, members, conc, args.clients)
        console.print(
            f"ours: {args.clients} threads: {ours.many.rate:,.0f} creates/s, "
            f"p50 {ours.many.pct(50):.2f} ms, p99 {ours.many.pct(99):.2f} ms"
        )
    line.store.close()

    durability = ""
    if not args.skip_http:
        ours_http.creates, acked, note, ours_http.many = http_ours(
            db_url, tokens, http_creates, workdir / "serve.log", args.sqlite_sync,
            conc_http, args.clients,
        )  # fmt: skip
        console.print(
            f"ours over HTTP: {ours_http.creates.rate:,.0f} creates/s, "
            f"p50 {ours_http.creates.pct(50):.2f} ms, p99 {ours_http.creates.pct(99):.2f} ms"
        )
        present = durability_check(db_url, acked)
        durability = (
            f"durability: {present}/{len(acked)} acknowledged creates present after kill -9 "
            f"({note})"
        )
        console.print(durability, style="green" if present == len(acked) else "bold red")

    # ---- PostGIS ---------------------------------------------------------------------------
    pg = Side("PostGIS")
    pg_version = "-"
    agreement: list[str] = []
    reason = "skipped (--skip-postgis)" if args.skip_postgis else ensure_postgis(args.pg)
    if reason is None:
        _pg_fresh_db(args.pg)
        try:
            with _pg_connect(args.pg, PG_DB) as conn:
                copy_s, index_s = load_postgis(conn, stored)
                pg.load_s = copy_s + index_s
                pg_version = str(
                    conn.execute(
                        "SELECT split_part(version(), ' ', 2) || ' / ' || postgis_lib_version()"
                    ).fetchone()[0]
                )
                console.print(
                    f"PostGIS: COPY {copy_s:.1f} s + GiST index {index_s:.1f} s = {pg.load_s:.1f} s"
                )
                pg.creates, pg_found = creates_postgis(conn, creates, args.n)
                pg.conflicts_per_create = float(np.mean([len(s) for s in pg_found]))
                console.print(
                    f"PostGIS: {pg.creates.rate:,.0f} creates/s, p50 {pg.creates.pct(50):.2f} ms, "
                    f"p90 {pg.creates.pct(90):.2f} ms, p99 {pg.creates.pct(99):.2f} ms; "
                    f"mean conflicts per create {pg.conflicts_per_create:.1f}"
                )
                pg.radius = radius_postgis(conn, queries)
                pg.radius_counts = [len(r) for r in pg.radius.results]  # type: ignore[attr-defined]
                agreement = _agreement(
                    conn, ours_found, pg_found, ours, pg, queries, args.n,
                    lambda i: _volume(stored, i) if i < args.n else _volume(creates, i - args.n),
                )  # fmt: skip
                pg_sync = conn.execute("SHOW synchronous_commit").fetchone()[0]
                pg_version += f" (synchronous_commit = {pg_sync})"
            if conc is not None:
                pg.many = concurrent_postgis(args.pg, conc, 10 * (args.n + args.k), args.clients)
        finally:
            _pg_drop_db(args.pg)
    else:
        pg.note = reason
        console.print(f"[yellow]PostGIS side skipped: {reason}[/yellow]")

    # ---- report ----------------------------------------------------------------------------
    console.rule("Figures")
    info = Table(show_header=False, box=None)
    for k, v in _machine(pg_version):
        info.add_row(k, v)
    console.print(info)
    table = Table(title=f"N = {args.n:,} stored, K = {args.k:,} checked creates, one client")
    many = f"{args.clients} clients/s"
    for col in ("", "load s", "creates/s", "p50 ms", "p90 ms", "p99 ms", "CPU ms/create",
                "conflicts/create", "radius median ms", many, f"{many[:-2]} p99 ms"):  # fmt: skip
        table.add_column(col, justify="left" if not col else "right")
    for side in (ours, ours_http, pg):
        c = side.creates
        table.add_row(
            side.name,
            _fmt(side.load_s),
            _fmt(c.rate, 0),
            _fmt(c.pct(50), 2),
            _fmt(c.pct(90), 2),
            _fmt(c.pct(99), 2),
            _fmt(c.cpu_ms, 2),
            _fmt(side.conflicts_per_create),
            _fmt(side.radius.pct(50), 2),
            _fmt(side.many.rate, 0),
            _fmt(side.many.pct(99), 1),
        )
    table.add_row(
        "ours (service) / PostGIS", "", _ratio(ours.creates.rate, pg.creates.rate),
        _ratio(ours.creates.pct(50), pg.creates.pct(50), False), "",
        _ratio(ours.creates.pct(99), pg.creates.pct(99), False),
        _ratio(ours.creates.cpu_ms, pg.creates.cpu_ms, False), "",
        _ratio(ours.radius.pct(50), pg.radius.pct(50), False),
        _ratio(ours.many.rate, pg.many.rate), "",
    )  # fmt: skip
    table.add_row(
        "ours (HTTP) / PostGIS", "", _ratio(ours_http.creates.rate, pg.creates.rate),
        _ratio(ours_http.creates.pct(50), pg.creates.pct(50), False), "",
        _ratio(ours_http.creates.pct(99), pg.creates.pct(99), False),
        _ratio(ours_http.creates.cpu_ms, pg.creates.cpu_ms, False), "", "",
        _ratio(ours_http.many.rate, pg.many.rate), "",
    )  # fmt: skip
    console.print(table)
    console.print("ratios: higher is better for ours (rate ours/PostGIS; times PostGIS/ours)")
    console.print(
        "CPU ms/create: ours at the service layer, this process; over HTTP, the server process "
        "(every thread); PostGIS, the connection's backend (the WAL writer and the client not "
        "counted)"
    )
    console.print(f"ours: in-memory index built in {memindex_s:.1f} s after the load")
    if durability:
        console.print(durability)
    for line_ in agreement:
        console.print(line_)

    if args.profile:
        console.rule(f"Where a create's time goes (N = {args.n:,})")
        line = service.open_line(
            LineConfig(db_url, sqlite_sync=args.sqlite_sync, budgets=NO_BUDGETS)
        )
        service.warm_strategic(line)
        sys.stdout.write(_profile_creates(line, members, profile_creates, 30))
        sys.stdout.flush()
        line.store.close()
    console.print(f"files left in {workdir} (SQLite database, server log)")
    return 0


def _agreement(
    conn: Any,
    ours_found: Sequence[set[int]],
    pg_found: Sequence[set[int]],
    ours: Side,
    pg: Side,
    queries: Sequence[RadiusQuery],
    n: int,
    volume_of: Callable[[int], Any],
) -> list[str]:
    """Compare conflict sets and radius results; disagreements with PostGIS's distances."""
    only_ours: list[tuple[int, int]] = []
    only_pg: list[tuple[int, int]] = []
    for j, (a, b) in enumerate(zip(ours_found, pg_found, strict=True)):
        only_ours.extend((n + j, x) for x in sorted(a - b))
        only_pg.extend((n + j, x) for x in sorted(b - a))
    total = sum(len(s) for s in pg_found)
    out = [
        f"agreement, checked creates: {total:,} conflicting pairs by PostGIS; "
        f"{len(only_ours)} found only by ours, {len(only_pg)} only by PostGIS"
    ]
    for label, pairs in (("only by ours", only_ours), ("only by PostGIS", only_pg)):
        for (a, b), d_pg in zip(pairs, pair_distances(conn, pairs), strict=True):
            out.append(
                f"  {label}: create {a - n} x volume {b}: PostGIS ST_Distance {d_pg:.3f} m, "
                f"ours (geo.within) {_ours_distance(volume_of(a), volume_of(b)):.3f} m"
            )
    r_ours: list[set[int]] = ours.radius.results
    r_pg: list[set[int]] = pg.radius.results
    extra: list[float] = []
    missing: list[float] = []
    for q, a, b in zip(queries, r_ours, r_pg, strict=True):
        extra.extend(radius_distances(conn, q, sorted(a - b)))
        missing.extend(radius_distances(conn, q, sorted(b - a)))
    out.append(
        f"agreement, radius queries: {sum(map(len, r_pg)):,} volumes by PostGIS over "
        f"{len(queries)} queries; {len(extra)} only by ours{_span(extra)}, "
        f"{len(missing)} only by PostGIS{_span(missing)}"
    )
    return out


if __name__ == "__main__":
    raise SystemExit(main())
