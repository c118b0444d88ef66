"""Member signatures: a member registers its Ed25519 key; its acknowledgements and messages may
carry its signature over the statement (``record.statement``), which the line checks, records,
and tells, so that a party cannot later deny what it signed.

Aid declares a protected site; red registers a key and signs its acknowledgement; blue asks red to
vacate an area and red signs its reply. Every refused signature names its field and stores
nothing.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconfliction import service
from deconfliction.domain import Role
from deconfliction.domain.labels import is_label
from deconfliction.record import Signer, statement
from deconfliction.record.statement import Signed
from tests.api.conftest import Api, Clock, make_api, notice, square
from tests.api.test_conversation import answer, open_thread, send, thread_with_request
from tests.conftest import STORE_KINDS, MakeStore


@pytest.fixture(params=STORE_KINDS)
def clocked(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[tuple[Api, Clock]]:
    clock = Clock()
    made = make_api(make_store(request.param), clock=clock)
    with made.client:
        yield made, clock


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def public(key: Ed25519PrivateKey) -> str:
    return b64(key.public_key().public_bytes_raw())


def sign(key: Ed25519PrivateKey, said: bytes) -> str:
    return b64(key.sign(said))


def register(api: Api, who: str, key: Ed25519PrivateKey | str) -> Any:
    text = key if isinstance(key, str) else public(key)
    return api.client.put("/v1/members/me/key", json={"public_key": text}, headers=api.headers(who))


def hospital(api: Api) -> str:
    body = notice(square(40.1, 35.3, 0.01), audience="all", kind="site")
    r = api.post("aid", {**body, "title": "Field hospital", "protected": True})
    assert r.status_code == 201, r.text
    return str(r.json()["notice"]["id"])


def ack(api: Api, who: str, notice_id: str, **body: Any) -> Any:
    return api.client.post(
        f"/v1/notices/{notice_id}/ack", json=body or None, headers=api.headers(who)
    )


def ack_message(api: Api, who: str, thread: str, message: str, **body: Any) -> Any:
    path = f"/v1/threads/{thread}/messages/{message}/ack"
    return api.client.post(path, json=body or None, headers=api.headers(who))


def receipts(api: Api, who: str, notice_id: str) -> list[dict[str, Any]]:
    r = api.get(who, f"/v1/notices/{notice_id}/receipts")
    assert r.status_code == 200, r.text
    return list(r.json()["receipts"])


def events(api: Api, who: str, kind: str) -> list[dict[str, Any]]:
    r = api.get(who, "/v1/events", kinds=kind)
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def last_seq(api: Api) -> int:
    with api.line.store.read() as tx:
        return tx.last_event_seq()


def refused(r: Any, pointer: str, *words: str) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["pointer"] == pointer, body
    for word in words:
        assert word in body["message"], body


# -- registering a key -------------------------------------------------------------------------


def test_a_member_registers_its_key_and_every_party_is_told(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    assert api.get("red", "/v1/members/me/key").status_code == 404
    key = Ed25519PrivateKey.generate()
    r = register(api, "red", key)
    assert r.status_code == 200, r.text
    mine = r.json()
    assert mine["party"] == "red" and mine["public_key"] == public(key)
    assert mine["registered_at"] == "2026-11-25T12:00:00Z"
    assert api.get("red", "/v1/members/me/key").json() == mine
    assert api.get("blue", "/v1/members/me/key").status_code == 404  # one's own key only
    for who in ("blue", "red", "aid", "blue-observer", "admin"):
        [told] = events(api, who, "key.registered")
        assert told["party"] == "red" and told["subject"] == mine["public_key"]
        if who == "red":
            assert told["key"] == mine  # its own member, by id
        else:  # the key and its party; the member by a label of this key alone
            assert told["key"] == {**mine, "member": told["key"]["member"]}
            assert is_label(told["key"]["member"]) and told["key"]["member"].startswith("red#")
    # the same key again changes nothing; a C2SP verifier key is read too
    clock.advance(60)
    before = last_seq(api)
    assert register(api, "red", key).json() == mine
    assert last_seq(api) == before
    signer = Signer.generate("red-ops")
    r = register(api, "red", signer.verifier().vkey())
    assert r.status_code == 200, r.text
    assert r.json()["public_key"] == b64(signer.verifier().public_key)
    assert len(events(api, "aid", "key.registered")) == 2
    # the host may register its own key
    assert register(api, "admin", Ed25519PrivateKey.generate()).status_code == 200


def test_one_key_is_one_members(clocked: tuple[Api, Clock]) -> None:
    api, _ = clocked
    key = Ed25519PrivateKey.generate()
    assert register(api, "red", key).status_code == 200
    api.tokens["red-2"] = service.create_member(api.line, "red", Role.COORDINATOR)[1]
    before = last_seq(api)
    for who in ("blue", "red-2"):  # another party's member, or another member of the same party
        refused(register(api, who, key), "/public_key", "another member", "one key, one member")
        assert api.get(who, "/v1/members/me/key").status_code == 404
    # read as a C2SP verifier key it is the same key
    signer = Signer.generate("blue-ops")
    assert register(api, "blue", signer.verifier().vkey()).status_code == 200
    refused(register(api, "red-2", b64(signer.verifier().public_key)), "/public_key")
    assert last_seq(api) == before + 1
    # the holder registering its own key again is fine; once it moves on, the key is free
    assert register(api, "red", key).status_code == 200
    assert register(api, "red", Ed25519PrivateKey.generate()).status_code == 200
    assert register(api, "red-2", key).status_code == 200


@pytest.mark.parametrize(
    "text",
    [
        b64(os.urandom(31)),  # a 32-byte key cut short
        b64(os.urandom(33)),
        "not a key",
        "red+00000000+AQ==",  # a vkey whose key is not 32 bytes
        "",
    ],
)
def test_a_key_that_is_not_ed25519_is_refused(clocked: tuple[Api, Clock], text: str) -> None:
    api, _ = clocked
    before = last_seq(api)
    refused(register(api, "red", text), "/public_key")
    assert last_seq(api) == before
    assert api.get("red", "/v1/members/me/key").status_code == 404


# -- signed acknowledgements of notices --------------------------------------------------------


def test_a_signed_acknowledgement_is_checked_recorded_and_told(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    site = hospital(api)
    key = Ed25519PrivateKey.generate()
    member = register(api, "red", key).json()["member"]
    said = statement.ack_notice(api.line.origin, site, 1)
    signature = sign(key, said)
    clock.advance(60)
    r = ack(api, "red", site, version=1, signature=signature)
    assert r.status_code == 200, r.text
    signed = {
        "member": member,
        "statement": said.decode(),
        "signature": signature,
        "key": public(key),
    }
    assert r.json()["signed"] == signed
    assert r.json()["acknowledged_at"] == "2026-11-25T12:01:00Z"
    # the notice's party sees it in the receipts, and was told of it; the signer by its label
    [red] = [x for x in receipts(api, "aid", site) if x["party"] == "red"]
    label = red["signed"]["member"]
    assert is_label(label) and label.startswith("red#")
    assert red["signed"] == {**signed, "member": label}
    [told] = events(api, "aid", "receipt.recorded")
    assert told["receipts"][0]["signed"] == red["signed"]
    # anyone holding the key can check it, without the line
    record = Signed.from_json(told["receipts"][0]["signed"])
    assert record.verifies(key.public_key().public_bytes_raw())
    assert '"line":' in record.statement and f'"notice":"{site}"' in record.statement
    # the same signed acknowledgement again: nothing new
    before = last_seq(api)
    again = ack(api, "red", site, version=1, signature=signature)
    assert again.status_code == 200 and again.json() == r.json()
    assert last_seq(api) == before


def test_a_signature_added_to_an_unsigned_acknowledgement(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    site = hospital(api)
    key = Ed25519PrivateKey.generate()
    register(api, "red", key)
    first = ack(api, "red", site)
    assert first.status_code == 200 and "signed" not in first.json()
    clock.advance(60)
    signature = sign(key, statement.ack_notice(api.line.origin, site, 1))
    r = ack(api, "red", site, version=1, signature=signature)
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_at"] == first.json()["acknowledged_at"]  # the first time stays
    assert r.json()["signed"]["signature"] == signature
    told = events(api, "aid", "receipt.recorded")
    assert ["signed" in e["receipts"][0] for e in told] == [False, True]
    # an unsigned acknowledgement after it keeps the signature and tells nothing
    before = last_seq(api)
    assert ack(api, "red", site).json()["signed"]["signature"] == signature
    assert last_seq(api) == before


Case = Callable[[Api, str, Ed25519PrivateKey], dict[str, Any]]


def _other_key(api: Api, site: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    said = statement.ack_notice(api.line.origin, site, 1)
    return {"version": 1, "signature": sign(Ed25519PrivateKey.generate(), said)}


def _other_version(api: Api, site: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    return {"version": 1, "signature": sign(key, statement.ack_notice(api.line.origin, site, 2))}


def _other_notice(api: Api, site: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    said = statement.ack_notice(api.line.origin, site + "x", 1)
    return {"version": 1, "signature": sign(key, said)}


def _other_line(api: Api, site: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    return {"version": 1, "signature": sign(key, statement.ack_notice("another-line", site, 1))}


def _not_canonical(api: Api, site: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    said = f'{{"act": "acknowledge", "line": "{api.line.origin}", "notice": "{site}", '
    return {"version": 1, "signature": sign(key, (said + '"version": 1}').encode())}


def _wrong(api: Api, site: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    return {"version": 1, "signature": b64(os.urandom(64))}


def _garbage(api: Api, site: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    return {"version": 1, "signature": "not base64!"}


def _short(api: Api, site: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    return {
        "version": 1,
        "signature": sign(key, statement.ack_notice(api.line.origin, site, 1))[:-8],
    }


def _no_version(api: Api, site: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    return {"signature": sign(key, statement.ack_notice(api.line.origin, site, 1))}


@pytest.mark.parametrize(
    ("case", "pointer", "words"),
    [
        (_wrong, "/signature", ("does not verify", '"act":"acknowledge"')),
        (_other_key, "/signature", ("does not verify",)),
        (_other_version, "/signature", ("does not verify", '"version":1')),
        (_other_notice, "/signature", ("does not verify",)),
        (_other_line, "/signature", ("does not verify", "for this line")),
        (_not_canonical, "/signature", ("does not verify",)),
        (_garbage, "/signature", ("base64",)),
        (_short, "/signature", ("base64",)),
        (_no_version, "/version", ("names the version",)),
    ],
)
def test_a_bad_signature_is_refused_and_nothing_is_stored(
    clocked: tuple[Api, Clock], case: Case, pointer: str, words: tuple[str, ...]
) -> None:
    api, _ = clocked
    site = hospital(api)
    r = api.client.put(
        f"/v1/notices/{site}",
        json={**notice(square(40.1, 35.3, 0.02), audience="all", kind="site"), "protected": True},
        headers=api.headers("aid", **{"If-Match": '"1"'}),
    )
    assert r.status_code == 200, r.text  # two versions, so "another version" exists
    key = Ed25519PrivateKey.generate()
    register(api, "red", key)
    before = last_seq(api)
    refused(ack(api, "red", site, **case(api, site, key)), pointer, *words)
    assert receipts(api, "red", site) == []
    assert last_seq(api) == before


def test_a_signature_without_a_registered_key_is_refused(clocked: tuple[Api, Clock]) -> None:
    api, _ = clocked
    site = hospital(api)
    key = Ed25519PrivateKey.generate()
    signature = sign(key, statement.ack_notice(api.line.origin, site, 1))
    before = last_seq(api)
    refused(ack(api, "red", site, version=1, signature=signature), "/signature", "PUT /v1/members")
    assert receipts(api, "red", site) == []
    assert last_seq(api) == before


def test_signatures_by_a_replaced_key_fail(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    thread, request = thread_with_request(api)
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    register(api, "red", old)
    clock.advance(60)
    register(api, "red", new)
    said = statement.ack_message(api.line.origin, thread, request)
    before = last_seq(api)
    refused(
        ack_message(api, "red", thread, request, signature=sign(old, said)),
        "/signature",
        "does not verify",
    )
    assert last_seq(api) == before
    r = ack_message(api, "red", thread, request, signature=sign(new, said))
    assert r.status_code == 200, r.text
    assert r.json()["signed"]["statement"] == said.decode()
    assert r.json()["signed"]["key"] == public(new)
    [mine] = api.get("blue", f"/v1/threads/{thread}/messages/{request}/receipts").json()["receipts"]
    assert mine["signed"] == {**r.json()["signed"], "member": mine["signed"]["member"]}
    assert mine["signed"]["member"].startswith("red#")  # blue sees red's signer by label
    [told] = events(api, "blue", "receipt.recorded")
    assert told["receipts"][0]["signed"] == mine["signed"]
    # both keys are on the record, in order
    keys = [e["key"]["public_key"] for e in events(api, "aid", "key.registered")]
    assert keys == [public(old), public(new)]


# -- signed messages ---------------------------------------------------------------------------


def test_a_signed_reply_is_checked_over_the_body_as_sent(clocked: tuple[Api, Clock]) -> None:
    api, _ = clocked
    thread, request = thread_with_request(api)
    key = Ed25519PrivateKey.generate()
    member = register(api, "red", key).json()["member"]
    reply = {"reason": "Crews grounded — until 14:00Z", "reply": "decline", "kind": "reply"}
    reply["in_reply_to"] = request
    said = statement.send(api.line.origin, thread, reply)
    # with its own spacing, key order and escapes (\u2014): the statement holds what it says
    signature = sign(key, said)
    raw = (
        f'{{ "kind":"reply",  "in_reply_to": {json.dumps(request)}, "reply": "decline",\n'
        f' "reason": {json.dumps(reply["reason"])}, "signature": "{signature}" }}'
    )
    r = api.client.post(
        f"/v1/threads/{thread}/messages",
        content=raw.encode(),
        headers=api.headers("red", **{"Content-Type": "application/json"}),
    )
    assert r.status_code == 201, r.text
    signed = r.json()["signed"]
    assert signed == {
        "member": member,
        "statement": said.decode(),
        "signature": signature,
        "key": public(key),
    }
    assert Signed.from_json(signed).verifies(key.public_key().public_bytes_raw())
    assert [
        m["signed"] for m in api.get("red", f"/v1/threads/{thread}").json()["messages"][1:]
    ] == [signed]
    # blue reads the same signature, its signer by the label red's sender has on this thread
    messages = api.get("blue", f"/v1/threads/{thread}").json()["messages"]
    label = messages[1]["member"]
    assert label.startswith("red#") and label != member
    assert messages[0].get("signed") is None and messages[1]["signed"] == {
        **signed,
        "member": label,
    }
    sent = events(api, "blue", "message.sent")
    assert [e["message"].get("signed") for e in sent] == [None, messages[1]["signed"]]


def test_a_signed_message_that_does_not_match_is_refused(clocked: tuple[Api, Clock]) -> None:
    api, _ = clocked
    thread, request = thread_with_request(api)
    key = Ed25519PrivateKey.generate()
    register(api, "red", key)
    agreed = answer(request, "accept")
    signature = sign(key, statement.send(api.line.origin, thread, agreed))
    before = last_seq(api)
    changed = answer(request, "decline", reason="no", signature=signature)
    refused(send(api, "red", thread, changed), "/signature", "does not verify", '"act":"send"')
    elsewhere = open_thread(api, "blue", ["red"]).json()["id"]
    note = {"kind": "note", "text": "Thank you."}
    there = sign(key, statement.send(api.line.origin, elsewhere, note))
    refused(send(api, "red", thread, {**note, "signature": there}), "/signature")
    assert [m["kind"] for m in api.get("blue", f"/v1/threads/{thread}").json()["messages"]] == [
        "request"
    ]
    assert last_seq(api) == before + 1  # the thread opened, nothing else
    # blue, with no key, cannot sign at all
    refused(send(api, "blue", thread, {**note, "signature": there}), "/signature", "register")
    r = send(api, "red", thread, {**agreed, "signature": signature})
    assert r.status_code == 201, r.text
    assert r.json()["signed"]["signature"] == signature
