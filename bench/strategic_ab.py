"""Strategic figures for one version of the code on a database bench/strategic.py left behind,
so that two commits can be compared on the same data minutes apart (a ratio holds up on a shared
machine where absolute times do not).

    .venv/bin/python bench/strategic.py --n 1000000 --k 300 --skip-http   # leaves its database
    git archive <commit> src | tar -x -C /tmp/before
    for src in /tmp/before/src src; do
        PYTHONPATH=$src .venv/bin/python bench/strategic_ab.py /tmp/bench_strategic_*/line.db
    done

What it times, with the code on ``PYTHONPATH``: building the in-memory index of active volumes;
``--queries`` radius queries (100 km over 6 h, the bench's own code path), ``--repeats`` times,
median wall and CPU per query of each pass; then ``--creates`` checked creates through
``service.create_notice`` (the bench's workload, another seed), CPU per create, p50 and the
worst; with ``--clients C``, as many more from C threads at once (the rate and p99). The
creates are committed: each run adds its notices to the database, so alternate the versions and
keep their order in mind. Prints the figures and one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import deconfliction  # noqa: E402
from _workload import N_PARTIES, generate, party_slug, radius_queries  # noqa: E402
from deconfliction import service  # noqa: E402
from deconfliction.config import LineConfig  # noqa: E402
from deconfliction.domain import Role  # noqa: E402
from deconfliction.domain.probing import NO_BUDGETS  # noqa: E402
from strategic import _draft, concurrent_ours, radius_ours  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", help="the SQLite file bench/strategic.py left")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--seed", type=int, default=99)
    parser.add_argument("--clients", type=int, default=0, help="also creates from C threads")
    args = parser.parse_args()

    code = str(Path(deconfliction.__file__).resolve().parent)
    print(f"code: {code}")
    line = service.open_line(LineConfig(f"sqlite:///{args.db}", budgets=NO_BUDGETS))
    t0 = time.perf_counter()
    held = service.warm_strategic(line)
    gc.freeze()  # as serve does once its index is built
    index_s = time.perf_counter() - t0
    print(f"index of {held:,} volumes built in {index_s:.1f} s")

    # the bench's windows start two days after the day it ran; queries over its 30 days
    now = datetime.now(UTC)
    base = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=2)
    base_us = int(base.timestamp()) * 1_000_000
    queries = radius_queries(np.random.default_rng(args.seed), args.queries, base_us)
    radius: list[tuple[float, float]] = []
    for _ in range(args.repeats):
        c0 = time.process_time()
        lat = radius_ours(line, queries, {})
        cpu_ms = (time.process_time() - c0) / len(queries) * 1e3
        radius.append((statistics.median(lat.samples) * 1e3, cpu_ms))
        found = sum(len(r) for r in lat.results)
        print(f"radius: median {radius[-1][0]:.2f} ms, CPU {cpu_ms:.2f} ms a query, "
              f"{found:,} volumes found")  # fmt: skip

    out = {"code": code, "volumes": held, "index_s": round(index_s, 2),
           "radius_median_ms": round(min(r[0] for r in radius), 3),
           "radius_cpu_ms": round(min(r[1] for r in radius), 3)}  # fmt: skip
    if args.creates:
        members = {}
        for p in range(N_PARTIES):
            members[p], _ = service.create_member(line, party_slug(p), Role.COORDINATOR)
        vols = generate(np.random.default_rng(args.seed + 1), args.creates, base_us)
        drafts = [_draft(vols, i, "ab create") for i in range(len(vols))]
        samples, conflicts = [], 0
        c0 = time.process_time()
        for i, draft in enumerate(drafts):
            t1 = time.perf_counter()
            result = service.create_notice(line, members[int(vols.party[i])], draft)
            samples.append(time.perf_counter() - t1)
            conflicts += len(result.conflicts)
        cpu_ms = (time.process_time() - c0) / len(drafts) * 1e3
        p50, worst = statistics.median(samples) * 1e3, max(samples) * 1e3
        print(f"creates: CPU {cpu_ms:.2f} ms a create, p50 {p50:.2f} ms, worst {worst:.1f} ms, "
              f"{conflicts / len(drafts):.1f} conflicts each")  # fmt: skip
        out |= {"create_cpu_ms": round(cpu_ms, 3), "create_p50_ms": round(p50, 3),
                "create_worst_ms": round(worst, 1)}  # fmt: skip
    if args.creates and args.clients:
        vols = generate(np.random.default_rng(args.seed + 2), args.creates, base_us)
        c0 = time.process_time()
        lat = concurrent_ours(line, members, vols, args.clients)
        cpu_ms = (time.process_time() - c0) / len(vols) * 1e3
        rate, p99 = len(vols) / lat.wall_s, lat.pct(99)
        print(f"{args.clients} clients: {rate:.0f} creates/s, CPU {cpu_ms:.2f} ms a create, "
              f"p99 {p99:.1f} ms")  # fmt: skip
        out |= {"clients": args.clients, "clients_rate": round(rate, 1),
                "clients_p99_ms": round(p99, 1)}  # fmt: skip
    line.store.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
