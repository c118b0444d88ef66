"""The docs pages load every script, style and icon from the line itself: nothing from a CDN."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from deconfliction.api.docs import POLICY
from deconfliction.api.headers import POLICY as DATA_POLICY
from tests.api.conftest import Api

# what each kind of asset must be served as
_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".json": "json"}


class _Links(HTMLParser):
    """Every ``src`` and ``href`` in a page, and the OpenAPI URL its script names."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value:
                self.urls.append(value)


def _links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/docs", {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"}),
        ("/redoc", {"/docs/assets/redoc.standalone.js", "/openapi.json"}),
    ],
)
def test_a_docs_page_names_only_the_lines_own_assets(api: Api, page: str, assets: set[str]) -> None:
    r = api.client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == POLICY
    urls = _links(r.text)
    assert assets <= set(urls), urls
    assert "/docs/assets/favicon.png" in urls  # not FastAPI's icon from its website
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{page} names {url}, off the line"
        assert url.startswith("/"), url
        asset = api.client.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert _TYPES[suffix] in asset.headers["content-type"], (url, asset.headers)
        assert len(asset.content) > 1000, url
    assert "cdn." not in r.text and "fonts.googleapis" not in r.text


def test_swagger_ui_asks_no_validator_and_reads_the_lines_openapi(api: Api) -> None:
    text = api.client.get("/docs").text
    assert '"validatorUrl": null' in text  # else it shows a badge fetched from swagger.io
    assert "url: '/openapi.json'" in text
    assert api.client.get("/openapi.json").json()["info"]["title"] == "Deconfliction Line"


def test_only_the_docs_pages_carry_their_policy(api: Api) -> None:
    # every other answer is data, under the policy that lets it load and run nothing
    assert api.client.get("/healthz").headers["content-security-policy"] == DATA_POLICY
    assert api.client.get("/docs/oauth2-redirect").headers["content-security-policy"] == POLICY
