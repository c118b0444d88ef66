"""The console's notices and record panels in a real browser: a notice drawn on the map is
declared and its conflicts listed before the form closes, then edited to a new version; a
notice shared with us is acknowledged; a notice hidden from us never reaches the page even when
it conflicts with ours; the record panel shows the latest signed checkpoint and saves evidence.

The line's clock stands at ``NOW`` while the browser's is real: windows here run from the real
time on, which is after ``NOW``, so the line takes them and the map shows them.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deconfliction import service
from deconfliction.domain import (
    Audience,
    Buffers,
    Footprint,
    FootprintKind,
    NoticeKind,
    TimeWindow,
    Volume,
)
from deconfliction.domain.party import Member
from deconfliction.service import NoticeDraft, NoticeFilter
from tests.browser.conftest import Page, Served

TIMEOUT_MS = 30_000
CENTRE = (40.14, 35.33)  # lon, lat: Deir ez-Zor
HIDDEN = "Quiet convoy Kilo-7 (not for the coalition)"


@pytest.fixture(autouse=True)
def _playwright_expect_timeout() -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=TIMEOUT_MS)


def member(served: Served, party: str) -> Member:
    return service.authenticate(served.line, served.tokens[party])


def square(lon: float, lat: float, half: float) -> Footprint:
    ring = (
        (lon - half, lat - half),
        (lon + half, lat - half),
        (lon + half, lat + half),
        (lon - half, lat + half),
    )
    return Footprint(FootprintKind.POLYGON, (ring,))


def declare(
    served: Served,
    party: str,
    title: str,
    audience: Audience,
    *,
    protected: bool = False,
    half: float = 0.05,
) -> str:
    start = datetime.now(UTC) - timedelta(hours=1)
    draft = NoticeDraft(
        kind=NoticeKind.SITE if protected else NoticeKind.OPERATION,
        volumes=(Volume(square(*CENTRE, half), TimeWindow(start, start + timedelta(hours=8))),),
        audience=audience,
        title=title,
        protected=protected,
    )
    return service.create_notice(served.line, member(served, party), draft).notice.id


def sign_in(page: Page, served: Served, party: str) -> Any:
    p = page.page
    p.goto(served.origin)
    p.get_by_label("Token").fill(served.tokens[party])
    p.get_by_role("button", name="Sign in").click()
    p.wait_for_selector("body[data-ready='true']", timeout=TIMEOUT_MS)
    return p


def events(n: int) -> str:
    return f"{n} event" if n == 1 else f"{n} events"


def notices_panel(p: Any) -> Any:
    return p.locator("#notices")


def test_a_drawn_notice_shows_its_conflicts_before_the_form_closes_and_edits_to_a_new_version(
    page: Page, served: Served
) -> None:
    from playwright.sync_api import expect

    theirs = "Counterpart artillery range"
    declare(served, "counterpart", theirs, Audience(everyone=True))
    # un-ocha's convoy, shared with the counterpart only: ours will conflict with it, redacted
    declare(served, "un-ocha", HIDDEN, Audience(parties=frozenset({"counterpart"})))
    p = sign_in(page, served, "coalition")
    panel = notices_panel(p)
    # choosing their notice centres the map on it and opens its details
    panel.get_by_role("button", name=re.compile(theirs)).click()
    expect(p.locator("#details-title")).to_have_text(theirs)

    panel.get_by_role("button", name="New notice").click()
    form = panel.locator("form.notice-form")
    form.get_by_label("Title").fill("Strike package Viper")
    form.get_by_role("button", name="Draw a polygon").click()
    box = p.locator("#map").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    corners = [(-60, -60), (60, -60), (60, 60), (-60, 60)]
    for dx, dy in corners:
        p.mouse.click(cx + dx, cy + dy)
    p.mouse.click(cx + corners[0][0], cy + corners[0][1])  # back on the first point closes it
    expect(form.locator(".area-status")).to_have_text("Polygon of 4 points.")
    form.get_by_role("button", name="Declare").click()

    result = form.locator(".form-result")
    expect(result).to_contain_text("Saved: version 1.")
    conflicts = result.locator(".form-conflicts li")
    expect(conflicts).to_have_count(2)
    expect(result).to_contain_text(f"Counterpart Forces — {theirs}")
    # the hidden side is named by its party only, and said to be not shared
    expect(result).to_contain_text("UN OCHA (not shared with you)")
    expect(result.get_by_role("button", name="Done")).to_be_focused()
    assert HIDDEN not in p.content()
    result.get_by_role("button", name="Done").click()
    expect(form).to_have_count(0)

    coalition = member(served, "coalition")
    [ours] = [
        n
        for n in service.list_notices(served.line, coalition, NoticeFilter(party="coalition")).items
    ]
    assert ours.title == "Strike package Viper" and ours.version == 1
    [volume] = ours.volumes
    assert volume.footprint.kind is FootprintKind.POLYGON and len(volume.footprint.rings[0]) == 4
    lons = [pt[0] for pt in volume.footprint.rings[0]]
    lats = [pt[1] for pt in volume.footprint.rings[0]]
    assert min(lons) < CENTRE[0] < max(lons) and min(lats) < CENTRE[1] < max(lats)

    # edit: the same form, prefilled; the title changes and the line says version 2
    item = panel.locator(f"li.notice[data-id='{ours.id}']")
    item.get_by_role("button", name="Edit").click()
    form = panel.locator("form.notice-form")
    expect(form.get_by_label("Title")).to_have_value("Strike package Viper")
    expect(form.locator(".area-status")).to_have_text("Polygon of 4 points.")
    form.get_by_label("Title").fill("Strike package Viper, moved")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-result")).to_contain_text("Saved: version 2.")
    form.get_by_role("button", name="Done").click()
    expect(item.locator(".notice-title")).to_have_text("Strike package Viper, moved")
    expect(item.locator(".notice-head")).to_contain_text("v2")
    again = service.get_notice(served.line, coalition, ours.id)
    assert again.version == 2 and again.title == "Strike package Viper, moved"
    assert HIDDEN not in p.content()
    assert page.elsewhere() == []


def test_a_pasted_point_with_a_radius_is_declared_with_an_amsl_band_sent_as_ellipsoid_metres(
    page: Page, served: Served
) -> None:
    from playwright.sync_api import expect

    p = sign_in(page, served, "coalition")
    panel = notices_panel(p)
    panel.get_by_role("button", name="New notice").click()
    form = panel.locator("form.notice-form")
    form.get_by_label("Title").fill("Observation post")
    form.get_by_text("Paste GeoJSON").click()
    form.get_by_label(re.compile("^GeoJSON")).fill(
        json.dumps(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": list(CENTRE)},
                "properties": {"radius_m": 2500},
            }
        )
    )
    form.get_by_role("button", name="Use this GeoJSON").click()
    expect(form.locator(".area-status")).to_have_text("Circle of radius 2,500 m.")
    form.get_by_label("Height unit").select_option("ft")
    form.get_by_label("Heights above").select_option("amsl")
    form.get_by_label("Upper height (optional)").fill("1000")
    # 1000 ft above mean sea level stands some 20 m (67 ft) higher above the ellipsoid here
    expect(form.locator(".other-height").last).to_contain_text("ft above the WGS84 ellipsoid")
    form.get_by_role("button", name="Declare").click()
    expect(form.locator(".form-result")).to_contain_text("The line found no conflicts.")
    [ours] = service.list_notices(
        served.line, member(served, "coalition"), NoticeFilter(party="coalition")
    ).items
    [volume] = ours.volumes
    assert volume.footprint.kind is FootprintKind.CIRCLE and volume.footprint.radius_m == 2500
    upper = volume.altitude.upper_m
    assert upper is not None and 304.8 + 10 < upper < 304.8 + 40, upper  # + N, EGM96


def test_a_bad_area_is_named_beside_its_field(page: Page, served: Served) -> None:
    from playwright.sync_api import expect

    p = sign_in(page, served, "coalition")
    panel = notices_panel(p)
    panel.get_by_role("button", name="New notice").click()
    form = panel.locator("form.notice-form")
    form.get_by_role("button", name="Declare").click()
    expect(form.locator(".volume .field-error").first).to_have_text("Draw or paste the area.")
    form.get_by_text("Paste GeoJSON").click()
    form.get_by_label(re.compile("^GeoJSON")).fill('{"type": "Point", "coordinates": [400, 35]}')
    form.get_by_role("button", name="Use this GeoJSON").click()
    expect(form.locator(".volume .field-error").first).to_contain_text("longitude")
    # a bow-tie crosses itself: the line refuses it, and its pointer puts the reason by the area
    bowtie = [[40.0, 35.0], [40.2, 35.2], [40.2, 35.0], [40.0, 35.2], [40.0, 35.0]]
    form.get_by_label(re.compile("^GeoJSON")).fill(
        json.dumps({"type": "Polygon", "coordinates": [bowtie]})
    )
    form.get_by_role("button", name="Use this GeoJSON").click()
    expect(form.locator(".area-status")).to_have_text("Polygon of 4 points.")
    form.get_by_role("button", name="Declare").click()
    area_error = form.locator(".volume .field-error").first
    expect(area_error).not_to_be_empty()
    expect(area_error).not_to_have_text(re.compile("Draw or paste|longitude"))
    expect(form.locator(".form-error")).to_be_empty()


def test_a_shared_protected_notice_counts_down_and_is_acknowledged_in_the_page(
    page: Page, served: Served
) -> None:
    from playwright.sync_api import expect

    title = "Field hospital, Deir ez-Zor"
    made = declare(
        served, "counterpart", title, Audience(parties=frozenset({"coalition"})), protected=True
    )
    p = sign_in(page, served, "coalition")
    item = notices_panel(p).locator(f"li.notice[data-id='{made}']")
    expect(item).to_contain_text("Not acknowledged (v1)")
    expect(item.locator(".ack-countdown")).to_be_visible()  # the line's clock: already passed
    item.get_by_role("button", name="Acknowledge").click()
    expect(item).to_contain_text("Acknowledged (v1)")
    view = service.receipts_of(served.line, member(served, "counterpart"), made)
    [ours] = [r for r in view.receipts if r.party == "coalition"]
    assert ours.version == 1 and ours.acknowledged_at is not None
    # the counterpart, in its own page, sees who acknowledged which version
    [due] = view.due
    assert due[1] == []


def test_the_record_panel_shows_the_latest_checkpoint_and_saves_evidence(
    page: Page, served: Served
) -> None:
    from playwright.sync_api import expect

    made = declare(served, "coalition", "Tanker track Amber", Audience(everyone=True))
    first = service.advance(served.line)
    assert first is not None
    p = sign_in(page, served, "coalition")
    record = p.locator("#record")
    expect(record.locator(".checkpoint-size")).to_have_text(events(first.size))
    # a new event: the panel reads the record again (the recorder signs what it appended)
    declare(served, "counterpart", "Second notice", Audience(everyone=True), half=0.5)
    second = service.advance(served.line)
    assert second is not None and second.size > first.size
    declare(served, "counterpart", "Third notice", Audience(everyone=True), half=0.6)
    expect(record.locator(".checkpoint-size")).to_have_text(events(second.size))

    record.get_by_label("Notice").select_option(made)
    with p.expect_download(timeout=TIMEOUT_MS) as download:
        record.get_by_role("button", name="Download evidence").click()
    saved = download.value
    assert saved.suggested_filename == f"evidence-{made}.json"
    bundle = json.loads(Path(saved.path()).read_text(encoding="utf-8"))
    assert bundle["notice"] == made and bundle["format"].startswith("deconfliction-evidence")
    assert page.elsewhere() == []


def test_an_edit_in_the_page_keeps_the_notices_buffers(page: Page, served: Served) -> None:
    from playwright.sync_api import expect

    start = datetime.now(UTC) - timedelta(hours=1)
    draft = NoticeDraft(
        kind=NoticeKind.OPERATION,
        volumes=(Volume(square(*CENTRE, 0.05), TimeWindow(start, start + timedelta(hours=8))),),
        title="Artillery range",  # for my party alone: no audience
        buffers=Buffers(h_m=2000.0, v_m=300.0, t_s=600.0),
    )
    coalition = member(served, "coalition")
    made = service.create_notice(served.line, coalition, draft).notice
    p = sign_in(page, served, "coalition")
    panel = notices_panel(p)
    item = panel.locator(f"li.notice[data-id='{made.id}']")
    item.get_by_role("button", name="Edit").click()
    form = panel.locator("form.notice-form")
    form.get_by_label("Title").fill("Artillery range, north")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-result")).to_contain_text("Saved: version 2.")
    again = service.get_notice(served.line, coalition, made.id)
    assert again.version == 2 and again.title == "Artillery range, north"
    assert again.buffers == Buffers(h_m=2000.0, v_m=300.0, t_s=600.0)
    assert again.audience == made.audience  # still for my party alone
