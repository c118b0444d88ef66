"""The console is usable without a mouse and by a screen reader: named landmarks, labelled
controls, and axe-core's WCAG 2 A/AA rules (contrast included) pass in English and Arabic.

axe-core is a test-only npm package (web/package.json's devDependencies, pinned by the
lockfile): it is read from web/node_modules and injected into a context that bypasses the
page's policy, which the console itself never does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Served
from tests.browser.console_scene import NOTICE_PATHS, TIMEOUT_MS, declare, report, sign_in

AXE = Path(__file__).parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
LANDMARKS = ("Map", "Conflicts", "Inbox", "Threads", "Notices")


def _scene(served: Served) -> None:
    declare(served, "coalition", "Close air support, Raqqa", 39.0, 35.9)
    declare(served, "counterpart", "Ground advance, Raqqa", 39.1, 35.95)
    report(served, "coalition", ("VIPER1", 39.05, 35.97))


def _violations(page: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
          const result = await axe.run(document, {
            runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
          });
          return result.violations.map((v) => ({
            id: v.id, help: v.help,
            nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
          }));
        }"""
    )
    return found


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_axe_finds_nothing_in_the_signed_in_console(
    browser: Any, served: Served, lang: str
) -> None:
    if not AXE.exists():
        pytest.skip(f"no {AXE}: run scripts/console-build (npm ci installs axe-core)")
    _scene(served)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        sign_in(page, served, "coalition")
        if lang != "en":
            page.get_by_label("Language").select_option(lang)
            expect(page.locator("html")).to_have_attribute("lang", lang)
        page.locator(".conflict-main").first.click()
        expect(page.get_by_role("dialog")).to_be_visible(timeout=TIMEOUT_MS)
        page.add_script_tag(content=AXE.read_text())
        found = _violations(page)
    finally:
        context.close()
    assert found == [], "\n".join(
        f"{v['id']}: {v['help']}\n  " + "\n  ".join(v["nodes"]) for v in found
    )


def _settled_box(p: Any, sel: str) -> dict[str, float]:
    """The first ``sel`` element's box once it has stayed where it is for 300 ms (bounded)."""
    p.wait_for_function(
        """(sel) => new Promise((done) => {
             const box = () => JSON.stringify(document.querySelector(sel).getBoundingClientRect());
             const first = box();
             setTimeout(() => done(box() === first), 300);
           })""",
        arg=sel,
        timeout=TIMEOUT_MS,
    )
    box = p.locator(sel).first.bounding_box()
    assert box is not None
    return box  # type: ignore[no-any-return]


def test_landmarks_and_controls_are_named_and_reached_by_keyboard(
    page: Any, served: Served
) -> None:
    _scene(served)
    sign_in(page.page, served, "coalition")
    p = page.page
    for name in LANDMARKS:
        expect(p.get_by_role("region", name=name, exact=True)).to_be_visible()
    for role, name in (
        ("slider", "Picture at"),
        ("combobox", "Language"),
        ("combobox", "Only this kind"),
        ("combobox", "Only this severity"),
        ("button", "Zoom in"),
        ("button", "Zoom out"),
        ("button", "Now"),
        ("button", "Sign out"),
    ):
        expect(p.get_by_role(role, name=name, exact=True)).to_have_count(1)
    # the map zooms from the keyboard: Tab reaches the zoom button, Enter presses it
    before = _settled_box(p, NOTICE_PATHS)  # the map may still be moving to fit the notices
    p.get_by_role("button", name="Zoom in", exact=True).focus()
    p.keyboard.press("Enter")
    p.wait_for_function(
        "([sel, w]) => document.querySelector(sel).getBoundingClientRect().width > 1.5 * w",
        arg=[NOTICE_PATHS, before["width"]],
        timeout=TIMEOUT_MS,
    )
    # a conflict opens its details from the keyboard, and Escape closes them
    p.locator(".conflict-main").first.focus()
    p.keyboard.press("Enter")
    expect(p.get_by_role("dialog")).to_contain_text("volumes overlap")
    p.keyboard.press("Escape")
    expect(p.get_by_role("dialog")).to_be_hidden()


def test_screenshots_of_the_demo_scenario(browser: Any, tmp_path: Path) -> None:
    from tests.browser.screenshots import SHOTS, take

    written = take(browser, tmp_path / "shots", tmp_path / "demo.db")
    assert sorted(p.name for p in written) == sorted(SHOTS)
    for path in written:
        assert 20_000 < path.stat().st_size < 300_000, (path, path.stat().st_size)
