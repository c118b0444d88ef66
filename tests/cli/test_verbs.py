"""A verb for every action, against a real server: notices from GeoJSON and the API's JSON,
conflicts sorted and filtered by severity, tracks from CSV and NDJSON, parties; short ids typed
and shown; in process through typer's runner and as real subprocesses."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from deconfliction import service
from deconfliction.cli.main import app
from deconfliction.service import ScanSettings
from tests.cli.test_talk import last_line, ok
from tests.cli.test_talk import live as live  # noqa: F401  (the fixture, by name)
from tests.cli.test_watch import Live, _command, _free_port, as_member, cli
from tests.cli.test_watch import env as env  # noqa: F401  (the fixture, by name)

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def features(lon: float, lat: float, title: str = "Valley") -> dict[str, Any]:
    """Two volumes from two hours on (an overlap that far ahead is an advisory), as `detect
    notices` reads them."""
    now = datetime.now(UTC)
    start, end = _z(now + timedelta(hours=2)), _z(now + timedelta(hours=4))
    square = [[lon, lat], [lon + 0.1, lat], [lon + 0.1, lat + 0.1], [lon, lat + 0.1], [lon, lat]]
    return {
        "type": "FeatureCollection",
        "properties": {"title": title},
        "features": [
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [square]},
             "properties": {"id": "a", "party": "x", "start": start, "end": end,
                            "alt_lower_m": 0, "alt_upper_m": 1200}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
             "properties": {"start": start, "end": end, "radius_m": 500}},
        ],
    }  # fmt: skip


def written(tmp_path: Path, name: str, doc: Any) -> str:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(doc))
    return str(path)


def refused(code: int, *args: str) -> str:
    r = cli(*args)
    assert r.exit_code == code, (r.stdout, r.stderr)
    return str(r.stderr)


def test_notices_from_a_terminal(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_member(live, "blue", monkeypatch)
    file = written(tmp_path, "valley.geojson", features(40.0, 35.0))
    r = ok("notice", "create", file, "--audience", "red", "--kind", "site")
    made = last_line(r.stdout)
    assert 'declared blue: "Valley" (site, active, v1, shared with red)' in r.stdout
    assert "no conflicts" in r.stdout
    again = last_line(ok("notice", "create", file, "--title", "Second").stdout)
    assert made[:8] == again[:8]  # made in the same minute: the same time-ordered head

    listed = ok("notice", "list").stdout
    assert made[-6:] in listed and made[:8] not in listed and "Valley" in listed
    assert all(len(line) <= 200 for line in listed.splitlines())
    assert "names 2 notices" in refused(1, "notice", "show", made[:8])
    shown = ok("notice", "show", made[-6:]).stdout
    assert f"notice {made}, version 1" in shown
    assert "0–1,200 m (0–3,937 ft)" in shown and "radius 500 m" in shown
    as_json = orjson.loads(ok("notice", "show", made[-6:], "--json").stdout)
    assert as_json["id"] == made and len(as_json["volumes"]) == 2

    # update from the API's own JSON (what `show --json` printed), with If-Match
    as_json["title"] = "Valley, narrowed"
    edited = written(tmp_path, "edited.json", as_json)
    r = ok("notice", "update", made[-7:], edited)
    assert 'updated blue: "Valley, narrowed" (site, active, v2, shared with red)' in r.stdout
    assert "error: " in refused(1, "notice", "update", made, edited, "--if-version", "1")
    piped = CliRunner().invoke(
        app, ["notice", "update", made, "-", "--title", "From stdin"], input=Path(file).read_text()
    )  # - reads standard input
    assert piped.exit_code == 0 and '"From stdin" (site, active, v3' in piped.stdout
    assert "vNone" not in ok("notice", "list", "--json").stdout
    assert "--json" in ok("notice", "list", "--help").stdout

    r = ok("notice", "withdraw", made[-6:])
    assert 'withdrew blue: "From stdin" (site, withdrawn, v4' in r.stdout
    assert "no notice you may see" in refused(1, "notice", "show", "zzzzzz")
    assert "FeatureCollection" in refused(2, "notice", "create", written(tmp_path, "x", [1]))
    bad = features(40.0, 35.0)
    del bad["features"][1]["properties"]["end"]
    assert "/features/1/properties/end" in refused(
        2, "notice", "create", written(tmp_path, "bad.json", bad)
    )


def test_conflicts_sorted_and_filtered_by_severity(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_member(live, "blue", monkeypatch)
    mine = last_line(
        ok("notice", "create", written(tmp_path, "a", features(40.0, 35.0, "Blue op")),
           "--audience", "red").stdout
    )  # fmt: skip
    as_member(live, "red", monkeypatch)
    r = ok("notice", "create", written(tmp_path, "b", features(40.05, 35.05, "Red op")))
    assert "conflict with blue" in r.stdout and "(advisory)" in r.stdout
    listed = ok("conflicts").stdout
    assert "advisory" in listed and "strategic" in listed
    assert """your "Red op" and blue's "Blue op\"""" in " ".join(listed.split())
    found = orjson.loads(ok("conflicts", "--json", "--live").stdout)["conflicts"]
    assert found and {c["severity"] for c in found} == {"advisory"}
    assert orjson.loads(ok("conflicts", "--json", "--severity", "caution").stdout) == {
        "conflicts": []
    }
    assert "no conflicts" in ok("conflicts", "--kind", "tactical").stdout
    cid = found[0]["id"]
    shown = ok("conflict", "show", cid[-6:]).stdout
    assert cid in shown
    assert "Blue op" in shown and "advisory strategic conflict, open" in shown
    assert orjson.loads(ok("conflict", "show", cid, "--json").stdout)["id"] == cid
    acked = ok("conflict", "ack", cid[-6:]).stdout
    assert "red acknowledged" in acked and "advisory" in acked
    assert "acknowledged by red" in ok("conflict", "show", cid[-6:]).stdout
    assert orjson.loads(ok("conflict", "ack", cid, "--json").stdout)["status"] == "acknowledged"
    as_member(live, "blue", monkeypatch)
    for_blue = orjson.loads(ok("conflict", "show", cid, "--json").stdout)
    assert for_blue["status"] == "open" and for_blue["acknowledged_by"][0]["party"] == "red"
    ok("notice", "withdraw", mine)
    assert "no conflicts live" in ok("conflicts", "--live").stdout


def test_tracks_from_csv_and_ndjson(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_member(live, "blue", monkeypatch)
    csv = tmp_path / "tracks.csv"
    shutil.copy(EXAMPLES / "tracks.csv", csv)
    r = ok("tracks", "post", str(csv), "--audience", "all")
    assert "7 reports: 7 accepted, 0 ignored" in r.stdout
    as_member(live, "red", monkeypatch)
    now = _z(datetime.now(UTC))
    lines = [{"uid": "red-1", "domain": "air", "lat": 52.0, "lon": 4.6, "alt_m": 3000,
              "gs_mps": 200, "trk_deg": 270, "vs_mps": -2.5, "time": now, "callsign": "RED201",
              "audience": "all"}]  # fmt: skip
    nd = tmp_path / "red.ndjson"
    nd.write_text("\n".join(orjson.dumps(x).decode() for x in lines) + "\n")
    assert "1 reports: 1 accepted" in ok("tracks", "post", str(nd)).stdout
    table = ok("tracks", "list").stdout
    assert "8 tracks" in table and "RED201 (red-1)" in table and "BLU101 (blue-1)" in table
    assert "3,000 m (9,843 ft)" in table and "200.0 m/s (389 kn) 270°" in table
    assert "descending 2.5 m/s (5 kn)" in table
    got = orjson.loads(ok("tracks", "list", "--json", "--limit", "3").stdout)["tracks"]
    assert len(got) == 3
    assert "more than 3" in ok("tracks", "list", "--limit", "3").stdout

    service.scan(live.line, ScanSettings())
    conflicts = orjson.loads(ok("conflicts", "--json", "--kind", "tactical").stdout)
    assert conflicts["conflicts"], "blue-1 and red-1 fly head-on"
    said = " ".join(ok("conflicts", "--kind", "tactical").stdout.split())
    assert "your RED201 (red-1) and blue's BLU101 (blue-1)" in said
    monkeypatch.setenv("COLUMNS", "100")  # tables fit 100 columns, ids whole
    for verb in (["conflicts"], ["tracks", "list"], ["notice", "list"], ["threads"]):
        out = ok(*verb).stdout
        assert all(len(line) <= 100 for line in out.splitlines()), out
    short = [c["id"][-6:] for c in conflicts["conflicts"]]
    assert all(s in ok("conflicts").stdout for s in short)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lat,lon,alt_m,gs_mps,trk_deg,vs_mps\nx,north,1,1,1,1,1\n")
    assert "line 2: lat 'north' is not a number" in refused(2, "tracks", "post", str(bad))


def test_parties_and_help(live: Live, env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    as_member(live, "blue", monkeypatch)
    table = ok("parties").stdout
    assert "blue" in table and "Red" in table
    assert {p["slug"] for p in orjson.loads(ok("parties", "--json").stdout)["parties"]} == {
        "blue",
        "red",
    }
    for verb in (["notice", "create"], ["notice", "list"], ["notice", "show"],
                 ["notice", "update"], ["notice", "withdraw"], ["conflicts"],
                 ["conflict", "show"], ["tracks", "post"], ["tracks", "list"], ["parties"],
                 ["watch"], ["inbox"]):  # fmt: skip
        helped = ok(*verb, "--help").stdout
        assert "--json" in helped and "Usage" in helped, verb


def test_watch_says_when_the_line_is_not_there(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DECONFLICTION_TOKEN", "dl_x")
    nobody = f"http://127.0.0.1:{_free_port()}"
    r = cli("watch", "--once", "--server", nobody)
    assert r.exit_code == 1
    assert f"cannot reach the line at {nobody} — is it running?" in r.stderr
    r = cli("inbox", "--server", nobody)
    assert r.exit_code == 1 and "is it running?" in r.stderr


def test_every_verb_from_a_real_process(live: Live, tmp_path: Path) -> None:
    def run(who: str, *args: str) -> str:
        proc = _command(live, who, *args, tmp_path=tmp_path)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert live.tokens[who] not in out + err
        return out

    made = last_line(run("blue", "notice", "create", written(tmp_path, "a.geojson",
                                                             features(40.0, 35.0, "Blue op")),
                         "--audience", "all"))  # fmt: skip
    assert "Blue op" in run("blue", "notice", "list")
    assert "version 1" in run("blue", "notice", "show", made[-6:])
    run("red", "notice", "create", written(tmp_path, "b.geojson", features(40.02, 35.02, "Red")))
    assert "strategic" in run("red", "conflicts", "--live", "--severity", "advisory")
    cid = orjson.loads(run("red", "conflicts", "--json"))["conflicts"][0]["id"]
    assert cid in run("red", "conflict", "show", cid[-6:])
    assert "red acknowledged" in run("red", "conflict", "ack", cid[-6:])
    assert "v2" in run("blue", "notice", "update", made[-6:],
                       written(tmp_path, "c.geojson", features(41.0, 36.0, "Moved")))  # fmt: skip
    assert "accepted" in run("blue", "tracks", "post", str(EXAMPLES / "tracks.csv"))
    assert "BLU101" in run("blue", "tracks", "list")
    assert "red" in run("blue", "parties")
    assert "withdrew" in run("blue", "notice", "withdraw", made)
    watched = run("red", "watch", "--once")
    assert 'blue declared operation "Blue op"' in watched and "None" not in watched
    assert "new strategic conflict with blue" in watched
    assert "resolved strategic conflict" in watched
    inbox = run("red", "inbox", "--kinds", "conflict.opened,conflict.closed")
    assert "strategic conflict" in inbox and "declared" not in inbox
