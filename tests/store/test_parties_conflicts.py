"""Parties, members and conflicts: round trips, uniqueness, resolution, listing for both sides."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deconfliction.domain import ConflictStatus, Member, Party, Role
from deconfliction.errors import AlreadyExists, InvalidInput
from deconfliction.store import SqlStore

from .common import HOUR, T0, box, conflict, notice, rows


def test_parties_round_trip_and_duplicate_slug(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.add_party(Party("un-ocha", "UN OCHA", T0))
        tx.add_party(Party("coalition", "Coalition", T0 + HOUR))
        with pytest.raises(AlreadyExists) as err:
            tx.add_party(Party("coalition", "Again", T0))
        assert err.value.pointer == "/slug"
        # The transaction stays usable after the refusal.
        tx.add_party(Party("ngo", "NGO", T0))
    with store.read() as tx:
        assert tx.get_party("coalition") == Party("coalition", "Coalition", T0 + HOUR)
        assert tx.get_party("nobody") is None
        assert [p.slug for p in tx.list_parties()] == ["coalition", "ngo", "un-ocha"]


def test_members_and_tokens(store: SqlStore) -> None:
    alice = Member("m-1", "coalition", Role.COORDINATOR, T0, "Alice")
    bob = Member("m-2", "un-ocha", Role.OBSERVER, T0 + HOUR)
    with store.transaction() as tx:
        tx.add_party(Party("coalition", "Coalition", T0))
        tx.add_member(alice, "hash-a")
        tx.add_member(bob, "hash-b")
        with pytest.raises(AlreadyExists):
            tx.add_member(Member("m-3", "coalition", Role.ADMIN, T0), "hash-a")
        with pytest.raises(AlreadyExists):
            tx.add_member(alice, "hash-c")
    with store.read() as tx:
        assert tx.member_for_token("hash-a") == alice
        assert tx.member_for_token("hash-x") is None
        assert tx.list_members() == [alice, bob]
        assert tx.list_members("un-ocha") == [bob]


def _two_notices(store: SqlStore) -> tuple:  # type: ignore[type-arg]
    a = notice("n-a", "alpha")
    b = notice("n-b", "bravo")
    c = notice("n-c", "charlie")
    with store.transaction() as tx:
        tx.insert_notices_bulk([(n, rows(n)) for n in (a, b, c)])
    return a, b, c


def test_conflicts_round_trip_and_list_for_both_parties(store: SqlStore) -> None:
    a, b, c = _two_notices(store)
    ab = conflict("c-1", a, b, T0)
    cb = conflict("c-2", c, b, T0 + HOUR)
    with store.transaction() as tx:
        tx.insert_conflicts([ab, cb])
    with store.read() as tx:
        assert tx.get_conflict("c-1") == ab
        assert tx.get_conflict("c-9") is None
        assert tx.list_conflicts("bravo") == [cb, ab]
        assert tx.list_conflicts("alpha") == [ab]
        assert tx.list_conflicts("charlie") == [cb]
        assert tx.list_conflicts("bravo", limit=1) == [cb]
        assert tx.list_conflicts("delta") == []
    with pytest.raises(AlreadyExists), store.transaction() as tx:
        tx.insert_conflicts([ab])


def test_resolve_conflicts(store: SqlStore) -> None:
    a, b, c = _two_notices(store)
    ab = conflict("c-1", a, b, T0)
    ba = conflict("c-2", b, a, T0 + timedelta(minutes=1))
    bc = conflict("c-3", b, c, T0 + timedelta(minutes=2))
    ac = conflict("c-4", a, c, T0 + timedelta(minutes=3), ConflictStatus.ACKNOWLEDGED)
    with store.transaction() as tx:
        tx.insert_conflicts([ab, ba, bc, ac])
    with store.transaction() as tx:
        resolved = tx.resolve_conflicts("n-a", T0 + HOUR)
    assert sorted(resolved, key=lambda x: x.id) == [ab, ba, ac]
    with store.read() as tx:
        assert tx.resolve_conflicts("n-a", T0 + HOUR) == []
        got = tx.get_conflict("c-1")
        assert got is not None and got.status is ConflictStatus.RESOLVED
        assert tx.list_conflicts("alpha", live_only=True) == []
        assert [x.id for x in tx.list_conflicts("alpha")] == ["c-4", "c-2", "c-1"]
        assert tx.list_conflicts("charlie", live_only=True) == [bc]


def test_inverted_box_is_invalid_input(store: SqlStore) -> None:
    n = notice("n-1")
    bad = box(lon=(11.0, 10.0))
    with pytest.raises(InvalidInput), store.transaction() as tx:
        tx.insert_notice(n, rows(n, [[bad]]))
    with pytest.raises(InvalidInput), store.read() as tx:
        tx.candidates([bad])
