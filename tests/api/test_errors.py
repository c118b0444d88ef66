"""Every bad input gets a 4xx naming the field and the reason; nothing stored changes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Api, make_api, notice, square
from tests.conftest import MakeStore


def _bad(
    mutate: Any,
) -> dict[str, Any]:
    body = notice(square(40.0, 35.0, lower_m=0, upper_m=1000))
    mutate(body)
    return body


def _set(path: str, value: Any) -> Any:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.strip("/").split("/")
        target: Any = body
        for p in parents:
            target = target[int(p)] if isinstance(target, list) else target[p]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


RING = "/volumes/0/footprint/coordinates/0"
CASES = [
    ("latitude 91", _set(f"{RING}/2", [40.1, 91.0]), 422, f"{RING}/2/1"),
    ("longitude 181", _set(f"{RING}/1", [181.0, 35.0]), 422, f"{RING}/1/0"),
    ("string coordinate", _set(f"{RING}/1", ["40", 35.0]), 422, f"{RING}/1/0"),
    (
        "end before start",
        _set("/volumes/0/time/end", "2026-11-25T12:30:00Z"),
        422,
        "/volumes/0/time/end",
    ),
    (
        "lower above upper",
        _set("/volumes/0/altitude/lower_m", 5000),
        422,
        "/volumes/0/altitude/lower_m",
    ),
    ("unknown kind", _set("/kind", "strike"), 422, "/kind"),
    ("no volumes", _set("/volumes", []), 422, "/volumes"),
    (
        "time without zone",
        _set("/volumes/0/time/start", "2026-11-25T13:00:00"),
        422,
        "/volumes/0/time/start",
    ),
    ("unknown field", _set("/colour", "red"), 422, "/colour"),
    ("wrong type", _set("/protected", {"yes": 1}), 422, "/protected"),
    ("audience of unknown party", _set("/audience", ["nobody"]), 422, "/audience/0"),
    ("audience neither list nor all", _set("/audience", "everyone"), 422, "/audience"),
    (
        "footprint not a geometry",
        _set("/volumes/0/footprint", {"type": "Banana"}),
        422,
        "/volumes/0/footprint/type",
    ),
    (
        "two distinct vertices",
        _set(RING, [[40, 35], [40.1, 35], [40, 35], [40.1, 35], [40, 35]]),
        422,
        RING,
    ),
    ("bow tie", _set(RING, [[40, 35], [40.1, 35.1], [40.1, 35], [40, 35.1], [40, 35]]), 422, RING),
    (
        "circle without radius",
        _set("/volumes/0/footprint", {"type": "Point", "coordinates": [40, 35]}),
        422,
        "/volumes/0/radius_m",
    ),
    (
        "radius as a string",
        _set(
            "/volumes/0",
            {
                "footprint": {"type": "Point", "coordinates": [40, 35]},
                "radius_m": "5",
                "time": {"start": "2026-11-25T13:00:00Z", "end": "2026-11-25T14:00:00Z"},
            },
        ),
        422,
        "/volumes/0/radius_m",
    ),
    ("protected as a number", _set("/protected", 1), 422, "/protected"),
    (
        "altitude beyond reason",
        _set("/volumes/0/altitude/upper_m", 1e300),
        422,
        "/volumes/0/altitude/upper_m",
    ),
    ("audience of a million", _set("/audience", ["x"] * 1001), 422, "/audience"),
    (
        "geometry collection",
        _set("/volumes/0/footprint", {"type": "GeometryCollection", "geometries": []}),
        422,
        "/volumes/0/footprint/type",
    ),
    ("negative buffer", _set("/buffers", {"h_m": -1}), 422, "/buffers/h_m"),
]


@pytest.mark.parametrize(("name", "mutate", "status", "pointer"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_the_field(
    api: Api, name: str, mutate: Any, status: int, pointer: str
) -> None:
    before = api.get("blue", "/v1/notices").json()
    r = api.post("blue", _bad(mutate))
    assert r.status_code == status, r.text
    body = r.json()
    assert body["pointer"].startswith(pointer), body
    assert body["message"]
    assert api.get("blue", "/v1/notices").json() == before


def test_nan_is_refused(api: Api) -> None:
    raw = json.dumps(notice(square(40.0, 35.0))).replace("35.1", "NaN", 1)
    r = api.client.post(
        "/v1/notices",
        content=raw,
        headers=api.headers("blue", **{"content-type": "application/json"}),
    )
    assert r.status_code == 422, r.text
    assert r.json()["pointer"].startswith("/volumes/0/footprint/coordinates/0/")


def test_malformed_json(api: Api) -> None:
    r = api.client.post(
        "/v1/notices",
        content=b'{"kind": "operation", ',
        headers=api.headers("blue", **{"content-type": "application/json"}),
    )
    assert r.status_code in (400, 422) and "JSON" in r.json()["message"]


def test_hundred_thousand_vertices_refused(api: Api) -> None:
    n = 100_000
    ring = [[40.0 + 0.5 * i / n, 35.0 + 0.0001 * (i % 2)] for i in range(n)]
    ring += [[40.5, 35.5], [40.0, 35.5], ring[0]]
    volume = square(40.0, 35.0)
    volume["footprint"]["coordinates"] = [ring]
    r = api.post("blue", notice(volume))
    assert r.status_code == 422
    assert r.json()["pointer"].startswith("/volumes/0/footprint")
    assert "10,000 positions" in r.json()["message"]


def test_too_large_is_refused(api: Api) -> None:
    volume = square(40.0, 35.0)
    huge = [volume["footprint"]["coordinates"][0]] * 20
    volume["footprint"]["coordinates"] = huge
    too_big = ('{"pad": "' + "x" * (20 * 1024 * 1024) + '"}').encode()
    r = api.client.post(
        "/v1/notices",
        content=too_big,
        headers=api.headers("blue", **{"content-type": "application/json"}),
    )
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    assert api.client.get("/healthz").status_code == 200


def test_too_large_when_streamed_without_length(make_store: MakeStore) -> None:
    small = make_api(make_store("sqlite"), max_body_bytes=1000)
    with small.client:

        def chunks() -> Any:
            for _ in range(10):
                yield b"x" * 500

        r = small.client.post("/v1/notices", content=chunks(), headers=small.headers("blue"))
        assert r.status_code == 413


def test_huge_area_refused_with_its_size(api: Api) -> None:
    r = api.post("blue", notice(square(30.0, 20.0, size_deg=25.0)))
    assert r.status_code == 422 and "2,000 km" in r.json()["message"].replace("2000 km", "2,000 km")


def _raw(api: Api, who: str, body: str) -> Any:
    headers = api.headers(who, **{"content-type": "application/json"})
    return api.client.post("/v1/notices", content=body, headers=headers)


@pytest.mark.parametrize(
    ("field", "value"),
    [("end", "9999-12-31T23:00:00-01:00"), ("start", "0001-01-01T00:30:00+01:00")],
)
def test_times_beyond_the_lines_years_are_refused(api: Api, field: str, value: str) -> None:
    body = notice(square(40.0, 35.0, start="2026-11-25T13:00:00Z", end="2026-11-25T15:00:00Z"))
    body["volumes"][0]["time"][field] = value
    r = api.post("blue", body)
    assert r.status_code == 422 and r.json()["pointer"] == f"/volumes/0/time/{field}"


def test_control_characters_are_refused(api: Api) -> None:
    body = notice(square(40.0, 35.0))
    body["title"] = "a\u0000b"
    assert api.post("blue", body).json()["pointer"] == "/title"
    body = notice(square(40.0, 35.0), audience=["red\u0000"])
    assert api.post("blue", body).json()["pointer"] == "/audience/0"
    for path in ("/v1/notices/a%00b", "/v1/conflicts/a%00b"):
        r = api.get("blue", path)
        assert r.status_code == 422 and r.json()["pointer"].startswith("/path/"), r.text
    r = api.get("blue", "/v1/notices", party="a\u0000b")
    assert r.status_code == 422 and r.json()["pointer"] == "/query/party"


def _multipolygon(n: int) -> dict[str, Any]:
    polygons = [square(40.0 + 0.01 * i, 35.0, 0.005)["footprint"]["coordinates"] for i in range(n)]
    volume = square(40.0, 35.0)
    volume["footprint"] = {"type": "MultiPolygon", "coordinates": polygons}
    return volume


def test_a_multipolygon_past_the_volume_limit_is_refused(api: Api) -> None:
    r = api.post("blue", notice(_multipolygon(101)))
    assert r.status_code == 422
    assert r.json()["pointer"] == "/volumes/0/footprint/coordinates"
    assert "at most 100" in r.json()["message"]


def test_roles_are_checked_before_geometry(api: Api) -> None:
    r = api.post("blue-observer", notice(_multipolygon(101)))
    assert r.status_code == 403


def test_pointers_count_request_volumes_not_split_ones(api: Api) -> None:
    bad = square(41.0, 35.0, start="2026-11-25T15:00:00Z", end="2026-11-25T14:00:00Z")
    r = api.post("blue", notice(_multipolygon(2), bad))
    assert r.status_code == 422 and r.json()["pointer"] == "/volumes/1/time/end"


def test_trailing_garbage_is_malformed_json(api: Api) -> None:
    r = _raw(api, "blue", json.dumps(notice(square(40.0, 35.0))) + " }")
    assert r.status_code == 400
    assert r.json()["error"] == "malformed_json" and r.json()["pointer"] == ""
    r = _raw(api, "blue", "[" * 100_000 + "]" * 100_000)
    assert r.status_code in (400, 422) and r.json()["pointer"] == ""
    r = api.client.post(
        "/v1/notices",
        content=b"\xff\xfe{}",
        headers=api.headers("blue", **{"content-type": "application/json"}),
    )
    assert r.status_code == 400 and r.json()["error"] == "malformed_json"
