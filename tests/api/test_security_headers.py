"""Every answer says: do not sniff, do not frame, send no referrer; an answer to a token is
never cached; HSTS only over HTTPS. The console and the docs keep their own policies."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from deconfliction.api import console, docs
from deconfliction.api.app import create_app
from deconfliction.api.headers import HSTS, POLICY
from tests.api.conftest import Api, notice, square


def _directives(policy: str) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.partition(" ")[2] for d in policy.split("; ")}


@pytest.mark.parametrize(
    ("path", "token", "status"),
    [
        ("/v1/parties", True, 200),
        ("/v1/notices?limit=0", True, 422),
        ("/v1/notices/nope", True, 404),
        ("/v1/me", False, 401),
        ("/healthz", False, 200),
        ("/openapi.json", False, 200),
        ("/docs", False, 200),
        ("/redoc", False, 200),
        ("/", False, 200),
        ("/console/config.json", False, 200),
    ],
)
def test_every_answer_carries_the_security_headers(
    api: Api, path: str, token: bool, status: int
) -> None:
    r = api.client.get(path, headers=api.headers("blue") if token else {})
    assert r.status_code == status
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert _directives(r.headers["content-security-policy"])["frame-ancestors"] == "'none'"
    assert "strict-transport-security" not in r.headers  # plain HTTP
    if token:
        assert r.headers["cache-control"] == "no-store"


def test_data_answers_may_load_and_run_nothing_and_pages_keep_their_policy(api: Api) -> None:
    assert api.get("blue", "/v1/parties").headers["content-security-policy"] == POLICY
    assert _directives(POLICY)["default-src"] == "'none'"
    assert api.client.get("/docs").headers["content-security-policy"] == docs.POLICY
    assert api.client.get("/").headers["content-security-policy"] == console.policy()


def test_a_write_and_an_event_stream_are_not_cached(api: Api) -> None:
    created = api.post("blue", notice(square(40.0, 35.0)))
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    events = api.get("red", "/v1/events")
    assert events.status_code == 200 and events.headers["cache-control"] == "no-store"


def test_hsts_over_https(api: Api) -> None:
    secure = TestClient(create_app(api.line), base_url="https://line.test")
    with secure:
        r = secure.get("/v1/me", headers=api.headers("blue"))
        assert r.headers["strict-transport-security"] == HSTS
        assert secure.get("/healthz").headers["strict-transport-security"] == HSTS
