"""A run of scans with the tactical pairs passed by the columns (``steady.quiet``) against the same
run with every pair made into objects: the same conflicts opened, told again, closed and stored,
scan after scan, as the clock moves on, tracks turn and new ones come (so pairs begin, go on,
change materially and end), with intrusions and tracks whose audience changes."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from deconfliction import service
from deconfliction.api.convert import draft_from
from deconfliction.api.schemas import NoticeIn
from deconfliction.domain import Member, Role
from deconfliction.domain.probing import NO_BUDGETS
from deconfliction.service import Line
from deconfliction.store import SqlStore
from tests.conftest import MakeStore

scanning = importlib.import_module("deconfliction.service.tracks.scan")  # the module, not scan()
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
STEPS_S = [0, 1, 4, 9, 10, 12, 30]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _reports(rng: np.random.Generator, n: int, at: datetime, audience: Any) -> list[dict[str, Any]]:
    return [
        {
            "uid": f"t{k}",
            "domain": "air",
            "lat": float(50.0 + rng.normal(0.0, 0.15)),
            "lon": float(10.0 + rng.normal(0.0, 0.2)),
            "alt_m": float(rng.choice([1000.0, 1100.0, 3000.0])),
            "gs_mps": float(rng.uniform(50.0, 250.0)),
            "trk_deg": float(rng.uniform(0.0, 360.0)),
            "vs_mps": float(rng.choice([0.0, 0.0, 2.0, -2.0])),
            "time": at.isoformat(),
            "stale_s": 25.0,
            "audience": audience,
        }
        for k in rng.permutation(n)[: n // 3].tolist()
    ]


def _line(store: SqlStore, clock: Clock) -> tuple[Line, list[Member], list[str]]:
    line = Line(budgets=NO_BUDGETS, store=store, clock=clock)
    members, notices = [], []
    for p in ("a", "b", "c"):
        service.create_party(line, p, p)
        members.append(service.create_member(line, p, Role.COORDINATOR)[0])
    for k, (lon, lat) in enumerate([(10.0, 50.0), (10.2, 50.1), (9.8, 49.9)]):
        body = {
            "kind": "operation",
            "volumes": [
                {
                    "footprint": {"type": "Point", "coordinates": [lon, lat]},
                    "radius_m": 3_000.0,
                    "altitude": {"lower_m": 0.0, "upper_m": 2_000.0},
                    "time": {
                        "start": (T0 - timedelta(hours=1)).isoformat(),
                        "end": (T0 + timedelta(hours=1)).isoformat(),
                    },
                }
            ],
        }
        draft = draft_from(NoticeIn.model_validate(body))
        notices.append(service.create_notice(line, members[k], draft).notice.id)
    return line, members, notices


def _run(store: SqlStore, columns: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each scan's counts, the stored live conflicts after it by key, and its told events (but
    their ids), with the notices named by the order they were declared in."""
    if not columns:
        monkeypatch.setattr(scanning, "quiet", lambda found, *_: np.zeros(len(found), dtype=bool))
    clock = Clock()
    line, members, notices = _line(store, clock)
    rng = np.random.default_rng(5)
    seen: list[object] = []
    after = 0
    for step, dt in enumerate(STEPS_S):
        clock.now += timedelta(seconds=dt)
        for p, member in enumerate(members):
            audience = "all" if (step + p) % 3 else ["a", "b", "c"][: 1 + p]
            service.report_tracks(line, member, _reports(rng, 120, clock.now, audience))
        result = scanning.scan(line)
        with line.store.read() as tx:
            live = sorted(
                (c.key, c.status, c.severity, c.t_in, c.t_out, c.cpa, c.distance_m, c.visible_a)
                for c in tx.live_track_conflicts()
            )
            events = tx.events_after(after, None, 100_000)
        told = sorted(
            (e.kind, sorted((k, str(v)) for k, v in e.body["track_conflict"].items() if k != "id"))
            for e in events
            if "track_conflict" in e.body
        )
        after = max([after, *(e.seq for e in events)])
        seen.append((len(result.opened), len(result.updated), len(result.closed), live, told))
    out = repr(seen)
    for k, notice in enumerate(notices):
        out = out.replace(notice, f"notice-{k}")
    return out


def test_the_columns_store_and_tell_what_the_objects_do(
    make_store: MakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_columns = _run(make_store("sqlite"), True, monkeypatch)
    with_objects = _run(make_store("sqlite"), False, monkeypatch)
    assert with_columns == with_objects
    assert with_columns.count("conflict.closed") > 10  # pairs end along the run
    assert with_columns.count("conflict.updated") > 10  # and change on the way
