"""Schemathesis against a live server: every operation of the OpenAPI document, as a
coordinator and as an observer, and the host's administration as its admin, with valid and
invalid input; the line never answers 5xx.

The server is ``deconfliction serve`` in its own process on a free port, over a fresh SQLite
line that already has parties, members, notices in conflict, a thread with a request and
tracks, so that generated requests meet real objects as well as missing ones. Generation is
derandomized and bounded (``EXAMPLES`` per operation, ``TIMEOUT_S`` per request), so a run is
the same run every time and a hang is a failure, not a stuck suite.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import notice, square
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("DECONFLICTION_FUZZ_EXAMPLES", "25"))
"""Generated cases per operation and role in the fuzzing phase (the coverage phase adds its
boundary and type-confusion cases on top); set the variable to search longer."""
TIMEOUT_S = 20.0
"""A request still unanswered after this is a hang, and fails its case."""

CONFIG = schemathesis.Config.from_dict({"seed": 13, "warnings": False})
SCHEMA = schemathesis.openapi.from_path(ROOT / "openapi.json", config=CONFIG)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

UNLIMITED = ["--rate-member", "off", "--rate-party", "off", "--rate-anonymous", "off",
             "--rate-upload-kib", "off", "--connections-per-client", "0",
             "--no-budgets"]  # fmt: skip
"""The rate limits and probing budgets off: thousands of generated requests would otherwise meet
429s (tested on their own) instead of the operations."""

REAL: list[dict[str, str]] = []
"""Path parameters (and an If-Match) naming objects the seed made, filled in by ``live``."""


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: Any, value: Any) -> bytes:
    """Reports one JSON value a line (the schema describes one report; a batch is lines)."""
    if isinstance(value, str | bytes):
        return value.encode() if isinstance(value, str) else value
    items = value if isinstance(value, list) else [value]
    # json, not orjson: a fuzzed integer may be longer than 64 bits, as a hostile client's may
    return "".join(json.dumps(item) + "\n" for item in items).encode()


@SCHEMA.hook
def flatmap_case(context: Any, case: Any) -> st.SearchStrategy[Any]:
    """The generated case as it is, or naming the seed's objects, or with what no schema can say
    made right (rings closed, times in the hours ahead): so that fuzzed geometry, text and
    numbers reach the checks, the detection and the store behind the first 404 or 422."""
    names = set(case.path_parameters)
    worlds = [None, *(w for w in REAL if names & set(w))]

    def shape(world: dict[str, str] | None, plausible: bool) -> Any:
        for key, value in (world or {}).items():
            if key in names:
                case.path_parameters[key] = value
            elif key == "if-match" and "notice_id" in names and case.method != "GET":
                case.headers[key] = value
        if plausible:
            _make_plausible(case.body)
        return case

    return st.tuples(st.sampled_from(worlds), st.booleans()).map(lambda x: shape(*x))


def _make_plausible(body: Any) -> None:
    now = datetime.now(UTC)
    window = {"start": _z(now + timedelta(hours=1)), "end": _z(now + timedelta(hours=3))}
    items = body if isinstance(body, list) else [body]
    for item in items:
        if not isinstance(item, dict):
            continue
        volumes = item.get("volumes")
        for volume in [*(volumes if isinstance(volumes, list) else []), item.get("volume")]:
            if isinstance(volume, dict):
                volume["time"] = dict(window)
                _close_rings(volume.get("footprint"))
        if "deadline" in item:
            item["deadline"] = _z(now + timedelta(minutes=30))
        if "window" in item:
            item["window"] = dict(window)
        if "uid" in item and "time" in item:  # a track report
            item["time"] = _z(now)


def _close_rings(footprint: Any) -> None:
    if not isinstance(footprint, dict) or not isinstance(footprint.get("coordinates"), list):
        return
    polygons = {"Polygon": [footprint["coordinates"]], "MultiPolygon": footprint["coordinates"]}
    for polygon in polygons.get(str(footprint.get("type")), []):
        for ring in polygon if isinstance(polygon, list) else []:
            if isinstance(ring, list) and ring and ring[0] != ring[-1]:
                ring.append(ring[0])


@dataclass
class Live:
    url: str
    tokens: dict[str, str]
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _make_line(db_url: str) -> dict[str, str]:
    from deconfliction import service
    from deconfliction.domain import Role

    line = service.open_line(db_url)
    tokens: dict[str, str] = {}
    for slug in ("blue", "red", "aid", "host"):
        service.create_party(line, slug, slug.title())
    tokens["coordinator"] = service.create_member(line, "blue", Role.COORDINATOR, "fuzz")[1]
    tokens["observer"] = service.create_member(line, "blue", Role.OBSERVER, "fuzz")[1]
    tokens["red"] = service.create_member(line, "red", Role.COORDINATOR, "fuzz")[1]
    tokens["aid"] = service.create_member(line, "aid", Role.COORDINATOR, "fuzz")[1]
    tokens["admin"] = service.create_member(line, "host", Role.ADMIN, "fuzz")[1]
    line.store.close()
    return tokens


def _seed(url: str, tokens: dict[str, str]) -> list[dict[str, str]]:
    """Notices in conflict, a private one, a protected site, a thread with a request, tracks,
    all in the hours after now whatever the date; the ids of what was made."""
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = _z(now + timedelta(hours=1)), _z(now + timedelta(hours=3))

    def post(who: str, path: str, body: Any) -> dict[str, Any]:
        got = httpx.post(url + path, json=body, headers=_bearer(tokens[who]), timeout=TIMEOUT_S)
        assert got.status_code in (200, 201, 202), (path, got.status_code, got.text)
        return dict(got.json())

    ours = post("coordinator", "/v1/notices", notice(square(40.0, 35.0, start=start, end=end)))
    theirs = post("red", "/v1/notices", notice(square(40.05, 35.05, start=start, end=end)))
    hidden = notice(square(41.0, 35.0, start=start, end=end), audience=[])
    private = post("red", "/v1/notices", hidden)
    site = notice(square(40.02, 35.02, 0.01, start=start, end=end), kind="site")
    protected = post("aid", "/v1/notices", {**site, "protected": True})
    thread = post("coordinator", "/v1/threads", {"parties": ["red"], "subject": "Palmyra road"})
    request = {
        "kind": "request",
        "request": "vacate",
        "to": "red",
        "volume": square(40.0, 35.0, start=start, end=end),
        "deadline": _z(now + timedelta(minutes=30)),
        "text": "Pull your aircraft from this box.",
    }
    message = post("coordinator", f"/v1/threads/{thread['id']}/messages", request)
    at = _z(now)
    for who, uid, lon in (("coordinator", "hawk-1", 40.1), ("red", "kite-1", 40.15)):
        report = {"uid": uid, "domain": "air", "lat": 35.1, "lon": lon, "alt_m": 3000.0}
        state = {"gs_mps": 120.0, "trk_deg": 90.0, "vs_mps": 0.0, "time": at}
        post(who, "/v1/tracks", [{**report, **state}])
    conflicts = [c["id"] for c in theirs["conflicts"]]
    assert conflicts, "the seed's notices are meant to conflict"
    return [
        {"notice_id": ours["notice"]["id"], "if-match": '"1"'},
        {"notice_id": theirs["notice"]["id"]},
        {"notice_id": private["notice"]["id"]},
        {"notice_id": protected["notice"]["id"]},
        {"thread_id": thread["id"], "message_id": message["id"]},
        {"conflict_id": conflicts[0]},
    ]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("fuzz")
    db_url = f"sqlite:///{tmp}/line.db"
    tokens = _make_line(db_url)
    port = _free_port()
    log = tmp / "serve.log"
    cmd = [sys.executable, "-m", "deconfliction", "serve", "--db", db_url, "--port", str(port),
           *UNLIMITED]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=tmp, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"}
        )
    url = f"http://127.0.0.1:{port}"

    def started() -> bool:
        assert proc.poll() is None, f"the server exited early:\n{log.read_text()}"
        try:
            return httpx.get(url + "/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(started, "the server answers /healthz", within_s=60)
        served = httpx.get(url + "/openapi.json", timeout=TIMEOUT_S).json()
        assert served == orjson.loads((ROOT / "openapi.json").read_bytes()), (
            "the served OpenAPI document is not the committed one: scripts/openapi.py"
        )
        REAL[:] = _seed(url, tokens)
        yield Live(url, tokens, log)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


FUZZED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
"""The same bounded, repeatable run for every fuzzed operation."""


def _call(case: Any, live: Live, role: str) -> None:
    """``case`` sent as ``role``, its answer checked; the server's log tail if it fails."""
    try:
        case.call_and_validate(
            base_url=live.url, headers=_bearer(live.tokens[role]), checks=CHECKS, timeout=TIMEOUT_S
        )
    except Exception as failed:
        failed.add_note(f"the server's log, last lines:\n{live.log_tail()}")
        raise


@pytest.mark.parametrize("role", ["coordinator", "observer"])
@SCHEMA.parametrize()
@FUZZED
def test_no_operation_answers_a_server_error(case: Any, live: Live, role: str) -> None:
    _call(case, live, role)


ADMINISTRATION = SCHEMA.include(path_regex=r"^/v1/admin/")
"""The host's administration: a party's members are refused it (403) before its input reaches
the use case, so its input is fuzzed as the host admin."""


@ADMINISTRATION.parametrize()
@FUZZED
def test_no_administration_answers_a_server_error(case: Any, live: Live) -> None:
    _call(case, live, "admin")
