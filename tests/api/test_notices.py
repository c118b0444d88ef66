"""Declaring, reading, changing and withdrawing notices over HTTP."""

from __future__ import annotations

from tests.api.conftest import Api, notice, square


def test_create_returns_notice_etag_and_conflicts(api: Api) -> None:
    first = api.post("blue", notice(square(40.0, 35.0)))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["notice"]["version"] == 1 and body["notice"]["party"] == "blue"
    assert body["notice"]["state"] == "active"
    assert first.headers["etag"] == '"1"'
    assert body["conflicts"] == []

    second = api.post("red", notice(square(40.05, 35.05)))
    assert second.status_code == 201
    [conflict] = second.json()["conflicts"]
    assert conflict["kind"] == "strategic" and conflict["status"] == "open"
    assert conflict["mine"]["party"] == "red"
    assert conflict["other"] == {
        "party": "blue",
        "notice": body["notice"]["id"],
        "volume": 0,
        "version": 1,
    }
    assert conflict["distance_m"] == 0
    assert conflict["window"] == {"start": "2026-11-25T13:00:00Z", "end": "2026-11-25T15:00:00Z"}


def test_same_party_does_not_conflict_with_itself(api: Api) -> None:
    api.post("blue", notice(square(40.0, 35.0)))
    assert api.post("blue", notice(square(40.0, 35.0))).json()["conflicts"] == []


def test_disjoint_in_any_one_dimension_is_no_conflict(api: Api) -> None:
    api.post("blue", notice(square(40.0, 35.0, lower_m=0, upper_m=1000)))
    far = square(41.0, 35.0, lower_m=0, upper_m=1000)
    above = square(40.0, 35.0, lower_m=1001, upper_m=2000)
    later = square(40.0, 35.0, start="2026-11-25T15:00:01Z", end="2026-11-25T16:00:00Z")
    for volume in (far, above, later):
        assert api.post("red", notice(volume)).json()["conflicts"] == [], volume


def test_touching_windows_and_bands_conflict(api: Api) -> None:
    api.post("blue", notice(square(40.0, 35.0, lower_m=0, upper_m=1000)))
    edge = square(40.0, 35.0, start="2026-11-25T15:00:00Z", end="2026-11-25T16:00:00Z")
    assert len(api.post("red", notice(edge)).json()["conflicts"]) == 1
    band = square(40.0, 35.0, lower_m=1000, upper_m=2000)
    with_blue = [
        c
        for c in api.post("aid", notice(band)).json()["conflicts"]
        if c["other"]["party"] == "blue"
    ]
    assert len(with_blue) == 1


def test_buffers_raised_by_a_notice_widen_its_checks(api: Api) -> None:
    api.post("blue", notice(square(40.0, 35.0)))
    # 0.1 deg of longitude at 35 N is ~9.1 km; a square 0.2 deg east leaves a ~9 km gap
    near = notice(square(40.2, 35.0))
    assert api.post("red", near).json()["conflicts"] == []
    near["buffers"] = {"h_m": 10_000}
    [conflict] = api.post("red", near).json()["conflicts"]
    assert 9_000 < conflict["distance_m"] < 9_200


def test_get_list_and_filters(api: Api) -> None:
    a = api.post("blue", notice(square(40.0, 35.0))).json()["notice"]
    b = api.post("blue", notice(square(10.0, 50.0), kind="site")).json()["notice"]
    one = api.get("red", f"/v1/notices/{a['id']}")
    assert one.status_code == 200 and one.json() == a and one.headers["etag"] == '"1"'
    ids = lambda r: sorted(n["id"] for n in r.json()["notices"])  # noqa: E731
    assert ids(api.get("red", "/v1/notices")) == sorted([a["id"], b["id"]])
    assert ids(api.get("red", "/v1/notices", bbox="39.5,34.5,40.5,35.5")) == [a["id"]]
    assert ids(api.get("red", "/v1/notices", kind="site")) == [b["id"]]
    assert ids(api.get("red", "/v1/notices", party="red")) == []
    assert ids(api.get("red", "/v1/notices", start="2026-11-25T16:00:00Z")) == []
    assert ids(api.get("red", "/v1/notices", end="2026-11-25T13:30:00Z")) == sorted(
        [a["id"], b["id"]]
    )


def test_update_needs_if_match_and_bumps_version(api: Api) -> None:
    created = api.post("blue", notice(square(40.0, 35.0))).json()["notice"]
    path = f"/v1/notices/{created['id']}"
    body = notice(square(40.5, 35.0))
    missing = api.client.put(path, json=body, headers=api.headers("blue"))
    assert missing.status_code == 428 and missing.json()["pointer"] == "/headers/if-match"
    stale = api.client.put(path, json=body, headers=api.headers("blue", **{"If-Match": '"7"'}))
    assert stale.status_code == 412
    ok = api.client.put(path, json=body, headers=api.headers("blue", **{"If-Match": '"1"'}))
    assert ok.status_code == 200 and ok.json()["notice"]["version"] == 2
    assert ok.headers["etag"] == '"2"'
    again = api.client.put(path, json=body, headers=api.headers("blue", **{"If-Match": '"1"'}))
    assert again.status_code == 412
    assert api.get("blue", path).json()["volumes"][0] == body["volumes"][0]


def test_update_resolves_old_conflicts_and_finds_new_ones(api: Api) -> None:
    api.post("red", notice(square(40.0, 35.0)))
    created = api.post("blue", notice(square(40.05, 35.05))).json()
    assert len(created["conflicts"]) == 1
    moved = api.client.put(
        f"/v1/notices/{created['notice']['id']}",
        json=notice(square(45.0, 35.0)),
        headers=api.headers("blue", **{"If-Match": '"1"'}),
    )
    assert moved.json()["conflicts"] == []
    statuses = [c["status"] for c in api.get("red", "/v1/conflicts").json()["conflicts"]]
    assert statuses == ["resolved"]
    assert api.get("red", "/v1/conflicts", live="true").json()["conflicts"] == []


def test_withdraw_resolves_conflicts_and_keeps_history(api: Api) -> None:
    api.post("red", notice(square(40.0, 35.0)))
    created = api.post("blue", notice(square(40.05, 35.05))).json()["notice"]
    path = f"/v1/notices/{created['id']}"
    gone = api.client.delete(path, headers=api.headers("blue"))
    assert gone.status_code == 200 and gone.json()["state"] == "withdrawn"
    assert gone.json()["version"] == 2
    assert api.get("red", path).json()["state"] == "withdrawn"
    [c] = api.get("red", "/v1/conflicts").json()["conflicts"]
    assert c["status"] == "resolved"
    # a withdrawn notice raises nothing any more
    assert (
        api.post("aid", notice(square(40.05, 35.05))).json()["conflicts"][0]["other"]["party"]
        == "red"
    )


def test_only_the_declaring_coordinator_writes(api: Api) -> None:
    created = api.post("blue", notice(square(40.0, 35.0))).json()["notice"]
    path = f"/v1/notices/{created['id']}"
    headers = api.headers("red", **{"If-Match": '"1"'})
    assert api.client.put(path, json=notice(square(1, 1)), headers=headers).status_code == 403
    assert api.client.delete(path, headers=api.headers("red")).status_code == 403
    assert api.post("blue-observer", notice(square(40.0, 35.0))).status_code == 403
    assert api.post("admin", notice(square(40.0, 35.0))).status_code == 403


def test_expired_notice_reads_as_expired(api: Api) -> None:
    body = notice(square(40.0, 35.0, start="2026-11-25T11:00:00Z", end="2026-11-25T11:59:00Z"))
    refused = api.post("blue", body)
    assert refused.status_code == 422 and refused.json()["pointer"] == "/volumes"


def test_multipolygon_becomes_one_volume_per_polygon(api: Api) -> None:
    a, b = square(40.0, 35.0), square(41.0, 35.0)
    multi = {
        "footprint": {
            "type": "MultiPolygon",
            "coordinates": [a["footprint"]["coordinates"], b["footprint"]["coordinates"]],
        },
        "time": a["time"],
    }
    created = api.post("blue", notice(multi)).json()["notice"]
    assert [v["footprint"]["type"] for v in created["volumes"]] == ["Polygon", "Polygon"]


def test_circle_and_corridor_round_trip(api: Api) -> None:
    window = {"start": "2026-11-25T13:00:00+03:00", "end": "2026-11-25T18:00:00+03:00"}
    circle = {
        "footprint": {"type": "Point", "coordinates": [40.1, 35.3]},
        "radius_m": 5000,
        "altitude": {"lower_m": 0, "upper_m": None},
        "time": window,
    }
    corridor = {
        "footprint": {"type": "LineString", "coordinates": [[38.28, 34.56], [40.14, 35.33]]},
        "half_width_m": 2000,
        "time": window,
    }
    created = api.post("aid", notice(circle, corridor, kind="movement")).json()["notice"]
    got = api.get("aid", f"/v1/notices/{created['id']}").json()
    assert got["volumes"][0]["radius_m"] == 5000
    assert got["volumes"][1]["half_width_m"] == 2000
    assert got["volumes"][0]["time"] == {
        "start": "2026-11-25T10:00:00Z",
        "end": "2026-11-25T15:00:00Z",
    }
    assert got["volumes"][0]["altitude"] == {"lower_m": 0, "upper_m": None}


def test_healthz_and_openapi(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    spec = api.client.get("/openapi.json").json()
    assert "/v1/notices/{notice_id}" in spec["paths"]


def test_a_withdrawn_notice_cannot_change(api: Api) -> None:
    created = api.post("blue", notice(square(40.0, 35.0))).json()["notice"]
    path = f"/v1/notices/{created['id']}"
    api.client.delete(path, headers=api.headers("blue"))
    r = api.client.put(
        path, json=notice(square(41.0, 35.0)), headers=api.headers("blue", **{"If-Match": '"2"'})
    )
    assert r.status_code == 409 and r.json()["pointer"] == "/state"
    assert "withdrawn" in r.json()["message"]


def test_buffers_beyond_the_lines_limits_are_refused(api: Api) -> None:
    body = notice(square(40.0, 35.0))
    body["buffers"] = {"h_m": 1_000_000}
    r = api.post("blue", body)
    assert r.status_code == 422 and r.json()["pointer"] == "/buffers/h_m"
