"""The record's targeted figures for one version of the code, on bench/record.py's cached lines,
so that two commits can be compared on the same machine minutes apart (a ratio holds up on a
shared machine where absolute times do not).

    git archive <commit> src | tar -x -C /tmp/before
    for src in /tmp/before/src src; do PYTHONPATH=$src .venv/bin/python bench/record_ab.py; done

Prints one JSON line: ``verify_store`` over the 1,000,000-event line (log only), wall and CPU
seconds; 2,000 inclusion and 2,000 consistency proofs at 10,000,000 entries after 200 untimed,
p50 / p99 ms and CPU ms a call; ``advance`` over 50,000 workload events on a fresh PostgreSQL
schema, events/s and CPU seconds, and the same proofs on it (``pg_``); the load average before
and after. Run bench/record.py once
first: it builds the cached lines in bench/.cache.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import deconfliction  # noqa: E402
from _record_build import open_line  # noqa: E402
from _record_workload import append, pg_schema  # noqa: E402
from deconfliction.domain.probing import NO_BUDGETS  # noqa: E402
from deconfliction.service import Line  # noqa: E402
from deconfliction.service.record import advance, consistency, inclusion  # noqa: E402
from deconfliction.service.record.verify import verify_store  # noqa: E402
from deconfliction.store import open_store  # noqa: E402

CACHE = BENCH / ".cache"
BIG = 10_000_000


def _proofs(line: Line, n: int, prefix: str) -> dict[str, Any]:
    """2,000 inclusion and 2,000 consistency proofs at random sizes up to ``n``, after 200
    untimed of each."""
    out = {}
    for kind, proof in (("inclusion", inclusion), ("consistency", consistency)):
        pick = random.Random(3)
        for _ in range(200):
            size = pick.randint(1, n)
            proof(line, pick.randint(1, size), size)
        spent, cpu = [], time.process_time()
        for _ in range(2_000):
            size = pick.randint(1, n)
            at = pick.randint(1, size)
            t = time.perf_counter()
            proof(line, at, size)
            spent.append(time.perf_counter() - t)
        cpu = time.process_time() - cpu
        spent.sort()
        out[prefix + kind] = {
            "p50_ms": round(statistics.median(spent) * 1e3, 3),
            "p99_ms": round(spent[1_980] * 1e3, 3),
            "cpu_ms": round(cpu / 2_000 * 1e3, 3),
        }
    return out


def main() -> int:
    out: dict[str, Any] = {
        "code": str(Path(deconfliction.__file__).parents[1]),
        "load": os.getloadavg()[0],
    }
    line = open_line(CACHE / "record-verify-1000000.db")
    t, cpu = time.perf_counter(), time.process_time()
    found = verify_store(line.store, line.signer.verifier(), served=False)
    out["verify_wall_s"], out["verify_cpu_s"] = time.perf_counter() - t, time.process_time() - cpu
    assert found.ok and found.events == 1_000_000, found.problems[:3]
    line.store.close()
    line = open_line(CACHE / f"record-big-{BIG}.db")
    out |= _proofs(line, BIG, "")
    line.store.close()
    with pg_schema() as url, tempfile.TemporaryDirectory() as tmp:
        line = Line(budgets=NO_BUDGETS, store=open_store(url), key_path=Path(tmp) / "pg.key")
        append(line.store, 50_000, 1_000)
        t, cpu = time.perf_counter(), time.process_time()
        advance(line)
        out["pg_advance_per_s"] = 50_000 / (time.perf_counter() - t)
        out["pg_advance_cpu_s"] = time.process_time() - cpu
        out |= _proofs(line, 50_000, "pg_")
        line.store.close()
    out["load_end"] = os.getloadavg()[0]
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
