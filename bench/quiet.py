"""How many conflict events a continuing encounter makes: two silent head-on aircraft and a
stopped convoy, scanned on a test clock (no waiting: the figures do not depend on the machine).

    .venv/bin/python bench/quiet.py                         # this checkout
    PYTHONPATH=/path/to/other/src .venv/bin/python bench/quiet.py   # another version, to compare

- **Silent pair**: two aircraft 45.6 km apart, head on at 200 m/s each, reported once (good for
  five minutes), scanned every 0.5 s for 2 minutes; separation is lost ~91 s after the start.
- **Stopped convoy**: a protected humanitarian movement whose lead truck reports every minute,
  stopped, for 40 minutes (the line calls it stopped after 30), scanned every 5 s.

Every conflict event is a record entry every party it is told to keeps; the fewer that say
nothing new, the more a duty officer reads the ones that do.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import deconfliction
from deconfliction import service
from deconfliction.domain import Role
from deconfliction.domain.probing import NO_BUDGETS  # noqa: E402
from deconfliction.service import Line
from deconfliction.store import open_store

console = Console()
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _line() -> tuple[Line, Clock, dict[str, Any]]:
    clock = Clock()
    # a file, not memory: versions of the line before 2026-12-06 could not open an in-memory one
    db = Path(tempfile.mkdtemp(prefix="quiet-")) / "line.db"
    line = Line(budgets=NO_BUDGETS, store=open_store(f"sqlite:///{db}"), clock=clock)
    members = {}
    for slug in ("blue", "red", "aid"):
        service.create_party(line, slug, slug.title())
        members[slug] = service.create_member(line, slug, Role.COORDINATOR)[0]
    return line, clock, members


def _events(line: Line) -> Counter[str]:
    with line.store.read() as tx:
        found = tx.events_after(0, None, limit=100_000)
    return Counter(e.kind.value for e in found if e.kind.value.startswith("conflict."))


def silent_pair() -> Counter[str]:
    line, clock, m = _line()
    at = _z(clock.now)
    common = {"domain": "air", "alt_m": 3000.0, "vs_mps": 0.0, "gs_mps": 200.0, "stale_s": 300}
    east = {"uid": "b1", "lat": 35.0, "lon": 40.0, "trk_deg": 90.0, "time": at, **common}
    west = {"uid": "r1", "lat": 35.0, "lon": 40.5, "trk_deg": 270.0, "time": at, **common}
    service.report_tracks(line, m["blue"], [east])
    service.report_tracks(line, m["red"], [west])
    for _ in range(240):  # every 0.5 s for 2 minutes
        service.scan(line)
        clock.now += timedelta(seconds=0.5)
    return _events(line)


def stopped_convoy() -> Counter[str]:
    line, clock, m = _line()
    corridor = [[39.0, 35.0], [40.0, 35.0]]
    move = {
        "kind": "movement", "title": "Convoy", "protected": True, "audience": ["blue"],
        "volumes": [{"footprint": {"type": "LineString", "coordinates": corridor},
                     "half_width_m": 2000,
                     "time": {"start": _z(T0), "end": _z(T0 + timedelta(hours=6))}}],
    }  # fmt: skip
    from deconfliction.api.convert import draft_from  # the API's reading of a notice body
    from deconfliction.api.schemas import NoticeIn

    notice = service.create_notice(line, m["aid"], draft_from(NoticeIn.model_validate(move)))
    for minute in range(40):
        service.report_tracks(line, m["aid"], [{
            "uid": "truck-1", "domain": "ground", "lat": 35.0, "lon": 39.5, "alt_m": 300.0,
            "gs_mps": 0.0, "trk_deg": 90.0, "vs_mps": 0.0, "time": _z(clock.now),
            "movement": notice.notice.id}])  # fmt: skip
        for _ in range(12):  # a scan every 5 s
            service.scan(line)
            clock.now += timedelta(seconds=5)
        del minute
    return _events(line)


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    source = deconfliction.__file__
    console.rule(f"Conflict events per encounter ({source})")
    table = Table()
    for col in ("encounter", "scans", "opened", "updated", "closed", "events"):
        table.add_column(col, justify="right" if col != "encounter" else "left")
    for name, scans, run in (("silent head-on pair, 2 min", 240, silent_pair),
                             ("stopped convoy, 40 min", 480, stopped_convoy)):  # fmt: skip
        with console.status(name):
            n = run()
        table.add_row(
            name, str(scans), str(n["conflict.opened"]), str(n["conflict.updated"]),
            str(n["conflict.closed"]), str(sum(n.values())),
        )  # fmt: skip
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
