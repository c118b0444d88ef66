"""Figures for ``bench/push.py``: deliveries judged against entitlement, latency, CPU, memory."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (``/proc/PID/stat`` utime + stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Outcome:
    """One run: what was sent, what the log holds, what each subscriber received, and costs."""

    rate: float
    subs: list[Any]
    expected: dict[Any, np.ndarray]
    other: int
    disagree: int
    log: list[Any]
    gen_events: int
    notices: int
    conflicts: int
    errors: dict[str, int]
    post_s: list[float]
    wall_s: float
    sub: np.ndarray
    seq: np.ndarray
    t: np.ndarray
    reconnects: int
    client_procs: int
    server_cpu_s: float
    client_cpu_s: float
    cpu_wall_s: float
    server_rss_mb: float
    started: float
    counts: Counter[str] = field(default_factory=Counter)

    @cached_property
    def at(self) -> np.ndarray:
        """The ``at`` of each event by sequence number, Unix seconds."""
        top = max([e.seq for e in self.log], default=0)
        at = np.full(top + 1, np.nan)
        for e in self.log:
            at[e.seq] = e.at.timestamp()
        return at

    @cached_property
    def judged(self) -> tuple[np.ndarray, np.ndarray]:
        """Latency of every entitled delivery (first copy) and its event's ``at``; counts too."""
        order = np.argsort(self.sub, kind="stable")
        sub, seq, t = self.sub[order], self.seq[order], self.t[order]
        bounds = np.searchsorted(sub, np.arange(len(self.subs) + 1))
        lat, when = [], []
        for i, s in enumerate(self.subs):
            got_seq, got_t = seq[bounds[i] : bounds[i + 1]], t[bounds[i] : bounds[i + 1]]
            uniq, first = np.unique(got_seq, return_index=True)
            want = self.expected[s]
            self.counts["duplicates"] += len(got_seq) - len(uniq)
            self.counts["missing"] += len(np.setdiff1d(want, uniq, assume_unique=True))
            self.counts["unexpected"] += len(np.setdiff1d(uniq, want, assume_unique=True))
            self.counts["expected"] += len(want)
            ok = np.isin(uniq, want, assume_unique=True)
            at = self.at[uniq[ok]]
            lat.append(got_t[first[ok]] - at)
            when.append(at)
        return np.concatenate(lat or [np.zeros(0)]), np.concatenate(when or [np.zeros(0)])

    @property
    def missing(self) -> int:
        self.judged  # noqa: B018  (fills the counts)
        return self.counts["missing"]


def _pct(xs: list[float], p: float) -> float:
    return float(np.percentile(xs, p)) if xs else float("nan")


def _ms(x: float) -> str:
    return "-" if x != x else f"{x * 1e3:,.0f}"


def _rows(o: Outcome) -> list[tuple[str, str]]:
    lat, when = o.judged
    q = (lambda p: float(np.percentile(lat, p))) if len(lat) else (lambda p: float("nan"))
    kinds = Counter(e.kind.value.split(".")[0] for e in o.log)
    return [
        ("subscribers", f"{len(o.subs):,}"),
        ("target events/s", f"{o.rate:,.0f}"),
        ("events/s achieved", f"{o.gen_events / o.wall_s:,.0f}"),
        ("events in the log", f"{len(o.log):,}"),
        ("  notice / conflict / other kinds", f"{kinds['notice']:,} / {kinds['conflict']:,} / "
         f"{len(o.log) - kinds['notice'] - kinds['conflict']:,}"),
        ("  not made by the generator", f"{o.other:,}"),
        ("  told to other parties than the rules say", f"{o.disagree:,}"),
        ("POST /v1/notices p50 / p99 ms", f"{_ms(_pct(o.post_s, 50))} / "
         f"{_ms(_pct(o.post_s, 99))}"),
        ("generator errors", ", ".join(f"{k} {v}" for k, v in o.errors.items()) or "0"),
        ("deliveries entitled", f"{o.counts['expected']:,}"),
        ("deliveries received (/s)", f"{len(o.seq):,} ({len(o.seq) / o.wall_s:,.0f})"),
        ("missing / unexpected / duplicate", f"{o.counts['missing']:,} / "
         f"{o.counts['unexpected']:,} / {o.counts['duplicates']:,}"),
        ("reconnections", f"{o.reconnects:,}"),
        ("latency p50 ms", _ms(q(50))),
        ("latency p99 ms", _ms(q(99))),
        ("latency max ms", _ms(q(100))),
        ("p99 per 5 s of the run, ms", _by_window(lat, when, o.started)),
        ("server CPU, cores", f"{o.server_cpu_s / o.cpu_wall_s:.2f}"),
        ("server CPU per delivery, us", "-" if not len(o.seq)
         else f"{o.server_cpu_s / len(o.seq) * 1e6:,.1f}"),
        ("server peak RSS MB", f"{o.server_rss_mb:,.0f}"),
        ("subscriber processes", f"{o.client_procs:,}"),
        ("subscriber CPU, cores (all processes)", f"{o.client_cpu_s / o.cpu_wall_s:.2f}"),
    ]  # fmt: skip


def report(outcomes: list[Outcome], seconds: float) -> Table:
    """One column per run."""
    table = Table(title=f"Push over /v1/stream, {seconds:g} s per run (latency from commit)")
    table.add_column("")
    for _ in outcomes:
        table.add_column(justify="right")
    columns = [_rows(o) for o in outcomes]
    for i, (name, _) in enumerate(columns[0] if columns else []):
        table.add_row(name, *(c[i][1] for c in columns))
    return table


def _by_window(lat: np.ndarray, when: np.ndarray, started: float) -> str:
    if not len(lat):
        return "-"
    bucket = ((when - started) // 5).astype(int)
    out = []
    for b in range(max(int(bucket.min()), 0), int(bucket.max()) + 1):
        sel = lat[bucket == b]
        if len(sel):
            out.append(_ms(float(np.percentile(sel, 99))))
    return " ".join(out)


_PACKAGES = {
    "deconfliction": "deconfliction",
    "sqlalchemy": "SQLAlchemy",
    "sqlite3": "SQLAlchemy",
    "starlette": "ASGI: starlette, fastapi, uvicorn, websockets",
    "fastapi": "ASGI: starlette, fastapi, uvicorn, websockets",
    "uvicorn": "ASGI: starlette, fastapi, uvicorn, websockets",
    "websockets": "ASGI: starlette, fastapi, uvicorn, websockets",
    "anyio": "threads and the event loop: anyio, threading, asyncio, queue",
    "threading.py": "threads and the event loop: anyio, threading, asyncio, queue",
    "queue.py": "threads and the event loop: anyio, threading, asyncio, queue",
    "asyncio": "threads and the event loop: anyio, threading, asyncio, queue",
}


def _where(frame: str) -> str:
    """The file of a py-spy frame, ``name (path/file.py:line)``, as ``/path/file.py``."""
    return "/" + frame.partition(" (")[2].rstrip(")").rsplit(":", 1)[0].lstrip("/")


def _package(frame: str) -> str:
    where = _where(frame)
    for key, name in _PACKAGES.items():
        if f"/{key}/" in where or where.endswith(f"/{key}"):
            return name
    return "other"


def print_profile(console: Console, path: Path, top: int = 20) -> None:
    """Where the server held the GIL, from py-spy's raw (collapsed) stacks: by package (self
    time), our functions (inclusive) and the busiest functions (self)."""
    if not path.exists():
        console.print("[yellow]no profile was written (is py-spy allowed to attach?)[/yellow]")
        return
    ours: Counter[str] = Counter()
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [f for f in stack.split(";") if " (" in f]
        if not frames:
            continue
        n = int(count)
        total += n
        for f in {_short(f) for f in frames if "/deconfliction/" in _where(f)}:
            ours[f] += n
        own[_short(frames[-1])] += n
        packages[_package(frames[-1])] += n
    console.print(f"server profile: {total:,} samples with the GIL held, at 100 a second")
    by = Table("self %", "package")
    for name, n in packages.most_common():
        by.add_row(f"{100 * n / total:.1f}", name)
    console.print(by)
    table = Table("inclusive %", "our function", "self %", "function")
    inc, slf = ours.most_common(top), own.most_common(top)
    for i in range(max(len(inc), len(slf))):
        a = inc[i] if i < len(inc) else None
        b = slf[i] if i < len(slf) else None
        table.add_row(f"{100 * a[1] / total:.1f}" if a else "", a[0] if a else "",
                      f"{100 * b[1] / total:.1f}" if b else "", b[0] if b else "")  # fmt: skip
    console.print(table)


def _short(frame: str) -> str:
    """``f (/x/deconfliction/service/events.py:260)`` -> ``f (service/events.py)``."""
    name = frame.partition(" (")[0]
    parts = _where(frame).split("/")
    for anchor in ("deconfliction", "site-packages"):
        if anchor in parts:
            parts = parts[len(parts) - parts[::-1].index(anchor) :]
            break
    return f"{name} ({'/'.join(parts[-3:])})"
