"""``record verify`` holds what the line serves to its event log: a host that edits a notice's
title or audience, a kept version, a conflict, a message, a receipt or who may read a thread —
without touching the log — is named by table and id, with the event the row differs from."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from deconfliction.record import Signer
from deconfliction.service.record import advance
from deconfliction.service.record.verify import Verification, verify_store
from deconfliction.store import SqlStore, schema
from tests.api.conftest import Api, make_api, notice, square
from tests.api.test_conversation import DEADLINE, answer, open_thread, send
from tests.conftest import STORE_KINDS, MakeStore


@dataclass
class Busy:
    """A line where every served table has rows: ids of what the scenario made."""

    api: Api
    mine: str  # blue's notice, shared with red, at version 2
    theirs: str  # red's notice, open to all
    conflict: str
    thread: str
    request: str
    reply: str

    @property
    def store(self) -> SqlStore:
        store = self.api.line.store
        assert isinstance(store, SqlStore)
        return store


def _ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def busy_line(api: Api) -> Busy:
    h = api.headers
    mine = _ok(api.post("blue", notice(square(40.0, 35.0), audience=["red"])), 201)["notice"]["id"]
    theirs = _ok(api.post("red", notice(square(40.05, 35.0))), 201)
    (conflict,) = [c["id"] for c in theirs["conflicts"]]
    changed = notice(square(40.0, 35.0, 0.12), audience=["red"]) | {"title": "Bridge survey"}
    r = api.client.put(
        f"/v1/notices/{mine}", json=changed, headers=h("blue", **{"If-Match": '"1"'})
    )
    _ok(r)
    _ok(api.client.post(f"/v1/notices/{mine}/ack", json={}, headers=h("red")))
    _ok(api.client.post(f"/v1/conflicts/{conflict}/ack", headers=h("blue")))
    thread = _ok(open_thread(api, "blue", ["red"]), 201)["id"]
    request = _ok(send(api, "blue", thread, {
        "kind": "request", "request": "keep-clear", "to": "red", "notices": [mine],
        "deadline": DEADLINE, "text": "Keep clear of the bridge",
    }), 201)["id"]  # fmt: skip
    reply = _ok(send(api, "red", thread, answer(request)), 201)["id"]
    public = base64.b64encode(Signer.generate("red-ops").verifier().public_key).decode()
    _ok(api.client.put("/v1/members/me/key", json={"public_key": public}, headers=h("red")))
    _ok(api.client.get(f"/v1/threads/{thread}/messages", headers=h("red")))  # delivered
    api.line.deliveries.flush()
    advance(api.line)
    return Busy(api, mine, theirs["notice"]["id"], conflict, thread, request, reply)


@pytest.fixture(params=STORE_KINDS)
def busy(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[Busy]:
    api = make_api(make_store(request.param))
    with api.client:
        yield busy_line(api)


def sql(store: SqlStore, statement: str, *params: Any) -> None:
    with store.transaction() as tx:
        mark = "%s" if tx._dialect == "postgresql" else "?"
        tx._conn.exec_driver_sql(statement.replace("?", mark), tuple(params))


def check(busy: Busy, host: bool = True) -> Verification:
    """``record verify`` as the host runs it, with the key file (members held to their labels),
    or (``host=False``) as an auditor with the public key alone."""
    labels = busy.api.line.labels if host else None
    return verify_store(busy.store, busy.api.line.signer.verifier(), labels=labels)


def named(found: Verification) -> list[tuple[str | None, str | None, str]]:
    return [(p.table, p.key, p.what) for p in found.problems]


def seq_of(busy: Busy, kind: str, subject: str, last: bool = True) -> int:
    with busy.store.read() as tx:
        seqs = [r.seq for r in tx.event_rows(0) if r.kind == kind and r.subject == subject]
    return seqs[-1] if last else seqs[0]


def test_an_untouched_busy_line_verifies(busy: Busy) -> None:
    found = check(busy)
    assert found.ok, [str(p) for p in found.problems]
    auditor = check(busy, host=False)
    assert auditor.ok, [str(p) for p in auditor.problems]
    with busy.store.read() as tx:  # every served table was held to something
        for table in ("notice", "conflict", "conflict_ack", "thread", "message", "receipt",
                      "message_receipt"):  # fmt: skip
            assert tx.served_page(table, None, 1), table


def test_an_edited_title_is_named_with_its_event(busy: Busy) -> None:
    sql(busy.store, "UPDATE notice SET title = 'Nothing to see' WHERE id = ?", busy.mine)
    seq = seq_of(busy, "notice.updated", busy.mine)
    assert named(check(busy)) == [
        ("notice", busy.mine, f"title differs from the event log (seq {seq})")
    ]


def test_an_edited_audience_is_named(busy: Busy) -> None:
    sql(busy.store, "UPDATE notice SET audience = 'all' WHERE id = ?", busy.mine)
    seq = seq_of(busy, "notice.updated", busy.mine)
    assert named(check(busy)) == [
        ("notice", busy.mine, f"audience differs from the event log (seq {seq})")
    ]


def test_an_edited_kept_version_is_named(busy: Busy) -> None:
    sql(
        busy.store,
        'UPDATE notice_version SET body = REPLACE(body, \'"title":"test"\', '
        '\'"title":"Harmless"\') WHERE notice_id = ? AND version = 1',
        busy.mine,
    )
    seq = seq_of(busy, "notice.created", busy.mine)
    assert named(check(busy)) == [
        ("notice_version", f"{busy.mine}/1", f"title differs from the event log (seq {seq})")
    ]


def test_a_deleted_version_and_a_forged_one_are_named(busy: Busy) -> None:
    sql(busy.store, "DELETE FROM notice_version WHERE notice_id = ? AND version = 1", busy.mine)
    sql(
        busy.store,
        "INSERT INTO notice_version (notice_id, version, recorded_us, body) "
        "SELECT notice_id, 3, recorded_us, body FROM notice_version WHERE notice_id = ?",
        busy.mine,
    )
    seq = seq_of(busy, "notice.created", busy.mine)
    assert named(check(busy)) == [
        ("notice_version", f"{busy.mine}/3",
         "is in the store, but no event of the log tells of it"),
        ("notice_version", f"{busy.mine}/1",
         f"is told by the event log (seq {seq}) but missing from the store"),
    ]  # fmt: skip


def test_an_edited_conflict_is_named(busy: Busy) -> None:
    sql(busy.store, "UPDATE conflict SET status = 'resolved', distance_m = 900 WHERE id = ?",
        busy.conflict)  # fmt: skip
    seq = seq_of(busy, "conflict.updated", busy.conflict)
    assert named(check(busy)) == [
        ("conflict", busy.conflict,
         f"distance_m, status differ from the event log (seq {seq})"),
    ]  # fmt: skip


def test_a_dropped_acknowledgement_of_a_conflict_is_named(busy: Busy) -> None:
    sql(busy.store, "DELETE FROM conflict_ack WHERE conflict_id = ?", busy.conflict)
    seq = seq_of(busy, "conflict.updated", busy.conflict)
    assert named(check(busy)) == [
        ("conflict_ack", f"{busy.conflict}/blue",
         f"is told by the event log (seq {seq}) but missing from the store"),
    ]  # fmt: skip


def test_an_edited_message_and_its_answer_are_named(busy: Busy) -> None:
    sql(busy.store, "UPDATE message SET text = 'Come closer' WHERE id = ?", busy.request)
    sql(busy.store, "UPDATE message SET answer = 'decline' WHERE id = ?", busy.request)
    sent = seq_of(busy, "message.sent", busy.request)
    replied = seq_of(busy, "message.sent", busy.reply)
    assert named(check(busy)) == [
        ("message", busy.request, f"text differs from the event log (seq {sent})"),
        ("message", busy.request, f"answer differs from the event log (seq {replied})"),
    ]


def test_an_edited_receipt_is_named(busy: Busy) -> None:
    sql(busy.store, "UPDATE receipt SET acknowledged_us = NULL WHERE notice_id = ? AND "
        "version = 2", busy.mine)  # fmt: skip
    seq = seq_of(busy, "receipt.recorded", busy.mine)
    assert named(check(busy)) == [
        ("receipt", f"{busy.mine}/2/red", f"acknowledged_at differs from the event log (seq {seq})")
    ]


def test_a_party_let_into_a_thread_is_named(busy: Busy) -> None:
    sql(busy.store, "INSERT INTO thread_party (party, thread_id) VALUES ('aid', ?)", busy.thread)
    seq = seq_of(busy, "thread.opened", busy.thread)
    assert named(check(busy)) == [
        ("thread_party", f"{busy.thread}/aid",
         f"the party is not one of the thread's in the event log (seq {seq})"),
    ]  # fmt: skip


def test_a_swapped_member_key_is_named(busy: Busy) -> None:
    other = base64.b64encode(Signer.generate("x").verifier().public_key).decode()
    sql(busy.store, "UPDATE member SET public_key = ? WHERE public_key IS NOT NULL", other)
    ((table, key, what),) = named(check(busy))
    assert table == "member" and what.startswith("public_key differs from the event log (seq ")
    # the auditor, without the labels, finds no registration of that key at all
    ((table, key, what),) = named(check(busy, host=False))
    assert table == "member" and what.startswith("has a registered key, but no key.registered")


def test_a_key_put_back_after_its_replacement_is_named_by_the_host(busy: Busy) -> None:
    api = busy.api
    with busy.store.read() as tx:
        first = tx._conn.exec_driver_sql(
            "SELECT public_key FROM member WHERE public_key IS NOT NULL"
        ).scalar_one()
    second = base64.b64encode(Signer.generate("red-ops-2").verifier().public_key).decode()
    r = api.client.put(
        "/v1/members/me/key", json={"public_key": second}, headers=api.headers("red")
    )
    _ok(r)
    advance(api.line)
    assert check(busy).ok and check(busy, host=False).ok  # a replaced key is no finding
    sql(busy.store, "UPDATE member SET public_key = ? WHERE public_key = ?", first, second)
    seq = seq_of(busy, "key.registered", second)
    ((table, _, what),) = named(check(busy))
    assert (table, what) == (
        "member",
        f"public_key differs from the event log (seq {seq}), which registered a later key",
    )


def test_a_message_given_to_another_member_is_named_by_the_host(busy: Busy) -> None:
    """The log names the writer by label; the host re-derives it from the row's member id."""
    with busy.store.read() as tx:
        other = next(m.id for m in tx.list_members("blue") if m.role.value == "observer")
    sql(busy.store, "UPDATE message SET member = ? WHERE id = ?", other, busy.request)
    sent = seq_of(busy, "message.sent", busy.request)
    assert named(check(busy)) == [
        ("message", busy.request, f"member differs from the event log (seq {sent})")
    ]
    assert check(busy, host=False).ok  # an auditor cannot tell: it has no labels


def test_a_planted_notice_and_a_deleted_receipt_are_named(busy: Busy) -> None:
    columns = ", ".join(c.name for c in schema.notice.c if c.name != "id")
    sql(busy.store, f"INSERT INTO notice (id, {columns}) SELECT 'planted', {columns} FROM notice "
        "WHERE id = ?", busy.theirs)  # fmt: skip
    sql(busy.store, "DELETE FROM message_receipt WHERE message_id = ?", busy.request)
    seq = seq_of(busy, "receipt.recorded", busy.request)
    assert named(check(busy)) == [
        ("notice", "planted", "is in the store, but no event of the log tells of it"),
        ("message_receipt", f"{busy.request}/red",
         f"is told by the event log (seq {seq}) but missing from the store"),
    ]  # fmt: skip


def test_a_broken_row_is_a_finding_not_a_crash(busy: Busy) -> None:
    sql(busy.store, "UPDATE notice SET kind = 'bogus' WHERE id = ?", busy.theirs)
    ((table, key, what),) = named(check(busy))
    assert (table, key) == ("notice", busy.theirs)
    assert what.startswith("the row cannot be read (ValueError: 'bogus'")


def test_the_command_names_table_and_id(busy: Busy, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from deconfliction.cli.main import app

    sql(busy.store, "UPDATE notice SET title = 'Nothing to see' WHERE id = ?", busy.mine)
    vkey = busy.api.line.signer.verifier().vkey()
    r = CliRunner().invoke(app, ["record", "verify", "--db", busy.store.url, "--key", vkey])
    said = " ".join((r.stdout + r.stderr).split())
    assert r.exit_code == 1
    assert f"notice {busy.mine}: title differs from the event log (seq" in said
    assert "The record does NOT verify" in said
