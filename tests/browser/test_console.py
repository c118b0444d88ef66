"""The console at ``/`` in a real browser, as a coordinator uses it: signing in and out, the
picture of a scenario (notices, tracks, conflicts), acknowledging, the live stream between two
parties, a dropped connection, Arabic right-to-left, and the time slider. Each test asserts
what a user would notice; none reaches beyond the line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from playwright.sync_api import expect

from deconfliction import service
from tests.api.conftest import NOW
from tests.browser.conftest import Page, Served
from tests.browser.console_scene import (
    NOTICE_PATHS,
    TIMEOUT_MS,
    declare,
    member,
    report,
    sign_in,
)

CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def _watch_csp(page: Page) -> list[str]:
    """Console messages about the Content Security Policy, as they come."""
    said: list[str] = []
    page.page.add_init_script(CSP_WATCH)
    page.page.on(
        "console",
        lambda m: said.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return said


def test_console_is_served_under_a_strict_policy_and_stays_on_the_line(
    page: Page, served: Served
) -> None:
    said = _watch_csp(page)
    response = page.page.goto(served.origin + "/")
    assert response is not None and response.ok
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, policy
    sign_in(page.page, served, "coalition")
    page.page.wait_for_load_state("networkidle")

    assert page.elsewhere() == [], page.elsewhere()
    assert page.refused == set(), page.refused
    assert page.page.evaluate("window.__csp") == []
    assert said == []


def test_sign_in_keeps_the_token_in_the_tab_and_out_of_every_url(
    page: Page, served: Served
) -> None:
    token = served.tokens["coalition"]
    sockets: list[str] = []
    page.page.on("websocket", lambda ws: sockets.append(ws.url))
    sign_in(page.page, served, "coalition")
    expect(page.page.locator("#who")).to_contain_text("Coalition Air Component")

    assert token in page.page.evaluate("Object.values(sessionStorage)")
    assert [u for u in page.requested if token in u] == []
    page.page.wait_for_function("() => document.body.dataset.ready === 'true'")
    assert sockets and all("ticket=" in u and "token=" not in u for u in sockets), sockets

    page.page.get_by_role("button", name="Sign out").click()
    expect(page.page.get_by_label("Token")).to_be_visible(timeout=TIMEOUT_MS)
    assert page.page.evaluate("sessionStorage.length") == 0
    expect(page.page.locator("#console")).to_be_hidden()


def test_a_wrong_token_is_refused(page: Page, served: Served) -> None:
    sign_in(page.page, served, "coalition", token="not-a-member-token")
    expect(page.page.get_by_role("alert").filter(has_text="does not know")).to_have_text(
        "The line does not know this token.", timeout=TIMEOUT_MS
    )
    expect(page.page.locator("#console")).to_be_hidden()
    assert page.page.evaluate("sessionStorage.length") == 0


def _overlap(served: Served) -> tuple[str, str, str]:
    """Coalition's and counterpart's operations over one place: their ids and the conflict's."""
    mine = declare(served, "coalition", "Close air support, Raqqa", 39.0, 35.9)
    theirs = declare(served, "counterpart", "Ground advance, Raqqa", 39.1, 35.95)
    conflicts = service.list_conflicts(served.line, member(served, "coalition"), live_only=True)
    (conflict,) = [c for c in conflicts.items if c.mine is not None and c.mine.notice == mine]
    return mine, theirs, conflict.id


def _paths(page: Page) -> Any:
    return page.page.locator(NOTICE_PATHS)


def test_a_scenario_draws_its_notices_tracks_and_conflicts(page: Page, served: Served) -> None:
    _overlap(served)
    report(served, "coalition", ("VIPER1", 39.05, 35.97))
    sign_in(page.page, served, "coalition")

    conflicts = page.page.get_by_role("region", name="Conflicts")
    expect(conflicts.locator(".conflict")).to_have_count(1)
    expect(conflicts).to_contain_text("volumes overlap")
    expect(conflicts).to_contain_text("Ground advance, Raqqa")
    # two notice volumes and the conflict's overlap
    expect(_paths(page)).to_have_count(3)
    # the track is drawn where it is, over my volume: a click there opens its card
    details = page.page.get_by_role("dialog")
    _click_track(page, "VIPER1", 39.05, 35.97)
    expect(details).to_contain_text("VIPER1")
    expect(details).to_contain_text("ground")


def _click_track(page: Page, callsign: str, lon: float, lat: float) -> None:
    """Click where the map draws (lon, lat), found from where the notices' paths are on the
    screen: the two of ``_overlap`` span lon 39.0..39.3 and lat 35.9..36.15 (near enough linear
    at this scale).

    Tracks come in their own request and are drawn on a canvas after the notices (there is no
    element to wait for), and the map may still be moving to fit them: when the card that opens
    is not the track's, the click came too early, so close it, measure again and click again, a
    bounded number of times."""
    dialog = page.page.get_by_role("dialog")
    for _ in range(8):
        bounds = page.page.evaluate(
            """(sel) => {
              const boxes = [...document.querySelectorAll(sel)]
                .map((p) => p.getBoundingClientRect());
              return {
                left: Math.min(...boxes.map((b) => b.left)),
                right: Math.max(...boxes.map((b) => b.right)),
                top: Math.min(...boxes.map((b) => b.top)),
                bottom: Math.max(...boxes.map((b) => b.bottom)),
              };
            }""",
            NOTICE_PATHS,
        )
        x = bounds["left"] + (lon - 39.0) / 0.3 * (bounds["right"] - bounds["left"])
        y = bounds["bottom"] - (lat - 35.9) / 0.25 * (bounds["bottom"] - bounds["top"])
        page.page.mouse.click(x, y)
        try:
            expect(dialog).to_contain_text(callsign, timeout=TIMEOUT_MS // 8)
            return
        except AssertionError:
            page.page.keyboard.press("Escape")
    expect(dialog).to_contain_text(callsign, timeout=TIMEOUT_MS)


def test_acknowledging_a_conflict_tells_the_line(page: Page, served: Served) -> None:
    _, _, conflict_id = _overlap(served)
    sign_in(page.page, served, "coalition")
    item = page.page.locator(f".conflict[data-id='{conflict_id}']")
    item.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(item).to_contain_text("acknowledged")
    expect(item.get_by_role("button", name="Acknowledge", exact=True)).to_have_count(0)

    told = httpx.get(
        f"{served.origin}/v1/conflicts/{conflict_id}",
        headers={"Authorization": f"Bearer {served.tokens['coalition']}"},
    )
    assert told.status_code == 200, told.text
    assert told.json()["status"] == "acknowledged"


def test_another_partys_notice_arrives_live_in_both_pages(
    browser: Any, page: Page, served: Served
) -> None:
    mine = declare(served, "coalition", "Patrol, Tabqa", 38.5, 35.8)
    sign_in(page.page, served, "coalition")
    other = browser.new_context()
    try:
        theirs = other.new_page()
        sign_in(theirs, served, "counterpart")
        expect(_paths(page)).to_have_count(1)
        expect(theirs.locator(NOTICE_PATHS)).to_have_count(1)
        assert mine

        declare(served, "counterpart", "Convoy halt, Tabqa", 38.9, 35.8, audience=["coalition"])
        expect(_paths(page)).to_have_count(2, timeout=2000)
        expect(theirs.locator(NOTICE_PATHS)).to_have_count(2, timeout=2000)
    finally:
        other.close()


def test_a_notice_hidden_from_me_never_reaches_my_page(page: Page, served: Served) -> None:
    hidden = "Special operation, Palmyra (un-ocha only)"
    declare(served, "coalition", "Air patrol, Palmyra", 38.2, 34.5)
    declare(served, "counterpart", hidden, 38.25, 34.55, audience=["un-ocha"])
    sign_in(page.page, served, "coalition")
    conflicts = page.page.get_by_role("region", name="Conflicts")
    expect(conflicts.locator(".conflict")).to_have_count(1)
    conflicts.locator(".conflict-main").first.click()
    expect(page.page.get_by_role("dialog")).to_contain_text("Counterpart Forces")
    page.page.wait_for_load_state("networkidle")

    assert hidden not in page.page.content()
    assert "Palmyra (un-ocha" not in page.page.evaluate("document.body.innerText")
    # only my own notice is drawn; the other side of the conflict has no geometry for me
    assert page.page.locator(NOTICE_PATHS).count() == 2  # my volume and the overlap


def test_a_dropped_connection_shows_the_banner_and_loses_nothing(
    page: Page, served: Served
) -> None:
    sockets: list[Any] = []
    refusing = {"now": False}

    def stream(ws: Any) -> None:
        if refusing["now"]:
            ws.close(code=4000)
            return
        ws.connect_to_server()
        sockets.append(ws)

    page.page.route_web_socket("**/v1/stream*", stream)
    declare(served, "coalition", "Patrol, Deir ez-Zor", 40.1, 35.3)
    with page.page.expect_websocket(timeout=TIMEOUT_MS):
        sign_in(page.page, served, "coalition")
    assert sockets, "the stream went through the route"
    banner = page.page.locator("#banner")
    expect(banner).to_be_hidden()
    expect(_paths(page)).to_have_count(1)

    refusing["now"] = True
    sockets[-1].close(code=4000, reason="network down")
    expect(banner).to_be_visible(timeout=TIMEOUT_MS)
    expect(banner).to_contain_text("Connection to the line lost")
    declare(served, "counterpart", "Convoy, Deir ez-Zor", 40.6, 35.3)
    refusing["now"] = False

    expect(banner).to_be_hidden(timeout=TIMEOUT_MS)
    expect(_paths(page)).to_have_count(2, timeout=TIMEOUT_MS)


def test_arabic_turns_the_console_right_to_left(page: Page, served: Served) -> None:
    _overlap(served)
    sign_in(page.page, served, "coalition")
    page.page.get_by_label("Language").select_option("ar")

    html = page.page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    expect(page.page.locator("#conflicts-title")).to_have_text("التعارضات")
    expect(page.page.get_by_role("region", name="التعارضات")).to_contain_text("تداخل الأحجام")
    side = page.page.locator(".side").bounding_box()
    picture = page.page.get_by_role("region", name="الخريطة").bounding_box()
    assert side is not None and picture is not None
    assert side["x"] + side["width"] <= picture["x"] + 1, (side, picture)

    page.page.get_by_label("اللغة").select_option("en")
    expect(html).to_have_attribute("dir", "ltr")


def test_the_time_slider_shows_which_notices_are_active_then(page: Page, served: Served) -> None:
    declare(served, "coalition", "Ends tomorrow", 38.0, 35.0, end=NOW + timedelta(hours=24))
    declare(served, "coalition", "Lasts three days", 38.5, 35.0, end=NOW + timedelta(hours=72))
    sign_in(page.page, served, "coalition")
    expect(_paths(page)).to_have_count(2)

    slider = page.page.get_by_role("slider", name="Picture at")
    slider.focus()
    slider.press("End")  # 48 h ahead, the slider's end
    for _ in range(12):  # back an hour in 5-minute steps: 47 h ahead
        slider.press("ArrowLeft")
    expect(page.page.locator(".time-shown")).to_contain_text("47 h 0 min ahead")
    expect(_paths(page)).to_have_count(1)

    page.page.get_by_role("button", name="Now").click()
    expect(_paths(page)).to_have_count(2)
    expect(page.page.locator(".time-shown")).to_contain_text("now, following the clock")
    expect(slider).to_have_value("0")


def test_how_another_partys_tracks_are_shown_is_this_members_choice(
    page: Page, served: Served
) -> None:
    _overlap(served)
    report(served, "counterpart", ("FALCON2", 39.05, 35.97))
    sign_in(page.page, served, "coalition")
    expect(_paths(page)).to_have_count(3)
    _click_track(page, "FALCON2", 39.05, 35.97)
    choice = page.page.get_by_label("Show Counterpart Forces's tracks as")
    expect(choice).to_have_value("N")  # neutral until this member says otherwise
    choice.select_option("H")
    # kept in this browser for this member, and never sent to the line
    me = httpx.get(
        f"{served.origin}/v1/me",
        headers={"Authorization": f"Bearer {served.tokens['coalition']}"},
    ).json()["member"]
    kept = page.page.evaluate(
        "Object.entries(localStorage).filter(([k]) => k.startsWith('deconfliction.affiliation'))"
    )
    assert kept == [[f"deconfliction.affiliation.{me}", '{"counterpart":"H"}']]
    assert not [u for u in page.requested if "affiliation" in u]
    page.page.reload()
    page.page.wait_for_function("() => document.body.dataset.ready === 'true'")
    _click_track(page, "FALCON2", 39.05, 35.97)
    expect(page.page.get_by_label("Show Counterpart Forces's tracks as")).to_have_value("H")
