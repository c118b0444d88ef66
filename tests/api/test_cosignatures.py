"""Witnesses over HTTP: a party's member cosigns a checkpoint with its registered key, the line
checks and keeps the cosignature and serves it to every party; a cosignature that does not hold
is refused naming the field. Then a host that cuts the tail of its log — events, checkpoints and
tree nodes alike — or rewrites it is named by ``record verify`` through that cosignature."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from deconfliction.record import Checkpoint, Signer
from deconfliction.record.cosignature import cosign, witness_name
from deconfliction.service.record import advance
from deconfliction.service.record.verify import verify_store
from tests.api.conftest import Api, notice, square

T = 1_795_000_000  # the witness's own clock: 2026-11-18


def register(api: Api, who: str) -> Signer:
    signer = Signer.generate(f"{who}-ops")
    public = base64.b64encode(signer.verifier().public_key).decode()
    r = api.client.put("/v1/members/me/key", json={"public_key": public}, headers=api.headers(who))
    assert r.status_code == 200, r.text
    return signer


def checkpoint(api: Api) -> Checkpoint:
    r = api.get("red", "/v1/record/checkpoint")
    assert r.status_code == 200, r.text
    return Checkpoint.parse(r.text[: r.text.rindex("\n\n") + 1])


def post(api: Api, who: str, size: int, line: str) -> Any:
    body = {"size": size, "cosignature": line}
    return api.client.post("/v1/record/cosignatures", json=body, headers=api.headers(who))


def some_events(api: Api, n: int) -> None:
    for i in range(n):
        assert api.post("blue", notice(square(40.0 + i, 35.0))).status_code == 201
    advance(api.line)


def cosigned(api: Api, who: str, signer: Signer) -> Checkpoint:
    cp = checkpoint(api)
    r = post(api, who, cp.size, cosign(cp, signer, witness_name(api.line.origin, who), T))
    assert r.status_code == 201, r.text
    return cp


def test_a_member_cosigns_and_every_party_sees_it(api: Api) -> None:
    some_events(api, 2)
    red = register(api, "red")
    cp = cosigned(api, "red", red)
    for who in ("blue", "aid"):
        (shown,) = api.get(who, "/v1/record/cosignatures").json()["cosignatures"]
        assert shown["party"] == "red" and shown["size"] == cp.size
        assert base64.b64decode(shown["root"]) == cp.root
        assert shown["time"] == T and shown["cosigned_at"] == "2026-11-18T11:06:40Z"
        assert shown["vkey"].startswith(witness_name(api.line.origin, "red") + "+")
        assert "member" not in shown  # a party's members are its own business
    assert api.get("blue", "/v1/record/cosignatures", size=cp.size).json()["cosignatures"]
    assert api.get("blue", "/v1/record/cosignatures", size=1).json() == {"cosignatures": []}
    again = post(api, "red", cp.size, cosign(cp, red, witness_name(api.line.origin, "red"), T))
    assert again.status_code == 201  # the same cosignature again: kept once
    assert len(api.get("blue", "/v1/record/cosignatures").json()["cosignatures"]) == 1


def refused(r: Any, status: int, pointer: str, *words: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["pointer"] == pointer, body
    for word in words:
        assert word in body["message"], body


def test_a_cosignature_that_does_not_hold_is_refused_naming_the_field(api: Api) -> None:
    some_events(api, 2)
    red = register(api, "red")
    cp = checkpoint(api)
    name = witness_name(api.line.origin, "red")
    refused(post(api, "red", cp.size, "not a signature line"), 422, "/cosignature",
            "does not start with")  # fmt: skip
    refused(post(api, "red", cp.size, cosign(cp, red, "someone-else", T)), 422, "/cosignature",
            f"a member of red cosigns as '{name}'")  # fmt: skip
    forged = Checkpoint(cp.origin, cp.size, bytes(32))
    refused(post(api, "red", cp.size, cosign(forged, red, name, T)), 422, "/cosignature",
            f"does not verify over checkpoint {cp.size}")  # fmt: skip
    stranger = Signer.generate("stranger")
    refused(post(api, "red", cp.size, cosign(cp, stranger, name, T)), 422, "/cosignature",
            "is not that of the key")  # fmt: skip
    earlier = Checkpoint(cp.origin, 1, bytes(32))
    refused(post(api, "red", 1, cosign(earlier, red, name, T)), 404, "/size")  # never signed
    aid = witness_name(api.line.origin, "aid")
    refused(post(api, "aid", cp.size, cosign(cp, red, aid, T)), 422, "/cosignature", "register")
    refused(post(api, "red", 0, cosign(cp, red, name, T)), 422, "/size")
    r = post(api, "admin", cp.size, cosign(cp, red, witness_name(api.line.origin, "host"), T))
    assert r.status_code == 403, r.text
    assert api.get("blue", "/v1/record/cosignatures").json() == {"cosignatures": []}


def cut(api: Api, keep: int) -> None:
    """A host that removes its newest events with their checkpoints and tree nodes, then lets
    the line sign again over what is left."""
    with api.line.store.transaction() as tx:
        tx._conn.exec_driver_sql(f"DELETE FROM event WHERE seq > {keep}")
        tx._conn.exec_driver_sql(f"DELETE FROM record_checkpoint WHERE size > {keep}")
        tx._conn.exec_driver_sql("DELETE FROM record_node")
    advance(api.line)


def test_a_cut_tail_is_caught_through_a_partys_cosignature(api: Api) -> None:
    red = register(api, "red")
    some_events(api, 3)
    cp = cosigned(api, "red", red)
    kept = cp.size - 2
    cut(api, kept)
    found = verify_store(api.line.store, api.line.signer.verifier(), served=False)
    assert [(p.seq, p.what) for p in found.problems] == [
        (kept + 1, f"the log holds {kept} events, but party red cosigned checkpoint {cp.size} at "
                   f"2026-11-18T11:06:40Z: events {kept + 1} to {cp.size} were removed"),
    ]  # fmt: skip
    assert checkpoint(api).size == kept  # the line itself signs the cut log without a murmur


def test_a_rewrite_is_caught_through_a_partys_cosignature(api: Api) -> None:
    red = register(api, "red")
    some_events(api, 2)
    cp = cosigned(api, "red", red)
    with api.line.store.transaction() as tx:
        tx._conn.exec_driver_sql("UPDATE event SET body = REPLACE(body, 'test', 'TEST')")
        tx._conn.exec_driver_sql("DELETE FROM record_node")
        tx._conn.exec_driver_sql("DELETE FROM record_checkpoint")
    advance(api.line)
    found = verify_store(api.line.store, api.line.signer.verifier(), served=False)
    assert [(p.seq, p.what) for p in found.problems] == [
        (cp.size, f"party red cosigned checkpoint {cp.size} at 2026-11-18T11:06:40Z, but the "
                  f"first {cp.size} events now hash to another root: the log was rewritten since"),
    ]  # fmt: skip


def test_a_forged_cosignature_row_is_named(api: Api) -> None:
    some_events(api, 1)
    cp = cosigned(api, "red", register(api, "red"))
    with api.line.store.transaction() as tx:
        tx._conn.exec_driver_sql(f"UPDATE record_cosignature SET size = {cp.size + 5}")
    found = verify_store(api.line.store, api.line.signer.verifier(), served=False)
    ((problem,),) = [found.problems]
    assert (
        problem.what.startswith(f"the cosignature of checkpoint {cp.size + 5} kept for party red")
        and "it was changed or forged" in problem.what
    )


@pytest.mark.parametrize("size", ["-1", "abc", str(2**63)])
def test_a_bad_size_to_list_is_refused(api: Api, size: str) -> None:
    r = api.get("blue", "/v1/record/cosignatures", size=size)
    assert r.status_code == 422 and r.json()["pointer"] == "/query/size", r.text
