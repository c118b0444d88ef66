"""``deconfliction detect notices``: what a coordinator sees on stdout, stderr and the exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from deconfliction.cli.main import app
from tests.common import GEOMETRIES

runner = CliRunner()


def feature(fid: str, name: str, party: str, **props: Any) -> dict[str, Any]:
    geometry, size = GEOMETRIES[name]
    base: dict[str, Any] = {
        "id": fid, "party": party, "start": "2025-06-01T06:00:00Z", "end": "2025-06-01T08:00:00Z",
    }  # fmt: skip
    if geometry["type"] == "Point":
        base["radius_m"] = size
    if geometry["type"] == "LineString":
        base["half_width_m"] = size
    base.update(props)
    return {"type": "Feature", "geometry": geometry, "properties": base}


def scene() -> list[dict[str, Any]]:
    return [
        feature("z-left", "square_left", "blue"),
        feature("a-touch", "square_touching", "red"),
        feature("m-corridor", "corridor_bends", "blue"),
        feature("b-square", "square_10km", "blue"),
        feature("far", "antimeridian", "red"),
    ]


def run(tmp_path: Path, features: Any, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "scene.geojson"
    doc = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(doc) if not isinstance(features, str) else features)
    result = runner.invoke(app, ["detect", "notices", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def test_conflicts_sorted_with_a_before_b(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, scene())
    assert code == 0
    assert json.loads(out) == {"conflicts": [{"a": "a-touch", "b": "z-left", "distance_m": 0.0}]}


def test_h_buffer_reaches_further(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, scene(), "--h-buffer-m", "12000")
    pairs = [(c["a"], c["b"]) for c in json.loads(out)["conflicts"]]
    assert code == 0
    # the corridor is 11.7 km from the square
    assert pairs == [("a-touch", "b-square"), ("a-touch", "m-corridor"), ("a-touch", "z-left")]
    (d,) = [c["distance_m"] for c in json.loads(out)["conflicts"] if c["b"] == "m-corridor"]
    assert d == pytest.approx(11686.2, abs=10) and round(d, 1) == d


def test_all_pairs_adds_same_party(tmp_path: Path) -> None:
    _, out, _ = run(tmp_path, scene(), "--all-pairs")
    pairs = [(c["a"], c["b"]) for c in json.loads(out)["conflicts"]]
    assert pairs == [("a-touch", "z-left"), ("b-square", "z-left")]


def test_time_and_altitude_buffers(tmp_path: Path) -> None:
    features = [
        feature("a", "square_left", "blue", alt_lower_m=0, alt_upper_m=100),
        feature("b", "square_touching", "red", start="2025-06-01T08:10:00+00:00",
                end="2025-06-01T09:00:00Z", alt_lower_m=150),
    ]  # fmt: skip
    assert json.loads(run(tmp_path, features)[1])["conflicts"] == []
    _, out, _ = run(tmp_path, features, "--t-buffer-s", "600", "--v-buffer-m", "50")
    assert [c["b"] for c in json.loads(out)["conflicts"]] == ["b"]
    _, out, _ = run(tmp_path, features, "--t-buffer-s", "599", "--v-buffer-m", "50")
    assert json.loads(out)["conflicts"] == []


def test_timezones_are_converted(tmp_path: Path) -> None:
    features = [
        feature("a", "square_left", "blue"),  # 06:00-08:00Z
        feature("b", "square_touching", "red", start="2025-06-01T10:00:00+02:00",
                end="2025-06-01T12:00:00+02:00"),  # 08:00-10:00Z: touches a's end
    ]  # fmt: skip
    assert len(json.loads(run(tmp_path, features)[1])["conflicts"]) == 1


BAD = [
    ("not json", "{nope", "not JSON"),
    ("not a collection", '{"type": "Feature"}', "FeatureCollection"),
    ("duplicate id", [feature("x", "square_left", "p"), feature("x", "triangle", "q")],
     "feature 1 (id 'x'): /features/1/properties/id"),
    ("missing party", [feature("x", "square_left", "")], "feature 0 (id 'x'): "
     "/features/0/properties/party"),
    ("no timezone", [feature("x", "square_left", "p", start="2025-06-01T06:00:00")],
     "/features/0/properties/start: start needs a timezone"),
    ("bad time", [feature("x", "square_left", "p", end="tomorrow")],
     "/features/0/properties/end"),
    ("end before start", [feature("x", "square_left", "p", end="2025-06-01T05:00:00Z")],
     "/features/0/properties/end: end is before start"),
    ("lower above upper", [feature("x", "square_left", "p", alt_lower_m=10, alt_upper_m=5)],
     "/features/0/properties/alt_lower_m"),
    ("bad geometry", [feature("ok", "triangle", "p"),
                      feature("x", "square_left", "p", radius_m=5)],
     "feature 1 (id 'x'): /features/1/properties/radius_m"),
    ("bad radius", [feature("c", "circle_5km", "p", radius_m=-1)],
     "feature 0 (id 'c'): /features/0/properties/radius_m"),
    ("bad coordinate", [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 99]},
                         "properties": feature("c", "circle_5km", "p")["properties"]}],
     "/features/0/geometry/coordinates/1: latitude 99 is outside"),
]  # fmt: skip


@pytest.mark.parametrize(("features", "words"), [pytest.param(f, w, id=n) for n, f, w in BAD])
def test_bad_files_exit_2_naming_feature_and_field(
    tmp_path: Path, features: Any, words: str
) -> None:
    code, out, err = run(tmp_path, features)
    assert code == 2
    assert words in err
    assert out == ""
