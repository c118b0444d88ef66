"""The in-memory index of active volumes answers as the store's indexed query does: after every
kind of notice write (create, new version with new volumes, new version keeping them, withdrawal,
a bulk load), after a restart (another store object on the same database), and when another
store object on the same database wrote last; on both databases. And, with delta limits so small
that the tree is rebuilt every few writes, as a brute-force pass over the live boxes does.

Boxes sit on a grid of values that 32-bit floats hold exactly (the R*Tree keeps 32-bit floats and
minutes since 2000), so the two answers must be equal, not merely one inside the other.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconfliction.domain import AltitudeBand, Audience, Notice, NoticeState, TimeWindow
from deconfliction.store import Box4, SqlStore, codec, memindex, open_store
from deconfliction.store.memindex import Change, HeldVolume, Pending, VolumeIndex

from .common import T0, notice, rows, volume

_LON = st.integers(-16, 16).map(lambda k: 10.0 + k / 8)
_LAT = st.integers(-8, 8).map(lambda k: 50.0 + k / 8)
_ALT = st.integers(0, 10).map(lambda k: k * 100.0)
_MIN = st.integers(0, 16).map(lambda k: (T0 + timedelta(minutes=15 * k)).timestamp())
_PARTIES = st.sampled_from(["alpha", "bravo", "charlie"])


@st.composite
def boxes(draw: st.DrawFn) -> Box4:
    x0, x1 = sorted((draw(_LON), draw(_LON)))
    y0, y1 = sorted((draw(_LAT), draw(_LAT)))
    z0, z1 = sorted((draw(_ALT), draw(_ALT)))
    t0, t1 = sorted((draw(_MIN), draw(_MIN)))
    return Box4(x0, y0, z0, t0, x1, y1, z1, t1)


# Index boxes as detect.strategic makes them: one, two halves at the antimeridian, or a polar cap.
_WHOLE = st.lists(boxes(), min_size=1, max_size=1)
_HALVES = boxes().map(
    lambda b: [replace(b, lon_min=179.5, lon_max=180.0), replace(b, lon_min=-180.0, lon_max=-179.5)]
)
_POLAR = boxes().map(lambda b: [replace(b, lon_min=-180.0, lon_max=180.0, lat_max=90.0)])
VOLUME_BOXES = st.one_of(_WHOLE, _WHOLE, _WHOLE, _HALVES, _POLAR)

WRITES = st.sampled_from(["create", "create", "create", "revise", "touch", "withdraw", "bulk"])


def _ids(found: list, protected: set[str]) -> list[tuple[object, ...]]:  # type: ignore[type-arg]
    return [(v.notice_id, v.index, v.version, v.party, v.audience, v.notice_id in protected)
            for v in found]  # fmt: skip


def _assert_same(
    by_sql: SqlStore, by_memory: SqlStore, query: list[Box4], exclude: str | None
) -> None:
    with by_sql.read() as tx:
        rows = tx.candidates(query, exclude_notice=exclude)
        notices = tx.get_notices([r.notice_id for r in rows])
        expected = _ids(rows, {i for i, n in notices.items() if n.protected})
    with by_memory.read() as tx:
        found = tx.nearby(query, exclude_notice=exclude)
        got = _ids(found, {v.notice_id for v in found if v.protected})
    assert got == expected


class Writer:
    """Notice writes on a store, as the use cases make them."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.live: dict[str, tuple[Notice, list[list[Box4]]]] = {}

    def create(self, party: str, volume_boxes: list[list[Box4]], protected: bool) -> None:
        n = notice(str(uuid.uuid4()), party=party, volumes=[volume()] * len(volume_boxes))
        n = replace(n, protected=protected)
        with self.store.transaction() as tx:
            tx.insert_notice(n, rows(n, volume_boxes))
        self.live[n.id] = (n, volume_boxes)

    def bulk(self, party: str, volume_boxes: list[list[Box4]]) -> None:
        made = [notice(str(uuid.uuid4()), party=party) for _ in range(3)]
        with self.store.transaction() as tx:
            tx.insert_notices_bulk([(n, rows(n, volume_boxes[:1])) for n in made])
        for n in made:
            self.live[n.id] = (n, volume_boxes[:1])

    def revise(self, notice_id: str, volume_boxes: list[list[Box4]]) -> None:
        n, _ = self.live[notice_id]
        n = replace(n, version=n.version + 1, volumes=(volume(),) * len(volume_boxes))
        with self.store.transaction() as tx:
            tx.update_notice(n, rows(n, volume_boxes))
        self.live[notice_id] = (n, volume_boxes)

    def touch(self, notice_id: str, party: str) -> None:
        """A new version keeping the volumes: only the audience and protection change."""
        n, b = self.live[notice_id]
        audience = Audience(parties=frozenset({party}))
        n = replace(n, version=n.version + 1, audience=audience, protected=not n.protected)
        with self.store.transaction() as tx:
            tx.update_notice(n, None)
        self.live[notice_id] = (n, b)

    def withdraw(self, notice_id: str) -> None:
        n, _ = self.live.pop(notice_id)
        n = replace(n, version=n.version + 1, state=NoticeState.WITHDRAWN)
        with self.store.transaction() as tx:
            tx.update_notice(n, ())


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    writes=st.lists(
        st.tuples(WRITES, _PARTIES, st.lists(VOLUME_BOXES, min_size=1, max_size=2), st.randoms()),
        min_size=1,
        max_size=8,
    ),
    queries=st.lists(st.lists(boxes(), min_size=1, max_size=2), min_size=2, max_size=4),
)
def test_index_answers_as_the_store_after_every_write_and_a_restart(
    store: SqlStore,
    writes: list[tuple[str, str, list[list[Box4]], object]],
    queries: list[list[Box4]],
) -> None:
    writer = Writer(store)
    with store.read() as tx:
        tx.nearby(queries[0])  # built now, then kept in step by each write
    for kind, party, volume_boxes, rnd in writes:
        if kind in ("revise", "touch", "withdraw") and writer.live:
            target = rnd.choice(sorted(writer.live))  # type: ignore[attr-defined]
            if kind == "revise":
                writer.revise(target, volume_boxes)
            elif kind == "touch":
                writer.touch(target, party)
            else:
                writer.withdraw(target)
        elif kind == "bulk":
            writer.bulk(party, volume_boxes)
        else:
            writer.create(party, volume_boxes, rnd.random() < 0.3)  # type: ignore[attr-defined]
        for query in queries:
            _assert_same(store, store, query, None)
        some = next(iter(writer.live), None)
        _assert_same(store, store, queries[0], some)
    restarted = open_store(store.url)
    try:
        for query in queries:
            _assert_same(store, restarted, query, None)
    finally:
        restarted.close()


def test_a_write_through_another_store_object_is_seen(store: SqlStore) -> None:
    """Two processes on one database: what the other wrote is in this one's next answer."""
    everywhere = [Box4(-180.0, -90.0, -1e9, -1e12, 180.0, 90.0, 1e9, 1e12)]
    other = open_store(store.url)
    try:
        with store.read() as tx:
            assert tx.nearby(everywhere) == []  # built, empty
        mine, theirs = Writer(store), Writer(other)
        theirs.create("bravo", [[Box4(10.0, 50.0, 0.0, 0.0, 10.5, 50.5, 100.0, 1e10)]], True)
        mine.create("alpha", [[Box4(20.0, 50.0, 0.0, 0.0, 20.5, 50.5, 100.0, 1e10)]], False)
        _assert_same(other, store, everywhere, None)
        with store.read() as tx:
            held = sorted((v.party, v.protected) for v in tx.nearby(everywhere))
            assert held == [("alpha", False), ("bravo", True)]  # protection told across processes
        theirs.withdraw(next(iter(theirs.live)))
        _assert_same(other, store, everywhere, None)
        with store.read() as tx:
            assert [v.party for v in tx.nearby(everywhere)] == ["alpha"]
    finally:
        other.close()


_OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "add", "add", "drop", "touch"]),
        st.integers(0, 1_000),
        st.lists(VOLUME_BOXES, min_size=1, max_size=3),
    ),
    min_size=1,
    max_size=40,
)


def _row(b: Box4) -> npt.NDArray[np.float64]:
    return np.array(
        [[b.lon_min, b.lat_min, b.alt_min, b.t_min, b.lon_max, b.lat_max, b.alt_max, b.t_max]]
    )


def _box_meets(a: Box4, b: Box4) -> bool:
    ra, rb = _row(a)[0], _row(b)[0]
    return all(ra[k] <= rb[k + 4] and rb[k] <= ra[k + 4] for k in range(4))


@settings(max_examples=60, deadline=None)
@given(ops=_OPS, queries=st.lists(boxes(), min_size=1, max_size=4))
def test_rebuilds_amid_writes_keep_every_live_box_and_no_dead_one(
    ops: list[tuple[str, int, list[list[Box4]]]], queries: list[Box4]
) -> None:
    """With tiny delta limits the tree is rebuilt every few writes (leaving room for the delta,
    compacting the dead away): the index answers as a brute-force pass over what lives."""
    limits = (memindex._MIN_DELTA, memindex._MAX_DELTA)
    memindex._MIN_DELTA, memindex._MAX_DELTA = 2, 3
    try:
        index = VolumeIndex()
        index.position = 0  # built, empty: apply() takes every change from here
        live: dict[str, list[tuple[int, list[Box4]]]] = {}
        next_id = 1
        window = TimeWindow(T0, T0 + timedelta(hours=1))
        everyone = Audience(everyone=True)
        for kind, pick, volume_boxes in ops:
            names = sorted(live)
            if kind == "add" or not names:
                notice_id = f"n{next_id}"
                held = [(next_id + k, bs) for k, bs in enumerate(volume_boxes)]
                next_id += len(held)
                volumes = tuple(
                    (
                        HeldVolume(vid, notice_id, k, "alpha", 1, AltitudeBand(), window, None,
                                   everyone, b"", False),
                        codec.boxes_to_bytes(bs),
                    )
                    for k, (vid, bs) in enumerate(held)
                )  # fmt: skip
                change = Change(notice_id, volumes)
                live[notice_id] = held
            elif kind == "drop":
                notice_id = names[pick % len(names)]
                change = Change(notice_id, None, active=False)
                del live[notice_id]
            else:
                notice_id = names[pick % len(names)]
                change = Change(notice_id, None, 2, everyone, True, True)
            at = index.position
            assert at is not None
            index.apply(Pending(at + 1, at + 1, [change]))
            assert index.position == at + 1
            assert index._base <= index._n <= min(len(index._coords), len(index._slot))
            for q in queries:
                found = [index._held[s] for s in index._query(_row(q)).tolist()]
                got = {h.volume_id for h in found if h is not None}
                want = {vid for held in live.values() for vid, bs in held
                        if any(_box_meets(b, q) for b in bs)}  # fmt: skip
                assert got == want
        assert len(index) == sum(len(held) for held in live.values())
    finally:
        memindex._MIN_DELTA, memindex._MAX_DELTA = limits


def test_a_change_keeping_its_volumes_cannot_forget_whether_the_notice_is_protected() -> None:
    """A protected notice's conflicts are cautions: a kept-volumes change without ``protected``
    is refused when made (before any commit), not read as unprotected."""
    everyone = Audience(everyone=True)
    with pytest.raises(ValueError, match="protected"):
        Change("n-1", None, 2, everyone, True)
    assert Change("n-1", None, 2, everyone, True, protected=True).protected is True
    assert Change("n-1", None, 3, None, False).protected is None  # withdrawn: nothing to keep
