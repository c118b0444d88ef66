"""Who may do what: every operation of the OpenAPI document, called by every kind of caller.

Blue owns the secrets (``authz_scene``); the callers are blue's coordinator and observer, the
host's admin, red's coordinator and observer (another party), and a caller with no token. Each
row names the status every caller must get; an operation the document has and this table lacks
fails the test, so a new route cannot arrive without deciding who may call it. Everything red
is answered, and every event red is pushed, is then searched for blue's secrets.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from deconfliction import service
from tests.api import authz_scene
from tests.api.authz_scene import Scene
from tests.api.conftest import Api, Clock, make_api, notice, square
from tests.conftest import MakeStore

CALLERS = ("blue", "blue-observer", "admin", "red", "red-observer", "revoked", "expired", None)
"""In the order each row calls them: the owner's coordinator last, so a change it makes (an
edit, an acknowledgement) comes after every refusal has been checked against the state before.
``revoked`` and ``expired`` are red coordinators whose tokens the host revoked, or that ran out:
each row names the four live callers and the caller with no token, and those two are answered
as the caller with no token is."""
OTHERS = ("red", "red-observer")

Request = Callable[[Api, Scene, str | None], dict[str, Any]]


def _none(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    return {}


def _new_notice(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    return {"json": notice(square(30.0, 20.0))}


def _edit(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    current = api.get("blue", f"/v1/notices/{scene.notice}")
    body = notice(authz_scene.secret_volume(), audience=[])
    body["title"] = authz_scene.SECRET_TITLE
    return {"json": body, "headers": {"If-Match": current.headers["etag"]}}


def _withdraw(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    current = api.get("blue", f"/v1/notices/{scene.notice}")
    return {"headers": {"If-Match": current.headers["etag"]}}


def _report(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    report = {
        "uid": f"matrix-{who}",
        "domain": "ground",
        "lat": 20.0,
        "lon": 30.0,
        "gs_mps": 5.0,
        "trk_deg": 0.0,
        "vs_mps": 0.0,
        "time": "2026-11-25T12:00:00Z",
    }
    return {"json": [report]}


def _thread(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    return {"json": {"parties": ["aid"], "subject": "matrix"}}


def _note(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    return {"json": {"kind": "note", "text": "matrix"}}


def _key(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"json": {"public_key": base64.b64encode(raw).decode()}}


def _seq(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    return {"params": {"seq": 1}}


def _consistency(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    return {"params": {"old": 1}}


def _entries(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    return {"params": {"start": 1}}


def _evidence(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    return {"params": {"notice": scene.notice}}


def _shared_evidence(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    return {"params": {"notice": scene.shared}}


def _cosignature(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    """A cosignature line well formed but signed by no one's key."""
    line = "\u2014 matrix/witness/blue " + base64.b64encode(bytes(76)).decode()
    return {"json": {"size": 1, "cosignature": line}}


def _new_member(api: Api, scene: Scene, who: str | None) -> dict[str, Any]:
    return {"json": {"party": "aid", "role": "observer", "name": "matrix"}}


@dataclass(frozen=True)
class Row:
    statuses: tuple[int, int, int, int, int, int]
    """One per caller in ``CALLERS`` order, but ``revoked`` and ``expired``: as the last."""
    request: Request = _none
    fresh: bool = False
    """Runs on a scene of its own: the owner's call changes what the other rows read."""
    extra: tuple[tuple[str, Request, tuple[int, ...]], ...] = field(default=())


ALL = (200, 200, 200, 200, 200, 401)
MEMBERS = ALL
OWNERS = (200, 200, 404, 404, 404, 401)
"""Blue's own things: blue's members see them; the host's admin and other parties get the 404
that an unknown id gets, which confirms nothing."""

HOST = (403, 403, 200, 403, 403, 401)
"""The host's administration: its admins only."""

MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/healthz"): Row((200,) * 6),
    ("GET", "/readyz"): Row((200,) * 6),
    ("GET", "/metrics"): Row((401,) * 6),  # the scrape token only: no member, not the host's
    ("GET", "/v1/parties"): Row(MEMBERS),
    ("GET", "/v1/me"): Row(MEMBERS),
    ("POST", "/v1/notices"): Row((201, 403, 403, 201, 403, 401), _new_notice),
    ("GET", "/v1/notices"): Row(MEMBERS),
    ("GET", "/v1/notices/{notice_id}"): Row(OWNERS),
    ("PUT", "/v1/notices/{notice_id}"): Row((200, 403, 403, 404, 403, 401), _edit),
    ("DELETE", "/v1/notices/{notice_id}"): Row(
        (200, 403, 403, 404, 403, 401), _withdraw, fresh=True
    ),
    ("GET", "/v1/conflicts"): Row(MEMBERS),
    ("GET", "/v1/conflicts/{conflict_id}"): Row((200, 200, 404, 200, 200, 401)),
    ("POST", "/v1/conflicts/{conflict_id}/ack"): Row((200, 403, 403, 200, 403, 401), fresh=True),
    ("POST", "/v1/scan"): Row((200, 403, 200, 200, 403, 401)),
    ("POST", "/v1/tracks"): Row((200, 403, 403, 200, 403, 401), _report),
    ("GET", "/v1/tracks"): Row(MEMBERS),
    ("POST", "/v1/stream/tickets"): Row((201, 201, 201, 201, 201, 401)),
    ("GET", "/v1/events"): Row(MEMBERS),
    ("POST", "/v1/threads"): Row((201, 403, 403, 201, 403, 401), _thread),
    ("GET", "/v1/threads"): Row(MEMBERS),
    ("GET", "/v1/threads/{thread_id}"): Row(OWNERS),
    ("GET", "/v1/threads/{thread_id}/messages"): Row(OWNERS),
    ("POST", "/v1/threads/{thread_id}/messages"): Row((201, 403, 403, 404, 403, 401), _note),
    ("POST", "/v1/notices/{notice_id}/ack"): Row((409, 409, 403, 404, 404, 401)),
    ("GET", "/v1/notices/{notice_id}/receipts"): Row(OWNERS),
    ("POST", "/v1/threads/{thread_id}/messages/{message_id}/ack"): Row(
        (409, 409, 404, 404, 404, 401)
    ),
    ("GET", "/v1/threads/{thread_id}/messages/{message_id}/receipts"): Row(OWNERS),
    ("GET", "/v1/members/me/key"): Row((200, 404, 404, 404, 404, 401)),
    ("PUT", "/v1/members/me/key"): Row(MEMBERS, _key),
    ("GET", "/v1/record/key"): Row(MEMBERS),
    ("GET", "/v1/record/cosignatures"): Row(MEMBERS),
    ("POST", "/v1/record/cosignatures"): Row((422, 422, 403, 422, 422, 401), _cosignature),
    ("GET", "/v1/admin/members"): Row(HOST),
    ("POST", "/v1/admin/members"): Row((403, 403, 201, 403, 403, 401), _new_member),
    ("GET", "/v1/admin/members/{member_id}"): Row(HOST),
    ("POST", "/v1/admin/members/{member_id}/revoke"): Row(HOST),
    ("POST", "/v1/admin/members/{member_id}/rotate"): Row(HOST, fresh=True),
    ("GET", "/v1/record/checkpoint"): Row(MEMBERS),
    ("GET", "/v1/record/inclusion"): Row(MEMBERS, _seq),
    ("GET", "/v1/record/consistency"): Row(MEMBERS, _consistency),
    ("GET", "/v1/record/entries"): Row(MEMBERS, _entries),
    ("GET", "/v1/record/evidence"): Row(
        (200, 200, 200, 404, 404, 401),
        _evidence,
        extra=(("a notice everyone sees", _shared_evidence, ALL),),
    ),
}


def _statuses(row: tuple[int, ...]) -> tuple[int, ...]:
    """A row's statuses for every caller: a revoked or expired token is no token at all."""
    return (*row[:5], row[5], row[5], row[5])


@pytest.fixture
def world(make_store: MakeStore) -> Iterator[Callable[[], tuple[Api, Scene]]]:
    """Scenes on embedded lines, one per call: the matrix is about rules, not databases (the
    need-to-know tests run on both)."""
    made: list[Api] = []

    def make() -> tuple[Api, Scene]:
        clock = Clock()
        api = make_api(make_store("sqlite"), clock=clock)
        api.client.__enter__()
        made.append(api)
        authz_scene.extra_members(api, clock)
        scene = authz_scene.build(api)
        assert service.advance(api.line) is not None
        return api, scene

    yield make
    for api in made:
        api.client.__exit__(None, None, None)


def _operations(api: Api) -> list[tuple[str, str]]:
    doc = api.client.get("/openapi.json").json()
    return sorted((m.upper(), p) for p, ops in doc["paths"].items() for m in ops)


def _call(api: Api, scene: Scene, method: str, path: str, who: str | None, how: Request) -> Any:
    url = path.format(
        member_id=scene.member,
        notice_id=scene.notice,
        conflict_id=scene.conflict,
        thread_id=scene.thread,
        message_id=scene.message,
    )
    kwargs = how(api, scene, who)
    headers = {**(api.headers(who) if who else {}), **kwargs.pop("headers", {})}
    return api.client.request(method, url, headers=headers, **kwargs)


def test_every_operation_answers_every_caller_as_the_table_says(
    world: Callable[[], tuple[Api, Scene]],
) -> None:
    api, scene = world()
    operations = _operations(api)
    assert sorted(MATRIX) == operations, "every operation needs a row in MATRIX"
    wrong: list[str] = []
    leaks: list[str] = []
    for method, path in operations:
        row = MATRIX[(method, path)]
        here, at = world() if row.fresh else (api, scene)
        cases = [("", row.request, row.statuses), *row.extra]
        for label, how, statuses in cases:
            for who, expected in reversed(list(zip(CALLERS, _statuses(statuses), strict=True))):
                r = _call(here, at, method, path, who, how)
                if r.status_code != expected:
                    wrong.append(
                        f"{method} {path} {label} as {who}: {r.status_code}, expected "
                        f"{expected}: {r.text[:200]}"
                    )
                if who in OTHERS:  # writes and refusals too: nothing red is told holds a secret
                    said = _unechoed(r.text, str(r.request.url))
                    leaks += [
                        f"{method} {path} as {who}: {m}" for m in _markers(here, at) if m in said
                    ]
    assert wrong == []
    assert leaks == []


def _markers(api: Api, scene: Scene) -> list[str]:
    with api.line.store.read() as tx:
        blue = [m.id for m in tx.list_members("blue")]
    return [
        authz_scene.SECRET_TITLE,
        authz_scene.SECRET_SUBJECT,
        authz_scene.SECRET_TEXT,
        authz_scene.SECRET_CALLSIGN,
        authz_scene.SECRET_UID,
        f"{authz_scene.SECRET_LON}",
        f"{authz_scene.SECRET_LAT}",
        scene.notice,
        scene.thread,
        scene.message,
        *blue,
    ]


def _unechoed(text: str, url: str) -> str:
    """``text`` without the ids red itself sent in ``url``: a 404 that repeats the id asked for
    tells red nothing it did not say."""
    for part in url.replace("?", "/").replace("=", "/").replace("&", "/").split("/"):
        if len(part) >= 16:
            text = text.replace(part, "")
    return text


def test_nothing_red_is_answered_or_pushed_holds_blues_secrets(
    world: Callable[[], tuple[Api, Scene]],
) -> None:
    api, scene = world()
    said: list[str] = [scene.told_red]
    for method, path in _operations(api):
        row = MATRIX[(method, path)]
        if row.fresh or method != "GET":
            continue
        for who in OTHERS:
            for _, how, _ in [("", row.request, row.statuses), *row.extra]:
                r = _call(api, scene, method, path, who, how)
                said.append(_unechoed(r.text, str(r.request.url)))
    for who in OTHERS:
        said.append(api.get(who, "/v1/events", after=0, limit=1000).text)
        ticket = api.client.post("/v1/stream/tickets", headers=api.headers(who)).json()
        with api.client.websocket_connect(f"/v1/stream?ticket={ticket['ticket']}&after=0") as ws:
            head = api.get(who, "/v1/events", after=0, limit=1000).json()["events"][-1]["seq"]
            while True:
                event = ws.receive_json()
                said.append(str(event))
                if event.get("seq", 0) >= head:
                    break
    markers = _markers(api, scene)
    leaks = [
        (m, s[max(0, s.find(m) - 150) : s.find(m) + 60]) for s in said for m in markers if m in s
    ]
    assert leaks == [], "\n".join(f"{m}: {s}" for m, s in leaks)
