"""The record (issue 5): append, proofs at 10,000,000 entries, ``record verify`` over 1,000,000
events, and pymerkle on the same work, in one run.

    .venv/bin/python bench/record.py            # full run: 11 min at first, 7-10 with the caches
    .venv/bin/python bench/record.py --quick    # small sizes: a smoke run under a minute

1. Append: N workload events (bench/_record_workload.py: notice versions and receipt batches,
   630-byte bodies on average) appended to a fresh SQLite line in transactions of 100, then
   ``service.record.advance``: its events/s (the record's own cost; target >= 20,000/s), append
   and record end to end, and ``Frontier.append`` alone. The same on PostgreSQL (a fresh schema,
   dropped after) when the server answers. 200 proofs of each kind on both lines.
2. Proofs: a record of 10,000,000 synthetic entries in bench/.cache (``record_node`` rows written
   from a ``Frontier``; kept for later runs), then ``service.record.inclusion`` and
   ``consistency`` through the store at random sizes and positions, ``--calls`` of each or until
   ``--proof-budget-s`` is spent: p50 / p99 / max (target <= 1 ms), each proof verified, untimed,
   against an independent ``MemoryTree``'s root; the same on the ``MemoryTree``. Before them,
   cold: the file dropped from the OS page cache (``posix_fadvise``) and a line opened afresh,
   the first 200 calls of each kind timed with no warm-up; then the same after
   ``service.record.warm_record``, as ``serve`` does when it starts. A third row fetches the
   same nodes with a VALUES join (bench code, not the store's query) to show what
   an index seek per node would cost.
3. Verify: a line of 1,000,000 events (cached; its append and ``advance`` rates are kept with
   it), ``service.verify.verify_store`` timed (target <= 10 s), and the CLI ``deconfliction record
   verify --db URL --key-file PATH --log-only`` as a subprocess, wall time; each cold (the file
   dropped from the OS page cache first) and then warm. Then, on a copy, 50,000 more
   events appended and ``advance``d: the record's rate once it holds a million.
4. Peer: pymerkle 7.0.0 (installed once into the git-ignored bench/.venv-merkle) run by
   bench/_record_peer.py on the same entries: append rates (``InmemoryTree``, ``SqliteTree``),
   its roots against ours, and proofs at the largest size each backend builds in
   ``--peer-budget-s``; sampled proofs are held against ours. Ratios are ours / peer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _record_build import advance_watched, big_tree, event_line, evict, open_line  # noqa: E402
from _record_pymerkle import PEER_SPEC, cross_check, ensure_peer, run_peer, write_entries  # noqa: E402
from _record_timing import Stats, cold_service, time_memory, time_service  # noqa: E402
from _record_workload import append, pg_schema  # noqa: E402
from deconfliction.domain.probing import NO_BUDGETS  # noqa: E402
from deconfliction.record.memory import MemoryTree  # noqa: E402
from deconfliction.record.tree import Frontier, frontier_ids, leaf_hash  # noqa: E402
from deconfliction.service import Line  # noqa: E402
from deconfliction.service.record import row_entry, warm_record  # noqa: E402
from deconfliction.service.record.verify import verify_store  # noqa: E402
from deconfliction.store import open_store  # noqa: E402

console = Console(width=None if sys.stdout.isatty() else 170)
CACHE = BENCH / ".cache"
ADVANCE_PER_S = 20_000.0  # the targets
PROOF_MS = 1.0
VERIFY_S = 10.0
COLD_CALLS = 200  # proofs timed from a cold start, per kind
ROWS: list[tuple[str, ...]] = []
NOTES: list[str] = []


def row(figure: str, ours: str, target: str = "", met: bool | None = None, peer: str = "",
        ratio: float | None = None) -> None:  # fmt: skip
    verdict = "" if met is None else ("[green]met[/green]" if met else "[red]missed[/red]")
    ROWS.append((figure, ours, target, verdict, peer, "" if ratio is None else f"{ratio:.2f}"))


def section(title: str) -> None:
    ROWS.append((f"[bold]{title}[/bold]", "", "", "", "", ""))


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<44}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"), TimeElapsedColumn(), console=console,
    )  # fmt: skip


def _rate(n: int, s: float) -> str:
    return f"{n / s:,.0f}"


def _frontier_query(line: Line, n: int) -> None:
    times = []
    with line.store.read() as tx:
        for _ in range(3):
            t = time.perf_counter()
            tx.record_nodes(frontier_ids(n))
            times.append((time.perf_counter() - t) * 1e3)
    row(f"one tx.record_nodes query: the frontier of {n:,} ({n.bit_count()} nodes), ms",
        " / ".join(f"{x:,.1f}" for x in times))  # fmt: skip


def _line_proofs(
    line: Line, n: int, args: argparse.Namespace, progress: Progress, where: str
) -> None:
    mem = MemoryTree()
    with line.store.read() as tx:
        mem.extend([h for _, h in tx.leaf_hashes(0, n)])
    inc, con = time_service(line, mem, 200, 30.0, progress, where, args.seed)
    row(f"{where}: inclusion / consistency p50 (p99) ms, at {n:,}",
        f"{inc.p50:.2f} ({inc.p99:.2f}) / {con.p50:.2f} ({con.p99:.2f})")  # fmt: skip


# --------------------------------------------------------------------------------------------


def step_append(args: argparse.Namespace, peer: Path | None, progress: Progress) -> None:
    n = args.n
    section(f"1. append {n:,} events (transactions of 100), then advance")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "append.db"
        line = Line(
            budgets=NO_BUDGETS, store=open_store(f"sqlite:///{db}"), key_path=db.with_suffix(".key")
        )
        task = progress.add_task(f"SQLite: appending {n:,} events", total=n, last="")
        appended = append(line.store, n, 100, lambda k: progress.advance(task, k))
        recorded = advance_watched(line, n, progress, f"SQLite: advance over {n:,} events")
        with line.store.read() as tx:
            root = tx.latest_checkpoint().root  # type: ignore[union-attr]
            entries = [row_entry(r) for r in tx.event_rows(0)]
        line.store.close()
        leaves = [leaf_hash(e) for e in entries]
        f = Frontier()
        t = time.perf_counter()
        for h in leaves:
            f.append(h)
        frontier_s = time.perf_counter() - t
        f = Frontier()
        t = time.perf_counter()
        for e in entries:
            f.append(leaf_hash(e))
        hashed_s = time.perf_counter() - t
        assert f.root() == root
        got: dict[str, Any] = {}
        if peer is not None:
            write_entries(Path(tmp) / "entries.bin", entries)
            got = run_peer(
                console, peer, "append", f"{tmp}/entries.bin", tmp, label=f"append {n:,}"
            )
            same = {got["sqlite_root"], got["inmemory_root"]} == {root.hex()}
            NOTES.append(
                f"pymerkle's roots over the {n:,} event entries "
                f"{'EQUAL' if same else 'DIFFER FROM'} ours ({root.hex()[:16]}...)"
            )
        sql_p, mem_p = got.get("sqlite_per_s"), got.get("inmemory_per_s")
        row("SQLite: advance, events/s", _rate(n, recorded), f">= {ADVANCE_PER_S:,.0f}",
            n / recorded >= ADVANCE_PER_S, f"{sql_p:,.0f} SqliteTree" if sql_p else "",
            n / recorded / sql_p if sql_p else None)  # fmt: skip
        row("SQLite: append alone / append + advance, events/s",
            f"{_rate(n, appended)} / {_rate(n, appended + recorded)}")  # fmt: skip
        line = Line(
            budgets=NO_BUDGETS, store=open_store(f"sqlite:///{db}"), key_path=db.with_suffix(".key")
        )
        _line_proofs(line, n, args, progress, "SQLite")
        line.store.close()
        row("Frontier.append of leaf hashes, per s", _rate(n, frontier_s))
        row(
            "leaf_hash + Frontier.append of entries, per s",
            _rate(n, hashed_s),
            "",
            None,
            f"{mem_p:,.0f} InmemoryTree" if mem_p else "",
            n / hashed_s / mem_p if mem_p else None,
        )
        if args.no_pg:
            row("PostgreSQL", "skipped (--no-pg)")
            return
        try:
            with pg_schema() as url:
                line = Line(
                    budgets=NO_BUDGETS, store=open_store(url), key_path=Path(tmp) / "pg.key"
                )
                task = progress.add_task(f"PostgreSQL: appending {n:,} events", total=n, last="")
                appended = append(line.store, n, 100, lambda k: progress.advance(task, k))
                recorded = advance_watched(line, n, progress, f"PostgreSQL: advance over {n:,}")
                with line.store.read() as tx:
                    assert tx.latest_checkpoint().root == root  # type: ignore[union-attr]
                row("PostgreSQL: advance, events/s", _rate(n, recorded), f">= {ADVANCE_PER_S:,.0f}",
                    n / recorded >= ADVANCE_PER_S)  # fmt: skip
                row("PostgreSQL: append alone / append + advance, events/s",
                    f"{_rate(n, appended)} / {_rate(n, appended + recorded)}")  # fmt: skip
                _line_proofs(line, n, args, progress, "PostgreSQL")
                line.store.close()
        except ConnectionError as exc:
            row("PostgreSQL", f"skipped: {exc}")


def step_proofs(args: argparse.Namespace, peer: Path | None, progress: Progress) -> None:
    n = args.big
    section(f"2. proofs at {n:,} entries (random size and position)")
    line, mem, info = big_tree(CACHE / f"record-big-{n}.db", n, progress)
    built = "reused" if info["reused"] else "built now"
    row(f"record_node rows written from a Frontier ({built}): hash / insert s",
        f"{info['hash_s']:.0f} / {info['insert_s']:.0f} s, {info['rows']:,} rows, "
        f"{info['bytes'] / 2**30:.2f} GiB")  # fmt: skip
    line.store.close()
    db = CACHE / f"record-big-{n}.db"
    cold_inc, cold_con = cold_service(
        lambda: open_line(db), mem, COLD_CALLS, progress, args.seed + 1, lambda: evict(db)
    )
    warming: list[float] = []

    def warmed() -> Line:  # as `serve` starts: its Recorder reads the tree in first
        fresh = open_line(db)
        t = time.perf_counter()
        warm_record(fresh)
        warming.append(time.perf_counter() - t)
        return fresh

    warm_inc, warm_con = cold_service(
        warmed, mem, COLD_CALLS, progress, args.seed + 2, lambda: evict(db)
    )
    line = open_line(db)
    _frontier_query(line, n)
    c, b = args.calls, args.proof_budget_s
    inc, con, joined = time_service(line, mem, c, b, progress, "store", args.seed, joined=True)
    line.store.close()
    m_inc, m_con = time_memory(mem, c, b, progress, args.seed)
    got: dict[str, Any] = {}
    if peer is not None:
        with tempfile.TemporaryDirectory() as tmp:
            opts = {
                "--max-n": n,
                "--budget-s": args.peer_budget_s,
                "--calls": c,
                "--seed": args.seed,
            }
            flags = [x for k, v in opts.items() for x in (k, str(v))]
            label = f"growing to {n:,} or for {args.peer_budget_s:.0f} s, proving"
            got = run_peer(console, peer, "proofs", tmp, *flags, label=label)
        NOTES.extend(cross_check(k, got[k], mem) for k in ("sqlite", "inmemory"))

    def vs(backend: str, kind: str, ours: Stats) -> dict[str, Any]:
        if not got:
            return {}
        p = Stats.from_json(got[backend][f"{kind}_ms"])
        return {"peer": f"{p.text()} at {got[backend]['size']:,}", "ratio": ours.p50 / p.p50}

    tgt = f"p99 <= {PROOF_MS:g} ms"
    row(f"store, cold: inclusion p50 / p99 / max ms (first {cold_inc.calls:,} calls)",
        cold_inc.text(), tgt, cold_inc.p99 <= PROOF_MS)  # fmt: skip
    row(f"store, cold: consistency p50 / p99 / max ms (first {cold_con.calls:,} calls)",
        cold_con.text(), tgt, cold_con.p99 <= PROOF_MS)  # fmt: skip
    row("store, cold: warm_record (as serve starts), s", " / ".join(f"{x:.1f}" for x in warming))
    row(f"store, cold after warm_record: inclusion (first {warm_inc.calls:,})", warm_inc.text(),
        tgt, warm_inc.p99 <= PROOF_MS)  # fmt: skip
    row(f"store, cold after warm_record: consistency (first {warm_con.calls:,})", warm_con.text(),
        tgt, warm_con.p99 <= PROOF_MS)  # fmt: skip
    row(f"store: inclusion p50 / p99 / max ms ({inc.calls:,} calls)", inc.text(), tgt,
        inc.p99 <= PROOF_MS, **vs("sqlite", "inclusion", inc))  # fmt: skip
    row(f"store: consistency p50 / p99 / max ms ({con.calls:,} calls)", con.text(), tgt,
        con.p99 <= PROOF_MS, **vs("sqlite", "consistency", con))  # fmt: skip
    row(f"store: inclusion, nodes by VALUES join (bench only; {joined.calls:,})", joined.text(),
        tgt, joined.p99 <= PROOF_MS, **vs("sqlite", "inclusion", joined))  # fmt: skip
    row(f"MemoryTree: inclusion p50 / p99 / max ms ({m_inc.calls:,})", m_inc.text(), "", None,
        **vs("inmemory", "inclusion", m_inc))  # fmt: skip
    row(f"MemoryTree: consistency p50 / p99 / max ms ({m_con.calls:,})", m_con.text(), "", None,
        **vs("inmemory", "consistency", m_con))  # fmt: skip
    if got:
        s, m = got["sqlite"], got["inmemory"]
        row("pymerkle: entries/s growing SqliteTree / InmemoryTree", "", "", None,
            f"{s['per_s']:,.0f} / {m['per_s']:,.0f}")  # fmt: skip
        row("pymerkle: SqliteTree root on reopening (cold cache), s", "", "", None,
            f"{s['cold_root_s']:.1f} at {s['size']:,}")  # fmt: skip
        ours_mb = sum(len(level) for level in mem._levels) / 2**20
        NOTES.append(
            f"memory: pymerkle's InmemoryTree grew by {m['rss_mb']:,.0f} MB for "
            f"{m['size']:,} leaves; our MemoryTree holds {n:,} in {ours_mb:,.0f} MB"
        )


def step_verify(args: argparse.Namespace, progress: Progress) -> None:
    n = args.verify_n
    section(f"3. record verify over {n:,} events")
    db = CACHE / f"record-verify-{n}.db"
    line, info = event_line(db, n, progress)
    at = f" (at its build, commit {info['commit']})" if info["reused"] else ""
    row(f"SQLite: advance over {n:,} events, events/s{at}", f"{info['advance_per_s']:,.0f}",
        f">= {ADVANCE_PER_S:,.0f}", info["advance_per_s"] >= ADVANCE_PER_S)  # fmt: skip
    row(f"SQLite: append in transactions of 10,000, events/s{at}", f"{info['append_per_s']:,.0f}")
    _frontier_query(line, n)
    line.store.close()
    for state in ("cold", "warm"):
        if state == "cold":
            evict(db)
        line = open_line(db)
        task = progress.add_task(f"verify_store over {n:,} events, {state}", total=n, last="")
        t, cpu = time.perf_counter(), time.process_time()
        # the workload's events are made here, not by the use cases, so there are no served rows
        # to hold to them: the log alone, as an auditor with only the log checks it
        # (bench/served.py measures the served state)
        found = verify_store(
            line.store,
            line.signer.verifier(),
            lambda done, total: progress.update(task, completed=done, total=total),  # noqa: B023
            served=False,
        )
        took, cpu = time.perf_counter() - t, time.process_time() - cpu
        line.store.close()
        assert found.ok and found.events == found.recorded == n, found.problems[:3]
        row(f"verify_store, {state}, wall s (CPU s; {found.checkpoints:,} checkpoints)",
            f"{took:.1f} ({cpu:.1f})", f"<= {VERIFY_S:g} s", took <= VERIFY_S)  # fmt: skip
    cli = [str(Path(sys.executable).parent / "deconfliction"), "record", "verify", "--db",
           f"sqlite:///{db}", "--key-file", str(db.with_suffix(".key")), "--log-only"]  # fmt: skip
    for state in ("cold", "warm"):
        if state == "cold":
            evict(db)
        with console.status(f"deconfliction record verify (a subprocess), {state}"):
            t = time.perf_counter()
            before = os.times()
            done = subprocess.run(cli, capture_output=True, text=True)
            after = os.times()
            took = time.perf_counter() - t
        cpu = (
            after.children_user
            - before.children_user
            + after.children_system
            - before.children_system
        )
        assert done.returncode == 0, done.stderr[-2000:]
        row(f"CLI: deconfliction record verify --log-only, {state}, wall s (CPU s)",
            f"{took:.1f} ({cpu:.1f})", f"<= {VERIFY_S:g} s", took <= VERIFY_S)  # fmt: skip
    more = max(1_000, n // 20)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "more.db"
        with console.status(f"copying the {n:,}-event line"):
            shutil.copy(db, copy)
            shutil.copy(db.with_suffix(".key"), copy.with_suffix(".key"))
        line = Line(
            budgets=NO_BUDGETS,
            store=open_store(f"sqlite:///{copy}"),
            key_path=copy.with_suffix(".key"),
        )
        task = progress.add_task(f"appending {more:,} more events", total=more, last="")
        append(line.store, more, 10_000, lambda k: progress.advance(task, k), first=n)
        took = advance_watched(line, n + more, progress, f"advance over {more:,} more")
        line.store.close()
    row(f"SQLite: advance of {more:,} more events on top of {n:,}, events/s", _rate(more, took),
        f">= {ADVANCE_PER_S:,.0f}", more / took >= ADVANCE_PER_S)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    ap.add_argument("--n", type=int, default=200_000, help="events of step 1")
    ap.add_argument("--big", type=int, default=10_000_000, help="entries of step 2's tree")
    ap.add_argument("--verify-n", type=int, default=1_000_000, help="events of step 3")
    ap.add_argument("--calls", type=int, default=2_000, help="proofs timed per kind")
    ap.add_argument("--proof-budget-s", type=float, default=60.0, help="per kind, at most")
    ap.add_argument("--peer-budget-s", type=float, default=120.0, help="pymerkle's build time")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.big, args.verify_n, args.calls = 5_000, 200_000, 20_000, 300
        args.proof_budget_s, args.peer_budget_s = 10.0, 5.0
    peer = None if args.no_peer else ensure_peer(console)
    started = time.perf_counter()
    with _progress() as progress:
        step_append(args, peer, progress)
        step_proofs(args, peer, progress)
        step_verify(args, progress)
    table = Table(title="The record, on SQLite unless said. ours/peer: above 1 is ours faster "
                  "for rates, below 1 for times")  # fmt: skip
    for col in ("figure", "ours", "target", "", f"{PEER_SPEC} (size)", "ours/peer"):
        table.add_column(col, justify="left" if col in ("figure", "") else "right")
    for r in ROWS:
        table.add_row(*r)
    console.print(table)
    for note in NOTES:
        console.print(f"- {note}")
    console.print(f"whole run: {time.perf_counter() - started:,.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
