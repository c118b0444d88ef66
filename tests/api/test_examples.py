"""Every request body in the OpenAPI document carries examples, each valid against its own schema
and accepted by the line when sent in the seed scenario's world, in the order a morning brings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Union

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter

from deconfliction import service
from deconfliction.api import conversation, examples, keys, members, receipts, record, schemas
from deconfliction.api.app import create_app
from deconfliction.domain import Role
from deconfliction.service import Line
from tests.conftest import MakeStore

MORNING = datetime(2027, 1, 12, 6, 10, tzinfo=UTC)
"""When the examples happen: after the convoy set off, before the air operation."""

_MODELS: dict[str, type[BaseModel]] = {
    name: value
    for module in (schemas, conversation, keys, members, receipts, record)
    for name, value in vars(module).items()
    if isinstance(value, type) and issubclass(value, BaseModel)
}

Body = tuple[str, str, str]  # method, path, media type


def _spec() -> dict[str, Any]:
    app = create_app(Line(store=None))  # type: ignore[arg-type]  # the document needs no store
    spec: dict[str, Any] = app.openapi()
    return spec


def _bodies(spec: dict[str, Any]) -> Iterator[tuple[Body, dict[str, Any]]]:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                yield (method.upper(), path, media), content


def _python_type(schema: dict[str, Any]) -> Any:
    """The pydantic model (or list, or optional, of one) that a body's schema was made from."""
    if "$ref" in schema:
        return _MODELS[schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        return Union[tuple(_python_type(s) for s in schema["anyOf"])]  # noqa: UP007
    if schema.get("type") == "null":
        return type(None)
    if schema.get("type") == "array":
        return list[_python_type(schema["items"])]  # type: ignore[misc]
    raise AssertionError(f"no model known for the body schema {schema}: teach _python_type")


def _documents(media: str, value: Any) -> list[str]:
    """The JSON documents an example holds: NDJSON holds one a line."""
    if media == "application/x-ndjson":
        assert isinstance(value, str) and value.endswith("\n"), value
        return value.splitlines()
    return [json.dumps(value)]


def test_every_request_body_has_an_example() -> None:
    bodies = dict(_bodies(_spec()))
    assert len(bodies) >= 9  # notices (2), ack (2), key, threads, messages, tracks (2)
    missing = [body for body, content in bodies.items() if not content.get("examples")]
    assert missing == [], f"request bodies without an example: {missing}"


def test_every_example_validates_against_its_own_schema() -> None:
    for (method, path, media), content in _bodies(_spec()):
        adapter = TypeAdapter(_python_type(content["schema"]))
        for name, example in content["examples"].items():
            assert example.get("summary"), (method, path, name)
            for document in _documents(media, example["value"]):
                try:
                    adapter.validate_json(document)
                except ValueError as e:
                    pytest.fail(f"{method} {path} ({media}) example {name!r}: {e}")


class _Morning:
    """The examples sent, in turn, by the parties they are written for."""

    def __init__(self, line: Line, client: TestClient) -> None:
        self.client = client
        self.tokens = {
            slug: service.create_member(line, slug, Role.COORDINATOR)[1]
            for slug in ("coalition", "counterpart", "un-ocha")
        }
        self.tokens["host"] = service.create_member(line, "host", Role.ADMIN)[1]
        self.ids: dict[str, str] = {}
        self.sent: set[tuple[str, str, str, str]] = set()

    def send(
        self,
        who: str,
        method: str,
        route: str,
        path: str,
        examples: dict[str, Any],
        name: str,
        status: int = 200,
        media: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send example ``name`` to ``path`` (documented as ``route``), its ids made real."""
        text = _documents(media, examples[name]["value"])
        body = "\n".join(text) + ("\n" if media == "application/x-ndjson" else "")
        for example_id, real in self.ids.items():
            body = body.replace(example_id, real)
        r = self.client.request(
            method,
            path,
            content=body,
            headers={
                "Authorization": f"Bearer {self.tokens[who]}",
                "content-type": media,
                **(headers or {}),
            },
        )
        assert r.status_code == status, (method, route, name, r.text)
        self.sent.add((method, route, media, name))
        answer: dict[str, Any] = r.json()
        return answer


@pytest.fixture
def morning(make_store: MakeStore) -> Iterator[_Morning]:
    line = Line(store=make_store("sqlite"), clock=lambda: MORNING)
    for slug, name in (
        ("coalition", "Coalition Air Component"),
        ("counterpart", "Counterpart Forces, west of the Euphrates"),
        ("un-ocha", "UN OCHA Humanitarian Notification System"),
    ):
        service.create_party(line, slug, name)
    with TestClient(create_app(line)) as client:
        yield _Morning(line, client)


def test_the_line_accepts_every_example(morning: _Morning) -> None:
    m, ex = morning, examples
    for name in ex.KEY:
        m.send("un-ocha", "PUT", "/v1/members/me/key", "/v1/members/me/key", ex.KEY, name)

    notices = "/v1/notices"
    m.ids[ex.HOSPITAL_ID] = m.send("un-ocha", "POST", notices, notices, ex.NOTICE, "site", 201)[
        "notice"
    ]["id"]
    m.ids[ex.CONVOY_ID] = m.send("un-ocha", "POST", notices, notices, ex.NOTICE, "movement", 201)[
        "notice"
    ]["id"]
    m.ids[ex.OPERATION_ID] = m.send(
        "coalition", "POST", notices, notices, ex.NOTICE, "operation", 201
    )["notice"]["id"]
    hospital = f"/v1/notices/{m.ids[ex.HOSPITAL_ID]}"
    replaced = m.send(
        "un-ocha",
        "PUT",
        "/v1/notices/{notice_id}",
        hospital,
        ex.NOTICE_REPLACEMENT,
        "site",
        headers={"If-Match": '"1"'},
    )
    assert replaced["notice"]["version"] == 2

    tracks = "/v1/tracks"
    got = m.send("coalition", "POST", tracks, tracks, ex.TRACKS, "pair")
    assert got == {"accepted": 2, "ignored": 0, "rejected": 0}
    ndjson = "application/x-ndjson"
    got = m.send("un-ocha", "POST", tracks, tracks, ex.TRACKS_NDJSON, "convoy", media=ndjson)
    assert got == {"accepted": 2, "ignored": 0, "rejected": 0}

    for name in ex.ACK:
        ack = "/v1/notices/{notice_id}/ack"
        assert m.send("coalition", "POST", ack, f"{hospital}/ack", ex.ACK, name)["version"] == 2

    threads = [
        m.send("un-ocha", "POST", "/v1/threads", "/v1/threads", ex.THREAD, name, 201)["id"]
        for name in ex.THREAD
    ]
    route, path = "/v1/threads/{thread_id}/messages", f"/v1/threads/{threads[0]}/messages"
    for name in ("keep-clear", "hold", "note"):
        m.send("un-ocha", "POST", route, path, ex.MESSAGE, name, 201)
    for name in ("decline", "counter", "accept"):  # each answers a request of its own
        m.ids[ex.REQUEST_ID] = m.send(
            "un-ocha", "POST", route, path, ex.MESSAGE, "keep-clear", 201
        )["id"]
        m.send("coalition", "POST", route, path, ex.MESSAGE, name, 201)
    m.send("un-ocha", "POST", route, path, ex.MESSAGE, "withdraw", 201)  # ends the accepted one
    m.send(
        "coalition",
        "POST",
        "/v1/threads/{thread_id}/messages/{message_id}/ack",
        f"{path}/{m.ids[ex.REQUEST_ID]}/ack",
        ex.MESSAGE_ACK,
        "seen",
    )

    members = "/v1/admin/members"
    made = [m.send("host", "POST", members, members, ex.MEMBER, name, 201) for name in ex.MEMBER]
    rotate = "/v1/admin/members/{member_id}/rotate"
    for name in ex.ROTATE:
        path = f"{members}/{made[0]['member']['id']}/rotate"
        assert m.send("host", "POST", rotate, path, ex.ROTATE, name)["token"]

    documented = {
        (method, path, media, name)
        for (method, path, media), content in _bodies(_spec())
        for name in content["examples"]
    }
    # A cosignature is a signature over one line's checkpoint: no fixed example verifies on
    # another line. tests/api/test_cosignatures.py sends real ones.
    signed_elsewhere = {("POST", "/v1/record/cosignatures", "application/json", "witness")}
    assert documented - m.sent == signed_elsewhere, "examples this test does not send yet"
