"""The running detector at scale: one scan of every live track, through the service, on SQLite.

    .venv/bin/python bench/scan.py                      # 1,000 / 5,000 / 20,000 world tracks
    .venv/bin/python bench/scan.py --n 5000 --volumes 2000
    .venv/bin/python bench/scan.py --baseline main      # main's code too, size by size

Tracks come from ``bench/_tactical_workload.world`` (clustered around hubs, as in the tactical
benchmark), spread over ``--parties`` parties and reported through ``service.report_tracks`` in
batches of 5,000. ``--volumes`` active notices (circles of 2-20 km over the same hubs, one per
notice, from another party) give intrusions something to find. Each scan is timed whole (read the
live tracks, tactical, intrusion, deviation, reconcile and write) and by stage with cProfile
(``--profile``). The first scan opens every conflict; the next ones update them: the steady state
the server's one-second loop lives in; ``--step-s 1`` moves the clock on a second before each
(the tracks age, and every figure is worked out again), and ``--moved K`` reports K tracks again
before each. ``--baseline REF`` measures git REF's code as well (its ``src`` extracted with
``git archive``, run in a fresh process with ``PYTHONPATH`` on it), each size in turn, and prints
the ratio of their median steady scans. Wall and CPU seconds are both shown: on a shared machine
the CPU time of the scanning process is the steadier figure.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tactical_workload import world  # noqa: E402
from deconfliction import service  # noqa: E402
from deconfliction.api.convert import draft_from  # noqa: E402
from deconfliction.api.schemas import NoticeIn  # noqa: E402
from deconfliction.domain import ConflictKind, Role  # noqa: E402
from deconfliction.domain.probing import NO_BUDGETS  # noqa: E402
from deconfliction.service import scan  # noqa: E402
from deconfliction.service.line import Line  # noqa: E402
from deconfliction.store import open_store  # noqa: E402

console = Console(width=150)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Clock:
    """The line's clock: NOW, moved on by ``step`` between scans (``--step-s``)."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def build(
    n: int, parties: int, volumes: int, seed: int, folder: Path, clock: Clock | None = None
) -> tuple[Line, float, Callable[[int], None]]:
    """The line, its reports stored a second, and a function that reports ``k`` of its tracks
    again at the clock's time (the same state, newly reported)."""
    line = Line(
        budgets=NO_BUDGETS,
        store=open_store(f"sqlite:///{folder / f'scan-{n}.db'}"),
        clock=clock or Clock(),
    )
    members = []
    for p in range(parties):
        service.create_party(line, f"p{p}", f"Party {p}")
        members.append(service.create_member(line, f"p{p}", Role.COORDINATOR)[0])
    rng = np.random.default_rng(seed)
    tr = world(rng, n)
    owner = rng.integers(0, parties, n)

    def report(which: np.ndarray, at: datetime) -> None:
        for p, member in enumerate(members):
            idx = which[owner[which] == p]
            for s in range(0, len(idx), 5000):
                batch = [
                    {
                        "uid": f"t{i}",
                        "domain": "air",
                        "lat": float(tr.lat[i]),
                        "lon": float(tr.lon[i]),
                        "alt_m": float(tr.alt_m[i]),
                        "gs_mps": float(tr.gs_mps[i]),
                        "trk_deg": float(tr.trk_deg[i]) % 360.0,
                        "vs_mps": float(tr.vs_mps[i]),
                        "time": at.isoformat(),
                        "audience": "all",
                    }
                    for i in idx[s : s + 5000].tolist()
                ]
                result = service.report_tracks(line, member, batch)
                assert not result.rejected, result.rejected[:3]

    started = time.perf_counter()
    report(np.arange(n), NOW)
    reported = time.perf_counter() - started
    again_rng = np.random.default_rng(seed + 1)

    def again(k: int) -> None:
        report(np.sort(again_rng.choice(n, size=min(k, n), replace=False)), line.clock())

    window = {
        "start": (NOW - timedelta(hours=1)).isoformat(),
        "end": (NOW + timedelta(hours=6)).isoformat(),
    }
    for _ in range(volumes):
        k = int(rng.integers(0, n))
        body = {
            "kind": "operation",
            "volumes": [
                {
                    "footprint": {
                        "type": "Point",
                        "coordinates": [float(tr.lon[k]), float(tr.lat[k])],
                    },
                    "radius_m": float(rng.uniform(2_000, 20_000)),
                    "altitude": {"lower_m": 0.0, "upper_m": float(rng.uniform(1_000, 12_000))},
                    "time": window,
                }
            ],
        }
        author = members[(int(owner[k]) + 1) % parties]
        service.create_notice(line, author, draft_from(NoticeIn.model_validate(body)))
    return line, reported, again


def measure(n: int, args: argparse.Namespace, folder: Path) -> dict[str, object]:
    """Build a line of ``n`` tracks, scan it ``args.scans`` times: the figures of one row."""
    clock = Clock()
    with console.status(f"reporting {n:,} tracks, declaring {args.volumes} volumes"):
        line, reported, again = build(n, args.parties, args.volumes, args.seed, folder, clock)
    times, cpu = [], []
    last = None
    for k in range(args.scans):
        clock.now = NOW + timedelta(seconds=k * args.step_s)
        if k and args.moved:
            again(args.moved)
        t, c = time.perf_counter(), time.process_time()
        last = scan(line)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    assert last is not None
    if args.profile:
        clock.now += timedelta(seconds=args.step_s)
        if args.moved:
            again(args.moved)
        prof = cProfile.Profile()
        prof.runcall(scan, line)
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(15)
        console.rule(f"profile, {n:,} tracks")
        console.print(out.getvalue())
    line.store.close()
    return {
        "n": n,
        "report_per_s": n / reported,
        "times": times,
        "cpu": cpu,
        "tactical": last.count(ConflictKind.TACTICAL),
        "intrusion": last.count(ConflictKind.INTRUSION),
        "live": len(last.opened) + len(last.updated),
    }


def _baseline_src(ref: str, folder: Path) -> Path:
    """The package source of git ``ref``, extracted into ``folder``."""
    root = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", ref, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src"


def _child(n: int, args: argparse.Namespace, src: Path | None) -> dict[str, object]:
    """``measure`` in a fresh process, on ``src`` (the baseline's package) or this checkout's."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    cmd = [sys.executable, __file__, "--json", "--n", str(n), "--scans", str(args.scans),
           "--parties", str(args.parties), "--volumes", str(args.volumes),
           "--seed", str(args.seed), "--step-s", str(args.step_s),
           "--moved", str(args.moved)]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    out = done.stdout
    row: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, nargs="*", default=[1_000, 5_000, 20_000])
    ap.add_argument("--parties", type=int, default=8)
    ap.add_argument("--volumes", type=int, default=500)
    ap.add_argument("--scans", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument(
        "--step-s",
        type=float,
        default=0.0,
        help="move the clock on this many seconds before each scan after the first (as the "
        "running loop does; 0: every scan at one instant)",
    )
    ap.add_argument(
        "--moved",
        type=int,
        default=0,
        help="report this many tracks again (at the clock's time) before each scan after the "
        "first, untimed: the scan then takes in what changed",
    )
    ap.add_argument(
        "--baseline",
        metavar="REF",
        help="also measure git REF's code (e.g. main), each size in turn, in fresh processes",
    )
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.json:
        with tempfile.TemporaryDirectory() as tmp:
            for n in args.n:
                print(json.dumps(measure(n, args, Path(tmp))))
        return
    table = Table(title="One scan of every live track (SQLite, one process)")
    for col in ("code", "tracks", "volumes", "report /s", "first scan s", "next scans s",
                "next scans CPU s", "tactical", "intrusion", "live conflicts"):  # fmt: skip
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        src = _baseline_src(args.baseline, Path(tmp)) if args.baseline else None
        for n in args.n:
            rows: list[tuple[str, dict[str, object]]] = []
            if src is not None:
                with console.status(f"{args.baseline}: {n:,} tracks"):
                    rows.append((str(args.baseline), _child(n, args, src)))
                with console.status(f"this checkout: {n:,} tracks"):
                    rows.append(("this", _child(n, args, None)))
            else:
                rows.append(("this", measure(n, args, Path(tmp))))
            for code, r in rows:
                times, cpu = r["times"], r["cpu"]
                assert isinstance(times, list) and isinstance(cpu, list)
                table.add_row(
                    code, f"{n:,}", f"{args.volumes:,}", f"{r['report_per_s']:,.0f}",
                    f"{times[0]:.2f}", " / ".join(f"{x:.2f}" for x in times[1:]),
                    " / ".join(f"{x:.2f}" for x in cpu[1:]),
                    f"{r['tactical']:,}", f"{r['intrusion']:,}", f"{r['live']:,}",
                )  # fmt: skip
            if len(rows) == 2:
                (_, a), (_, b) = rows
                ta, tb = a["times"], b["times"]
                assert isinstance(ta, list) and isinstance(tb, list)
                steady_a = sorted(ta[1:] or ta)[len(ta[1:] or ta) // 2]
                steady_b = sorted(tb[1:] or tb)[len(tb[1:] or tb) // 2]
                console.print(
                    f"{n:,} tracks: steady scan {steady_a:.2f} s -> {steady_b:.2f} s "
                    f"({steady_a / steady_b:.1f}x); same findings: "
                    f"{(a['tactical'], a['intrusion']) == (b['tactical'], b['intrusion'])}"
                )
    console.print(table)


if __name__ == "__main__":
    main()
