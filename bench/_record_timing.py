"""Timing the record's proofs for bench/record.py: random calls within a budget, each answer
verified (untimed) against a reference ``MemoryTree`` of the same leaves.

Sizes are uniform over ``[1, N]`` and positions (or old sizes) uniform below them, so that a
proof touches nodes all over the tree, as parties asking about any event at any checkpoint do.
"""

from __future__ import annotations

import base64
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.progress import Progress

from deconfliction.record.memory import MemoryTree
from deconfliction.record.tree import (
    assemble,
    inclusion_plan,
    plan_ids,
    verify_consistency,
    verify_inclusion,
)
from deconfliction.service import Line
from deconfliction.service.record import consistency, inclusion

__all__ = [
    "Stats",
    "cold_service",
    "joined_inclusion",
    "time_calls",
    "time_memory",
    "time_service",
]

Pick = Callable[[], tuple[int, int]]
Check = Callable[[int, int, Any], None]


@dataclass
class Stats:
    """Per-call wall times in ms, and how many calls the time budget allowed."""

    calls: int
    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, seconds: list[float]) -> Stats:
        xs = sorted(seconds)
        if not xs:
            return cls(0, float("nan"), float("nan"), float("nan"))
        p99 = xs[min(len(xs) - 1, int(0.99 * len(xs)))]
        return cls(len(xs), statistics.median(xs) * 1e3, p99 * 1e3, xs[-1] * 1e3)

    @classmethod
    def from_json(cls, d: dict[str, float]) -> Stats:
        return cls(int(d["calls"]), d["p50"], d["p99"], d["max"])

    def text(self) -> str:
        return f"{self.p50:.3f} / {self.p99:.3f} / {self.max:.3f}"


WARM = 200
"""Untimed calls before each timed series."""


def time_calls(
    pick: Pick,
    call: Callable[[int, int], Any],
    check: Check,
    calls: int,
    budget_s: float,
    progress: Progress,
    label: str,
    warm: int = WARM,
) -> Stats:
    """Time ``call(*pick())`` up to ``calls`` times or until ``budget_s`` of calls; each answer
    is checked (untimed) by ``check``. ``warm`` calls go first, untimed: a server that has been
    answering has its database's upper pages in memory, and a first call after opening a
    1 GiB file would otherwise measure the disk (``cold_service`` measures that on purpose)."""
    for _ in range(warm):
        call(*pick())
    task = progress.add_task(label, total=calls, last="")
    spent: list[float] = []
    while len(spent) < calls and sum(spent) < budget_s:
        a, b = pick()
        t = time.perf_counter()
        got = call(a, b)
        spent.append(time.perf_counter() - t)
        check(a, b, got)
        progress.update(task, advance=1, last=f"{spent[-1] * 1e3:,.2f} ms")
    progress.update(task, total=len(spent))  # stops its clock when the budget ended it early
    return Stats.of(spent)


def _picker(n: int, seed: int) -> Pick:
    r = random.Random(seed)

    def pick() -> tuple[int, int]:
        size = r.randint(1, n)
        return r.randint(1, size), size

    return pick


def _checks(mem: MemoryTree) -> tuple[Check, Check, Check]:
    """Checks of a service inclusion, a service consistency and a bare inclusion proof."""

    def inc(seq: int, size: int, got: Any) -> None:
        assert got.leaf == mem.node(0, seq - 1)
        verify_inclusion(seq - 1, size, got.leaf, got.proof, mem.root(size))

    def con(old: int, new: int, got: Any) -> None:
        proof = [base64.b64decode(h) for h in got["proof"]]
        verify_consistency(old, new, mem.root(old), mem.root(new), proof)

    def raw(seq: int, size: int, got: Any) -> None:
        verify_inclusion(seq - 1, size, mem.node(0, seq - 1), got, mem.root(size))

    return inc, con, raw


def time_service(
    line: Line, mem: MemoryTree, calls: int, budget_s: float, progress: Progress, where: str,
    seed: int, joined: bool = False,
) -> list[Stats]:  # fmt: skip
    """``service.record.inclusion`` and ``consistency`` on ``line`` (and ``joined_inclusion``
    when asked), over the sizes ``mem`` holds."""
    inc, con, raw = _checks(mem)
    n = mem.size
    out = [
        time_calls(_picker(n, seed), lambda s, z: inclusion(line, s, z), inc, calls, budget_s,
                   progress, f"{where}: inclusion"),
        time_calls(_picker(n, seed), lambda o, z: consistency(line, o, z), con, calls, budget_s,
                   progress, f"{where}: consistency"),
    ]  # fmt: skip
    if joined:
        out.append(
            time_calls(_picker(n, seed), lambda s, z: joined_inclusion(line, s, z), raw, calls,
                       budget_s, progress, f"{where}: inclusion by VALUES join")
        )  # fmt: skip
    return out


def cold_service(
    line: Callable[[], Line], mem: MemoryTree, calls: int, progress: Progress, seed: int,
    evict: Callable[[], None],
) -> list[Stats]:  # fmt: skip
    """The first ``calls`` inclusion proofs, then the first ``calls`` consistency proofs, each
    series on a line opened afresh (``line()``) after ``evict()`` dropped the database file from
    the OS page cache: a line started on a machine that has not read its file since booting."""
    inc, con, _ = _checks(mem)
    n, out = mem.size, []
    for kind, call, check in (("inclusion", inclusion, inc), ("consistency", consistency, con)):
        evict()
        fresh = line()
        out.append(
            time_calls(_picker(n, seed), lambda a, b: call(fresh, a, b), check, calls, 1e9,  # noqa: B023
                       progress, f"store, cold: {kind}", warm=0)
        )  # fmt: skip
        fresh.store.close()
    return out


def time_memory(
    mem: MemoryTree, calls: int, budget_s: float, progress: Progress, seed: int
) -> list[Stats]:
    _, _, raw = _checks(mem)

    def con(old: int, new: int, proof: Any) -> None:
        verify_consistency(old, new, mem.root(old), mem.root(new), proof)

    n = mem.size
    return [
        time_calls(_picker(n, seed), lambda s, z: mem.inclusion_proof(s - 1, z), raw, calls,
                   budget_s, progress, "MemoryTree: inclusion"),
        time_calls(_picker(n, seed), mem.consistency_proof, con, calls, budget_s, progress,
                   "MemoryTree: consistency"),
    ]  # fmt: skip


def joined_inclusion(line: Line, seq: int, size: int) -> list[bytes]:
    """``service.record.inclusion`` with the nodes fetched by a VALUES join (an index seek
    each) instead of the store's row-value IN: what the proof would cost with such a query."""
    with line.store.read() as tx:
        tx.record_size()
        plan = inclusion_plan(seq - 1, size)
        ids = sorted(plan_ids(plan) | {(0, seq - 1)})
        values = ", ".join("(?, ?)" for _ in ids)
        sql = (
            f"SELECT n.level, n.idx, n.hash FROM (VALUES {values}) AS v JOIN record_node AS n "
            "ON n.level = v.column1 AND n.idx = v.column2"
        )
        conn = tx._conn  # type: ignore[attr-defined]
        found = conn.exec_driver_sql(sql, tuple(x for i in ids for x in i))
        return assemble(plan, {(lv, ix): bytes(h) for lv, ix, h in found})
