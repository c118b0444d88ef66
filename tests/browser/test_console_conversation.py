"""The console's conversation in a real browser: the inbox says in words a request another party
sent; a request sent from one party's page reaches the other's within two seconds as a toast it
cannot miss, and is accepted there; a hostile thread subject is shown as the characters it is.
Nothing the pages ask for leaves the line's origin.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from deconfliction import service
from deconfliction.api.convert import volume_from
from deconfliction.api.schemas import VolumeIn
from deconfliction.domain import MessageDraft, MessageKind, ReplyKind, RequestKind
from deconfliction.domain.labels import thread_scope
from tests.api.conftest import NOW, square
from tests.browser.conftest import Page, Served

TIMEOUT_MS = 30_000
HOSTILE = "<img src=x onerror=alert(1)> road to Palmyra \u200fدير الزور"
"""Markup and right-to-left text; the line itself refuses bidi overrides (test_hostile_input)."""


def sign_in(page: Any, served: Served, party: str) -> None:
    page.goto(served.origin)
    page.get_by_label("Token").fill(served.tokens[party])
    page.get_by_role("button", name="Sign in").click(no_wait_after=True)
    page.wait_for_selector("body[data-ready=true]", timeout=TIMEOUT_MS)


def ask_to_vacate(served: Served, subject: str = "Deir ez-Zor crossing") -> tuple[str, str]:
    """Coalition asks counterpart, through the service layer, to vacate a square 13:00-15:00Z."""
    coalition = service.authenticate(served.line, served.tokens["coalition"])
    thread = service.open_thread(served.line, coalition, ["counterpart"], subject)
    volume = volume_from(VolumeIn.model_validate(square(40.1, 35.3)), "/volume")
    draft = MessageDraft(
        kind=MessageKind.REQUEST,
        request=RequestKind.VACATE,
        to="counterpart",
        volume=volume,
        deadline=NOW + timedelta(minutes=30),
        text="Pull your units back from the crossing.",
    )
    message = service.post_message(served.line, coalition, thread.id, draft)
    return thread.id, message.id


def test_the_inbox_says_in_words_a_request_another_party_sent(page: Page, served: Served) -> None:
    ask_to_vacate(served)
    sign_in(page.page, served, "counterpart")

    inbox = page.page.locator("#inbox .event-line")
    line = inbox.filter(has_text="asks you to vacate an area")
    line.first.wait_for(timeout=TIMEOUT_MS)
    said = line.first.inner_text()
    assert "Coalition Air Component asks you to vacate an area" in said
    assert "13:00Z–15:00Z" in said and "answer by" in said and "12:30Z" in said, said
    assert "Pull your units back from the crossing." in said
    opened = inbox.filter(has_text="opened thread").first.inner_text()
    assert "Deir ez-Zor crossing" in opened and "Counterpart Forces" in opened
    # history loaded at sign-in does not alert, but what awaits an answer is listed first
    assert page.page.locator("#alerts .urgent").count() == 0
    assert "1 request awaits your answer" in page.page.locator("#threads .awaiting").inner_text()
    assert page.elsewhere() == [], page.elsewhere()


@pytest.fixture
def other(browser: Any, served: Served) -> Iterator[Any]:
    """A second browser context (another party's screen), also kept to the line's origin."""
    context = browser.new_context()
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(served.origin) else route.abort()
        ),
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_request_sent_from_one_page_alerts_the_other_at_once_and_is_accepted_there(
    page: Page, other: Any, served: Served
) -> None:
    coalition = service.authenticate(served.line, served.tokens["coalition"])
    thread = service.open_thread(served.line, coalition, ["counterpart"], "Convoy at the bridge")
    sign_in(other, served, "counterpart")
    sign_in(page.page, served, "coalition")

    asker = page.page
    asker.locator("#threads .thread-main", has_text="Convoy at the bridge").click()
    asker.get_by_role("button", name="New request").click()
    form = asker.locator("form.request-form")
    form.get_by_label("Request", exact=True).select_option("hold")
    form.get_by_label("Text").fill("Hold the column at the bridge until 13:00Z.")
    form.get_by_label("Start (UTC)").fill("2026-11-25T12:10")
    form.get_by_label("End (UTC)").fill("2026-11-25T13:00")
    form.get_by_label("Answer by (UTC)").fill("2026-11-25T12:20")
    sent = time.monotonic()
    form.get_by_role("button", name="Send request").click()

    toast = other.locator("#alerts .urgent")
    toast.wait_for(timeout=2_000)
    assert time.monotonic() - sent < 2.0
    assert "asks you to hold" in toast.inner_text()
    assert other.locator("#threads-title .alert-count").inner_text().startswith("1")

    toast.get_by_role("button", name="Open").click()
    other.locator("#threads .message.awaits").get_by_role("button", name="Accept").click()
    toast.wait_for(state="detached", timeout=TIMEOUT_MS)
    other.locator("#threads .badge.state-accepted").wait_for(timeout=TIMEOUT_MS)

    view = service.get_thread(served.line, coalition, thread.id)
    request = next(m for m in view.messages if m.kind is MessageKind.REQUEST)
    assert request.answer is ReplyKind.ACCEPT
    # who wrote it: the asker reads "by you"; the other party the writer's label on this
    # thread, never its member id
    label = served.line.labels.label(thread_scope(thread.id), "coalition", coalition.id)
    theirs = other.locator("#threads .message.kind-request .message-head").inner_text()
    assert f"by {label}" in theirs, theirs
    assert coalition.id not in other.content()
    mine = asker.locator("#threads .message.kind-request .message-head")
    mine.filter(has_text="by you").wait_for(timeout=TIMEOUT_MS)
    assert request.text == "Hold the column at the bridge until 13:00Z."
    assert page.elsewhere() == [], page.elsewhere()


def test_a_hostile_thread_subject_is_shown_as_the_characters_it_is(
    page: Page, served: Served
) -> None:
    dialogs: list[str] = []
    page.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ask_to_vacate(served, HOSTILE)
    sign_in(page.page, served, "counterpart")

    subject = page.page.locator("#threads .thread-main .subject").first
    subject.wait_for(timeout=TIMEOUT_MS)
    assert subject.text_content() == HOSTILE
    assert HOSTILE in page.page.locator("#inbox").text_content()
    assert page.page.locator("#threads img, #inbox img, #alerts img").count() == 0
    # the party's text is isolated: its right-to-left part cannot reorder the text around it
    assert subject.locator("bdi").count() == 1
    assert dialogs == []
    assert page.elsewhere() == [], page.elsewhere()
