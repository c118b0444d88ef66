"""``record verify`` with the served state (issue 13): how long re-deriving every notice, kept
version, conflict, thread, message and receipt from the event log takes on a busy line, beside
the log-only check it adds to.

    .venv/bin/python bench/served.py                 # 10,000 notices on SQLite (cached)
    .venv/bin/python bench/served.py --notices 2000  # smaller
    .venv/bin/python bench/served.py --pg            # the same line built on PostgreSQL too
    .venv/bin/python bench/served.py --repeat 5      # each verify 5 times, the least CPU shown

The line is built through the use cases, as a real one is (cached in bench/.cache, SQLite):
N notices by 8 parties over a grid where neighbours overlap (strategic conflicts), a third
shared with one other party and the rest with all, one in five updated once, one in three
acknowledged by another party, one thread with a request and its reply per 50 notices, every
delivery recorded; then ``advance``. Timed: ``verify_store`` log-only and with the served
state (wall and this process's CPU time: on a busy machine the two differ), and the CLI
``deconfliction record verify`` as a subprocess (wall time, its start-up included).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache"
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
PARTIES = [f"party-{i}" for i in range(8)]
console = Console()


def build(url: str, key: Path, n: int) -> None:
    from deconfliction import service
    from deconfliction.domain import (
        AltitudeBand,
        Audience,
        Footprint,
        FootprintKind,
        MessageDraft,
        MessageKind,
        NoticeKind,
        ReplyKind,
        RequestKind,
        Role,
        TimeWindow,
        Volume,
    )
    from deconfliction.domain.probing import NO_BUDGETS
    from deconfliction.service import Line, NoticeDraft
    from deconfliction.service.record import advance
    from deconfliction.store import open_store

    line = Line(store=open_store(url), clock=lambda: NOW, key_path=key, budgets=NO_BUDGETS)
    members = {}
    for p in PARTIES:
        service.create_party(line, p, p.title())
        members[p] = service.create_member(line, p, Role.COORDINATOR)[0]

    def draft(i: int, grow: float = 0.0) -> NoticeDraft:
        lon, lat = 10.0 + (i % 100) * 0.05, 50.0 + (i // 100) * 0.05
        start = NOW + timedelta(hours=1 + i % 24)
        fp = Footprint(FootprintKind.CIRCLE, (((lon, lat),),), 3_000.0 + grow)
        other = PARTIES[(i + 1) % len(PARTIES)]
        audience = Audience(parties=frozenset({other})) if i % 3 == 0 else Audience(everyone=True)
        volume = Volume(fp, TimeWindow(start, start + timedelta(hours=3)), AltitudeBand(0, 3000))
        return NoticeDraft(NoticeKind.OPERATION, (volume,), audience, f"Operation {i}")

    columns = (TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("building the line", total=n)
        for i in range(n):
            owner = members[PARTIES[i % len(PARTIES)]]
            reader = members[PARTIES[(i + 1) % len(PARTIES)]]
            made = service.create_notice(line, owner, draft(i)).notice
            if i % 5 == 0:
                service.update_notice(line, owner, made.id, draft(i, 100.0), made.version)
            if i % 3 == 0:
                service.acknowledge(line, reader, made.id)
            if i % 50 == 0:
                thread = service.open_thread(line, owner, [reader.party], f"About {i}")
                request = service.post_message(line, owner, thread.id, MessageDraft(
                    MessageKind.REQUEST, "Keep clear", RequestKind.KEEP_CLEAR, reader.party,
                    (made.id,), deadline=NOW + timedelta(hours=1),
                ))  # fmt: skip
                service.post_message(line, reader, thread.id, MessageDraft(
                    MessageKind.REPLY, in_reply_to=request.id, reply=ReplyKind.ACCEPT,
                ))  # fmt: skip
                service.get_thread(line, reader, thread.id)
            progress.advance(task)
        line.deliveries.flush()
        advance(line)
    line.store.close()


def timed(repeat: int, fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float, float]:
    """``fn(*args, **kwargs)`` run ``repeat`` times: its result, and the wall and CPU seconds of
    the run that took the least CPU."""
    best: tuple[Any, float, float] | None = None
    for _ in range(max(1, repeat)):
        t, cpu = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        took = (out, time.perf_counter() - t, time.process_time() - cpu)
        if best is None or took[2] < best[2]:
            best = took
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--notices", type=int, default=10_000)
    ap.add_argument("--pg", action="store_true", help="also on PostgreSQL (a throwaway schema)")
    ap.add_argument("--repeat", type=int, default=1, help="time each verify this many times; "
                    "the least CPU (and its wall) is shown")  # fmt: skip
    args = ap.parse_args(argv)
    sys.path.insert(0, str(BENCH))
    from deconfliction.service.line import Line
    from deconfliction.service.record.verify import verify_store
    from deconfliction.store import open_store

    CACHE.mkdir(exist_ok=True)
    db = CACHE / f"served-{args.notices}.db"
    key = db.with_suffix(".key")
    if not db.exists():
        partial = db.with_suffix(".building")
        partial.unlink(missing_ok=True)
        t = time.perf_counter()
        build(f"sqlite:///{partial}", key, args.notices)
        partial.rename(db)
        console.print(f"built in {time.perf_counter() - t:,.0f} s")
    targets = [("SQLite", f"sqlite:///{db}", None)]
    if args.pg:
        from _record_workload import pg_schema

        targets.append(("PostgreSQL", "", pg_schema))
    table = Table(title=f"record verify on a line of {args.notices:,} notices")
    for col in ("store", "events", "served rows", "log only, s (CPU)", "with served, s (CPU)",
                "CLI wall, s"):  # fmt: skip
        table.add_column(col, justify="right")
    for name, url, schema in targets:
        if schema is not None:
            ctx = schema()
            url = ctx.__enter__()
            build(url, CACHE / "served-pg.key", args.notices)
        line = Line(
            store=open_store(url), key_path=key if schema is None else CACHE / "served-pg.key"
        )
        log, log_s, log_cpu = timed(args.repeat, verify_store, line.store,
                                    line.signer.verifier(), served=False)  # fmt: skip
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        full, full_s, full_cpu = timed(args.repeat, verify_store, line.store,
                                       line.signer.verifier())  # fmt: skip
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert log.ok and full.ok, [str(p) for p in full.problems[:5]]
        with line.store.read() as tx:
            rows = sum(
                tx._conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
                for t in ("notice", "notice_version", "volume", "conflict", "conflict_ack",
                          "thread", "thread_party", "message", "receipt", "message_receipt")
            )  # fmt: skip
        line.store.close()
        cli = [str(Path(sys.executable).parent / "deconfliction"), "record", "verify", "--db", url,
               "--key-file", str(key if schema is None else CACHE / "served-pg.key")]  # fmt: skip
        t = time.perf_counter()
        done = subprocess.run(cli, capture_output=True, text=True)
        cli_s = time.perf_counter() - t
        assert done.returncode == 0, done.stderr[-2000:]
        table.add_row(name, f"{full.events:,}", f"{rows:,}", f"{log_s:.2f} ({log_cpu:.2f})",
                      f"{full_s:.2f} ({full_cpu:.2f})", f"{cli_s:.2f}")  # fmt: skip
        console.print(f"{name}: peak RSS {rss / 1024:,.0f} MB (+{(rss - rss0) / 1024:,.0f} MB "
                      "while holding the served state)")  # fmt: skip
        if schema is not None:
            ctx.__exit__(None, None, None)
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
