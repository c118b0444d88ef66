"""What a checked create costs by the conflicts it finds, and which B-trees its commit writes.

    .venv/bin/python bench/strategic.py --n 100000 --k 1000 --skip-http   # leaves its database
    cp /tmp/bench_strategic_*/line.db* /tmp/cost/                        # each run adds notices
    .venv/bin/python bench/create_cost.py /tmp/cost/line.db --creates 600

On a SQLite database ``bench/strategic.py`` left behind (its workload, another seed), through
``service.create_notice``:

1. **CPU by conflicts found**: each create's thread CPU time against the number of conflicts it
   raised, the least-squares line through them (a create's fixed cost and its cost per conflict)
   and the mean in bands of conflicts; the wall p50 and p99 beside it.
2. **WAL pages by B-tree** (``--wal-creates``, 0 to skip): after a checkpoint that empties the
   write-ahead log, that many creates; then the log's frames (one page image each) are read and
   each page is named by SQLite's ``dbstat`` table: what one commit writes, table by table and
   index by index. A page written by two commits counts twice, as it is written twice.

The creates are committed: run it on a copy when the database must stay as it was.
"""

from __future__ import annotations

import argparse
import sqlite3
import struct
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _workload import N_PARTIES, generate, party_slug  # noqa: E402
from deconfliction import service  # noqa: E402
from deconfliction.config import LineConfig  # noqa: E402
from deconfliction.domain import Role  # noqa: E402
from deconfliction.domain.probing import NO_BUDGETS  # noqa: E402
from strategic import _draft  # noqa: E402

console = Console()
_WAL_HEADER = 32
_FRAME_HEADER = 24
_BANDS = ((0, 1), (1, 5), (5, 20), (20, 60), (60, 10**9))


def _creates(line: object, members: dict[int, object], n: int, seed: int) -> list[object]:
    """``n`` drafts of the bench's workload over its 30 days (from two days after today)."""
    now = datetime.now(UTC)
    base = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=2)
    vols = generate(np.random.default_rng(seed), n, int(base.timestamp()) * 1_000_000)
    return [(members[int(vols.party[i])], _draft(vols, i, "cost create")) for i in range(n)]


def cpu_by_conflicts(line: object, drafts: list[object], warm: int) -> None:
    cpu, wall, found = [], [], []
    for actor, draft in drafts:
        t0, c0 = time.perf_counter(), time.thread_time()
        result = service.create_notice(line, actor, draft)
        cpu.append((time.thread_time() - c0) * 1e3)
        wall.append((time.perf_counter() - t0) * 1e3)
        found.append(len(result.conflicts))
    c, w, k = (np.array(a[warm:]) for a in (cpu, wall, found))
    per, fixed = np.polyfit(k, c, 1)
    console.print(
        f"{len(c)} creates (after {warm} untimed): thread CPU = {fixed:.2f} ms + "
        f"{per * 1e3:.0f} µs × conflicts; conflicts mean {k.mean():.1f}, p99 "
        f"{np.percentile(k, 99):.0f}, most {k.max()}; wall p50 {np.median(w):.2f} ms, "
        f"p99 {np.percentile(w, 99):.2f} ms"
    )
    table = Table("conflicts found", "creates", "CPU ms (mean)", "wall ms (mean)", "wall ms (p90)")
    for lo, hi in _BANDS:
        m = (k >= lo) & (k < hi)
        if m.any():
            band = f"{lo}" if hi == lo + 1 else f"{lo}+" if hi > 10**6 else f"{lo}-{hi - 1}"
            table.add_row(band, str(int(m.sum())), f"{c[m].mean():.2f}", f"{w[m].mean():.2f}",
                          f"{np.percentile(w[m], 90):.2f}")  # fmt: skip
    console.print(table)


def wal_pages(db: Path, line: object, drafts: list[object]) -> None:
    with sqlite3.connect(db) as conn:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:
        console.print("[red]the write-ahead log could not be emptied; WAL pages not counted")
        return
    conflicts = sum(len(service.create_notice(line, a, d).conflicts) for a, d in drafts)
    data = Path(f"{db}-wal").read_bytes()
    page_size = struct.unpack(">I", data[8:12])[0]
    pages, commits = [], 0
    for off in range(_WAL_HEADER, len(data) - _FRAME_HEADER - page_size + 1,
                     _FRAME_HEADER + page_size):  # fmt: skip
        page, size_after_commit = struct.unpack(">II", data[off : off + 8])
        pages.append(page)
        commits += size_after_commit != 0
    with sqlite3.connect(db) as conn:
        names = dict(conn.execute("SELECT pageno, name FROM dbstat"))
    if commits != len(drafts):
        console.print(f"[yellow]{commits} commits in the log for {len(drafts)} creates (a "
                      "checkpoint ran meanwhile?): figures are per commit")  # fmt: skip
    by_tree = Counter(names.get(p, "(freed since)") for p in pages)
    console.print(
        f"{len(drafts)} creates, {conflicts / len(drafts):.1f} conflicts each: "
        f"{len(pages) / max(commits, 1):.1f} pages of {page_size} bytes per commit "
        f"({len(pages) * page_size / max(commits, 1) / 1024:.0f} KiB)"
    )
    table = Table("B-tree (table or index)", "pages per commit", "share")
    for name, n in by_tree.most_common():
        table.add_row(name, f"{n / max(commits, 1):.2f}", f"{n / len(pages):.0%}")
    console.print(table)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", type=Path, help="the SQLite file bench/strategic.py left (a copy)")
    ap.add_argument("--creates", type=int, default=600)
    ap.add_argument("--warm", type=int, default=20, help="creates not timed, first")
    ap.add_argument("--wal-creates", type=int, default=20)
    ap.add_argument("--seed", type=int, default=21)
    args = ap.parse_args()

    line = service.open_line(LineConfig(f"sqlite:///{args.db}", budgets=NO_BUDGETS))
    held = service.warm_strategic(line)
    members = {p: service.create_member(line, party_slug(p), Role.COORDINATOR)[0]
               for p in range(N_PARTIES)}  # fmt: skip
    console.rule(f"A checked create's cost, {held:,} active volumes held")
    if args.creates:
        cpu_by_conflicts(line, _creates(line, members, args.creates, args.seed), args.warm)
    if args.wal_creates:
        wal_pages(args.db, line, _creates(line, members, args.wal_creates, args.seed + 1))
    line.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
