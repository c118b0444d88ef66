"""The record benchmark's big fixtures, cached under bench/.cache.

- ``big_tree``: a record of N synthetic entries (10,000,000 by default) written straight into
  ``record_node`` from a ``Frontier`` (raw sqlite3 ``executemany``, ``synchronous=OFF`` while
  building), then a signed checkpoint, which marks the file complete; no events. A
  ``MemoryTree`` of the same leaves is built beside it, as the reference roots.
- ``event_line``: a line of N workload events appended in transactions of 10,000, then
  ``advance``d; the figures of its build are kept in a JSON file beside it.

``advance_watched`` runs ``advance`` with a progress bar; ``evict`` drops a line's file from the
OS page cache, for measuring a cold start.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.progress import Progress

from _record_workload import append, synthetic_leaves
from deconfliction.domain.probing import NO_BUDGETS
from deconfliction.record import Checkpoint, sign_checkpoint
from deconfliction.record.memory import MemoryTree
from deconfliction.record.tree import Frontier
from deconfliction.service import Line
from deconfliction.service.record import advance
from deconfliction.store import open_store

__all__ = ["advance_watched", "big_tree", "event_line", "evict", "open_line"]

STEP = 1 << 20  # leaves per build step: about 2M node rows per executemany


def open_line(db: Path) -> Line:
    return Line(
        budgets=NO_BUDGETS, store=open_store(f"sqlite:///{db}"), key_path=db.with_suffix(".key")
    )


_line = open_line


def evict(db: Path) -> None:
    """Drop the SQLite file at ``db`` (and its WAL) from the OS page cache, as a reboot would:
    the next reads go to the disk. Only pages no process holds dirty or locked are dropped, so
    close the lines on it first."""
    for path in (db, Path(f"{db}-wal")):
        if path.exists():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fdatasync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def _drop(db: Path) -> None:
    for p in (db, db.with_suffix(".key"), db.with_suffix(".json")):
        p.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _complete(line: Line, n: int) -> bool:
    with line.store.read() as tx:
        return tx.get_checkpoint(n) is not None and tx.record_size() == n


def big_tree(db: Path, n: int, progress: Progress) -> tuple[Line, MemoryTree, dict[str, Any]]:
    """The N-entry record at ``db`` (built unless complete), its MemoryTree, and the build's
    figures (``reused`` when the file was there)."""
    mem = MemoryTree()
    if db.exists():
        line = _line(db)
        if _complete(line, n):
            task = progress.add_task(f"MemoryTree of {n:,} leaves", total=n, last="")
            for lo in range(0, n, STEP):
                mem.extend(synthetic_leaves(lo, min(n, lo + STEP)))
                progress.update(task, completed=mem.size)
            info = json.loads(db.with_suffix(".json").read_text())
            with line.store.read() as tx:
                stored = tx.get_checkpoint(n)
            assert stored is not None and stored.root == mem.root(), "stale cache: delete it"
            return line, mem, info | {"reused": True}
        line.store.close()
    _drop(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    line = _line(db)
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("PRAGMA synchronous=OFF")
    frontier = Frontier()
    task = progress.add_task(f"record_node rows for {n:,} leaves", total=n, last="")
    hashing = writing = 0.0
    rows = 0
    for lo in range(0, n, STEP):
        t = time.perf_counter()
        leaves = synthetic_leaves(lo, min(n, lo + STEP))
        mem.extend(leaves)
        nodes = [(level, idx, h) for (level, idx), h in frontier.extend(leaves)]
        t2 = time.perf_counter()
        raw.execute("BEGIN")
        raw.executemany("INSERT INTO record_node (level, idx, hash) VALUES (?, ?, ?)", nodes)
        raw.execute("COMMIT")
        writing += time.perf_counter() - t2
        hashing += t2 - t
        rows += len(nodes)
        progress.update(task, completed=frontier.size, last=f"{rows:,} rows")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    root = frontier.root()
    assert root == mem.root()
    now = datetime.now(UTC)
    with line.store.transaction() as tx:
        tx.set_record_line(line.origin, line.signer.verifier().vkey(), now)
        note = sign_checkpoint(Checkpoint(line.origin, n, root), line.signer)
        tx.add_checkpoint(n, now, root, note)
    info = {
        "rows": rows,
        "hash_s": hashing,
        "insert_s": writing,
        "bytes": db.stat().st_size,
        "built": now.isoformat(timespec="seconds"),
    }
    db.with_suffix(".json").write_text(json.dumps(info))
    return line, mem, info | {"reused": False}


def advance_watched(line: Line, total: int, progress: Progress, label: str) -> float:
    """``advance(line)`` with a progress bar fed by a reader every half second; seconds taken."""
    with line.store.read() as tx:
        start = tx.record_size()
    task = progress.add_task(label, total=total, completed=start, last="")
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.5):
            with line.store.read() as tx:
                progress.update(task, completed=tx.record_size())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    t = time.perf_counter()
    try:
        advance(line)
    finally:
        elapsed = time.perf_counter() - t
        done.set()
        watcher.join()
    progress.update(task, completed=total, last=f"{(total - start) / elapsed:,.0f} /s")
    return elapsed


def _commit() -> str:
    """The commit the figures were taken at (``+`` when ``src/`` had changes)."""
    git = ["git", "-C", str(Path(__file__).parent)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "diff", "--quiet", "HEAD", "--", "src"]).returncode != 0
    return head.stdout.strip() + ("+" if dirty else "")


def event_line(db: Path, n: int, progress: Progress) -> tuple[Line, dict[str, Any]]:
    """A line of N recorded workload events at ``db`` (built unless complete) and its build's
    figures: append and advance rates (``reused`` when the file was there)."""
    if db.exists():
        line = _line(db)
        with line.store.read() as tx:
            events = tx.last_event_seq()
        if events == n and _complete(line, n):
            return line, json.loads(db.with_suffix(".json").read_text()) | {"reused": True}
        line.store.close()
    _drop(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    line = _line(db)
    task = progress.add_task(f"appending {n:,} events", total=n, last="")
    appended = append(line.store, n, 10_000, lambda k: progress.advance(task, k))
    recorded = advance_watched(line, n, progress, f"advance over {n:,} events")
    info = {
        "append_per_s": n / appended,
        "advance_per_s": n / recorded,
        "advance_s": recorded,
        "commit": _commit(),
        "bytes": db.stat().st_size,
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    db.with_suffix(".json").write_text(json.dumps(info))
    return line, info | {"reused": False}
