"""The scanner's lease: one holder at a time among the processes over one database; free again
once the holder lets go or its connection ends. On SQLite, always held."""

from __future__ import annotations

from tests.conftest import MakeStore


def test_one_holder_at_a_time_and_the_next_takes_over(make_store: MakeStore) -> None:
    store = make_store("postgres")
    first, second = store.lease("scanner"), store.lease("scanner")
    other = store.lease("another duty")
    try:
        assert first.hold()
        assert first.hold()  # still
        assert not second.hold()
        assert other.hold()  # a lease of another name is another lock
        first.release()  # it lets go (a process that dies lets go when its session ends)
        assert second.hold()
        assert not first.hold()
    finally:
        for lease in (first, second, other):
            lease.release()


def test_lines_in_separate_schemas_of_one_database_each_have_their_own(
    make_store: MakeStore,
) -> None:
    one, two = make_store("postgres").lease("scanner"), make_store("postgres").lease("scanner")
    try:
        assert one.hold()
        assert two.hold()
    finally:
        one.release()
        two.release()


def test_on_sqlite_the_one_process_always_holds_it(make_store: MakeStore) -> None:
    store = make_store("sqlite")
    assert store.lease("scanner").hold()
    assert store.lease("scanner").hold()
