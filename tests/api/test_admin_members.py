"""Administration belongs to the host: only an admin of party ``host`` manages members over
``/v1/admin/members``; tokens expire (by the line's clock), are revoked and rotated at once,
say when they were last used, and are never shown again after they are made."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deconfliction import service
from deconfliction.domain import Role
from deconfliction.service.duties import deadline_duties
from tests.api.conftest import NOW, Api, Clock, make_api, notice, square
from tests.conftest import STORE_KINDS, MakeStore

DAY = 24 * 3600.0


@pytest.fixture(params=STORE_KINDS)
def clocked(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[tuple[Api, Clock]]:
    clock = Clock()
    made = make_api(make_store(request.param), clock=clock)
    with made.client:
        yield made, clock


def create(api: Api, body: dict[str, Any], who: str = "admin") -> Any:
    return api.client.post("/v1/admin/members", json=body, headers=api.headers(who))


def members(api: Api, **params: Any) -> list[dict[str, Any]]:
    r = api.get("admin", "/v1/admin/members", **params)
    assert r.status_code == 200, r.text
    return list(r.json()["members"])


def test_the_host_admin_makes_lists_and_revokes_members(api: Api) -> None:
    made = create(api, {"party": "aid", "role": "observer", "name": "Desk", "expires_in": "30d"})
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    body = made.json()
    token, member = body["token"], body["member"]
    assert made.headers["location"] == f"/v1/admin/members/{member['id']}"
    assert token.startswith(member["token_prefix"] + "_") and len(member["token_prefix"]) == 11
    assert member == {
        "id": member["id"],
        "party": "aid",
        "role": "observer",
        "name": "Desk",
        "created_at": "2026-11-25T12:00:00Z",
        "expires_at": "2026-12-25T12:00:00Z",
        "last_used_at": None,
        "revoked_at": None,
        "token_prefix": member["token_prefix"],
        "state": "active",
    }
    me = api.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["token"] == {
        "prefix": member["token_prefix"],
        "expires_at": "2026-12-25T12:00:00Z",
    }
    listed = members(api)
    # oldest first, members made at the same instant (this line's clock stands still) by id
    assert sorted(m["party"] for m in listed) == sorted(
        ["blue", "red", "aid", "blue", "host", "aid"]
    )
    assert [(m["created_at"], m["id"]) for m in listed] == sorted(
        (m["created_at"], m["id"]) for m in listed
    )
    [desk] = [m for m in listed if m["id"] == member["id"]]
    assert desk["last_used_at"] == "2026-11-25T12:00:00Z"  # the /v1/me just now
    # neither the token nor its hash is ever listed
    every = str(members(api)) + api.get("admin", f"/v1/admin/members/{member['id']}").text
    assert token not in every and service.hash_token(token) not in every
    assert token[12:24] not in every
    revoked = api.client.post(
        f"/v1/admin/members/{member['id']}/revoke", headers=api.headers("admin")
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    refused = api.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and "revoked" in refused.json()["message"]
    again = api.client.post(
        f"/v1/admin/members/{member['id']}/revoke", headers=api.headers("admin")
    )
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]


def test_members_page_like_every_list(api: Api) -> None:
    first = api.get("admin", "/v1/admin/members", limit=4)
    assert first.status_code == 200 and first.json()["next"]
    assert first.headers["link"].endswith('rel="next"')
    rest = api.get("admin", "/v1/admin/members", cursor=first.json()["next"])
    ids = [m["id"] for m in first.json()["members"] + rest.json()["members"]]
    assert len(ids) == len(set(ids)) == 5 and rest.json()["next"] is None
    assert [m["role"] for m in members(api, party="blue")] == ["coordinator", "observer"]
    bad = api.get("admin", "/v1/admin/members", cursor="nonsense")
    assert bad.status_code == 422 and bad.json()["pointer"] == "/query/cursor"


@pytest.mark.parametrize("who", ["blue", "blue-observer", "red"])
def test_no_one_but_the_host_admin_manages_members(api: Api, who: str) -> None:
    [blue] = [m for m in members(api, party="blue") if m["role"] == "coordinator"]
    for method, path in [
        ("GET", "/v1/admin/members"),
        ("POST", "/v1/admin/members"),
        ("GET", f"/v1/admin/members/{blue['id']}"),
        ("POST", f"/v1/admin/members/{blue['id']}/revoke"),
        ("POST", f"/v1/admin/members/{blue['id']}/rotate"),
    ]:
        body = {"party": "blue"} if path.endswith("members") and method == "POST" else None
        r = api.client.request(method, path, json=body, headers=api.headers(who))
        assert r.status_code == 403, (method, path, r.text)
        assert "host" in r.json()["message"]
    assert api.client.get("/v1/admin/members").status_code == 401


def test_an_admin_only_in_the_host_party_which_holds_only_admins(api: Api) -> None:
    stray = create(api, {"party": "blue", "role": "admin"})
    assert stray.status_code == 422 and stray.json()["pointer"] == "/role"
    assert "only in the host's own party 'host'" in stray.json()["message"]
    for role in ("coordinator", "observer"):
        hosted = create(api, {"party": "host", "role": role})
        assert hosted.status_code == 422 and hosted.json()["pointer"] == "/role"
    second = create(api, {"party": "host", "role": "admin", "name": "Night shift"})
    assert second.status_code == 201
    for bad, pointer in [
        ({"party": "blue", "expires_in": "2y"}, "/expires_in"),
        ({"party": "blue", "expires_in": "400d"}, "/expires_in"),
        ({"party": "blue", "role": "general"}, "/role"),
        ({"party": "blue", "token": "mine"}, "/token"),
    ]:
        r = create(api, bad)
        assert r.status_code == 422 and r.json()["pointer"] == pointer, (bad, r.text)
    assert create(api, {"party": "ghost"}).status_code == 404


def test_the_host_admin_reads_the_record_in_clear_and_a_party_does_not(api: Api) -> None:
    api.post("blue", {**notice(square(40.0, 35.0), audience=[]), "title": "Hidden battery"})
    service.advance(api.line)
    clear = api.get("admin", "/v1/record/entries", start=1, end=1).json()
    assert "Hidden battery" in str(clear)
    hidden = api.get("red", "/v1/record/entries", start=1, end=1).json()
    assert "Hidden battery" not in str(hidden)


def test_a_token_expires_by_the_line_clock(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    made = create(api, {"party": "red", "role": "coordinator", "expires_in": "1d"}).json()
    headers = {"Authorization": f"Bearer {made['token']}"}
    clock.advance(DAY - 1)
    assert api.client.get("/v1/parties", headers=headers).status_code == 200
    clock.advance(1)
    expired = api.client.get("/v1/parties", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["message"].startswith("this token expired at 2026-11-26T12:00:00Z")
    assert expired.headers["www-authenticate"] == "Bearer"
    [listed] = [m for m in members(api, party="red") if m["id"] == made["member"]["id"]]
    assert listed["state"] == "expired"
    # the default term is 90 days: the fixture's tokens still work on day 89, not on day 90
    clock.advance(88 * DAY)
    assert api.get("blue", "/v1/parties").status_code == 200
    clock.advance(DAY)
    assert api.get("blue", "/v1/parties").status_code == 401


def test_rotation_replaces_the_token_at_once(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    [red] = members(api, party="red")
    old = api.tokens["red"]
    clock.advance(80 * DAY)
    rotated = api.client.post(
        f"/v1/admin/members/{red['id']}/rotate",
        json={"expires_in": "10d"},
        headers=api.headers("admin"),
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["token"]
    member = rotated.json()["member"]
    assert new != old and member["token_prefix"] != red["token_prefix"]
    assert member["expires_at"] == "2027-02-23T12:00:00Z" and member["id"] == red["id"]
    assert api.client.get("/v1/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    me = api.client.get("/v1/me", headers={"Authorization": f"Bearer {new}"})
    assert me.status_code == 200 and me.json()["member"] == red["id"]
    # a revoked member is not given a new token
    api.client.post(f"/v1/admin/members/{red['id']}/revoke", headers=api.headers("admin"))
    refused = api.client.post(f"/v1/admin/members/{red['id']}/rotate", headers=api.headers("admin"))
    assert refused.status_code == 409
    missing = api.client.post("/v1/admin/members/nobody/revoke", headers=api.headers("admin"))
    assert missing.status_code == 404


def test_last_use_is_written_at_most_once_a_minute(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked

    def last_used() -> str | None:
        with api.line.store.read() as tx:
            [blue] = [m for m in tx.list_members("blue") if m.role is Role.COORDINATOR]
        return None if blue.last_used_at is None else blue.last_used_at.isoformat()

    assert last_used() is None
    api.get("blue", "/v1/parties")
    assert last_used() == NOW.isoformat()
    clock.advance(59)
    api.get("blue", "/v1/parties")
    assert last_used() == NOW.isoformat()  # within the minute: no write
    clock.advance(1)
    api.get("blue", "/v1/parties")
    assert last_used() == clock.now.isoformat()


def test_escalations_go_to_the_parties_concerned_and_the_host(
    clocked: tuple[Api, Clock],
) -> None:
    api, clock = clocked
    body = {**notice(square(40.1, 35.3, 0.01), audience=["red"], kind="site")}
    made = api.post("aid", {**body, "title": "Clinic", "protected": True}).json()["notice"]
    clock.advance(3601)
    assert deadline_duties(api.line) == 1
    told = {
        who: [e["escalation"]["missing"] for e in api.get(who, "/v1/events").json()["events"]
              if e["kind"] == "escalation.raised"]
        for who in ("aid", "red", "admin", "blue", "blue-observer")
    }  # fmt: skip
    assert told == {"aid": [["red"]], "red": [["red"]], "admin": [["red"]], "blue": [],
                    "blue-observer": []}  # fmt: skip
    assert made["id"]
