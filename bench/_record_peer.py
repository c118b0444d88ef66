"""The peer side of bench/record.py, run by bench/.venv-merkle/bin/python (pymerkle 7.0.0 alone,
no project import); prints one JSON object on stdout.

    _record_peer.py append ENTRIES DIR     # entries: 4-byte big-endian length + bytes, repeated
    _record_peer.py proofs DIR --max-n N --budget-s S --calls C --seed K --samples M

``append``: the entries into an ``InmemoryTree`` (``append_entries``, one ``append_entry`` each)
and into a fresh ``SqliteTree`` (its bulk ``append_entries``: one transaction); rates and roots.
``proofs``: each backend grows by the synthetic entries of bench/_record_workload.py in steps of
100,000 until ``N`` or until its build took ``S`` seconds, then answers C random inclusion and C
random consistency proofs (timed one by one, each verified afterwards with pymerkle's verifier)
and returns M of each for the caller to hold against its own tree. Trees use pymerkle's defaults:
SHA-256 with its "security" prefixes (0x00 leaf, 0x01 node), i.e. RFC 9162 hashing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import struct
import sys
import time

from pymerkle import InmemoryTree, SqliteTree, verify_consistency, verify_inclusion

STEP = 100_000


def synthetic_entry(i: int) -> bytes:
    return b"deconfliction record bench entry %d" % i  # as bench/_record_workload.py


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def read_entries(path: str) -> list[bytes]:
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        (n,) = struct.unpack_from(">I", data, pos)
        out.append(data[pos + 4 : pos + 4 + n])
        pos += 4 + n
    return out


def append(entries_path: str, folder: str) -> dict:
    entries = read_entries(entries_path)
    gc.collect()
    mem = InmemoryTree()
    t = time.perf_counter()
    mem.append_entries(entries)
    mem_s = time.perf_counter() - t
    db = os.path.join(folder, "peer-append.db")
    sql = SqliteTree(db)
    t = time.perf_counter()
    sql.append_entries(entries)
    sql_s = time.perf_counter() - t
    out = {
        "n": len(entries),
        "inmemory_per_s": len(entries) / mem_s,
        "sqlite_per_s": len(entries) / sql_s,
        "inmemory_root": mem.get_root().hex(),
        "sqlite_root": sql.get_root().hex(),
    }
    sql.close()
    return out


def _grow(tree, max_n: int, budget_s: float) -> tuple[int, float]:
    spent = 0.0
    size = tree.get_size()
    while size < max_n and spent < budget_s:
        batch = [synthetic_entry(i) for i in range(size, min(max_n, size + STEP))]
        t = time.perf_counter()
        size = tree.append_entries(batch)
        spent += time.perf_counter() - t
        print(f"{tree.__class__.__name__} {size}", file=sys.stderr, flush=True)
    return size, spent


def _ms(xs: list[float]) -> dict:
    xs = sorted(xs)
    return {
        "calls": len(xs),
        "p50": statistics.median(xs) * 1e3,
        "p99": xs[min(len(xs) - 1, int(0.99 * len(xs)))] * 1e3,
        "max": xs[-1] * 1e3,
    }


def prove(tree, size: int, calls: int, seed: int, samples: int) -> dict:
    r = random.Random(seed)
    inc, con, shown_inc, shown_con = [], [], [], []
    for k in range(calls):
        n = r.randint(1, size)
        i = r.randint(1, n)
        t = time.perf_counter()
        proof = tree.prove_inclusion(i, n)
        inc.append(time.perf_counter() - t)
        verify_inclusion(tree.get_leaf(i), tree.get_root(n), proof, index=i, size=n)
        if k < samples:
            shown_inc.append([i, n, [h.hex() for h in proof.path]])
    for k in range(calls):
        new = r.randint(1, size)
        old = r.randint(1, new)
        t = time.perf_counter()
        proof = tree.prove_consistency(old, new)
        con.append(time.perf_counter() - t)
        verify_consistency(tree.get_root(old), tree.get_root(new), proof, old, new)
        if k < samples:
            shown_con.append([old, new, [h.hex() for h in proof.path]])
    return {
        "size": size,
        "root": tree.get_root(size).hex(),
        "inclusion_ms": _ms(inc),
        "consistency_ms": _ms(con),
        "inclusion_samples": shown_inc,
        "consistency_samples": shown_con,
    }


def proofs(folder: str, max_n: int, budget_s: float, calls: int, seed: int, samples: int) -> dict:
    out = {}
    db = os.path.join(folder, "peer-proofs.db")
    if os.path.exists(db):
        os.remove(db)
    sql = SqliteTree(db)
    size, spent = _grow(sql, max_n, budget_s)
    sql.close()
    sql = SqliteTree(db)  # a cold cache, as after a restart
    t = time.perf_counter()
    sql.get_root()
    cold = time.perf_counter() - t
    out["sqlite"] = prove(sql, size, calls, seed, samples)
    out["sqlite"].update(build_s=spent, per_s=size / spent, cold_root_s=cold)
    sql.close()
    os.remove(db)
    gc.collect()
    mem = InmemoryTree()
    before = _rss_mb()
    size, spent = _grow(mem, max_n, budget_s)
    grown = _rss_mb() - before
    out["inmemory"] = prove(mem, size, calls, seed, samples)
    out["inmemory"].update(build_s=spent, per_s=size / spent, rss_mb=grown)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["append", "proofs"])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--max-n", type=int, default=10_000_000)
    ap.add_argument("--budget-s", type=float, default=120.0)
    ap.add_argument("--calls", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--samples", type=int, default=50)
    a = ap.parse_args()
    import importlib.metadata

    if a.mode == "append":
        result = append(a.paths[0], a.paths[1])
    else:
        result = proofs(a.paths[0], a.max_n, a.budget_s, a.calls, a.seed, a.samples)
    result["version"] = importlib.metadata.version("pymerkle")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
