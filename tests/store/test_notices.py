"""Notices: exact round trips, kept versions, updates and withdrawals, need-to-know listing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from deconfliction.domain import AltitudeBand, Audience, Buffers, NoticeKind, NoticeState
from deconfliction.errors import AlreadyExists, NotFound
from deconfliction.store import NoticeQuery, SqlStore

from .common import FOOTPRINTS, HOUR, T0, box, notice, rows, volume


@pytest.mark.parametrize("kind", sorted(FOOTPRINTS))
def test_notice_round_trips_exactly(store: SqlStore, kind: str) -> None:
    n = notice(
        "n-1",
        volumes=[
            volume(FOOTPRINTS[kind], T0 + timedelta(microseconds=123457), T0 + 2 * HOUR),
            volume(FOOTPRINTS[kind], altitude=AltitudeBand(None, 120.25)),
            volume(FOOTPRINTS[kind], altitude=AltitudeBand()),
        ],
        audience=Audience.of(["bravo", "charlie"]),
        kind=NoticeKind.SITE,
        title="Field hospital — Ärzte",
        protected=True,
        buffers=Buffers(100.0, 30.5, 600.0),
        extra={"callsign": "RED 1"},
    )
    with store.transaction() as tx:
        tx.insert_notice(n, rows(n))
    with store.read() as tx:
        assert tx.get_notice("n-1") == n
        assert tx.get_notice("nope") is None
    got = tx_notice = None
    with store.read() as tx:
        got = tx.get_notice("n-1")
        tx_notice = tx.get_notice_versions("n-1")
    assert got is not None and got.created_at.tzinfo is not None
    assert got.created_at.utcoffset() == timedelta(0)
    assert tx_notice == [n]


def test_candidate_rows_round_trip(store: SqlStore) -> None:
    n = notice("n-1", buffers=Buffers(5.0, 6.0, 7.0), volumes=[volume(), volume()])
    mine = rows(n, [[box(), box(lon=(170.0, 180.0))], [box(lon=(11.0, 11.5))]])
    with store.transaction() as tx:
        tx.insert_notice(n, mine)
    with store.read() as tx:
        got = tx.candidates([box(lon=(-180.0, 180.0))])
    assert got == mine


def test_duplicate_notice_id_is_already_exists(store: SqlStore) -> None:
    n = notice("n-1")
    with store.transaction() as tx:
        tx.insert_notice(n, rows(n))
    with pytest.raises(AlreadyExists), store.transaction() as tx:
        tx.insert_notice(n, rows(n))
    with store.read() as tx:
        assert len(tx.candidates([box()])) == 1


def test_update_keeps_every_version(store: SqlStore) -> None:
    v1 = notice("n-1", title="first")
    v2 = replace(v1, title="second", version=2, updated_at=T0 + HOUR)
    v3 = replace(v2, state=NoticeState.WITHDRAWN, version=3, updated_at=T0 + 2 * HOUR)
    with store.transaction() as tx:
        tx.insert_notice(v1, rows(v1))
    with store.transaction() as tx:
        tx.update_notice(v2, None)
    with store.transaction() as tx:
        tx.update_notice(v3, ())
    with store.read() as tx:
        assert tx.get_notice("n-1") == v3
        assert tx.get_notice_versions("n-1") == [v1, v2, v3]


def test_update_without_volumes_keeps_candidates(store: SqlStore) -> None:
    v1 = notice("n-1")
    v2 = replace(v1, title="renamed", version=2, updated_at=T0 + HOUR)
    with store.transaction() as tx:
        tx.insert_notice(v1, rows(v1))
        tx.update_notice(v2, None)
    with store.read() as tx:
        (row,) = tx.candidates([box()])
    assert (row.notice_id, row.version) == ("n-1", 2)
    assert row.shape == rows(v1)[0].shape


def test_update_with_volumes_replaces_them(store: SqlStore) -> None:
    v1 = notice("n-1")
    v2 = replace(v1, volumes=(volume(), volume()), version=2, updated_at=T0 + HOUR)
    new_rows = rows(v2, [[box(lon=(20.0, 21.0))], [box(lon=(30.0, 31.0))]])
    with store.transaction() as tx:
        tx.insert_notice(v1, rows(v1))
        tx.update_notice(v2, new_rows)
    with store.read() as tx:
        assert tx.candidates([box()]) == []
        assert tx.candidates([box(lon=(20.5, 30.5))]) == new_rows
        assert tx.get_notice("n-1") == v2


def test_withdrawn_notice_is_no_candidate_but_is_kept(store: SqlStore) -> None:
    v1 = notice("n-1")
    v2 = replace(v1, state=NoticeState.WITHDRAWN, version=2, updated_at=T0 + HOUR)
    with store.transaction() as tx:
        tx.insert_notice(v1, rows(v1))
    with store.transaction() as tx:
        tx.update_notice(v2, ())
    with store.read() as tx:
        assert tx.candidates([box()]) == []
        assert tx.get_notice("n-1") == v2


def test_expired_state_without_new_volumes_is_no_candidate(store: SqlStore) -> None:
    v1 = notice("n-1")
    v2 = replace(v1, state=NoticeState.EXPIRED, version=2, updated_at=T0 + HOUR)
    with store.transaction() as tx:
        tx.insert_notice(v1, rows(v1))
        tx.update_notice(v2, None)
    with store.read() as tx:
        assert tx.candidates([box()]) == []


def test_update_of_unknown_notice_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound), store.transaction() as tx:
        tx.update_notice(notice("ghost"), None)


def _seed_listing(store: SqlStore) -> None:
    items = [
        notice("a-own", "alpha", audience=Audience.of([]), created_at=T0),
        notice("b-all", "bravo", created_at=T0 + timedelta(minutes=1)),
        notice("b-to-a", "bravo", audience=Audience.of(["alpha"]), created_at=T0 + 2 * HOUR),
        notice("b-to-c", "bravo", audience=Audience.of(["charlie"]), created_at=T0),
        notice(
            "c-site",
            "charlie",
            kind=NoticeKind.SITE,
            volumes=[volume(start=T0 + 10 * HOUR, end=T0 + 12 * HOUR)],
            created_at=T0 + 3 * HOUR,
        ),
    ]
    far = {"c-site": [[box(lon=(40.0, 41.0), t=(T0 + 10 * HOUR, T0 + 12 * HOUR))]]}
    with store.transaction() as tx:
        tx.insert_notices_bulk([(n, rows(n, far.get(n.id))) for n in items])


def _ids(store: SqlStore, **kw: object) -> list[str]:
    with store.read() as tx:
        return [n.id for n in tx.list_notices(NoticeQuery(**kw))]  # type: ignore[arg-type]


def test_list_notices_applies_need_to_know(store: SqlStore) -> None:
    _seed_listing(store)
    assert _ids(store, viewer="alpha") == ["a-own", "b-all", "b-to-a", "c-site"]
    assert _ids(store, viewer="charlie") == ["b-to-c", "b-all", "c-site"]
    assert _ids(store, viewer="delta") == ["b-all", "c-site"]
    assert _ids(store, viewer="%") == ["b-all", "c-site"]
    assert _ids(store) == ["a-own", "b-to-c", "b-all", "b-to-a", "c-site"]


def test_list_notices_filters(store: SqlStore) -> None:
    _seed_listing(store)
    assert _ids(store, kind=NoticeKind.SITE) == ["c-site"]
    assert _ids(store, party="bravo", viewer="alpha") == ["b-all", "b-to-a"]
    assert _ids(store, boxes=(box(lon=(40.5, 45.0), t=(T0, T0 + 24 * HOUR)),)) == ["c-site"]
    assert _ids(store, boxes=(box(lon=(50.0, 51.0)),)) == []
    assert _ids(store, start=T0 + 2 * HOUR) == ["c-site"]
    assert _ids(store, end=T0 + 9 * HOUR, viewer="delta") == ["b-all"]
    assert _ids(store, start=T0 + 11 * HOUR, end=T0 + 11 * HOUR) == ["c-site"]
    assert _ids(store, limit=2) == ["a-own", "b-to-c"]


def test_bulk_insert_with_a_taken_id_is_already_exists(store: SqlStore) -> None:
    taken = notice("n-07")
    with store.transaction() as tx:
        tx.insert_notice(taken, rows(taken))
    many = [notice(f"n-{i:02d}") for i in range(40)]
    with pytest.raises(AlreadyExists), store.transaction() as tx:
        tx.insert_notices_bulk([(n, rows(n)) for n in many])
    with store.read() as tx:
        assert [r.notice_id for r in tx.candidates([box()])] == ["n-07"]


def test_notice_audiences_in_one_call(store: SqlStore) -> None:
    shared = notice("n-a", audience=Audience.of(["bravo"]))
    public = notice("n-b", audience=Audience.of("all"))
    with store.transaction() as tx:
        tx.insert_notice(shared, rows(shared))
        tx.insert_notice(public, rows(public))
    with store.read() as tx:
        got = tx.notice_audiences(["n-a", "n-b", "n-a", "missing"])
        assert tx.notice_audiences([]) == {}
    assert got == {
        "n-a": (shared.party, Audience.of(["bravo"])),
        "n-b": (public.party, Audience.of("all")),
    }


def test_candidates_carry_the_current_audience(store: SqlStore) -> None:
    n = notice("n-1", audience=Audience.of(["bravo"]))
    with store.transaction() as tx:
        tx.insert_notice(n, rows(n))
    widened = replace(n, audience=Audience.of("all"), version=2)
    with store.transaction() as tx:
        tx.update_notice(widened, None)
    with store.read() as tx:
        [row] = tx.candidates([box()])
    assert row.audience == Audience.of("all") and row.version == 2
