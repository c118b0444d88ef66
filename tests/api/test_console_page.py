"""The console is served by the line at ``/``: its page, scripts, styles, catalogues, vendor code
and basemap all from the line's own origin, under a policy that lets nothing else in; ``/v1/me``
tells the page who signed in; a notice's GeoJSON says which polygons each volume drew."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from deconfliction import service
from deconfliction.api.app import create_app
from deconfliction.api.console import policy
from deconfliction.cli.main import app as cli
from deconfliction.config import ConsoleConfig
from deconfliction.wire import geojson
from tests.api.conftest import Api, Clock, make_api, square
from tests.conftest import MakeStore


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.styled = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            if found.get(name):
                self.urls.append(str(found[name]))
        if tag == "script" and not found.get("src"):
            self.inline_scripts += 1
        if "style" in found:
            self.styled += 1


def _page(client: TestClient) -> _Assets:
    got = client.get("/")
    assert got.status_code == 200
    parsed = _Assets()
    parsed.feed(got.text)
    return parsed


def test_the_page_and_every_asset_it_names_come_from_the_line(api: Api) -> None:
    page = _page(api.client)
    assert page.inline_scripts == 0 and page.styled == 0  # nothing the policy would refuse
    assert page.urls, "the page names its scripts and styles"
    for url in page.urls:
        assert url.startswith("/console/"), url
        got = api.client.get(url)
        assert got.status_code == 200, url
        assert got.headers["content-security-policy"] == policy()
        assert got.headers["x-content-type-options"] == "nosniff"


def test_the_policy_allows_no_inline_code_no_eval_and_no_other_origin(api: Api) -> None:
    value = api.client.get("/").headers["content-security-policy"]
    assert "unsafe-inline" not in value and "unsafe-eval" not in value
    directives = dict(d.split(" ", 1) for d in value.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert all("http" not in v for v in directives.values())


def test_the_api_answers_carry_the_data_policy_not_the_console_policy(api: Api) -> None:
    got = api.get("blue", "/v1/parties")
    assert got.headers["content-security-policy"].startswith("default-src 'none';")
    assert "script-src" not in got.headers["content-security-policy"]


def test_our_own_scripts_name_no_other_origin() -> None:
    root = Path(__file__).parents[2] / "src" / "deconfliction" / "console"
    for path in [*root.glob("js/*.js"), root / "index.html", root / "console.css"]:
        text = path.read_text()
        assert "http://" not in text and "https://" not in text, path.name
        assert "innerHTML" not in text and "eval(" not in text, path.name


def test_every_catalogue_is_served(api: Api) -> None:
    for lang in ("en", "ar", "ru"):
        got = api.client.get(f"/console/i18n/{lang}.json")
        assert got.status_code == 200, lang
        assert got.json()["conflicts.title"]


def test_the_basemap_is_natural_earth_with_rivers_and_places(api: Api) -> None:
    world = api.client.get("/console/vendor/basemap/world.json").json()
    assert {"land", "rivers", "lakes", "countries"} <= set(world["objects"])
    places = api.client.get("/console/vendor/basemap/places.json").json()
    names = {p[2] for p in places}
    assert {"Deir ez-Zor", "Tadmur", "Ar Raqqah"} <= names
    assert all(p[3] >= 20000 for p in places)


def test_me_names_the_member_its_role_and_its_party(api: Api) -> None:
    got = api.get("blue-observer", "/v1/me").json()
    assert got["role"] == "observer"
    assert got["party"] == {"slug": "blue", "name": "Blue"}
    assert got["member"]
    assert api.client.get("/v1/me").status_code == 401


def test_a_notice_feature_says_how_many_polygons_each_volume_drew(api: Api) -> None:
    across = square(0, 10)  # over the antimeridian, so cut in two polygons
    across["footprint"]["coordinates"] = [
        [[179.95, 10.0], [-179.95, 10.0], [-179.95, 10.1], [179.95, 10.1], [179.95, 10.0]]
    ]
    made = api.post(
        "blue", {"kind": "operation", "title": "two", "volumes": [square(40, 35), across]}
    )
    assert made.status_code == 201, made.text
    got = api.client.get(
        f"/v1/notices/{made.json()['notice']['id']}",
        headers=api.headers("blue", Accept="application/geo+json"),
    ).json()
    assert got["volume_parts"] == [1, 2]
    assert got["geometry"]["type"] == "MultiPolygon"
    assert len(got["geometry"]["coordinates"]) == 3


@pytest.fixture
def configured(make_store: MakeStore, tmp_path: Path) -> Iterator[Any]:
    def make(config: ConsoleConfig) -> TestClient:
        from deconfliction.service import Line

        line = Line(store=make_store("sqlite"))
        return TestClient(create_app(line, console=config))

    yield make


def test_an_operators_tile_server_is_offered_and_its_origin_alone_let_in(configured: Any) -> None:
    template = "https://tiles.example.org:8443/{z}/{x}/{y}.png"
    client = configured(ConsoleConfig(tiles=template, attribution="© the operator"))
    got = client.get("/console/config.json").json()
    assert got == {"detail": {"tiles": template}, "attribution": "© the operator"}
    value = client.get("/").headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://tiles.example.org:8443;" in value
    assert "connect-src 'self';" in value


def test_a_tile_server_spread_over_subdomains_is_let_in_by_wildcard() -> None:
    value = policy("https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: https://*.tiles.example.org;" in value


def test_a_pmtiles_file_is_served_by_range(configured: Any, tmp_path: Path) -> None:
    archive = tmp_path / "detail.pmtiles"
    archive.write_bytes(bytes(range(256)) * 4)
    client = configured(ConsoleConfig(pmtiles=archive))
    assert client.get("/console/config.json").json()["detail"] == {
        "pmtiles": "/console/tiles.pmtiles"
    }
    got = client.get("/console/tiles.pmtiles", headers={"Range": "bytes=16-31"})
    assert got.status_code == 206
    assert got.content == bytes(range(16, 32))


def test_without_a_detailed_map_the_basemap_alone_is_offered(api: Api) -> None:
    assert api.client.get("/console/config.json").json() == {"detail": None, "attribution": ""}


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["--tiles", "ftp://tiles.example/{z}/{x}/{y}.png"], "--tiles"),
        (["--tiles", "https://tiles.example/tile.png"], "--tiles"),
        (["--pmtiles", "/nonexistent/detail.pmtiles"], "--pmtiles"),
    ],
)
def test_serve_refuses_a_tile_source_it_cannot_use(args: list[str], hint: str) -> None:
    got = CliRunner().invoke(cli, ["serve", "--db", "sqlite://", *args])
    assert got.exit_code == 2
    assert hint in got.output


def test_the_outlines_made_ahead_are_those_of_notices_in_force(make_store: MakeStore) -> None:
    clock = Clock()
    made = make_api(make_store("sqlite"), clock=clock)
    early = square(40.0, 35.0, start="2026-11-25T12:00:00Z", end="2026-11-25T12:30:00Z")
    later = square(41.0, 35.0, start="2026-11-25T13:00:00Z", end="2026-11-25T15:00:00Z")
    gone = square(42.0, 35.0)
    ids = {}
    for name, volume in (("early", early), ("later", later), ("gone", gone)):
        got = made.post("blue", {"kind": "operation", "title": name, "volumes": [volume]})
        assert got.status_code == 201, got.text
        ids[name] = got.json()["notice"]["id"]
    etag = made.get("blue", f"/v1/notices/{ids['gone']}").headers["etag"]
    withdrawn = made.client.delete(
        f"/v1/notices/{ids['gone']}", headers=made.headers("blue", **{"If-Match": etag})
    )
    assert withdrawn.status_code in (200, 204), withdrawn.text
    clock.advance(3600)  # 13:00: the early one has ended
    lons = sorted(f.rings[0][0][0] for f in service.footprints_in_force(made.line, page=1))
    assert lons == [41.0]
    assert geojson.warm(service.footprints_in_force(made.line)) == 1
