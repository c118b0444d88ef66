"""What a hostile client sends gets a clear 4xx naming the field, never a 500, and nothing stored
changes: deep or huge JSON, sequence numbers past the log's range, bidirectional overrides in
free text, entity-tags that are not the notice's, methods a route does not have."""

from __future__ import annotations

import json

import pytest
from starlette.websockets import WebSocketDisconnect

from deconfliction import service
from deconfliction.domain import Role
from deconfliction.errors import InvalidInput
from tests.api.conftest import Api, square

REPORT = (
    '{"uid":"a","domain":"air","lat":%s,"lon":40.0,"alt_m":1000,"gs_mps":%s,"trk_deg":0,'
    '"time":"2026-11-25T12:00:00Z"}'
)


def _tracks(api: Api, body: str, ndjson: bool = False) -> tuple[int, dict[str, object]]:
    kind = "application/x-ndjson" if ndjson else "application/json"
    got = api.client.post(
        "/v1/tracks", content=body, headers=api.headers("blue", **{"Content-Type": kind})
    )
    return got.status_code, got.json()


def test_json_nested_two_thousand_deep_is_malformed_not_a_server_error(api: Api) -> None:
    deep = "[" * 2000 + "]" * 2000
    status, body = _tracks(api, deep)
    assert (status, body["error"]) == (400, "malformed_json")
    assert "nested too deeply" in str(body["message"])
    # in an NDJSON batch the line is refused by its index (a batch is stored whole or not at all)
    good = REPORT % ("35.0", "100")
    status, body = _tracks(api, deep + "\n" + good, ndjson=True)
    assert (status, body["pointer"]) == (422, "/0"), body
    assert api.get("blue", "/v1/tracks").json()["tracks"] == []


@pytest.mark.parametrize(
    ("lat", "speed", "pointer"),
    [("9" * 400, "100", "/0/lat"), ("35.0", "9" * 400, "/0/gs_mps")],
)
def test_a_four_hundred_digit_number_is_refused_by_its_field(
    api: Api, lat: str, speed: str, pointer: str
) -> None:
    status, body = _tracks(api, REPORT % (lat, speed))
    assert status == 422, body
    assert body["pointer"] == pointer
    assert api.get("blue", "/v1/tracks").json()["tracks"] == []


def test_a_four_hundred_digit_coordinate_is_refused_by_its_position(api: Api) -> None:
    # the footprint is free-form GeoJSON: its numbers reach the geometry as Python integers
    body = json.dumps({"kind": "site", "title": "Depot", "volumes": [square(40, 35)]})
    body = body.replace("[40, 35]", "[40, " + "9" * 400 + "]", 1)
    headers = api.headers("blue", **{"Content-Type": "application/json"})
    got = api.client.post("/v1/notices", content=body, headers=headers)
    assert got.status_code == 422, got.text
    assert got.json()["pointer"] == "/volumes/0/footprint/coordinates/0/0/1"
    assert "finite number" in got.json()["message"]
    assert api.get("blue", "/v1/notices").json()["notices"] == []


@pytest.mark.parametrize("after", [2**63, 2**64, 10**400])
def test_a_sequence_number_past_the_log_is_refused_by_name(api: Api, after: int) -> None:
    got = api.get("blue", "/v1/events", after=str(after))
    assert got.status_code == 422
    assert got.json()["pointer"] == "/query/after"


def test_a_stream_with_bad_kinds_closes_with_a_code_and_a_short_reason(api: Api) -> None:
    with pytest.raises(WebSocketDisconnect) as closed:
        with api.client.websocket_connect(
            "/v1/stream?kinds=bogus", headers=api.headers("blue")
        ) as ws:
            ws.receive_text()
    assert closed.value.code == 4422
    assert 0 < len(closed.value.reason.encode()) <= 123
    assert closed.value.reason.startswith("kinds is a comma-separated list of")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Field hospital \u202ekcatta", "U+202E"),  # right-to-left override
        ("Convoy \u2066route\u2069", "U+2066"),  # isolate
        ("Depot \x85 north", "U+0085"),  # C1 next line
        ("Gate \uffff 7", "U+FFFF"),  # noncharacters: XML cannot hold this one
        ("Gate \ufffe 7", "U+FFFE"),
        ("Gate \ufdd0 7", "U+FDD0"),
        ("Gate \U0010fffe 7", "U+10FFFE"),
    ],
)
def test_free_text_refuses_bidi_overrides_and_c1_controls(api: Api, text: str, named: str) -> None:
    got = api.post("blue", {"kind": "site", "title": text, "volumes": [square(40, 35)]})
    assert got.status_code == 422, got.text
    assert got.json()["pointer"] == "/title"
    assert named in got.json()["message"]
    assert api.get("blue", "/v1/notices").json()["notices"] == []
    opened = api.client.post(
        "/v1/threads",
        json={"parties": ["red"], "subject": text},
        headers=api.headers("blue"),
    )
    assert opened.status_code == 422 and opened.json()["pointer"] == "/subject"


def test_a_lone_surrogate_is_refused_by_name_never_a_server_error(api: Api) -> None:
    body = '{"kind": "site", "title": "Gate \\ud800 7", "volumes": []}'
    got = api.client.post("/v1/notices", content=body, headers=api.headers("blue"))
    assert 400 <= got.status_code < 500, got.text
    assert api.get("blue", "/v1/notices").json()["notices"] == []
    with pytest.raises(InvalidInput, match="U\\+D800"):
        service.create_party(api.line, "mirror", "Red \ud800")


def test_arabic_text_with_its_marks_is_kept_as_written(api: Api) -> None:
    title = "مستشفى ميداني\u200f 2 — دير الزور"  # a right-to-left mark is ordinary typing
    got = api.post("blue", {"kind": "site", "title": title, "volumes": [square(40, 35)]})
    assert got.status_code == 201, got.text
    assert got.json()["notice"]["title"] == title


def test_names_given_by_the_host_are_held_to_the_same_rule(api: Api) -> None:
    with pytest.raises(InvalidInput, match="U\\+202E"):
        service.create_party(api.line, "mirror", "Red \u202eeulB")
    with pytest.raises(InvalidInput, match="U\\+009B"):
        service.create_member(api.line, "blue", Role.OBSERVER, "Duty \x9b officer")


def _depot(api: Api) -> tuple[str, dict[str, object]]:
    """Blue's site "Depot" declared (version 1): its path, and a body that moves it."""
    made = api.post("blue", {"kind": "site", "title": "Depot", "volumes": [square(40, 35)]})
    path = f"/v1/notices/{made.json()['notice']['id']}"
    return path, {"kind": "site", "title": "Depot, moved", "volumes": [square(40.2, 35)]}


@pytest.mark.parametrize(
    "tag", ['"stale-version"', 'W/"abc"', '"99999999999999999999999"', '"a,b"', '"7", W/"9"']
)
def test_an_entity_tag_that_is_not_the_notices_is_a_412(api: Api, tag: str) -> None:
    path, body = _depot(api)
    got = api.client.put(path, json=body, headers=api.headers("blue", **{"If-Match": tag}))
    assert got.status_code == 412, got.text
    assert api.get("blue", path).json()["title"] == "Depot"
    bad = api.client.put(path, json=body, headers=api.headers("blue", **{"If-Match": "not a tag"}))
    assert bad.status_code == 422 and bad.json()["pointer"] == "/headers/if-match"


def test_an_if_match_list_matches_when_it_holds_the_current_version(api: Api) -> None:
    path, body = _depot(api)
    got = api.client.put(path, json=body, headers=api.headers("blue", **{"If-Match": '"7", "1"'}))
    assert got.status_code == 200, got.text
    assert got.headers["etag"] == '"2"' and api.get("blue", path).json()["title"] == "Depot, moved"
    gone = api.client.delete(path, headers=api.headers("blue", **{"If-Match": '"1", "3"'}))
    assert gone.status_code == 412, gone.text


def test_if_match_star_matches_the_current_version(api: Api) -> None:
    path, body = _depot(api)
    got = api.client.put(path, json=body, headers=api.headers("blue", **{"If-Match": "*"}))
    assert got.status_code == 200, got.text
    assert got.headers["etag"] == '"2"' and api.get("blue", path).json()["title"] == "Depot, moved"


def test_a_method_a_route_does_not_have_says_which_it_has(api: Api) -> None:
    got = api.client.request("PATCH", "/v1/notices", headers=api.headers("blue"))
    assert got.status_code == 405
    assert {"GET", "POST"} <= set(got.headers["allow"].replace(" ", "").split(","))


def test_a_corridor_too_narrow_to_draw_lists_as_geojson_with_no_geometry(api: Api) -> None:
    # accepted (it harms no one), but it made every GeoJSON list holding it a 500, for every
    # party in its audience: one party could blank the others' consoles
    line = {"type": "LineString", "coordinates": [[40.0, 35.05], [40.001, 35.05]]}
    volume = {**square(40, 35), "footprint": line, "half_width_m": 1e-300}
    made = api.post("blue", {"kind": "operation", "volumes": [volume], "audience": "all"})
    assert made.status_code == 201, made.text
    crossing = api.post(
        "red", {"kind": "operation", "volumes": [square(40, 35)], "audience": "all"}
    )
    assert len(crossing.json()["conflicts"]) == 1
    for who in ("blue", "red"):
        geo = api.headers(who, Accept="application/geo+json")
        got = api.client.get("/v1/notices", headers=geo)
        assert got.status_code == 200, got.text
        drawn = {f["properties"]["party"]: f["geometry"] for f in got.json()["features"]}
        assert drawn["blue"] is None and drawn["red"] is not None
        got = api.client.get("/v1/conflicts", headers=geo)
        assert got.status_code == 200, got.text
        assert len(got.json()["features"]) == 1
