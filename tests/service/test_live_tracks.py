"""Live tracks kept in memory between scans: what a scan sees is what the store holds.

A report through another line object on the same database (another node, the CLI, a feed run as
its own process) is seen by the next scan; a track that goes stale drops out as it always did; a
new process (a restart) fills its cache from the store; a clock set back fills it again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction import service
from deconfliction.domain import ALL, Audience, Member, Role, Track, TrackDomain
from deconfliction.domain.probing import NO_BUDGETS
from deconfliction.service import Line
from deconfliction.service.tracks.live import LiveTracks, _Slots, cache_of, tracks_written
from deconfliction.service.tracks.scan import scan
from deconfliction.store import SqlStore, open_store
from deconfliction.store.codec import dt_to_us
from tests.conftest import STORE_KINDS, MakeStore

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _report(uid: str, at: datetime, lon: float = 10.0, stale_s: float = 30.0) -> dict[str, object]:
    return {
        "uid": uid,
        "domain": "air",
        "lat": 50.0,
        "lon": lon,
        "alt_m": 1000.0,
        "gs_mps": 100.0,
        "trk_deg": 90.0,
        "vs_mps": 0.0,
        "time": at.isoformat(),
        "stale_s": stale_s,
        "audience": "all",
    }


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, make_store: MakeStore) -> SqlStore:
    return make_store(request.param)


def _lines(store: SqlStore, clock: Clock) -> tuple[Line, Line]:
    """Two line objects on one database: ``store`` and a second connection to it."""
    first = Line(budgets=NO_BUDGETS, store=store, clock=clock)
    service.create_party(first, "blue", "Blue")
    other = open_store(store.url)
    return first, Line(budgets=NO_BUDGETS, store=other, clock=clock)


def _member(line: Line) -> Member:
    return service.create_member(line, "blue", Role.COORDINATOR)[0]


def _seen(line: Line, clock: Clock) -> dict[str, float]:
    with line.store.read() as tx:
        columns = cache_of(line).columns(tx, clock.now)
        cached = cache_of(line).read(tx, clock.now)
        stored = tx.live_tracks(clock.now)
    assert cached == stored  # the cache answers exactly what the store would
    # and so do the columns a scan reads, row by row (only the changed rows are rewritten)
    assert sorted(columns.tracks, key=lambda t: (t.party, t.uid)) == cached
    assert columns.keys == [t.key for t in columns.tracks]
    s = columns.states
    assert s.lon.tolist() == [t.lon for t in columns.tracks]
    assert s.lat.tolist() == [t.lat for t in columns.tracks]
    assert columns.time_us.tolist() == [dt_to_us(t.time) for t in columns.tracks]
    return {t.uid: t.lon for t in cached}


def test_a_report_through_another_line_is_seen_by_the_next_scan(store: SqlStore) -> None:
    clock = Clock()
    line, other = _lines(store, clock)
    try:
        blue, blue_there = _member(line), _member(other)
        service.report_tracks(line, blue, [_report("a", T0)])
        assert scan(line).tracks == 1
        clock.now = T0 + timedelta(seconds=1)
        service.report_tracks(other, blue_there, [_report("b", clock.now)])
        service.report_tracks(  # a newer state of a, written elsewhere
            other,
            blue_there,
            [_report("a", clock.now, lon=10.001)],
        )
        assert scan(line).tracks == 2
        assert _seen(line, clock) == {"a": 10.001, "b": 10.0}
        # and what this process reports is seen without reading it back, older reports ignored
        service.report_tracks(line, blue, [_report("a", T0, lon=10.002)])
        service.report_tracks(line, blue, [_report("c", clock.now)])
        assert _seen(line, clock) == {"a": 10.001, "b": 10.0, "c": 10.0}
        assert cache_of(line).filled == 1
    finally:
        other.store.close()


def test_a_track_that_goes_stale_drops_out_as_before(store: SqlStore) -> None:
    clock = Clock()
    line, other = _lines(store, clock)
    try:
        blue = _member(line)
        service.report_tracks(
            line,
            blue,
            [_report("short", T0, stale_s=5.0), _report("long", T0, stale_s=60.0)],
        )
        assert scan(line).tracks == 2
        clock.now = T0 + timedelta(seconds=5)  # live_until is inclusive
        assert scan(line).tracks == 2
        clock.now = T0 + timedelta(seconds=5, microseconds=1)
        assert _seen(line, clock) == {"long": 10.0}
        # stale ones that come back with a new report are live again
        service.report_tracks(line, blue, [_report("short", clock.now)])
        assert scan(line).tracks == 2
        # a clock set back sees what the store says was live then
        clock.now = T0 + timedelta(seconds=1)
        assert _seen(line, clock) == {"long": 10.0, "short": 10.0}
    finally:
        other.store.close()


def test_a_restart_fills_the_cache_from_the_store(store: SqlStore) -> None:
    clock = Clock()
    line, other = _lines(store, clock)
    try:
        blue = _member(line)
        service.report_tracks(line, blue, [_report("a", T0), _report("b", T0)])
        assert scan(line).tracks == 2
        # a new process: a fresh cache on a fresh connection, filled at its first scan
        fresh = LiveTracks()
        with other.store.read() as tx:
            assert [t.uid for t in fresh.read(tx, clock.now)] == ["a", "b"]
        assert fresh.filled == 1
        assert scan(other).tracks == 2
        assert cache_of(other).filled == 1
    finally:
        other.store.close()


def test_a_write_the_store_refused_hides_no_other_write(store: SqlStore) -> None:
    """Two reporters race: this process's report of a track arrives after a newer one and the
    store keeps the newer; the next write from elsewhere is still seen by the next scan."""
    clock = Clock()
    line, other = _lines(store, clock)
    try:
        blue, blue_there = _member(line), _member(other)
        service.report_tracks(line, blue, [_report("a", T0)])
        assert scan(line).tracks == 1
        clock.now = T0 + timedelta(seconds=2)
        service.report_tracks(other, blue_there, [_report("a", clock.now)])
        # this process read the track before the newer report and writes its own, older one
        with line.store.read() as tx:
            older = replace(tx.get_tracks("blue", ["a"])["a"], time=T0 + timedelta(seconds=1))
        with line.store.transaction() as tx:
            rev = tx.put_tracks([older])
        tracks_written(line, [older], rev)
        service.report_tracks(other, blue_there, [_report("b", clock.now)])
        assert _seen(line, clock) == {"a": 10.0, "b": 10.0}
        with line.store.read() as tx:
            assert tx.get_tracks("blue", ["a"])["a"].time == clock.now
    finally:
        other.store.close()


def _head_on(line: Line, at: datetime) -> None:
    """Two parties' tracks closing head-on at 400 m/s: a tactical conflict within a minute."""
    blue, red = (service.create_member(line, p, Role.COORDINATOR)[0] for p in ("blue", "red"))
    east = {**_report("b1", at), "lat": 35.0, "lon": 40.0, "gs_mps": 200.0, "trk_deg": 90.0}
    west = {**_report("r1", at), "lat": 35.0, "lon": 40.5, "gs_mps": 200.0, "trk_deg": 270.0}
    service.report_tracks(line, blue, [east])
    service.report_tracks(line, red, [west])


def test_conflicts_another_process_closed_are_read_again(store: SqlStore) -> None:
    """A scan elsewhere closes the conflict this process's scan opened; when the encounter is
    found again here, it reopens (this process does not go on from what it stored itself)."""
    clock = Clock()
    line, other = _lines(store, clock)
    try:
        service.create_party(line, "red", "Red")
        _head_on(line, T0)
        first = scan(line)
        assert [c.kind.value for c in first.opened] == ["tactical"]
        clock.now = T0 + timedelta(seconds=31)  # both tracks stale: expired, by the other node
        assert [c.status.value for c in scan(other).closed] == ["expired"]
        assert not scan(line).closed  # closed already: not closed (nor told) twice
        _head_on(line, clock.now)
        again = scan(line)
        assert [c.id for c in again.updated] == [first.opened[0].id] and not again.opened
        with line.store.read() as tx:
            assert [c.id for c in tx.live_track_conflicts()] == [first.opened[0].id]
    finally:
        other.store.close()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 40), st.floats(-179, 179)), max_size=300))
def test_the_columns_follow_every_write_and_removal(steps: list[tuple[bool, int, float]]) -> None:
    """Slots are written only for what changed, freed and reused: after any run of reports and
    removals (stale tracks), the columns hold each held track once, in the row of its figures."""
    slots = _Slots()
    held: dict[tuple[str, str], tuple[Track, int]] = {}
    base = Track("blue", "x", TrackDomain.GROUND, 50.0, 10.0, None, 100.0, 90.0, 0.0, T0, 30.0,
                 Audience.of(ALL))  # fmt: skip
    for k, (put, uid, lon) in enumerate(steps):
        key = ("blue" if uid % 2 else "red", f"t{uid}")
        if put:
            held[key] = (replace(base, party=key[0], uid=key[1], lon=lon), 0)
        else:
            held.pop(key, None)
        slots.dirty.add(key)
        if k % 7 == 0 or k == len(steps) - 1:
            cols = slots.columns(held)
            assert sorted(cols.keys) == sorted(f"{p}/{u}" for p, u in held)
            assert cols.states.lon.tolist() == [t.lon for t in cols.tracks]
            assert [t.key for t in cols.tracks] == cols.keys
            assert np.isnan(cols.states.alt_m).all()
