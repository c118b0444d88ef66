"""``notice import`` and ``export`` against a real server: what is exported as KML or GeoJSON
imports again as the same notices; a file's refused features are told by name and field; an
F3548 operational intent becomes a notice; ``--dry-run`` makes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.cli.test_talk import live as live  # noqa: F401  (the fixture, by name)
from tests.cli.test_talk import ok
from tests.cli.test_watch import Live, as_member, cli
from tests.cli.test_watch import env as env  # noqa: F401  (the fixture, by name)


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(hours: float = 2) -> dict[str, str]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {"start": _z(now + timedelta(hours=hours)), "end": _z(now + timedelta(hours=hours + 2))}


def _notices() -> list[dict[str, Any]]:
    ring = [[40.0, 35.0], [40.1, 35.0], [40.1, 35.1], [40.0, 35.1], [40.0, 35.0]]
    hole = [[40.02, 35.02], [40.02, 35.04], [40.04, 35.04], [40.02, 35.02]]
    polygon = {"type": "Polygon", "coordinates": [ring, hole]}
    return [
        {"kind": "operation", "title": "Area", "audience": "all", "volumes": [
            {"footprint": polygon, "altitude": {"lower_m": 0.0, "upper_m": 1200.0},
             "time": _window()},
            {"footprint": {"type": "Point", "coordinates": [41.0, 35.0]}, "radius_m": 800.0,
             "time": _window(5)}]},
        {"kind": "site", "title": "Hospital", "protected": True, "audience": ["red"],
         "volumes": [{"footprint": {"type": "Point", "coordinates": [40.2, 35.2]},
                      "radius_m": 500.0, "time": _window()}]},
        {"kind": "movement", "title": "Convoy", "audience": "all", "volumes": [
            {"footprint": {"type": "LineString", "coordinates": [[40.0, 35.3], [40.3, 35.4]]},
             "half_width_m": 250.0, "altitude": {"lower_m": None, "upper_m": 100.0},
             "time": _window()}]},
    ]  # fmt: skip


def _mine(live: Live, who: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{live.url}/v1/notices", headers={"Authorization": f"Bearer {live.tokens[who]}"})
    return list(r.json()["notices"])


KEPT = ("kind", "title", "protected", "audience", "volumes")


@pytest.mark.parametrize("fmt", ["kml", "geojson"])
def test_what_is_exported_imports_as_the_same_notices(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    as_member(live, "blue", monkeypatch)
    originals = [live.post("blue", n) for n in _notices()]
    out = tmp_path / f"notices.{fmt}"
    assert "wrote notices" in ok("notice", "export", "--format", fmt, "--out", str(out)).stdout
    r = ok("notice", "import", str(out), "--json")
    rows = [orjson.loads(line) for line in r.stdout.splitlines()]
    assert [row["result"] for row in rows] == ["made"] * 3, rows
    made = {row["reason"] for row in rows}
    copies = [n for n in _mine(live, "blue") if n["id"] in made]
    key = {n["title"]: {k: n[k] for k in KEPT} for n in copies}
    assert key == {n["title"]: {k: n[k] for k in KEPT} for n in originals}


def test_refused_features_are_told_by_name_and_field(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_member(live, "blue", monkeypatch)
    w = _window()
    span = f"<TimeSpan><begin>{w['start']}</begin><end>{w['end']}</end></TimeSpan>"
    crossing = "40,35 40.1,35.1 40.1,35 40,35.1 40,35"  # a bow tie: the line refuses it
    kml = f"""<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>Plan</name>
      <Placemark><name>Good</name>{span}<Point><coordinates>40,35</coordinates></Point>
        <ExtendedData><Data name="radius_m"><value>300</value></Data></ExtendedData></Placemark>
      <Placemark><name>Bow tie</name>{span}<Polygon><outerBoundaryIs><LinearRing>
        <coordinates>{crossing}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
      <Placemark><name>Timeless</name><Point><coordinates>40,35</coordinates></Point>
        <ExtendedData><Data name="radius_m"><value>300</value></Data></ExtendedData></Placemark>
      <Placemark><name>Odd kind</name>{span}<Point><coordinates>40,35</coordinates></Point>
        <ExtendedData><Data name="radius_m"><value>300</value></Data>
        <Data name="kind"><value>strike</value></Data></ExtendedData></Placemark>
      </Folder><NetworkLink><name>Feed</name><Link><href>http://127.0.0.1:9/x.kml</href></Link>
      </NetworkLink></Document></kml>"""
    path = tmp_path / "plan.kml"
    path.write_text(kml)
    r = cli("notice", "import", str(path), "--json")
    assert r.exit_code == 1, (r.stdout, r.stderr)
    rows = {row["from"]: row for row in map(orjson.loads, r.stdout.splitlines())}
    assert rows["placemark 0 'Plan/Good'"]["result"] == "made"
    tie = rows["placemark 1 'Plan/Bow tie'"]
    assert tie["result"] == "refused (422)" and tie["field"].startswith("geometry/coordinates/0")
    assert "crosses" in tie["reason"]
    timeless = rows["placemark 2 'Plan/Timeless'"]
    assert timeless["result"] == "refused" and timeless["field"] == "TimeSpan"
    odd = rows["placemark 3 'Plan/Odd kind'"]
    assert odd["result"] == "refused (422)" and odd["field"] == "ExtendedData kind"
    (ignored,) = [row for row in rows.values() if row["result"] == "ignored"]
    assert "NetworkLink 'Feed'" in ignored["from"]
    assert len(_mine(live, "blue")) == 1
    table = cli("notice", "import", str(path), "--dry-run")
    assert table.exit_code == 1 and "would make" in table.stdout and "Timeless" in table.stdout
    assert len(_mine(live, "blue")) == 1  # a dry run makes nothing


def test_an_f3548_operational_intent_becomes_a_notice(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_member(live, "red", monkeypatch)
    w = _window()
    examples = orjson.loads(
        (Path(__file__).parents[1] / "data" / "f3548_volumes.json").read_bytes()
    )
    volumes = examples["volumes"]
    for v in volumes:  # the schema's example time is in 1985; this line keeps today's time
        v["time_start"]["value"], v["time_end"]["value"] = w["start"], w["end"]
    intent = {"operational_intent": {"reference": {"id": "2f8343be-6482-4d1b-a474-16847e01af1e"},
                                     "details": {"volumes": volumes, "priority": 0}}}  # fmt: skip
    path = tmp_path / "intent.json"
    path.write_bytes(orjson.dumps(intent))
    r = ok("notice", "import", str(path), "--audience", "all", "--json")
    (row,) = map(orjson.loads, r.stdout.splitlines())
    assert row["result"] == "made" and row["from"].startswith("operational intent 2f8343be")
    (made,) = _mine(live, "red")
    assert made["title"] == "F3548 operational intent 2f8343be-6482-4d1b-a474-16847e01af1e"
    assert [v["footprint"]["type"] for v in made["volumes"]] == ["Point", "Polygon"]
    volumes[0]["volume"]["altitude_lower"]["reference"] = "AMSL"
    path.write_bytes(orjson.dumps({"volumes": volumes}))
    r = cli("notice", "import", str(path), "--json")
    (row,) = map(orjson.loads, r.stdout.splitlines())
    assert r.exit_code == 1 and row["from"] == "Volume4D 0"
    assert row["field"] == "volume/altitude_lower/reference" and "W84" in row["reason"]
