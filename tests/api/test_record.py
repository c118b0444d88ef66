"""The record over HTTP: the key, signed checkpoints, proofs a party can check with nothing but
the key, entries in clear only to those who may read them, and evidence bundles."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient

from deconfliction import service
from deconfliction.api.app import create_app
from deconfliction.domain import Role
from deconfliction.record import Verifier, open_checkpoint
from deconfliction.record.evidence import check_bundle
from deconfliction.record.tree import (
    EMPTY_ROOT,
    Frontier,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from deconfliction.service import Line
from deconfliction.service.record import advance
from tests.api.conftest import NOW, Api, notice, square
from tests.conftest import MakeStore
from tests.waiting import wait_for


def b(text: str) -> bytes:
    return base64.b64decode(text)


def verifier(api: Api, who: str = "red") -> Verifier:
    body = api.get(who, "/v1/record/key").json()
    assert body["origin"] == api.line.origin
    assert b(body["public_key"]) == api.line.signer.verifier().public_key
    return Verifier.from_vkey(body["vkey"])


def hospital(api: Api) -> dict[str, Any]:
    """Blue's protected hospital, shared with red only; red acknowledges it."""
    body = {**notice(square(40.0, 35.0), audience=["red"], kind="site"), "protected": True}
    made = api.post("blue", {**body, "title": "Hospital"}).json()["notice"]
    ack = api.client.post(
        f"/v1/notices/{made['id']}/ack", json={"version": 1}, headers=api.headers("red")
    )
    assert ack.status_code == 200, ack.text
    return dict(made)


def test_before_any_event_there_is_no_checkpoint_to_serve(api: Api) -> None:
    r = api.get("red", "/v1/record/checkpoint")
    assert r.status_code == 404 and "no checkpoint yet" in r.json()["message"]


def test_a_party_checks_every_entry_it_may_read_against_the_signed_checkpoint(api: Api) -> None:
    hospital(api)
    api.post("red", notice(square(41.0, 36.0), audience=[]))  # red's own, shown to nobody
    first = advance(api.line)
    api.post("aid", notice(square(42.0, 36.0)))  # to all
    assert first is not None and advance(api.line) is not None

    r = api.get("red", "/v1/record/checkpoint")
    assert r.headers["content-type"].startswith("text/plain")
    checkpoint = open_checkpoint(r.text, verifier(api), api.line.origin)
    entries = api.get("red", "/v1/record/entries", start=1).json()["entries"]
    assert [e["seq"] for e in entries] == list(range(1, checkpoint.size + 1))

    # red reads its own notice, blue's hospital (shared with it) and aid's (to all) in clear;
    # the receipt of its acknowledgement is told to blue only, so red gets its leaf hash
    clear = {e["seq"] for e in entries if "entry" in e}
    hashed = {e["seq"] for e in entries if "leaf" in e}
    assert len(clear) == 3 and len(hashed) == checkpoint.size - 3
    blue_view = api.get("blue", "/v1/record/entries", start=1).json()["entries"]
    assert not any("entry" in e for e in blue_view if e["seq"] == 3)  # red's private notice

    frontier = Frontier()
    for e in entries:
        leaf = leaf_hash(e["entry"].encode()) if "entry" in e else b(e["leaf"])
        frontier.append(leaf)
        proof = api.get("red", "/v1/record/inclusion", seq=e["seq"]).json()
        assert (proof["index"], proof["size"], b(proof["leaf"])) == (e["seq"] - 1, 4, leaf)
        verify_inclusion(e["seq"] - 1, 4, leaf, [b(h) for h in proof["proof"]], checkpoint.root)
    assert frontier.root() == checkpoint.root  # the whole tree, rebuilt from what red got

    old = open_checkpoint(api.get("red", "/v1/record/checkpoint", size=first.size).text,
                          verifier(api))  # fmt: skip
    body = api.get("red", "/v1/record/consistency", old=old.size).json()
    assert (body["old"], body["new"]) == (old.size, checkpoint.size)
    verify_consistency(old.size, checkpoint.size, old.root, checkpoint.root,
                       [b(h) for h in body["proof"]])  # fmt: skip
    assert old.root != EMPTY_ROOT


def test_bad_questions_get_a_4xx_naming_the_field(api: Api) -> None:
    hospital(api)
    advance(api.line)
    cases = [
        ("/v1/record/inclusion", {"seq": 99}, 404, "/seq"),
        ("/v1/record/inclusion", {"seq": 1, "size": 99}, 422, "/size"),
        ("/v1/record/inclusion", {"seq": 0}, 422, "seq"),
        ("/v1/record/consistency", {"old": 3, "new": 2}, 422, "/old"),
        ("/v1/record/consistency", {"old": "x"}, 422, "old"),
        ("/v1/record/checkpoint", {"size": 1}, 404, "/size"),
        ("/v1/record/entries", {"start": 5, "end": 2}, 422, "/end"),
        ("/v1/record/entries", {"start": 1, "end": 5000}, 422, "/end"),
        ("/v1/record/evidence", {"notice": "nope"}, 404, "/notice"),
    ]
    for path, params, status, field in cases:
        r = api.get("red", path, **params)
        assert r.status_code == status, (path, params, r.text)
        assert field in r.text, (path, params, r.text)
    assert api.client.get("/v1/record/checkpoint").status_code == 401


def test_an_evidence_bundle_proves_the_versions_and_the_acknowledgement(api: Api) -> None:
    made = hospital(api)
    changed = {**notice(square(40.0, 35.0), audience=["red"], kind="site"), "title": "Hospital"}
    r = api.client.put(
        f"/v1/notices/{made['id']}",
        json={**changed, "protected": True, "title": "Hospital (east wing)"},
        headers=api.headers("blue", **{"If-Match": '"1"'}),
    )
    assert r.status_code == 200, r.text
    bundle = api.get("blue", "/v1/record/evidence", notice=made["id"]).json()
    found = check_bundle(bundle, verifier(api))
    assert found.ok, found.problems
    text = "\n".join(found.proven)
    assert f"party blue published version 1 of notice {made['id']} “Hospital” (protected)" in text
    assert "published version 2" in text and "“Hospital (east wing)”" in text
    assert f"Party red acknowledged version 1 of notice {made['id']} at" in text

    # red asks for the same evidence: the receipt events were told to blue only
    seen_by_red = api.get("red", "/v1/record/evidence", notice=made["id"]).json()
    assert seen_by_red["withheld"] > 0 and check_bundle(seen_by_red, verifier(api)).ok
    # aid is not in the audience: the notice does not exist for it
    assert api.get("aid", "/v1/record/evidence", notice=made["id"]).status_code == 404

    tampered = {**bundle, "entries": [dict(e) for e in bundle["entries"]]}
    tampered["entries"][0]["entry"] = tampered["entries"][0]["entry"].replace("Hospital", "Depot")
    broken = check_bundle(tampered, verifier(api))
    assert not broken.ok and broken.problems[0].startswith("entry 1 is not proven")


def test_evidence_holds_the_requests_naming_the_notice_and_signed_answers(api: Api) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from deconfliction.record import statement
    from tests.api.test_conversation import answer, open_thread, send, vacate

    made = hospital(api)  # blue's, shared with red; red acknowledged version 1 unsigned
    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    r = api.client.put(
        "/v1/members/me/key", json={"public_key": public}, headers=api.headers("red")
    )
    assert r.status_code == 200, r.text
    said = statement.ack_notice(api.line.origin, made["id"], 1)
    signature = base64.b64encode(key.sign(said)).decode()
    r = api.client.post(
        f"/v1/notices/{made['id']}/ack",
        json={"version": 1, "signature": signature},
        headers=api.headers("red"),
    )
    assert r.status_code == 200, r.text

    thread = open_thread(api, "blue", ["red"]).json()["id"]
    asked = send(api, "blue", thread, vacate(notices=[made["id"]])).json()["id"]
    unrelated = send(api, "blue", thread, vacate(text="Another box.")).json()["id"]
    reply = answer(asked, "decline", reason="Convoy already under way.")
    sent = {**reply, "signature": base64.b64encode(
        key.sign(statement.send(api.line.origin, thread, reply))).decode()}  # fmt: skip
    assert send(api, "red", thread, sent).status_code == 201
    assert send(api, "red", thread, answer(unrelated, "accept")).status_code == 201

    bundle = api.get("blue", "/v1/record/evidence", notice=made["id"], party="red").json()
    found = check_bundle(bundle, verifier(api))
    assert found.ok, found.problems
    text = "\n".join(found.proven)
    assert f"party blue asked party red to vacate (request {asked}, about {made['id']}" in text
    assert f"party red replied decline to request {asked}: “Convoy already under way.”" in text
    assert unrelated not in text  # a request that does not name the notice is not evidence of it
    assert "registered the public key " + public in text
    signed = [s for s in found.proven if "the signature verifies" in s]
    assert len(signed) == 2  # the acknowledgement and the reply
    assert any(f"Party red acknowledged version 1 of notice {made['id']}" in s for s in signed)


def test_evidence_follows_a_counter_to_the_requesters_acceptance(api: Api) -> None:
    from tests.api.test_conversation import answer, open_thread, send, vacate

    made = hospital(api)
    thread = open_thread(api, "blue", ["red"]).json()["id"]
    asked = send(api, "blue", thread, vacate(notices=[made["id"]])).json()["id"]
    elsewhere = {**vacate()["volume"], "footprint": square(41.0, 35.0)["footprint"]}
    r = send(api, "red", thread, answer(asked, "counter", reason="Not that box.", volume=elsewhere))
    assert r.status_code == 201, r.text
    counter = r.json()["id"]
    assert send(api, "blue", thread, answer(counter, "accept")).status_code == 201

    bundle = api.get("blue", "/v1/record/evidence", notice=made["id"]).json()
    found = check_bundle(bundle, verifier(api))
    assert found.ok, found.problems
    text = "\n".join(found.proven)
    assert f"party red replied counter to request {asked}: “Not that box.”" in text
    assert (
        f"party blue replied accept to counter {counter} (of request {asked}): the agreement is "
        "on the counter's terms"
    ) in text


def _one_party_line(make_store: MakeStore) -> tuple[Line, dict[str, str]]:
    line = Line(store=make_store("sqlite"), clock=lambda: NOW)
    service.create_party(line, "blue", "Blue")
    token = service.create_member(line, "blue", Role.COORDINATOR)[1]
    return line, {"Authorization": f"Bearer {token}"}


def test_the_server_signs_new_events_by_itself(make_store: MakeStore) -> None:
    line, headers = _one_party_line(make_store)
    with TestClient(create_app(line, record_interval_s=0.1)) as client:
        r = client.post("/v1/notices", json=notice(square(40.0, 35.0)), headers=headers)
        assert r.status_code == 201, r.text
        wait_for(
            lambda: client.get("/v1/record/checkpoint", headers=headers).status_code == 200,
            "a checkpoint signed by the server's recorder",
        )


def test_the_server_signs_what_is_left_as_it_stops(make_store: MakeStore) -> None:
    line, headers = _one_party_line(make_store)
    with TestClient(create_app(line)) as client:  # no recorder: one event, not yet signed
        client.post("/v1/notices", json=notice(square(39.0, 35.0)), headers=headers)
    with TestClient(create_app(line, record_interval_s=3600)) as client:

        def signed() -> int:
            with line.store.read() as tx:
                latest = tx.latest_checkpoint()
            return 0 if latest is None else latest.size

        # the recorder's first pass, as the server starts, signs what is there; then it waits
        assert wait_for(signed, "the recorder's first pass as the server starts") == 1
        for lon in (40.0, 41.0):
            client.post("/v1/notices", json=notice(square(lon, 35.0)), headers=headers)
        assert signed() == 1
    with line.store.read() as tx:
        latest = tx.latest_checkpoint()
        assert latest is not None and latest.size == tx.last_event_seq() == 3
