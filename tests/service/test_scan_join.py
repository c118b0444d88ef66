"""A scan's intrusion candidates in one join against the indexed search they replaced: the same
(track, volume) pairs, from volumes near and far, large and small, with their own buffers, across
the antimeridian and near the poles, on both databases; and so the same intrusions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from deconfliction import service
from deconfliction.api.convert import draft_from
from deconfliction.api.schemas import NoticeIn
from deconfliction.detect.intrusion import intrusions, intrusions_per_track, swept_boxes_many
from deconfliction.detect.settings import ScanSettings
from deconfliction.domain import ALL, Audience, Role, Track, TrackDomain
from deconfliction.domain.probing import NO_BUDGETS
from deconfliction.service import Line
from deconfliction.service.notices.strategic import candidate_from_row
from deconfliction.service.tracks.candidates import intrusion_pairs, search
from deconfliction.service.tracks.live import TrackColumns
from deconfliction.store import SqlStore
from tests.conftest import STORE_KINDS, MakeStore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PLACES = [(10.0, 50.0), (179.9, -10.0), (-179.95, 20.0), (30.0, 88.5), (-60.0, -87.0), (0.0, 0.0)]


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, make_store: MakeStore) -> SqlStore:
    return make_store(request.param)


def _world(line: Line, rng: np.random.Generator, n_volumes: int, n_tracks: int) -> list[Track]:
    for p in ("a", "b"):
        service.create_party(line, p, p)
    author = service.create_member(line, "b", Role.COORDINATOR)[0]
    hubs = np.array(PLACES)
    for k in range(n_volumes):
        lon, lat = hubs[k % len(hubs)] + rng.normal(0.0, 0.3, 2)
        lon = (lon + 180.0) % 360.0 - 180.0
        lat = float(np.clip(lat, -89.5, 89.5))
        upper = float(rng.uniform(500.0, 12_000.0))
        start = NOW + timedelta(seconds=float(rng.uniform(-3600.0, 900.0)))
        body: dict[str, object] = {
            "kind": "operation",
            "volumes": [
                {
                    "footprint": {"type": "Point", "coordinates": [float(lon), lat]},
                    "radius_m": float(rng.uniform(200.0, 20_000.0)),
                    "altitude": {"lower_m": float(rng.uniform(0.0, 400.0)), "upper_m": upper},
                    "time": {
                        "start": start.isoformat(),
                        "end": (start + timedelta(hours=2)).isoformat(),
                    },
                }
            ],
        }
        if k % 3 == 0:  # its own buffers, larger than the line's
            body["buffers"] = {"h_m": float(rng.uniform(0.0, 20_000.0)), "v_m": 300.0, "t_s": 600.0}
        service.create_notice(line, author, draft_from(NoticeIn.model_validate(body)))
    tracks = []
    for i in range(n_tracks):
        lon, lat = hubs[i % len(hubs)] + rng.normal(0.0, 0.6, 2)
        tracks.append(
            Track(
                "a" if i % 4 else "b",  # a quarter of the tracks share the volumes' party
                f"t{i}",
                TrackDomain.AIR,
                float(np.clip(lat, -89.9, 89.9)),
                float((lon + 180.0) % 360.0 - 180.0),
                float(rng.uniform(0.0, 10_000.0)),
                float(rng.uniform(0.0, 300.0)),
                float(rng.uniform(0.0, 360.0)),
                float(rng.uniform(-20.0, 20.0)),
                NOW - timedelta(seconds=float(rng.uniform(0.0, 20.0))),
                60.0,
                Audience.of(ALL),
            )
        )
    return tracks


@pytest.mark.parametrize("seed", [1, 2])
def test_one_join_finds_the_pairs_and_intrusions_of_the_indexedsearch(
    store: SqlStore, seed: int
) -> None:
    line = Line(budgets=NO_BUDGETS, store=store, clock=lambda: NOW)
    tracks = _world(line, np.random.default_rng(seed), 60, 400)
    settings = ScanSettings()
    with store.read() as tx:
        rows, pairs = intrusion_pairs(tx, line, TrackColumns.of(tracks), NOW, settings)
        owners, boxes = swept_boxes_many(tracks, NOW, settings.lookahead_s, line.defaults)
        old_rows, old_pairs = search(tx, owners, boxes)
    joined = {(t, rows[r].notice_id) for t, r in pairs}
    searched = {
        (t, old_rows[r].notice_id) for t, r in old_pairs if old_rows[r].party != tracks[t].party
    }
    assert joined == searched and len(joined) > 20
    args = (NOW, settings.lookahead_s, line.defaults)
    new = intrusions(tracks, [candidate_from_row(r) for r in rows], pairs, *args)
    old = intrusions_per_track(
        tracks,
        [candidate_from_row(r) for r in old_rows],
        [(t, r) for t, r in old_pairs if old_rows[r].party != tracks[t].party],
        *args,
    )
    assert {(x.track, rows[x.volume].notice_id) for x in new} == {
        (x.track, old_rows[x.volume].notice_id) for x in old
    }
    assert new  # something to find
