"""The running detector at scale: one scan of every live track, through the service, on SQLite.

    .venv/bin/python bench/scan.py                      # 1,000 / 5,000 / 20,000 world tracks
    .venv/bin/python bench/scan.py --n 5000 --volumes 2000

Tracks come from ``bench/_tactical_workload.world`` (clustered around hubs, as in the tactical
benchmark), spread over ``--parties`` parties and reported through ``service.report_tracks`` in
batches of 5,000. ``--volumes`` active notices (circles of 2-20 km over the same hubs, one per
notice, from another party) give intrusions something to find. Each scan is timed whole (read the
live tracks, tactical, intrusion, deviation, reconcile and write) and by stage with cProfile
(``--profile``). The first scan opens every conflict; the next ones update them: the steady state
the server's one-second loop lives in.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
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

console = Console()
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def build(n: int, parties: int, volumes: int, seed: int, folder: Path) -> tuple[Line, float]:
    line = Line(
        budgets=NO_BUDGETS,
        store=open_store(f"sqlite:///{folder / f'scan-{n}.db'}"),
        clock=lambda: NOW,
    )
    members = []
    for p in range(parties):
        service.create_party(line, f"p{p}", f"Party {p}")
        members.append(service.create_member(line, f"p{p}", Role.COORDINATOR)[0])
    rng = np.random.default_rng(seed)
    tr = world(rng, n)
    owner = rng.integers(0, parties, n)
    started = time.perf_counter()
    for p, member in enumerate(members):
        idx = np.flatnonzero(owner == p)
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
                    "time": NOW.isoformat(),
                    "audience": "all",
                }
                for i in idx[s : s + 5000].tolist()
            ]
            result = service.report_tracks(line, member, batch)
            assert not result.rejected, result.rejected[:3]
    reported = time.perf_counter() - started
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
    return line, reported


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, nargs="*", default=[1_000, 5_000, 20_000])
    ap.add_argument("--parties", type=int, default=8)
    ap.add_argument("--volumes", type=int, default=500)
    ap.add_argument("--scans", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    table = Table(title="One scan of every live track (SQLite, one process)")
    for col in ("tracks", "volumes", "report /s", "first scan s", "next scans s", "tactical",
                "intrusion", "live conflicts"):  # fmt: skip
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n:
            with console.status(f"reporting {n:,} tracks, declaring {args.volumes} volumes"):
                line, reported = build(n, args.parties, args.volumes, args.seed, Path(tmp))
            times = []
            last = None
            for _ in range(args.scans):
                t = time.perf_counter()
                last = scan(line)
                times.append(time.perf_counter() - t)
            assert last is not None
            table.add_row(
                f"{n:,}", f"{args.volumes:,}", f"{n / reported:,.0f}", f"{times[0]:.2f}",
                " / ".join(f"{x:.2f}" for x in times[1:]),
                f"{last.count(ConflictKind.TACTICAL):,}",
                f"{last.count(ConflictKind.INTRUSION):,}",
                f"{len(last.opened) + len(last.updated):,}",
            )  # fmt: skip
            if args.profile:
                prof = cProfile.Profile()
                prof.runcall(scan, line)
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(15)
                console.rule(f"profile, {n:,} tracks")
                console.print(out.getvalue())
            line.store.close()
    console.print(table)


if __name__ == "__main__":
    main()
