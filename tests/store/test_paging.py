"""Keyset paging in the store: each list continues strictly after a key, in its own order,
ties on the first part broken by the second; filters on conflicts (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from deconfliction.domain import ConflictKind, ConflictStatus, Severity
from deconfliction.store import ConflictQuery, NoticeQuery, SqlStore
from tests.conflicts import on_tracks, strategic

from .common import T0, notice
from .test_tracks import track

S = timedelta(seconds=1)


def test_notices_and_tracks_continue_after_a_key(store: SqlStore) -> None:
    made = [notice(f"n-{i}", created_at=T0 + (i // 2) * S) for i in range(6)]
    with store.transaction() as tx:
        for n in made:
            tx.insert_notice(n, ())
        tx.put_tracks([track(p, f"u-{i}") for p in ("a", "b") for i in range(3)])
    with store.read() as tx:
        after = (made[2].created_at, made[2].id)  # ties with n-3: the id decides
        got = tx.list_notices(NoticeQuery(after=after))
        assert [n.id for n in got] == ["n-3", "n-4", "n-5"]
        got_tracks = tx.list_tracks("a", None, after=("a", "u-2"), limit=2)
        assert [t.key for t in got_tracks] == ["b/u-0", "b/u-1"]


def test_conflicts_continue_after_a_key_with_filters(store: SqlStore) -> None:
    a = [replace(strategic(i), party_a="alpha") for i in range(9)]
    b = [replace(on_tracks(i), party_a="alpha") for i in range(9)]
    with store.transaction() as tx:
        tx.insert_conflicts(a)
        tx.insert_track_conflicts(b)
    with store.read() as tx:
        # newest first: s-2, s-1, s-0 share the newest instant, then s-5, s-4, s-3, ...
        after = (a[4].detected_at, a[4].id)
        got = tx.list_conflicts("alpha", query=ConflictQuery(after=after))
        assert [c.id for c in got] == ["s-00003", "s-00008", "s-00007", "s-00006"]
        q = ConflictQuery(
            statuses=frozenset({ConflictStatus.OPEN, ConflictStatus.RESOLVED}),
            severities=frozenset({Severity.WARNING}),
        )
        assert [c.id for c in tx.list_conflicts("alpha", query=q)] == ["s-00000", "s-00006"]
        q = ConflictQuery(kinds=frozenset({ConflictKind.INTRUSION}), notice="nv-4")
        assert [c.id for c in tx.list_track_conflicts("alpha", query=q)] == ["t-00004"]
        q = ConflictQuery(notice="nm-5")  # a deviation's movement
        assert [c.id for c in tx.list_track_conflicts("alpha", query=q)] == ["t-00005"]
        assert tx.list_conflicts("alpha", query=ConflictQuery(since=T0 + 10**6 * S)) == []
        q = ConflictQuery(kinds=frozenset({ConflictKind.TACTICAL}))
        assert tx.list_conflicts("alpha", query=q) == []
