"""Rate limits: a member, a party (its members together) and an address sending bad tokens are
each stopped with a 429 that says when to come back; big bodies spend a budget of their own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from deconfliction.api.app import create_app
from deconfliction.config import NO_RATES, Limits
from deconfliction.service import Line
from tests.api.conftest import NOW, Api, make_api, notice, square
from tests.conftest import MakeStore


@pytest.fixture
def limited(make_store: MakeStore) -> Iterator[Any]:
    """``limited(**rates)``: the API over a fresh line, with those rates and no others."""
    clients: list[TestClient] = []

    def make(**rates: Any) -> Api:
        made = make_api(make_store("sqlite"))
        client = TestClient(
            create_app(made.line, limits=replace(NO_RATES, **rates)),
            raise_server_exceptions=False,
        )
        clients.append(client)
        return Api(client, made.line, made.tokens)

    yield make
    for client in clients:
        client.close()


def assert_limited(r: Any, window_s: int = 60) -> None:
    assert r.status_code == 429, r.text
    assert r.json()["error"] == "rate_limited"
    assert 1 <= int(r.headers["retry-after"]) <= window_s
    assert r.json()["message"]


def test_a_member_past_its_rate_gets_429_with_retry_after(limited: Any) -> None:
    api = limited(member="3/minute")
    for _ in range(3):
        assert api.get("blue", "/v1/me").status_code == 200
    r = api.get("blue", "/v1/me")
    assert_limited(r)
    assert "slow down" in r.json()["message"]
    # writes count too, and are refused before anything is stored
    assert api.post("blue", notice(square(40.0, 35.0))).status_code == 429
    assert api.get("red", "/v1/notices").json()["notices"] == []
    # another member, of this party or another, has its own budget
    assert api.get("blue-observer", "/v1/me").status_code == 200
    assert api.get("red", "/v1/me").status_code == 200


def test_members_of_one_party_share_the_party_budget(limited: Any) -> None:
    api = limited(party="4/minute")
    for who in ("blue", "blue-observer", "blue", "blue-observer"):
        assert api.get(who, "/v1/me").status_code == 200
    assert_limited(api.get("blue", "/v1/me"))
    assert_limited(api.get("blue-observer", "/v1/parties"))
    assert api.get("red", "/v1/me").status_code == 200  # another party is not slowed


def test_an_address_sending_bad_tokens_is_shut_out_even_with_a_good_one(limited: Any) -> None:
    api = limited(anonymous="3/minute")
    for _ in range(2):
        bad = api.client.get("/v1/me", headers={"Authorization": "Bearer dl_guess"})
        assert bad.status_code == 401
    assert api.client.get("/v1/me").status_code == 401  # no token at all counts too
    # a guesser cannot tell a right guess from a wrong one any more
    assert_limited(api.get("blue", "/v1/me"))
    r = api.client.post("/v1/notices", json=notice(square(40.0, 35.0)), headers=api.headers("blue"))
    assert_limited(r)
    # members at another address are not held up by it (and the notice was never stored)
    other = TestClient(api.client.app, client=("192.0.2.7", 50000))
    with other:
        assert other.get("/v1/me", headers=api.headers("blue")).status_code == 200
        assert other.get("/v1/notices", headers=api.headers("red")).json()["notices"] == []
    # pages that need no token still answer
    assert api.client.get("/healthz").status_code == 200


def test_a_shut_out_websocket_closes_with_4429(limited: Any) -> None:
    api = limited(anonymous="1/minute")
    assert api.client.get("/v1/me", headers={"Authorization": "Bearer dl_guess"}).status_code == 401
    with pytest.raises(WebSocketDisconnect) as closed:
        with api.client.websocket_connect("/v1/stream", headers=api.headers("blue")) as ws:
            ws.receive_text()
    assert closed.value.code == 4429


def _batch(count: int) -> list[dict[str, Any]]:
    at = NOW.isoformat().replace("+00:00", "Z")
    return [
        {"uid": f"asset-{i:05d}", "domain": "ground", "lat": 35.0 + i * 1e-4, "lon": 40.0,
         "alt_m": 500.0, "gs_mps": 10.0, "trk_deg": 90.0, "vs_mps": 0.0, "time": at}
        for i in range(count)
    ]  # fmt: skip


def test_big_bodies_spend_the_partys_upload_budget(limited: Any) -> None:
    api = limited(upload="100/minute")  # KiB
    batch = _batch(300)  # about 40 KiB
    first = api.client.post("/v1/tracks", json=batch, headers=api.headers("blue"))
    assert first.status_code == 200, first.text
    second = api.client.post("/v1/tracks", json=batch, headers=api.headers("blue-observer"))
    assert second.status_code != 429  # the observer may not report, but the body was counted
    third = api.client.post("/v1/tracks", json=batch, headers=api.headers("blue"))
    assert_limited(third)
    assert "budget of request bodies" in third.json()["message"]
    # requests without a body, and other parties, are not held up by it
    assert api.get("blue", "/v1/tracks").status_code == 200
    assert api.client.post("/v1/tracks", json=batch, headers=api.headers("red")).status_code == 200
    # a body larger than a whole period's budget can never pass: the answer says to split it
    huge = api.client.post("/v1/tracks", json=_batch(1000), headers=api.headers("aid"))
    assert_limited(huge)
    assert "send it in parts" in huge.json()["message"]


def test_rates_are_checked_when_the_app_is_made() -> None:
    with pytest.raises(ValueError, match="member: 'lots' is not a rate"):
        create_app(None, limits=Limits(member="lots"))  # type: ignore[arg-type]


def test_every_operation_documents_its_429() -> None:
    paths = create_app(Line(store=None)).openapi()["paths"]  # type: ignore[arg-type]
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert "429" in operation["responses"], (method, path)
