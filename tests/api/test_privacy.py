"""Privacy: other parties see a party's slug, never its members' ids or names; a request names
only notices every party of its thread may see.

Red has two coordinators. Between them they register keys, acknowledge blue's notice and a
conflict (signed), open a thread with blue and aid and write on it (signed and not), and write on
a second thread with blue. Every answer and pushed event blue, aid, blue's observer and the host
get — threads, messages, receipts, notices, conflicts, events, the WebSocket stream, record
entries and evidence bundles — is scanned for red's member ids and names: none is there. Red
itself reads its own members by id; blue tells red's two members apart on a thread by their
labels, and cannot follow one of them from thread to thread.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from websockets.sync.client import connect

from deconfliction import service
from deconfliction.domain import Role
from deconfliction.domain.labels import is_label
from deconfliction.record import statement
from deconfliction.record.evidence import check_bundle
from deconfliction.record.keys import Verifier
from tests.api.conftest import Api, Clock, make_api, notice, square
from tests.api.test_conversation import DEADLINE, answer, open_thread, send, vacate
from tests.cli.test_watch import Server, _free_port
from tests.conftest import STORE_KINDS, MakeStore
from tests.waiting import WAIT_S, delivered

READERS = ("blue", "aid", "blue-observer", "admin")
"""Who must never read red's members: another party's coordinator and observer, a third party
of the thread, and the host."""


@dataclass
class Scene:
    api: Api
    threads: tuple[str, str]
    """The thread red opened with blue and aid; the one blue opened with red."""
    messages: dict[str, str]
    """Message ids by what they are."""
    notices: dict[str, str]
    writers: tuple[str, str]
    """The ids of red's two members who write."""
    red_ids: tuple[str, ...]
    red_names: tuple[str, ...]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def post_json(api: Api, who: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return api.client.post(path, json=body, headers=api.headers(who))


def signed_send(
    api: Api, who: str, key: Ed25519PrivateKey, thread: str, body: dict[str, Any]
) -> Any:
    said = statement.send(api.line.origin, thread, body)
    return send(api, who, thread, {**body, "signature": b64(key.sign(said))})


@pytest.fixture(params=STORE_KINDS)
def scene(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[Scene]:
    clock = Clock()
    api = make_api(make_store(request.param), clock=clock)
    with api.client:
        yield _play(api, clock)


def _play(api: Api, clock: Clock) -> Scene:
    line = api.line
    red_1, api.tokens["red"] = service.create_member(line, "red", Role.COORDINATOR, "Maj. Orlov")
    red_2, api.tokens["red-2"] = service.create_member(line, "red", Role.COORDINATOR, "Cpt. Ilyin")
    keys = {who: Ed25519PrivateKey.generate() for who in ("red", "red-2", "blue")}
    for who, key in keys.items():
        ok(
            api.client.put(
                "/v1/members/me/key",
                json={"public_key": b64(key.public_key().public_bytes_raw())},
                headers=api.headers(who),
            )
        )

    # blue's site, shared with every party; red acknowledges it, signed; red-2 too (later)
    site = ok(
        api.post("blue", {**notice(square(40.0, 35.0), kind="site"), "protected": True}), 201
    )["notice"]["id"]
    said = statement.ack_notice(line.origin, site, 1)
    ok(
        post_json(
            api,
            "red",
            f"/v1/notices/{site}/ack",
            {"version": 1, "signature": b64(keys["red"].sign(said))},
        )
    )
    # red's operation over it: a conflict, acknowledged by red's second member
    made = ok(api.post("red", notice(square(40.05, 35.05))), 201)
    [conflict] = made["conflicts"]
    ok(post_json(api, "red-2", f"/v1/conflicts/{conflict['id']}/ack"))
    ok(post_json(api, "blue", f"/v1/conflicts/{conflict['id']}/ack"))

    # a thread red opens with blue and aid: both red members write, one of them signed
    clock.advance(60)
    three = ok(open_thread(api, "red", ["blue", "aid"], "Convoy timings"), 201)["id"]
    note = ok(send(api, "red", three, {"kind": "note", "text": "Convoy leaves 06:00Z"}), 201)["id"]
    ask = vacate(to="blue", notices=[site], text="Keep clear of the site.")
    del ask["volume"]
    request = ok(signed_send(api, "red-2", keys["red-2"], three, ask), 201)["id"]
    reply = ok(
        signed_send(api, "blue", keys["blue"], three, answer(request, "decline", reason="In use")),
        201,
    )["id"]
    said = statement.ack_message(line.origin, three, reply)
    ok(
        post_json(
            api,
            "red-2",
            f"/v1/threads/{three}/messages/{reply}/ack",
            {"signature": b64(keys["red-2"].sign(said))},
        )
    )
    again = ok(send(api, "red", three, {"kind": "note", "text": "Understood."}), 201)["id"]
    # a second thread, blue and red only: the same red member writes there too
    two = ok(open_thread(api, "blue", ["red"], "Fuel stop"), 201)["id"]
    elsewhere = ok(send(api, "red", two, {"kind": "note", "text": "Fuel at 09:00Z"}), 201)["id"]
    ok(send(api, "blue", two, vacate(deadline=DEADLINE)), 201)
    for who in ("blue", "aid", "red"):  # deliveries, and their receipt events
        ok(api.get(who, f"/v1/threads/{three}"))
    delivered(line, "blue", messages=[note, request, again])
    delivered(line, "aid", messages=[note, request, reply, again])
    service.advance(line)
    with line.store.read() as tx:
        red = tx.list_members("red")
    assert len(red) == 3  # the first, made with the line, has done nothing
    return Scene(
        api,
        (three, two),
        {"note": note, "request": request, "reply": reply, "again": again, "elsewhere": elsewhere},
        {"site": site, "operation": made["notice"]["id"]},
        (red_1.id, red_2.id),
        tuple(m.id for m in red),
        tuple(m.name for m in red if m.name),
    )


def everything(s: Scene, who: str, pushed_from: str) -> list[tuple[str, str]]:
    """Every answer ``who`` gets from the line about all of this, as (what, text), and every
    event the WebSocket stream at ``pushed_from`` pushes to it."""
    api = s.api
    got: list[tuple[str, str]] = []

    def read(path: str, **params: Any) -> Any:
        r = api.get(who, path, **params)
        if r.status_code == 200:
            got.append((path, r.text))
        return r

    for t in read("/v1/threads").json().get("threads", []):
        read(f"/v1/threads/{t['id']}")
        for m in read(f"/v1/threads/{t['id']}/messages").json()["messages"]:
            read(f"/v1/threads/{t['id']}/messages/{m['id']}/receipts")
    for n in read("/v1/notices").json().get("notices", []):
        read(f"/v1/notices/{n['id']}/receipts")
        read("/v1/record/evidence", notice=n["id"])
    for notice_id in s.notices.values():  # the host may ask for evidence of any
        read("/v1/record/evidence", notice=notice_id)
    read("/v1/conflicts")
    read("/v1/members/me/key")
    read("/v1/record/checkpoint")
    read("/v1/record/entries", start=1, end=service.latest_checkpoint(api.line).size)
    events = read("/v1/events").json()["events"]
    headers = api.headers(who)
    with connect(f"{pushed_from}/v1/stream?after=0", additional_headers=headers) as ws:
        pushed = [str(ws.recv(timeout=WAIT_S)) for _ in events]
    assert [json.loads(e)["seq"] for e in pushed] == [e["seq"] for e in events]
    return got + [("/v1/stream", text) for text in pushed]


def test_no_other_party_reads_a_members_id_or_name(scene: Scene) -> None:
    secrets = [*scene.red_ids, *scene.red_names]
    server = Server(scene.api.line, _free_port()).start()
    try:
        for who in READERS:
            answers = everything(scene, who, f"ws://127.0.0.1:{server.port}")
            assert len(answers) > 10, who
            for what, text in answers:
                for secret in secrets:
                    assert secret not in text, f"{who} read red's member {secret!r} in {what}"
    finally:
        server.stop()


def test_the_log_names_no_member_by_id(scene: Scene) -> None:
    """What every party told may read byte for byte holds labels only."""
    with scene.api.line.store.read() as tx:
        members = [m.id for m in tx.list_members()]
        bodies = [json.dumps(e.body) for e in tx.events_after(0, None, 10_000)]
    assert len(bodies) > 15
    for body in bodies:
        for member in members:
            assert member not in body


def test_a_party_reads_its_own_members_by_id(scene: Scene) -> None:
    api = scene.api
    three, _ = scene.threads
    red_1, red_2 = scene.writers
    for who in ("red", "red-2"):  # each red member reads both, by id
        thread = ok(api.get(who, f"/v1/threads/{three}"))
        assert thread["thread"]["member"] == red_1
        by_id = {m["id"]: m for m in thread["messages"]}
        assert by_id[scene.messages["note"]]["member"] == red_1
        assert by_id[scene.messages["request"]]["member"] == red_2
        assert by_id[scene.messages["request"]]["signed"]["member"] == red_2
        assert is_label(by_id[scene.messages["reply"]]["member"])  # blue's, by label
    told = ok(api.get("red", "/v1/events"))["events"]
    mine = [e for e in told if e.get("message", {}).get("party") == "red"]
    assert {e["message"]["member"] for e in mine} == {red_1, red_2}
    keys = [e["key"] for e in told if "key" in e]
    assert [k["member"] for k in keys if k["party"] == "red"] == [red_1, red_2]
    assert all(is_label(k["member"]) for k in keys if k["party"] != "red")
    [receipt] = ok(api.get("red", f"/v1/notices/{scene.notices['site']}/receipts"))["receipts"]
    assert receipt["signed"]["member"] == red_1
    conflicts = ok(api.get("red", "/v1/conflicts"))["conflicts"]
    acks = [a for c in conflicts for a in c["acknowledged_by"]]
    assert {a["party"]: a.get("member") for a in acks} == {"red": red_2, "blue": None}


def test_a_thread_tells_two_members_apart_but_not_across_threads(scene: Scene) -> None:
    api = scene.api
    three, two = scene.threads
    for who in ("blue", "aid"):
        thread = ok(api.get(who, f"/v1/threads/{three}"))
        by_id = {m["id"]: m for m in thread["messages"]}
        first = by_id[scene.messages["note"]]["member"]
        second = by_id[scene.messages["request"]]["member"]
        assert first.startswith("red#") and second.startswith("red#") and first != second
        assert thread["thread"]["member"] == first  # the opener is the first writer
        assert by_id[scene.messages["again"]]["member"] == first  # the same person again
        assert by_id[scene.messages["request"]]["signed"]["member"] == second
        told = [e["message"] for e in ok(api.get(who, "/v1/events"))["events"] if "message" in e]
        assert {m["id"]: m["member"] for m in told if m["thread"] == three} == {
            i: m["member"] for i, m in by_id.items()
        }  # pushed as answered
    # red-2 acknowledged blue's reply, signed: blue sees the signer by the same label
    path = f"/v1/threads/{three}/messages/{scene.messages['reply']}/receipts"
    [receipt] = [r for r in ok(api.get("blue", path))["receipts"] if r["party"] == "red"]
    assert receipt["signed"]["member"] == second
    # red's first member on the other thread: another label, nothing links the two
    there = ok(api.get("blue", f"/v1/threads/{two}/messages"))["messages"]
    [elsewhere] = [m for m in there if m["id"] == scene.messages["elsewhere"]]
    assert elsewhere["member"].startswith("red#") and elsewhere["member"] not in (first, second)


def test_evidence_still_proves_red_signed_for_every_party(scene: Scene) -> None:
    api = scene.api
    body = ok(api.get("blue", "/v1/record/key"))
    verifier = Verifier.from_vkey(body["vkey"])
    for who in ("blue", "red", "aid", "admin"):
        bundle = ok(api.get(who, "/v1/record/evidence", notice=scene.notices["site"]))
        found = check_bundle(bundle, verifier)
        assert found.ok, (who, found.problems)
        verified = [p for p in found.proven if "the signature verifies" in p]
        # every party of the thread reads red's signed request; blue (the notice's) and the
        # host read red's signed acknowledgement too (receipts are told to the notice's party)
        assert any("asked party blue to vacate" in p for p in verified), who
        acked = any(p.startswith("Party red acknowledged version 1") for p in verified)
        assert acked is (who in ("blue", "admin")), who
        assert not any(secret in json.dumps(bundle) for secret in scene.red_ids if who != "red")


# -- a request names only notices every party of its thread may see ----------------------------


@pytest.fixture(params=STORE_KINDS)
def talk(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[Api]:
    api = make_api(make_store(request.param), clock=Clock())
    with api.client:
        yield api


def hold(**extra: Any) -> dict[str, Any]:
    return {"kind": "request", "request": "hold", "to": "red", "deadline": DEADLINE, **extra}


def last_seq(api: Api) -> int:
    with api.line.store.read() as tx:
        return tx.last_event_seq()


def test_a_request_names_only_notices_every_party_of_its_thread_sees(talk: Api) -> None:
    api = talk
    with_red = ok(api.post("blue", notice(square(40.0, 35.0), audience=["red"])), 201)["notice"]
    with_both = ok(api.post("blue", notice(square(41.0, 35.0), audience=["red", "aid"])), 201)
    everyone = ok(api.post("red", notice(square(42.0, 35.0), audience="all")), 201)["notice"]
    aids_own = ok(api.post("aid", notice(square(43.0, 35.0), audience=[])), 201)["notice"]
    three = ok(open_thread(api, "blue", ["red", "aid"]), 201)["id"]
    two = ok(open_thread(api, "blue", ["red"]), 201)["id"]
    before = last_seq(api)

    # blue's notice for red alone, on a thread aid reads: refused, naming aid and the field
    r = send(api, "blue", three, hold(notices=[everyone["id"], with_red["id"]]))
    assert r.status_code == 422, r.text
    assert r.json()["pointer"] == "/notices/1"
    assert "not shared with aid" in r.json()["message"]
    # a notice the sender cannot see is refused in the words an unknown id gets: it does not
    # learn that aid's notice exists
    hidden = send(api, "red", three, {**hold(to="blue"), "notices": [aids_own["id"]]}).json()
    unknown = send(api, "red", three, {**hold(to="blue"), "notices": ["01a2-no-such"]}).json()
    assert hidden["pointer"] == unknown["pointer"] == "/notices/0"
    assert hidden["message"] == unknown["message"].replace("01a2-no-such", aids_own["id"])
    assert last_seq(api) == before  # nothing was sent
    assert [m["kind"] for m in ok(api.get("aid", f"/v1/threads/{three}"))["messages"]] == []

    # what every party of the thread sees may be named; red's notice for red alone is fine
    # between blue and red
    for thread, named in (
        (three, [with_both["notice"]["id"], everyone["id"]]),
        (two, [with_red["id"], everyone["id"]]),
    ):
        ok(send(api, "blue", thread, hold(notices=named)), 201)
    # aid, on the thread of three, may name its own notice once every party sees it
    r = send(api, "aid", three, {**hold(to="blue"), "notices": [aids_own["id"]]})
    assert r.status_code == 422 and "not shared with blue, red" in r.json()["message"]
