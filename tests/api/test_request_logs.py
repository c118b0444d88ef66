"""One structured log line per request: JSON (or text for a terminal), with the request's id
(the proxy's ``X-Request-ID`` when well formed, else a new one, sent back either way), the
route's template, the status, the duration and the member's party; never a token, never an id
from the path. Lines written while a request runs carry its id too."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import Request

from deconfliction.api.logformat import choose_format, configure
from deconfliction.api.logs import LOGGERS
from tests.api.conftest import Api, make_api, notice, square
from tests.conftest import MakeStore

HEX32 = re.compile(r"[0-9a-f]{32}")


def _secret(token: str) -> str:
    return token[12:]


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """The process's log, as ``serve`` sets it up, into a buffer; put back afterwards."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    kept = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).propagate) for n in LOGGERS}
    out = io.StringIO()
    handler = configure("json", stream=out)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, (handlers, propagate) in kept.items():
            logging.getLogger(name).handlers = handlers
            logging.getLogger(name).propagate = propagate


@pytest.fixture
def api(make_store: MakeStore) -> Iterator[Api]:
    made = make_api(make_store("sqlite"))

    @made.client.app.get("/talk", include_in_schema=False)  # type: ignore[attr-defined]
    def talk(request: Request) -> dict[str, str]:
        """A route that logs, as code under a request does, quoting what it should not."""
        log = logging.getLogger("deconfliction.test")
        log.warning("asked by %s", request.headers.get("authorization"))
        try:
            raise RuntimeError(f"cannot use {request.headers.get('authorization')}")
        except RuntimeError:
            log.exception("it failed")
        return {}

    with made.client:
        yield made


def _lines(out: io.StringIO) -> list[dict[str, object]]:
    """The server's lines (the test client's own, httpx's, are not the server's log)."""
    lines = [json.loads(line) for line in out.getvalue().splitlines()]  # each one JSON object
    return [x for x in lines if not str(x["logger"]).startswith("httpx")]


def test_each_request_is_one_json_line_with_its_id_and_party(api: Api, logged: io.StringIO) -> None:
    token = api.tokens["blue"]
    nid = api.post("blue", notice(square(30.0, 20.0), audience=[])).json()["notice"]["id"]
    r = api.client.get(
        f"/v1/notices/{nid}", headers=api.headers("blue", **{"X-Request-ID": "edge-7f3a.1"})
    )
    assert r.status_code == 200 and r.headers["x-request-id"] == "edge-7f3a.1"
    refused = api.client.get("/v1/me", params={"token": token})
    assert refused.status_code == 401 and HEX32.fullmatch(refused.headers["x-request-id"])
    lines = _lines(logged)
    requests = [x for x in lines if x["event"] == "request"]
    assert [(x["method"], x["route"], x["status"]) for x in requests] == [
        ("POST", "/v1/notices", 201),
        ("GET", "/v1/notices/{notice_id}", 200),
        ("GET", "/v1/me", 401),
    ]
    created, read, me = requests
    assert read["request_id"] == "edge-7f3a.1" and read["party"] == "blue"
    assert read["level"] == "info" and read["logger"] == "deconfliction.requests"
    assert isinstance(read["duration_ms"], float) and str(read["timestamp"]).endswith("Z")
    assert me["request_id"] == refused.headers["x-request-id"] and "party" not in me
    text = json.dumps(lines)
    assert nid not in text and _secret(token) not in logged.getvalue()
    assert api.tokens["blue"][:11] not in text  # not even the prefix: the party says enough


def test_a_request_id_that_is_not_well_formed_is_replaced(api: Api, logged: io.StringIO) -> None:
    token = api.tokens["red"]
    for given in (token, "two words", "x" * 129, "<script>", ""):
        r = api.client.get("/v1/me", headers=api.headers("red", **{"X-Request-ID": given}))
        assert r.status_code == 200
        assert HEX32.fullmatch(r.headers["x-request-id"]), given
    assert _secret(token) not in logged.getvalue()


def test_lines_written_under_a_request_carry_its_id_and_no_token(
    api: Api, logged: io.StringIO
) -> None:
    token = api.tokens["blue"]
    r = api.client.get("/talk", headers=api.headers("blue", **{"X-Request-ID": "talk-1"}))
    assert r.status_code == 200
    said = [x for x in _lines(logged) if x["logger"] == "deconfliction.test"]
    assert [x["event"] for x in said] == ["asked by Bearer [redacted]", "it failed"]
    assert all(x["request_id"] == "talk-1" for x in said)
    assert "cannot use Bearer [redacted]" in str(said[1]["exception"])
    assert _secret(token) not in logged.getvalue()


def test_text_for_a_terminal(api: Api) -> None:
    out = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure("text", stream=out)
    try:
        api.client.get("/v1/me", headers=api.headers("aid", **{"X-Request-ID": "t-1"}))
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    [line] = [x for x in out.getvalue().splitlines() if "request" in x]
    assert "route=/v1/me" in line and "request_id=t-1" in line and "party=aid" in line
    assert not line.startswith("{")


def test_the_format_is_text_on_a_terminal_and_json_elsewhere() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert choose_format(None, Tty()) == "text"
    assert choose_format(None, io.StringIO()) == "json"
    assert choose_format("json", Tty()) == "json"
    with pytest.raises(ValueError, match="json or text"):
        choose_format("xml")
