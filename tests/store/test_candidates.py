"""Candidate search: overlap in all four dimensions finds a volume; a gap in any one does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from deconfliction.domain import AltitudeBand
from deconfliction.store import Box4, SqlStore

from .common import HOUR, T0, box, epoch, notice, rows, volume

STORED = box(lon=(10.0, 10.5), lat=(50.0, 50.25), alt=(100.0, 200.0), t=(T0, T0 + HOUR))
SECOND = timedelta(seconds=1)


def _store_one(store: SqlStore, boxes: list[Box4], altitude: AltitudeBand | None = None) -> None:
    n = notice("stored", volumes=[volume(altitude=altitude)])
    with store.transaction() as tx:
        tx.insert_notice(n, rows(n, [boxes]))


def _hits(store: SqlStore, *query: Box4, exclude: str | None = None) -> list[str]:
    with store.read() as tx:
        return [r.notice_id for r in tx.candidates(query, exclude_notice=exclude)]


MEETING = {
    "inside": box(lon=(10.1, 10.2), lat=(50.1, 50.2), alt=(150.0, 160.0)),
    "containing": box(
        lon=(0.0, 20.0), lat=(40.0, 60.0), alt=(-1e9, 1e9), t=(T0 - HOUR, T0 + 9 * HOUR)
    ),
    "touching lon": replace(STORED, lon_min=10.5, lon_max=11.0),
    "touching lat": replace(STORED, lat_min=49.0, lat_max=50.0),
    "touching alt": replace(STORED, alt_min=200.0, alt_max=300.0),
    "touching time": replace(STORED, t_min=epoch(T0 + HOUR), t_max=epoch(T0 + 2 * HOUR)),
}

MISSING = {
    "west": replace(STORED, lon_min=9.0, lon_max=9.999),
    "east": replace(STORED, lon_min=10.501, lon_max=11.0),
    "south": replace(STORED, lat_min=49.0, lat_max=49.999),
    "north": replace(STORED, lat_min=50.251, lat_max=51.0),
    "below": replace(STORED, alt_min=0.0, alt_max=99.0),
    "above": replace(STORED, alt_min=201.0, alt_max=300.0),
    "before": replace(STORED, t_min=epoch(T0 - HOUR), t_max=epoch(T0 - 2 * 60 * SECOND)),
    "after": replace(STORED, t_min=epoch(T0 + HOUR + 120 * SECOND), t_max=epoch(T0 + 2 * HOUR)),
}


@pytest.mark.parametrize("name", list(MEETING))
def test_meeting_box_finds_volume(store: SqlStore, name: str) -> None:
    _store_one(store, [STORED])
    assert _hits(store, MEETING[name]) == ["stored"]


@pytest.mark.parametrize("name", list(MISSING))
def test_disjoint_box_finds_nothing(store: SqlStore, name: str) -> None:
    _store_one(store, [STORED])
    assert _hits(store, MISSING[name]) == []


def test_antimeridian_double_boxes(store: SqlStore) -> None:
    west = box(lon=(179.5, 180.0))
    east = box(lon=(-180.0, -179.5))
    _store_one(store, [west, east])
    assert _hits(store, box(lon=(-179.8, -179.7))) == ["stored"]
    assert _hits(store, box(lon=(179.6, 179.7))) == ["stored"]
    # A query that is itself split, meeting both halves, still yields the volume once.
    assert _hits(store, box(lon=(179.0, 180.0)), box(lon=(-180.0, -179.0))) == ["stored"]
    assert _hits(store, box(lon=(-179.0, 179.0))) == []


def test_unbounded_altitude(store: SqlStore) -> None:
    _store_one(store, [box(alt=(-1e9, 1e9))], AltitudeBand())
    assert _hits(store, box(alt=(30_000.0, 40_000.0))) == ["stored"]
    assert _hits(store, box(alt=(-500.0, -400.0))) == ["stored"]


def test_exclude_notice_and_other_volumes(store: SqlStore) -> None:
    _store_one(store, [STORED])
    other = notice("other", party="bravo")
    with store.transaction() as tx:
        tx.insert_notice(other, rows(other, [[STORED]]))
    assert sorted(_hits(store, STORED)) == ["other", "stored"]
    assert _hits(store, STORED, exclude="stored") == ["other"]
    assert _hits(store) == []


def test_tiny_boxes_are_found_despite_32_bit_index(store: SqlStore) -> None:
    # Sub-metre boxes and second-long windows: the index rounds outward, never inward.
    start = T0 + timedelta(seconds=17)
    tiny = box(
        lon=(10.000001, 10.0000011), lat=(50.0000003, 50.0000004), alt=(0.1, 0.2), t=(start, start)
    )
    _store_one(store, [tiny])
    assert _hits(store, tiny) == ["stored"]
    assert _hits(store, replace(tiny, lon_min=10.0000011, lon_max=10.0000011)) == ["stored"]
    assert _hits(store, replace(tiny, t_min=tiny.t_max, t_max=tiny.t_max + 1)) == ["stored"]


def test_many_volumes_only_overlapping_returned(store: SqlStore) -> None:
    items = []
    for i in range(200):
        n = notice(f"n-{i:03d}", party=f"p{i % 7}")
        lon = -170.0 + i * 1.5
        items.append((n, rows(n, [[box(lon=(lon, lon + 1.0))]])))
    with store.transaction() as tx:
        tx.insert_notices_bulk(items)
    hits = _hits(store, box(lon=(-170.0 + 100 * 1.5 + 0.2, -170.0 + 102 * 1.5 + 0.1)))
    assert hits == ["n-100", "n-101", "n-102"]
