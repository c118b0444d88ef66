"""Notices, conflicts and tracks as RFC 7946 GeoJSON (``Accept: application/geo+json``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from pyproj import Geod

from deconfliction.domain import Audience
from tests.api.conftest import Api, notice, square
from tests.api.pages import walk
from tests.api.test_pages import z
from tests.conflicts import on_tracks
from tests.geojson_check import check_collection, check_feature, positions

GEO = {"Accept": "application/geo+json"}
GEOD = Geod(ellps="WGS84")
WINDOW = {"start": "2026-11-25T13:00:00Z", "end": "2026-11-25T15:00:00Z"}


def geo(api: Api, who: str, path: str, **params: Any) -> Any:
    got = api.client.get(path, params=params, headers=api.headers(who, **GEO))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/geo+json"
    assert "accept" in got.headers["vary"].lower()
    return got.json()


def circle(lon: float, lat: float, radius_m: float) -> dict[str, Any]:
    footprint = {"type": "Point", "coordinates": [lon, lat]}
    return {"footprint": footprint, "radius_m": radius_m, "time": WINDOW}


def corridor(line: list[list[float]], half_width_m: float) -> dict[str, Any]:
    footprint = {"type": "LineString", "coordinates": line}
    return {"footprint": footprint, "half_width_m": half_width_m, "time": WINDOW}


def ring(*corners: tuple[float, float]) -> list[list[float]]:
    return [list(c) for c in (*corners, corners[0])]


def test_notices_as_a_feature_collection(api: Api) -> None:
    holed = {
        "footprint": {
            "type": "Polygon",
            "coordinates": [
                ring((10.0, 50.0), (10.5, 50.0), (10.5, 50.25), (10.0, 50.25)),
                ring((10.1, 50.1), (10.1, 50.2), (10.2, 50.2)),
            ],
        },
        "time": WINDOW,
    }
    across = {
        "footprint": {
            "type": "Polygon",
            "coordinates": [
                ring((179.95, -17.0), (-179.95, -17.0), (-179.95, -16.9), (179.95, -16.9))
            ],
        },
        "time": WINDOW,
    }
    made = {
        "circle": api.post("blue", notice(circle(40.0, 35.0, 500.0))),
        "corridor": api.post("blue", notice(corridor([[40.0, 35.0], [40.3, 35.1]], 250.0))),
        "holed": api.post("blue", notice(holed)),
        "across": api.post("blue", notice(across)),
        "two": api.post("blue", notice(square(41.0, 35.0), circle(42.0, 35.0, 1000.0))),
    }
    ids = {name: r.json()["notice"]["id"] for name, r in made.items()}
    features = check_collection(doc := geo(api, "blue", "/v1/notices"))
    assert doc["next"] is None
    as_json = api.get("blue", "/v1/notices").json()["notices"]
    assert [f["properties"] for f in features] == as_json  # the same fields as the JSON answer
    by_id = {f["id"]: f for f in features}
    kinds = {name: by_id[i]["geometry"]["type"] for name, i in ids.items()}
    assert kinds == {
        "circle": "Polygon",
        "corridor": "Polygon",
        "holed": "Polygon",
        "across": "MultiPolygon",
        "two": "MultiPolygon",
    }
    assert len(by_id[ids["holed"]]["geometry"]["coordinates"]) == 2  # the hole is kept
    west, east = sorted(by_id[ids["across"]]["geometry"]["coordinates"], key=lambda p: p[0][0][0])
    assert max(p[0] for p in west[0]) == -179.95 and min(p[0] for p in west[0]) == -180.0
    assert min(p[0] for p in east[0]) == 179.95 and max(p[0] for p in east[0]) == 180.0

    # a circle becomes a polygon that covers it, and not much more
    pts = np.asarray(positions(by_id[ids["circle"]]["geometry"]))
    _, _, d = GEOD.inv(np.full(len(pts), 40.0), np.full(len(pts), 35.0), pts[:, 0], pts[:, 1])
    assert d.min() >= 500.0 - 0.2 and d.max() <= 500.0 * 1.01
    # a corridor's outline keeps half_width_m from its centre line, both sides and round the ends
    line = np.asarray([(40.0, 35.0), *GEOD.npts(40.0, 35.0, 40.3, 35.1, 2000), (40.3, 35.1)])
    gap = []
    for lon, lat in positions(by_id[ids["corridor"]]["geometry"]):
        n = len(line)
        gap.append(GEOD.inv(np.full(n, lon), np.full(n, lat), line[:, 0], line[:, 1])[2].min())
    assert min(gap) >= 250.0 - 0.2 and max(gap) <= 250.0 * 1.01


def test_one_notice_is_one_feature(api: Api) -> None:
    made = api.post("blue", notice(circle(40.0, 35.0, 500.0), audience=["red"])).json()["notice"]
    got = api.client.get(f"/v1/notices/{made['id']}", headers=api.headers("blue", **GEO))
    assert got.status_code == 200 and got.headers["content-type"] == "application/geo+json"
    assert got.headers["etag"] == '"1"'
    check_feature(got.json())
    assert got.json() == geo(api, "blue", "/v1/notices")["features"][0]
    assert got.json()["properties"] == made
    hidden = api.client.get(f"/v1/notices/{made['id']}", headers=api.headers("aid", **GEO))
    assert hidden.status_code == 404  # need-to-know, whatever the format


def test_json_unless_geojson_is_preferred(api: Api) -> None:
    api.post("blue", notice(square(40.0, 35.0)))
    for accept, media in (
        ("application/geo+json", "application/geo+json"),
        ("application/geo+json, application/json;q=0.9", "application/geo+json"),
        ("application/json, application/geo+json;q=0.5", "application/json"),
        ("*/*", "application/json"),
        ("application/geo+json;q=0", "application/json"),
    ):
        got = api.client.get("/v1/notices", headers=api.headers("blue", Accept=accept))
        assert got.headers["content-type"] == media, accept


def test_tracks_as_points(api: Api) -> None:
    reports = [
        {
            "uid": f"u-{i}",
            "domain": "air",
            "lat": 35.0 + i / 10,
            "lon": 179.9 + i / 20,
            "alt_m": 1000.0 + i,
            "gs_mps": 100.0,
            "trk_deg": 90.0,
            "vs_mps": 0.0,
            "time": z(0),
            "audience": "all",
        }
        for i in range(3)
    ]
    reports[2]["lon"] = -179.95
    assert (
        api.client.post("/v1/tracks", json=reports, headers=api.headers("red")).status_code == 200
    )
    features, pages = walk(api, "blue", "/v1/tracks", "tracks", headers=GEO, limit=2)
    assert pages == 2
    for f in features:
        check_feature(f)
    assert [f["geometry"] for f in features] == [
        {"type": "Point", "coordinates": [round(r["lon"], 6), r["lat"], r["alt_m"]]}
        for r in reports
    ]
    assert [f["id"] for f in features] == ["red/u-0", "red/u-1", "red/u-2"]
    assert [f["properties"]["uid"] for f in features] == ["u-0", "u-1", "u-2"]


def test_a_surface_track_without_a_height_is_a_two_dimensional_point(api: Api) -> None:
    truck = {
        "uid": "truck-1", "domain": "ground", "lat": 35.3, "lon": 40.1, "gs_mps": 10.0,
        "trk_deg": 90.0, "vs_mps": 0.0, "time": z(0), "audience": "all",
    }  # fmt: skip
    assert (
        api.client.post("/v1/tracks", json=[truck], headers=api.headers("red")).status_code == 200
    )
    [f] = walk(api, "blue", "/v1/tracks", "tracks", headers=GEO)[0]
    check_feature(f)
    assert f["geometry"] == {"type": "Point", "coordinates": [40.1, 35.3]}
    assert "alt_m" not in f["properties"]


def _inside(points: list[list[float]], lon: tuple[float, float], lat: tuple[float, float]) -> bool:
    return all(
        lon[0] - 0.01 <= p[0] <= lon[1] + 0.01 and lat[0] - 0.01 <= p[1] <= lat[1] + 0.01
        for p in points
    )


def test_a_strategic_conflict_where_each_party_may_see_it(api: Api) -> None:
    api.post("blue", notice(square(40.0, 35.0), audience=[]))  # blue's, shared with nobody
    api.post("aid", notice(square(40.05, 35.05), audience="all"))
    [blue] = (
        check_collection(geo(api, "blue", "/v1/conflicts"))["features"]
        if False
        else [f for f in check_collection(geo(api, "blue", "/v1/conflicts"))]
    )
    assert blue["geometry"]["type"] == "MultiPolygon" and len(blue["geometry"]["coordinates"]) == 2
    assert blue["properties"] == api.get("blue", "/v1/conflicts").json()["conflicts"][0]
    [aid] = check_collection(geo(api, "aid", "/v1/conflicts"))
    assert aid["properties"]["redacted"] is True
    assert aid["geometry"]["type"] == "Polygon"  # its own footprint only: blue's stays hidden
    assert _inside(positions(aid["geometry"]), (40.05, 40.15), (35.05, 35.15))
    assert check_collection(geo(api, "red", "/v1/conflicts")) == []


def test_conflicts_on_tracks_show_the_tracks_told_in_clear(api: Api) -> None:
    def report(uid: str, lon: float, audience: Any) -> dict[str, Any]:
        return {
            "uid": uid,
            "domain": "air",
            "lat": 35.0,
            "lon": lon,
            "alt_m": 3000.0,
            "gs_mps": 100.0,
            "trk_deg": 90.0,
            "vs_mps": 0.0,
            "time": z(0),
            "audience": audience,
        }

    for who, uid, lon, audience in (("blue", "b-1", 40.0, []), ("red", "r-1", 40.1, "all")):
        got = api.client.post(
            "/v1/tracks", json=[report(uid, lon, audience)], headers=api.headers(who)
        )
        assert got.status_code == 200, got.text
    tactical = replace(
        on_tracks(0),
        party_a="blue",
        track_a="b-1",
        party_b="red",
        track_b="r-1",
        visible_a=Audience(),
        visible_b=Audience(everyone=True),
    )
    hidden = replace(
        on_tracks(2),  # a deviation of blue's told to red, with nothing of it in clear
        id="t-hidden",
        told=Audience.of(["red"]),
        visible_a=Audience(),
    )
    with api.line.store.transaction() as tx:
        tx.insert_track_conflicts([tactical, hidden])
    [blue_hidden, blue_view] = sorted(
        check_collection(geo(api, "blue", "/v1/conflicts")), key=lambda f: f["id"] != "t-hidden"
    )
    assert blue_view["id"] == tactical.id
    assert blue_view["geometry"] == {
        "type": "MultiPoint",
        "coordinates": [[40.0, 35.0, 3000.0], [40.1, 35.0, 3000.0]],
    }
    red = {f["id"]: f for f in check_collection(geo(api, "red", "/v1/conflicts"))}
    assert red[tactical.id]["properties"]["redacted"] is True
    assert red[tactical.id]["geometry"] == {"type": "Point", "coordinates": [40.1, 35.0, 3000.0]}
    assert red["t-hidden"]["geometry"] is None and red["t-hidden"]["properties"]["redacted"]


def test_geojson_pages_with_next_and_link(api: Api) -> None:
    for i in range(5):
        api.post("blue", notice(circle(40.0 + i, 35.0, 100.0)))
    features, pages = walk(api, "blue", "/v1/notices", "notices", headers=GEO, limit=2)
    assert pages == 3 and len({f["id"] for f in features}) == 5
    first = geo(api, "blue", "/v1/notices", limit=2)
    assert first["next"] and len(first["features"]) == 2
