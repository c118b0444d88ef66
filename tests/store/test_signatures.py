"""Members' keys and recorded signatures in the store: a key registered and replaced, and the
first signature on an acknowledgement or a message kept, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deconfliction.domain import Member, Message, MessageKind, Role, Thread
from deconfliction.errors import NotFound
from deconfliction.record.statement import Signed
from deconfliction.store import SqlStore

from .common import T0

MIN = timedelta(minutes=1)


def signed(member: str = "m-red", what: str = "a") -> Signed:
    return Signed(member, f'{{"act":"acknowledge","what":"{what}"}}', "c2ln" * 22)


def test_a_key_registered_then_replaced(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.add_member(Member("m-red", "red", Role.COORDINATOR, T0), "hash-red")
        assert tx.member_key("m-red") is None
        tx.set_member_key("m-red", bytes(range(32)), T0)
    with store.read() as tx:
        key = tx.member_key("m-red")
        assert key is not None
        assert (key.member, key.party, key.public_key, key.registered_at) == (
            "m-red", "red", bytes(range(32)), T0,
        )  # fmt: skip
        assert tx.member_for_token("hash-red") == Member("m-red", "red", Role.COORDINATOR, T0)
    with store.transaction() as tx:
        tx.set_member_key("m-red", bytes(32), T0 + MIN)
        key = tx.member_key("m-red")
        assert key is not None and key.public_key == bytes(32) and key.registered_at == T0 + MIN
        with pytest.raises(NotFound):
            tx.set_member_key("nobody", bytes(32), T0)


def test_the_first_signature_on_an_acknowledgement_stands(store: SqlStore) -> None:
    with store.transaction() as tx:
        plain = tx.acknowledge("n-1", 1, "red", "m-red", T0)
        assert plain.signed is None
        first = tx.acknowledge("n-1", 1, "red", "m-red", T0 + MIN, signed())
        assert first.signed == signed() and first.acknowledged_at == T0
        again = tx.acknowledge("n-1", 1, "red", "m-red2", T0 + 2 * MIN, signed("m-red2", "b"))
        assert again == first
        fresh = tx.acknowledge("n-1", 2, "red", "m-red", T0, signed(what="v2"))
        assert fresh.signed == signed(what="v2")
    with store.read() as tx:
        assert [r.signed for r in tx.get_receipts("n-1")] == [signed(), signed(what="v2")]


def test_signatures_on_messages_and_their_acknowledgements(store: SqlStore) -> None:
    thread = Thread("t-1", "Palmyra road", frozenset({"blue", "red"}), "blue", "m-blue", T0, T0)
    note = Message("q-1", "t-1", MessageKind.NOTE, "blue", "m-blue", T0, "hello")
    with store.transaction() as tx:
        tx.insert_thread(thread)
        tx.insert_message(note)
        tx.insert_message(
            Message("q-2", "t-1", MessageKind.NOTE, "red", "m-red", T0, "hi", signed=signed())
        )
        tx.record_message_deliveries([("q-1", "t-1", "red", "m-red")], T0)
        acked = tx.acknowledge_message("q-1", "t-1", "red", "m-red", T0 + MIN, signed(what="q"))
        assert acked.signed == signed(what="q") and acked.delivered_at == T0
        again = tx.acknowledge_message("q-1", "t-1", "red", "m-red", T0 + 2 * MIN)
        assert again == acked
    with store.read() as tx:
        assert [m.signed for m in tx.list_messages("t-1")] == [None, signed()]
        [receipt] = tx.get_message_receipts("q-1")
        assert receipt == acked
