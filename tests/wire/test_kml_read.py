"""KML from outside the line: a Google Earth file read into notices, and hostile files (XXE,
billion laughs, a NetworkLink, a KMZ bomb) refused without reading, fetching or unzipping."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from deconfliction.cli.notice_drafts import GEOID_MAX_M, GEOID_MIN_M, Defaults, from_kml
from deconfliction.errors import InvalidInput, PayloadTooLarge
from deconfliction.wire.kml_read import MAX_KML_BYTES, read_kml

DATA = Path(__file__).parents[1] / "data"


def test_a_google_earth_file_becomes_notices() -> None:
    doc = read_kml((DATA / "google_earth.kml").read_bytes())
    assert [p.name for p in doc.placemarks] == ["Training area", "Field hospital", "Convoy route"]
    assert doc.placemarks[1].folders == ("Valley plan.kml", "Day 1", "Sites")
    drafts = from_kml(doc, Defaults())
    assert all(d.refusal is None for d in drafts)
    area, hospital, convoy = (d.body for d in drafts)
    assert area is not None and hospital is not None and convoy is not None
    assert area["title"] == "Training area" and area["audience"] == ["red", "aid"]
    (volume,) = area["volumes"]
    assert len(volume["footprint"]["coordinates"]) == 2  # the hole is kept
    assert volume["time"] == {"start": "2026-11-25T13:00:00Z", "end": "2026-11-25T15:00:00Z"}
    # KML heights are above mean sea level: widened to the ellipsoid by the geoid's extremes
    assert volume["altitude"] == {"lower_m": GEOID_MIN_M, "upper_m": 1200 + GEOID_MAX_M}
    assert "widened" in drafts[0].note
    assert hospital["kind"] == "site" and hospital["protected"] is True
    assert hospital["volumes"][0]["radius_m"] == 500.0
    assert hospital["volumes"][0]["footprint"] == {"type": "Point", "coordinates": [40.2, 35.2]}
    assert convoy["kind"] == "movement" and convoy["volumes"][0]["half_width_m"] == 250.0


def _placemark(inner: str, data: str = "") -> bytes:
    return (
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>P</name>'
        f"<ExtendedData>{data}</ExtendedData>{inner}</Placemark></Document></kml>"
    ).encode()


SPAN = "<TimeSpan><begin>2026-11-25T13:00:00Z</begin><end>2026-11-25T15:00:00Z</end></TimeSpan>"
POINT = "<Point><coordinates>40,35</coordinates></Point>"


@pytest.mark.parametrize(
    ("inner", "data", "field", "reason"),
    [
        (POINT, '<Data name="radius_m"><value>5</value></Data>', "TimeSpan", "begin and end"),
        ("<TimeStamp><when>2026-11-25T13:00:00Z</when></TimeStamp>" + POINT, "", "TimeStamp",
         "not a window"),
        (SPAN + POINT, "", "ExtendedData radius_m", "a Point is a circle"),
        (SPAN + "<LineString><coordinates>40,35 41,35</coordinates></LineString>", "",
         "ExtendedData half_width_m", "corridor"),
        (SPAN + "<Point><coordinates>forty,35</coordinates></Point>", "", "Point", "coordinate 0"),
        (SPAN + "<Model><Location/></Model>", "", "Model", "not a footprint"),
        (SPAN + POINT, '<Data name="radius_m"><value>wide</value></Data>',
         "ExtendedData radius_m", "not a number"),
        (SPAN + POINT, '<Data name="radius_m"><value>5</value></Data><Data name="alt_upper_m">'
         '<value>120</value></Data><Data name="altitude_reference"><value>AGL</value></Data>',
         "ExtendedData altitude_reference", "terrain"),
    ],
)  # fmt: skip
def test_a_placemark_refused_per_reason(inner: str, data: str, field: str, reason: str) -> None:
    (draft,) = from_kml(read_kml(_placemark(inner, data)), Defaults())
    assert draft.body is None and draft.refusal is not None
    assert draft.refusal[0] == field and reason in draft.refusal[1], draft.refusal
    assert draft.label == "placemark 0 'P'"


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&x;</name></Placemark></kml>'
    ).encode()
    with pytest.raises(InvalidInput) as refused:
        read_kml(xxe)
    assert "TOP-SECRET" not in str(refused.value) and "DTD" in refused.value.reason


def test_a_billion_laughs_is_refused() -> None:
    entities = "".join(
        f'<!ENTITY l{i} "{"".join(f"&l{i - 1};" for _ in range(10))}">' for i in range(1, 10)
    )
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY l0 "lol">{entities}]>'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&l9;</name></Placemark></kml>'
    ).encode()
    with pytest.raises(InvalidInput, match="DTD or entities"):
        read_kml(bomb)


def test_a_network_link_is_listed_not_fetched(tmp_path: Path) -> None:
    remote = tmp_path / "remote.kml"
    remote.write_bytes(_placemark(SPAN + POINT).replace(b"<name>P</name>", b"<name>FETCHED</name>"))
    doc = read_kml(
        b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document><NetworkLink><name>Live</name>'
        + f"<Link><href>{remote.as_uri()}</href></Link></NetworkLink></Document></kml>".encode()
    )
    assert doc.placemarks == ()
    (ignored,) = doc.ignored
    assert "NetworkLink 'Live'" in ignored and "fetches nothing" in ignored


@pytest.fixture(scope="module")
def kmz_bomb(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 1 MB KMZ that unzips to 1 GiB of spaces after a KML start."""
    path = tmp_path_factory.mktemp("kmz") / "bomb.kmz"
    chunk = b" " * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, z.open("doc.kml", "w") as f:
        f.write(b'<kml xmlns="http://www.opengis.net/kml/2.2">')
        for _ in range(1024):
            f.write(chunk)
    return path.read_bytes()


def test_a_kmz_bomb_is_refused_unread(kmz_bomb: bytes) -> None:
    assert len(kmz_bomb) < 8 * 2**20
    with pytest.raises(PayloadTooLarge, match="unzips to more than"):
        read_kml(kmz_bomb)


def test_a_kmz_is_read_to_its_main_kml(tmp_path: Path) -> None:
    path = tmp_path / "plan.kmz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("files/icon.png", b"\x89PNG")
        z.writestr("doc.kml", (DATA / "google_earth.kml").read_bytes())
    assert len(read_kml(path.read_bytes()).placemarks) == 3


def test_too_big_and_not_kml_are_refused() -> None:
    with pytest.raises(PayloadTooLarge):
        read_kml(b" " * (MAX_KML_BYTES + 1))
    with pytest.raises(InvalidInput, match="not KML"):
        read_kml(b"<svg/>")
    with pytest.raises(InvalidInput, match="well-formed"):
        read_kml(b"<kml><Placemark>")
