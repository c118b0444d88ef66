"""``/docs`` (Swagger UI) and ``/redoc`` render in a real browser with nothing but the line: every
request the page makes is for the line's own origin."""

from __future__ import annotations

from tests.browser.conftest import Page, Served

TIMEOUT_MS = 30_000
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _asked(visit: Page, path: str) -> bool:
    return f"{visit.origin}{path}" in visit.requested


def test_swagger_ui_renders_every_operation_from_the_line_alone(page: Page, served: Served) -> None:
    page.page.goto(f"{served.origin}/docs")
    page.page.wait_for_selector(".opblock", timeout=TIMEOUT_MS)
    post = page.page.locator(".opblock-post", has_text="/v1/notices").first
    post.wait_for(timeout=TIMEOUT_MS)
    assert "POST" in post.inner_text()
    # its request body's first example: the seed scenario's field hospital
    post.locator(".opblock-summary").first.click()
    page.page.get_by_text("Field hospital, Deir ez-Zor").first.wait_for(timeout=TIMEOUT_MS)
    page.page.wait_for_load_state("networkidle")

    assert page.elsewhere() == [], f"/docs reached beyond the line: {page.elsewhere()}"
    assert page.refused == set(), f"/docs tried to reach beyond the line: {page.refused}"
    for path in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        assert _asked(page, path), f"{path} was not loaded; asked for: {page.requested}"
    assert _asked(page, "/openapi.json")
    icons = page.page.eval_on_selector_all(
        "link[rel~='icon']", "links => links.map(link => link.href)"
    )
    assert icons and all(page.on_origin(href) for href in icons), icons
    assert page.page.locator(".validator-badge, [class*='validator']").count() == 0


def test_redoc_renders_from_the_line_alone(page: Page, served: Served) -> None:
    page.page.goto(f"{served.origin}/redoc")
    page.page.get_by_text("/v1/notices", exact=False).first.wait_for(timeout=TIMEOUT_MS)
    page.page.wait_for_load_state("networkidle")

    assert page.elsewhere() == [], f"/redoc reached beyond the line: {page.elsewhere()}"
    # ReDoc's "API docs by Redocly" logo lives on its vendor's CDN; the page's policy refuses it
    assert page.refused <= {REDOCLY_LOGO}, page.refused
    assert _asked(page, "/docs/assets/redoc.standalone.js")
    assert _asked(page, "/openapi.json")
    fonts = page.page.evaluate(
        "() => [...document.querySelectorAll('link[href], style')]"
        ".map(e => e.href || e.textContent).filter(t => /fonts\\.|@import/.test(t))"
    )
    assert fonts == []
