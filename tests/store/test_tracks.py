"""Tracks and track conflicts: newest report wins, liveness, need-to-know in SQL, lifecycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa
from alembic import command

from deconfliction.domain import (
    Audience,
    ConflictKind,
    ConflictStatus,
    Track,
    TrackConflict,
    TrackDomain,
)
from deconfliction.store import SqlStore
from deconfliction.store.migrate import alembic_config, current_revision, head_revision

from .common import T0

S = timedelta(seconds=1)


def track(party: str = "coalition", uid: str = "hawk-1", **kw: object) -> Track:
    base = Track(
        party=party,
        uid=uid,
        domain=TrackDomain.AIR,
        lat=35.3,
        lon=40.1,
        alt_m=3000.0,
        gs_mps=120.0,
        trk_deg=90.0,
        vs_mps=0.0,
        time=T0,
        stale_s=30.0,
        audience=Audience(everyone=True),
        received_at=T0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_newer_report_replaces_and_older_never_does(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.put_tracks([track(lat=35.0, time=T0 + 10 * S)])
    with store.transaction() as tx:
        tx.put_tracks([track(lat=36.0, time=T0 + 5 * S)])  # older: ignored
    with store.read() as tx:
        assert tx.get_tracks("coalition", ["hawk-1"])["hawk-1"].lat == 35.0
    newer = track(
        lat=37.0,
        time=T0 + 20 * S,
        movement="n-1",
        callsign="HAWK1",
        stopped_since=T0 + 15 * S,
        domain=TrackDomain.GROUND,
        audience=Audience(frozenset({"un-ocha"})),
    )
    with store.transaction() as tx:
        tx.put_tracks([newer])
    with store.read() as tx:
        assert tx.get_tracks("coalition", ["hawk-1", "nobody"]) == {"hawk-1": newer}


def test_live_tracks_and_what_each_party_may_see(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.put_tracks(
            [
                track(uid="a", audience=Audience(everyone=True)),
                track(uid="b", audience=Audience(frozenset({"un-ocha"})), lon=41.0),
                track(uid="c", audience=Audience(), time=T0 - 60 * S),  # stale at T0
                track("counterpart", "z", audience=Audience(), domain=TrackDomain.SEA),
                track(
                    "un-ocha",
                    "bus-3",
                    domain=TrackDomain.GROUND,
                    stale_s=600.0,
                    audience=Audience(frozenset({"coalition"})),
                ),
            ]
        )
    with store.read() as tx:
        assert [t.key for t in tx.live_tracks(T0)] == [
            "coalition/a",
            "coalition/b",
            "counterpart/z",
            "un-ocha/bus-3",
        ]
        assert [t.key for t in tx.live_tracks(T0 + 300 * S)] == ["un-ocha/bus-3"]

        def seen(viewer: str, **kw: object) -> list[str]:
            return [t.key for t in tx.list_tracks(viewer, T0, **kw)]  # type: ignore[arg-type]

        assert seen("un-ocha") == ["coalition/a", "coalition/b", "un-ocha/bus-3"]
        assert seen("counterpart") == ["coalition/a", "counterpart/z"]
        assert seen("coalition") == ["coalition/a", "coalition/b", "un-ocha/bus-3"]  # c: stale
        assert [t.key for t in tx.list_tracks("coalition", None, limit=3)] == [
            "coalition/a",
            "coalition/b",
            "coalition/c",
        ]
        assert seen("un-ocha", domain=TrackDomain.GROUND) == ["un-ocha/bus-3"]
        assert seen("un-ocha", bbox=(40.5, 35.0, 41.5, 36.0)) == ["coalition/b"]
        assert seen("un-ocha", bbox=(41.5, 35.0, 40.5, 36.0)) == ["coalition/a", "un-ocha/bus-3"]


def conflict(cid: str, **kw: object) -> TrackConflict:
    base = TrackConflict(
        id=cid,
        kind=ConflictKind.TACTICAL,
        status=ConflictStatus.OPEN,
        key=f"tactical:coalition/a|counterpart/{cid}",
        party_a="coalition",
        track_a="a",
        party_b="counterpart",
        track_b=cid,
        notice_b=None,
        volume_b=None,
        movement=None,
        reason=None,
        t_in=T0 + 60 * S,
        t_out=None,
        cpa=T0 + 90 * S,
        distance_m=1200.5,
        detail="",
        told=Audience(),
        visible_a=Audience(everyone=True),
        visible_b=Audience(),
        detected_at=T0,
        updated_at=T0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_only_tracks_received_since_are_listed_when_asked(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.put_tracks([track(uid="old", received_at=T0), track(uid="new", received_at=T0 + 2 * S)])
    with store.read() as tx:
        since = [t.uid for t in tx.list_tracks("ngo", None, received_since=T0 + 1 * S)]
        everything = [t.uid for t in tx.list_tracks("ngo", None)]
    assert since == ["new"]
    assert everything == ["new", "old"]


def test_track_conflicts_lifecycle_and_who_is_told(store: SqlStore) -> None:
    dev = conflict(
        "c-3",
        kind=ConflictKind.DEVIATION,
        key="deviation:un-ocha/bus-3|stopped",
        party_a="un-ocha",
        track_a="bus-3",
        party_b=None,
        track_b=None,
        movement="n-9",
        reason="stopped",
        distance_m=None,
        cpa=None,
        detail="stopped for 42 min",
        told=Audience(frozenset({"coalition"})),
        detected_at=T0 + S,
        updated_at=T0 + S,
    )
    with store.transaction() as tx:
        tx.insert_track_conflicts([conflict("c-1"), conflict("c-2", detected_at=T0 + 2 * S), dev])
    with store.transaction() as tx:
        live = {c.id: c for c in tx.live_track_conflicts()}
        assert set(live) == {"c-1", "c-2", "c-3"}
        assert live["c-3"] == dev
        gone = replace(live["c-1"], status=ConflictStatus.RESOLVED, resolved_at=T0 + 9 * S)
        moved = replace(live["c-2"], t_out=T0 + 200 * S, updated_at=T0 + 5 * S)
        tx.update_track_conflicts([gone, moved])
    with store.read() as tx:
        assert {c.id for c in tx.live_track_conflicts()} == {"c-2", "c-3"}
        assert tx.get_track_conflict("c-1") == gone
        assert tx.get_track_conflict("c-2") == moved
        assert tx.get_track_conflict("nope") is None
        assert [c.id for c in tx.list_track_conflicts("coalition")] == ["c-2", "c-3", "c-1"]
        assert [c.id for c in tx.list_track_conflicts("coalition", live_only=True)] == [
            "c-2",
            "c-3",
        ]
        assert [c.id for c in tx.list_track_conflicts("counterpart")] == ["c-2", "c-1"]
        assert [c.id for c in tx.list_track_conflicts("un-ocha", limit=1)] == ["c-3"]
        assert tx.list_track_conflicts("ngo") == []


def test_a_surface_track_without_its_height_round_trips(store: SqlStore) -> None:
    convoy = track(uid="convoy-1", domain=TrackDomain.GROUND, alt_m=None)
    with store.transaction() as tx:
        tx.put_tracks([convoy, track(uid="boat", domain=TrackDomain.SEA, alt_m=0.0)])
    with store.read() as tx:
        held = tx.get_tracks("coalition", ["convoy-1", "boat"])
        assert held["convoy-1"] == convoy and held["convoy-1"].alt_m is None
        assert held["boat"].alt_m == 0.0
    # a later report with a height replaces it, and one without takes it away again
    with store.transaction() as tx:
        tx.put_tracks([replace(convoy, alt_m=250.0, time=T0 + S)])
    with store.read() as tx:
        assert tx.get_tracks("coalition", ["convoy-1"])["convoy-1"].alt_m == 250.0
    with store.transaction() as tx:
        tx.put_tracks([replace(convoy, time=T0 + 2 * S)])
    with store.read() as tx:
        assert tx.get_tracks("coalition", ["convoy-1"])["convoy-1"].alt_m is None


def test_migration_0012_makes_the_height_nullable_and_back(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.put_tracks(
            [track(uid="jet"), track(uid="convoy", domain=TrackDomain.GROUND, alt_m=None)]
        )
    with store.engine.connect() as conn, conn.begin():
        command.downgrade(alembic_config(conn), "0011")
        heights = dict(conn.execute(sa.text("SELECT uid, alt_m FROM track")).all())
        assert heights == {"jet": 3000.0, "convoy": 0.0}  # back on the ellipsoid
        assert not _nullable(conn)
        command.upgrade(alembic_config(conn), "head")
        assert current_revision(conn) == head_revision() and _nullable(conn)
    with store.transaction() as tx:
        tx.put_tracks([track(uid="convoy", domain=TrackDomain.GROUND, alt_m=None, time=T0 + S)])
    with store.read() as tx:
        assert tx.get_tracks("coalition", ["convoy"])["convoy"].alt_m is None


def _nullable(conn: sa.Connection) -> bool:
    [alt] = [c for c in sa.inspect(conn).get_columns("track") if c["name"] == "alt_m"]
    return bool(alt["nullable"])
