"""Track reports over HTTP: batches, bad reports by index and field, newest wins, need-to-know."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from deconfliction.store import open_store
from tests.api.conftest import NOW, Api, Clock, make_api
from tests.conftest import STORE_KINDS, MakeStore


def z(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def report(uid: str = "hawk-1", **kw: Any) -> dict[str, Any]:
    base = {
        "uid": uid,
        "domain": "air",
        "lat": 35.3,
        "lon": 40.1,
        "alt_m": 3000.0,
        "gs_mps": 120.0,
        "trk_deg": 90.0,
        "vs_mps": 0.0,
        "time": z(NOW),
    }
    return {**base, **kw}


@pytest.fixture(params=STORE_KINDS)
def clocked(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[tuple[Api, Clock]]:
    clock = Clock()
    made = make_api(make_store(request.param), clock=clock)
    with made.client:
        yield made, clock


def send(api: Api, who: str, reports: Any, ndjson: bool = False) -> Any:
    if ndjson:
        body = b"\n".join(orjson.dumps(r) for r in reports) + b"\n"
        headers = api.headers(who, **{"Content-Type": "application/x-ndjson"})
        return api.client.post("/v1/tracks", content=body, headers=headers)
    return api.client.post("/v1/tracks", json=reports, headers=api.headers(who))


def tracks(api: Api, who: str, **params: Any) -> list[str]:
    got = api.get(who, "/v1/tracks", **params)
    assert got.status_code == 200, got.text
    return [f"{t['party']}/{t['uid']}" for t in got.json()["tracks"]]


def test_report_a_batch_and_read_it_back(api: Api) -> None:
    r = send(api, "blue", [report("a", callsign="HAWK1"), report("b", lat=35.4)])
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 2, "ignored": 0, "rejected": 0}
    [a, _] = api.get("blue", "/v1/tracks").json()["tracks"]
    assert a == {
        "party": "blue",
        "uid": "a",
        "domain": "air",
        "lat": 35.3,
        "lon": 40.1,
        "alt_m": 3000.0,
        "gs_mps": 120.0,
        "trk_deg": 90.0,
        "vs_mps": 0.0,
        "time": "2026-11-25T12:00:00Z",
        "stale_s": 30.0,
        "audience": [],
        "callsign": "HAWK1",
    }


def test_ndjson_batch(api: Api) -> None:
    r = send(api, "red", [report("a"), report("b", domain="ground")], ndjson=True)
    assert r.json()["accepted"] == 2
    assert tracks(api, "red", domain="ground") == ["red/b"]


def test_need_to_know_on_tracks(api: Api) -> None:
    send(api, "blue", [report("mine"), report("shared", audience=["aid"])])
    send(api, "red", [report("public", audience="all")])
    assert tracks(api, "blue") == ["blue/mine", "blue/shared", "red/public"]
    assert tracks(api, "aid") == ["blue/shared", "red/public"]
    assert tracks(api, "red") == ["red/public"]
    assert tracks(api, "blue-observer") == ["blue/mine", "blue/shared", "red/public"]


def test_older_reports_are_ignored_and_newest_in_batch_wins(api: Api) -> None:
    t = NOW - timedelta(seconds=10)
    first = send(api, "blue", [report(time=z(t), lat=35.0), report(time=z(NOW), lat=35.2)])
    assert first.json() == {"accepted": 1, "ignored": 1, "rejected": 0}
    late = send(api, "blue", [report(time=z(t + timedelta(seconds=5)), lat=36.0)])
    assert late.json() == {"accepted": 0, "ignored": 1, "rejected": 0}
    [held] = api.get("blue", "/v1/tracks").json()["tracks"]
    assert held["lat"] == 35.2


BAD = [
    ({"lat": 91}, "/lat"),
    ({"lon": -180.5}, "/lon"),
    ({"gs_mps": -1}, "/gs_mps"),
    ({"vs_mps": 1e6}, "/vs_mps"),
    ({"alt_m": "high"}, "/alt_m"),
    ({"domain": "space"}, "/domain"),
    ({"time": z(NOW + timedelta(seconds=61))}, "/time"),
    ({"time": "2026-11-25T12:00:00"}, "/time"),
    ({"time": "0001-01-01T00:00:00Z"}, "/time"),
    ({"uid": ""}, "/uid"),
    ({"uid": "a\nb"}, "/uid"),
    ({"callsign": "\x00"}, "/callsign"),
    ({"stale_s": 0}, "/stale_s"),
    ({"audience": ["Not A Slug"]}, "/audience/0"),
    ({"movement": "no-such-notice"}, "/movement"),
    ({"colour": "red"}, "/colour"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[f for _, f in BAD])
def test_a_bad_report_is_named_and_the_good_ones_are_kept(
    api: Api, change: dict[str, Any], field: str
) -> None:
    r = send(api, "blue", [report("good-0"), {**report("bad"), **change}, report("good-2")])
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["pointer"] == f"/1{field}"
    assert [e["pointer"] for e in body["errors"]] == [f"/1{field}"]
    assert (body["accepted"], body["rejected"]) == (2, 1)
    assert tracks(api, "blue") == ["blue/good-0", "blue/good-2"]


def test_nan_and_infinity_are_named_by_index(api: Api) -> None:
    body = b'[{"uid": "x", "domain": "air", "lat": NaN, "lon": 40, "alt_m": 0, "gs_mps": 1, ' + (
        f'"trk_deg": 0, "vs_mps": 0, "time": "{z(NOW)}"}}, '.encode()
    )
    body += orjson.dumps(report("ok")) + b"]"
    r = api.client.post("/v1/tracks", content=body, headers=api.headers("blue"))
    assert r.status_code == 422
    assert r.json()["pointer"] == "/0/lat"
    assert tracks(api, "blue") == ["blue/ok"]


def test_ndjson_line_that_is_not_json(api: Api) -> None:
    body = orjson.dumps(report("a")) + b"\n{oops\n" + orjson.dumps(report("c")) + b"\n"
    headers = api.headers("blue", **{"Content-Type": "application/x-ndjson"})
    r = api.client.post("/v1/tracks", content=body, headers=headers)
    assert r.status_code == 422
    assert [e["pointer"] for e in r.json()["errors"]] == ["/1"]
    assert tracks(api, "blue") == ["blue/a", "blue/c"]


def test_whole_batch_refusals(api: Api) -> None:
    too_many = send(api, "blue", [report(f"t{i}") for i in range(10_001)])
    assert too_many.status_code == 413
    assert "10001 reports" in too_many.json()["message"]
    million = api.client.post(
        "/v1/tracks",
        content=b"[" + b",".join([b"{}"] * 1_000_000) + b"]",
        headers=api.headers("blue"),
    )
    assert million.status_code == 413
    assert "1000000 reports" in million.json()["message"]
    garbage = api.client.post("/v1/tracks", content=b"[{", headers=api.headers("blue"))
    assert garbage.status_code == 400
    assert garbage.json()["error"] == "malformed_json"
    observer = send(api, "blue-observer", [report()])
    assert observer.status_code == 403
    assert tracks(api, "blue") == []


def test_a_report_that_jumps_faster_than_anything_moves_is_rejected(
    clocked: tuple[Api, Clock],
) -> None:
    api, clock = clocked
    send(api, "blue", [report("afr", alt_m=180.0)])
    clock.advance(3)
    later = z(clock.now)
    jump = send(api, "blue", [report("afr", alt_m=11_580.0, time=later)])  # 600 ft to 38,000 ft
    assert jump.status_code == 422 and jump.json()["pointer"] == "/0/alt_m"
    far = send(api, "blue", [report("afr", alt_m=180.0, lat=36.0, time=later)])  # 78 km in 3 s
    assert far.status_code == 422 and far.json()["pointer"] == "/0/lat"
    fine = send(api, "blue", [report("afr", alt_m=400.0, lat=35.302, time=later)])
    assert fine.json() == {"accepted": 1, "ignored": 0, "rejected": 0}
    clock.advance(120)  # stale: it may reappear anywhere
    back = send(api, "blue", [report("afr", alt_m=11_580.0, lat=36.0, time=z(clock.now))])
    assert back.json()["accepted"] == 1


def test_stale_tracks_drop_out_unless_asked(clocked: tuple[Api, Clock]) -> None:
    api, clock = clocked
    send(api, "blue", [report("jet"), report("truck", domain="ground")])
    clock.advance(60)
    assert tracks(api, "blue") == ["blue/truck"]  # air goes stale after 30 s, ground 120 s
    assert tracks(api, "blue", stale="true") == ["blue/jet", "blue/truck"]


def test_latest_state_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'line.db'}"
    first = make_api(open_store(url))
    with first.client:
        send(first, "blue", [report("a", lat=35.25)])
    first.line.store.close()
    store = open_store(url)
    try:
        with store.read() as tx:
            [held] = tx.list_tracks("blue", None)
        assert (held.uid, held.lat) == ("a", 35.25)
    finally:
        store.close()
