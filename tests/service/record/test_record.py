"""The record over a real store: every event becomes a leaf, checkpoints sign the roots an
independent rebuild gives, proofs from the stored nodes verify, and the key is fixed for life."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconfliction.domain import Audience, Event, EventKind
from deconfliction.errors import InvalidInput, NotFound, StateConflict
from deconfliction.record import open_checkpoint
from deconfliction.record.entry import canonical_entry, parse_entry
from deconfliction.record.memory import MemoryTree
from deconfliction.record.tree import leaf_hash, verify_consistency, verify_inclusion
from deconfliction.service import Line
from deconfliction.service.record import (
    advance,
    consistency,
    inclusion,
    row_entry,
    warm_record,
)
from deconfliction.store import SqlStore
from tests.conftest import STORE_KINDS, MakeStore

T0 = datetime(2026, 11, 25, 14, 2, tzinfo=UTC)


def event(i: int, body: dict[str, object] | None = None, told: Audience | None = None) -> Event:
    return Event(
        0,
        EventKind.THREAD_OPENED,
        T0 + timedelta(microseconds=i * 1_001),
        f"thread-{i}",
        "blue",
        told or Audience(parties=frozenset({"blue", "red"})),
        body if body is not None else {"thread": {"id": f"thread-{i}", "n": i}},
    )


def append(store: SqlStore, events: list[Event]) -> None:
    with store.transaction() as tx:
        tx.lock_for_notice_write()
        tx.append_events(events)


def entries(store: SqlStore) -> list[bytes]:
    with store.read() as tx:
        return [row_entry(r) for r in tx.event_rows(0)]


@pytest.fixture
def sqlite_store(make_store: MakeStore) -> SqlStore:
    return make_store("sqlite")


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, make_store: MakeStore) -> SqlStore:
    return make_store(request.param)


def test_each_checkpoint_signs_the_root_of_every_event_so_far(store: SqlStore) -> None:
    line = Line(store=store, clock=lambda: T0)
    assert advance(line) is None  # nothing to record, nothing signed
    append(store, [event(i) for i in range(5)])
    first = advance(line)
    append(store, [event(i) for i in range(5, 23)])
    second = advance(line, chunk=4)  # in several transactions, one checkpoint each
    assert first is not None and second is not None
    assert advance(line) is None

    reference = MemoryTree()
    reference.extend(leaf_hash(e) for e in entries(store))
    verifier = line.signer.verifier()
    with store.read() as tx:
        held = list(tx.checkpoints())
        assert tx.record_size() == 23
    assert [c.size for c in held] == [5, 9, 13, 17, 21, 23]
    for c in held:
        opened = open_checkpoint(c.note, verifier, line.origin)
        assert (opened.size, opened.root) == (c.size, c.root) == (c.size, reference.root(c.size))

    for seq in range(1, 24):
        proof = inclusion(line, seq)
        assert proof.size == 23 and proof.proof == reference.inclusion_proof(seq - 1, 23)
        verify_inclusion(seq - 1, 23, proof.leaf, proof.proof, second.root)
    for old in range(1, 24):
        body = consistency(line, old)
        proof = [base64.b64decode(h) for h in body["proof"]]
        verify_consistency(old, 23, reference.root(old), second.root, proof)


def test_proofs_name_what_is_wrong_with_what_was_asked(store: SqlStore) -> None:
    line = Line(store=store, clock=lambda: T0)
    append(store, [event(i) for i in range(6)])
    advance(line)
    asked: list[tuple[Callable[[], object], type[Exception], str, str]] = [
        (lambda: inclusion(line, 2, 9), InvalidInput, "/size", "holds 1 to 6 events, not 9"),
        (lambda: inclusion(line, 9, 12), InvalidInput, "/size", "not 12"),  # both wrong
        (lambda: inclusion(line, 2, 0), InvalidInput, "/size", "not 0"),
        (lambda: inclusion(line, 7, 6), NotFound, "/seq", "event 7 is not among the 6"),
        (lambda: inclusion(line, 7), NotFound, "/seq", "not among the 6"),
        (lambda: consistency(line, 2, 7), InvalidInput, "/new", "holds 1 to 6 events, not 7"),
        (lambda: consistency(line, 8, 7), InvalidInput, "/new", "not 7"),
        (lambda: consistency(line, 5, 4), InvalidInput, "/old", "between 1 and 4, not 5"),
        (lambda: consistency(line, 0), InvalidInput, "/old", "between 1 and 6, not 0"),
    ]
    for call, kind, pointer, text in asked:
        with pytest.raises(kind, match=text) as caught:
            call()
        assert caught.value.pointer == pointer
    assert inclusion(line, 6, 6).size == 6 and consistency(line, 1, 6)["new"] == 6


def test_warming_the_record_reads_every_node(store: SqlStore) -> None:
    line = Line(store=store, clock=lambda: T0)
    assert warm_record(line) == 0
    append(store, [event(i) for i in range(23)])
    advance(line, chunk=5)
    assert warm_record(line) == 2 * 23 - (23).bit_count()  # one per perfect subtree


def test_the_record_keeps_its_first_key(make_store: MakeStore) -> None:
    store = make_store("sqlite")
    append(store, [event(0)])
    advance(Line(store=store))
    append(store, [event(1)])
    with pytest.raises(StateConflict, match="key file"):
        advance(Line(store=store))  # another (in-memory) key
    with store.read() as tx:
        assert tx.record_size() == 1  # nothing recorded under the wrong key


def test_a_gap_in_the_log_stops_the_record_there(make_store: MakeStore) -> None:
    store = make_store("sqlite")
    line = Line(store=store)
    append(store, [event(i) for i in range(4)])
    with store.transaction() as tx:
        tx._conn.exec_driver_sql("DELETE FROM event WHERE seq = 3")
    with pytest.raises(StateConflict, match="no event 3"):
        advance(line)
    with store.read() as tx:
        assert tx.record_size() == 0


_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _text
    | st.floats(-1e15, 1e15, allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.dictionaries(_text, _json, max_size=5), subject=_text.filter(bool))
def test_the_spliced_entry_is_the_rfc8785_form_of_the_event(
    sqlite_store: SqlStore, body: dict[str, object], subject: str
) -> None:
    e = event(7, body=body, told=Audience(parties=frozenset({"ré", "blue"})))
    append(sqlite_store, [Event(0, e.kind, e.at, subject[:128], "blue", e.told, body)])
    entry = entries(sqlite_store)[-1]
    record = parse_entry(entry)
    assert canonical_entry(record) == entry
    assert record["told"] == ["blue", "ré"] and record["subject"] == subject[:128]
    assert json.loads(entry)["at"].endswith("Z")
