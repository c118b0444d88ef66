"""KML answers (notices, conflicts, tracks) and ASTM F3548 Volume4D in and out over HTTP: the
same page and fields as JSON, and a redacted side redacted exactly as in JSON."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import orjson
import pytest
from defusedxml.ElementTree import fromstring

from tests.api.conftest import Api, make_api, notice, square
from tests.conftest import MakeStore

KML = {"Accept": "application/vnd.google-earth.kml+xml"}
F3548 = "application/vnd.astm.f3548.volume4d+json"
NS = "{http://www.opengis.net/kml/2.2}"
DATA = Path(__file__).parents[1] / "data"


def kml(api: Api, who: str, path: str, **params: Any) -> tuple[Element, Any]:
    got = api.client.get(path, params=params, headers=api.headers(who, **KML))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/vnd.google-earth.kml+xml"
    return fromstring(got.content), got


def data(mark: Element) -> dict[str, str]:
    return {d.get("name", ""): d.findtext(f"{NS}value") or "" for d in mark.iter(f"{NS}Data")}


def test_notices_as_kml_a_placemark_per_volume_with_its_time_span(api: Api) -> None:
    later = square(40.5, 35.0, start="2026-11-25T16:00:00Z", end="2026-11-25T18:00:00Z")
    two = notice(square(40.0, 35.0, lower_m=0, upper_m=1200), later)
    made = api.post("blue", two).json()["notice"]
    for _ in range(2):
        api.post("blue", notice(square(41.0, 35.0)))
    root, first = kml(api, "blue", "/v1/notices", limit=1)
    as_json = api.get("blue", "/v1/notices", limit=1)
    # the same page as the JSON: its cursor in the Link header and in the Document
    assert first.headers["link"] == as_json.headers["link"]
    doc = root.find(f"{NS}Document")
    assert doc is not None and data(doc)["next"] == as_json.json()["next"]
    marks = list(root.iter(f"{NS}Placemark"))
    assert len(marks) == 2
    for mark, volume in zip(marks, made["volumes"], strict=True):
        assert mark.findtext(f"{NS}TimeSpan/{NS}begin") == volume["time"]["start"]
        assert mark.findtext(f"{NS}TimeSpan/{NS}end") == volume["time"]["end"]
        assert mark.findtext(f"{NS}styleUrl") == "#notice-operation"
        fields = data(mark)
        assert fields["notice"] == made["id"] and fields["party"] == "blue"
    assert data(marks[0])["alt_upper_m"] == "1200.0" and data(marks[0])["altitude_reference"]
    # every page, nothing cut: three notices over three pages
    seen, cursor = 0, None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page, _ = kml(api, "blue", "/v1/notices", **params)
        seen += len({data(m)["notice"] for m in page.iter(f"{NS}Placemark")})
        cursor = data(page.find(f"{NS}Document") or Element("x")).get("next")
        if not cursor:
            break
    assert seen == 3
    one, _ = kml(api, "blue", f"/v1/notices/{made['id']}")
    assert len(list(one.iter(f"{NS}Placemark"))) == 2
    assert (
        api.client.get(f"/v1/notices/{made['id']}", headers=api.headers("aid", **KML)).status_code
        == 200
    )


def test_a_hidden_notice_is_redacted_in_kml_exactly_as_in_json(api: Api) -> None:
    api.post("blue", notice(square(40.0, 35.0)))
    hidden = api.post("red", notice(square(40.05, 35.05, size_deg=0.013), audience=[]))
    hidden_id = hidden.json()["notice"]["id"]
    conflicts = api.get("blue", "/v1/conflicts").json()["conflicts"]
    assert len(conflicts) == 1 and conflicts[0]["redacted"]
    root, response = kml(api, "blue", "/v1/conflicts")
    assert hidden_id.encode() not in response.content
    assert b"40.063" not in response.content  # the hidden square's far corner
    (mark,) = root.iter(f"{NS}Placemark")
    fields = data(mark)
    shown = {"id": fields.pop("conflict"), **{k: _value(v) for k, v in fields.items()}}
    assert shown == {k: v for k, v in conflicts[0].items()}
    assert mark.findtext(f"{NS}styleUrl") == f"#conflict-{conflicts[0]['severity']}"
    one, _ = kml(api, "blue", f"/v1/conflicts/{conflicts[0]['id']}")
    assert [data(m) for m in one.iter(f"{NS}Placemark")] == [data(mark)]
    geo = api.client.get(
        f"/v1/conflicts/{conflicts[0]['id']}",
        headers=api.headers("blue", Accept="application/geo+json"),
    )
    assert geo.json()["properties"] == conflicts[0]
    # the hidden notice itself: absent, in KML as in JSON
    assert (
        api.client.get(f"/v1/notices/{hidden_id}", headers=api.headers("blue", **KML)).status_code
        == 404
    )


def _value(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def test_tracks_as_kml(api: Api) -> None:
    report = {"uid": "hawk-1", "domain": "air", "lat": 35.1, "lon": 40.1, "alt_m": 900.0,
              "gs_mps": 60.0, "trk_deg": 90.0, "vs_mps": 0.0, "time": "2026-11-25T11:59:50Z",
              "audience": "all", "callsign": "HAWK1"}  # fmt: skip
    r = api.client.post("/v1/tracks", json=[report], headers=api.headers("blue"))
    assert r.status_code in (200, 201, 202), r.text
    root, _ = kml(api, "red", "/v1/tracks")
    (mark,) = root.iter(f"{NS}Placemark")
    assert mark.findtext(f"{NS}name") == "HAWK1"
    assert mark.findtext(f"{NS}TimeSpan/{NS}begin") == "2026-11-25T11:59:50Z"
    assert mark.findtext(f"{NS}Point/{NS}coordinates") == "40.1,35.1"
    assert data(mark)["alt_m"] == "900.0" and data(mark)["track"] == "blue/hawk-1"


def test_the_openapi_document_names_the_media_types(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    for path in ("/v1/notices", "/v1/notices/{notice_id}", "/v1/conflicts", "/v1/tracks",
                 "/v1/conflicts/{conflict_id}"):  # fmt: skip
        assert (
            "application/vnd.google-earth.kml+xml"
            in doc["paths"][path]["get"]["responses"]["200"]["content"]
        )
    assert F3548 in doc["paths"]["/v1/notices/{notice_id}"]["get"]["responses"]["200"]["content"]


# -- ASTM F3548 --------------------------------------------------------------------------------

USS_NOW = datetime(1985, 4, 12, 23, 0, tzinfo=UTC)
"""Before the schema's example time (1985-04-12T23:20:50.52Z), so its volumes lie ahead."""


@pytest.fixture
def uss(make_store: MakeStore) -> Iterator[Api]:
    made = make_api(make_store("sqlite"), clock=lambda: USS_NOW)
    with made.client:
        yield made


def examples() -> list[dict[str, Any]]:
    volumes: list[dict[str, Any]] = orjson.loads((DATA / "f3548_volumes.json").read_bytes())[
        "volumes"
    ]
    return volumes


def _times(v: dict[str, Any]) -> tuple[datetime, datetime]:
    return (datetime.fromisoformat(v["time_start"]["value"]),
            datetime.fromisoformat(v["time_end"]["value"]))  # fmt: skip


def test_f3548_volumes_in_and_out(uss: Api) -> None:
    sent = examples()
    made = uss.post("blue", {"kind": "operation", "audience": "all", "volumes4d": sent})
    assert made.status_code == 201, made.text
    body = made.json()["notice"]
    circle, polygon = body["volumes"]
    assert circle["footprint"] == {"type": "Point", "coordinates": [-118.456, 34.123]}
    assert circle["radius_m"] == 300.183 and circle["altitude"] == {
        "lower_m": 0.0,
        "upper_m": 120.0,
    }
    assert polygon["footprint"]["coordinates"][0][0] == polygon["footprint"]["coordinates"][0][-1]
    got = uss.client.get(f"/v1/notices/{body['id']}", headers=uss.headers("red", Accept=F3548))
    assert got.status_code == 200 and got.headers["content-type"] == F3548
    back = got.json()["volumes"]
    for out, given in zip(back, sent, strict=True):
        assert out["volume"] == {k: _floats(v) for k, v in given["volume"].items()}
        assert _times(out) == _times(given)
    both = {
        "kind": "operation",
        "volumes4d": sent,
        "volumes": [notice(square(1.0, 1.0))["volumes"][0]],
    }
    assert uss.post("blue", both).json()["pointer"] == "/volumes4d"
    # and what came out goes in again, as the same volumes
    again = uss.post("blue", {"kind": "operation", "audience": "all", "volumes4d": back})
    assert again.json()["notice"]["volumes"] == body["volumes"]


def _floats(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _broken(path: list[Any], value: Any) -> list[dict[str, Any]]:
    volumes = copy.deepcopy(examples())
    target: Any = volumes
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return volumes


CIRCLE = {"center": {"lat": 1, "lng": 1}, "radius": {"value": 1, "units": "M"}}
LOWER = [0, "volume", "altitude_lower"]


@pytest.mark.parametrize(
    ("path", "value", "at", "words"),
    [
        ([*LOWER, "reference"], "MSL", None, "W84"),
        ([0, "volume", "altitude_upper", "units"], "FT", None, "metres"),
        ([0, "volume", "outline_circle", "radius", "units"], "NM", None, "M"),
        ([0, "volume", "outline_circle"], None, "0/volume", "exactly one outline"),
        ([1, "volume", "outline_circle"], CIRCLE, "1/volume", "exactly one outline"),
        ([0, "time_end"], None, None, "time_end is needed"),
        ([0, "time_start", "format"], "ISO", None, "RFC3339"),
        ([0, "time_end", "value"], "1985-04-12T23:20:00Z", None, "after"),
        ([*LOWER, "value"], 500, None, "below"),
        ([1, "volume", "outline_polygon", "vertices", 2, "lat"], 95, None, "latitude"),
    ],
)
def test_an_f3548_volume_refused_names_the_field(
    uss: Api, path: list[Any], value: Any, at: str | None, words: str
) -> None:
    r = uss.post("blue", {"kind": "operation", "volumes4d": _broken(path, value)})
    assert r.status_code == 422, r.text
    pointer = "/volumes4d/" + (at or "/".join(str(p) for p in path))
    assert r.json()["pointer"] == pointer and words in r.json()["message"], r.json()
