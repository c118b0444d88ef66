"""Messages without HTTP: which fields each kind takes, what a request and a reply need, and the
deadline and text rules, each refusal pointing at the field a coordinator must fix."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from deconfliction.domain import (
    MessageDraft,
    MessageKind,
    ReplyKind,
    RequestKind,
    TimeWindow,
)
from deconfliction.domain.conversation import check_text
from deconfliction.domain.limits import MAX_DEADLINE, MAX_REFERENCES, MAX_TEXT
from deconfliction.errors import InvalidInput
from tests.common import T0, volume

NOW = T0
AREA = volume("square_10km", start_h=1.0)

NOTE = MessageDraft(MessageKind.NOTE, text="convoy delayed by an hour")
REQUEST = MessageDraft(
    MessageKind.REQUEST,
    text="please vacate grid 38S until noon",
    request=RequestKind.VACATE,
    to="coalition",
    volume=AREA,
    deadline=NOW + timedelta(minutes=30),
)
ACCEPT = MessageDraft(MessageKind.REPLY, in_reply_to="m-1", reply=ReplyKind.ACCEPT)
DECLINE = MessageDraft(
    MessageKind.REPLY, in_reply_to="m-1", reply=ReplyKind.DECLINE, reason="area in use"
)
COUNTER = MessageDraft(
    MessageKind.REPLY,
    in_reply_to="m-1",
    reply=ReplyKind.COUNTER,
    window=TimeWindow(NOW + timedelta(hours=3), NOW + timedelta(hours=4)),
)
WITHDRAW = MessageDraft(MessageKind.WITHDRAW, in_reply_to="m-1")


def refusal(draft: MessageDraft) -> InvalidInput:
    with pytest.raises(InvalidInput) as e:
        draft.check(NOW)
    return e.value


@pytest.mark.parametrize(
    "draft",
    [
        NOTE,
        REQUEST,
        replace(REQUEST, volume=None, notices=("n-1",)),  # the area by reference
        replace(REQUEST, request=RequestKind.HOLD, volume=None),  # a hold names no area
        replace(REQUEST, request=RequestKind.CONFIRM, volume=None, conflicts=("c-1",)),
        replace(REQUEST, deadline=NOW + MAX_DEADLINE),  # exactly 7 days
        ACCEPT,
        DECLINE,
        COUNTER,
        replace(COUNTER, window=None, volume=AREA),
        WITHDRAW,
        replace(NOTE, text="line one\nline two\r\n\tindented"),
    ],
    ids=lambda d: d.kind.value,
)
def test_good_messages_pass(draft: MessageDraft) -> None:
    draft.check(NOW)


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (replace(NOTE, request=RequestKind.HOLD), "request"),
        (replace(NOTE, to="coalition"), "to"),
        (replace(NOTE, volume=AREA), "volume"),
        (replace(NOTE, deadline=NOW + timedelta(hours=1)), "deadline"),
        (replace(NOTE, notices=("n-1",)), "notices"),
        (replace(REQUEST, reply=ReplyKind.ACCEPT), "reply"),
        (replace(REQUEST, in_reply_to="m-1"), "in_reply_to"),
        (replace(REQUEST, reason="because"), "reason"),
        (replace(ACCEPT, deadline=NOW + timedelta(hours=1)), "deadline"),
        (replace(ACCEPT, to="coalition"), "to"),
        (replace(WITHDRAW, reply=ReplyKind.ACCEPT), "reply"),
        (replace(WITHDRAW, volume=AREA), "volume"),
    ],
)
def test_a_field_the_kind_does_not_take_is_refused(draft: MessageDraft, field: str) -> None:
    e = refusal(draft)
    assert e.pointer == f"/{field}"
    assert e.reason == f"a {draft.kind.value} has no {field}"


@pytest.mark.parametrize("field", ["request", "to", "deadline"])
def test_a_request_needs_what_whom_and_by_when(field: str) -> None:
    e = refusal(replace(REQUEST, **{field: None}))
    assert (e.pointer, e.reason) == (f"/{field}", f"a request needs {field}")


@pytest.mark.parametrize(
    ("deadline", "says"),
    [
        (NOW, "must lie in the future"),
        (NOW - timedelta(minutes=5), "must lie in the future"),
        (NOW + MAX_DEADLINE + timedelta(seconds=1), "at most 7 days ahead"),
        (NOW.replace(tzinfo=None) + timedelta(hours=1), "time zone"),
    ],
    ids=["now", "past", "past-7-days", "naive"],
)
def test_a_reply_deadline_lies_in_the_next_7_days(deadline: object, says: str) -> None:
    e = refusal(replace(REQUEST, deadline=deadline))  # type: ignore[arg-type]
    assert e.pointer == "/deadline"
    assert says in e.reason


@pytest.mark.parametrize("kind", [RequestKind.VACATE, RequestKind.KEEP_CLEAR])
def test_vacate_and_keep_clear_name_their_area(kind: RequestKind) -> None:
    e = refusal(replace(REQUEST, request=kind, volume=None, notices=()))
    assert e.pointer == "/volume"
    assert e.reason == f"a {kind.value} request names its area: a volume, or notices"


def test_a_request_for_an_area_already_over_is_refused() -> None:
    over = volume("square_10km", start_h=-3.0, hours=1.0)
    e = refusal(replace(REQUEST, volume=over))
    assert (e.pointer, e.reason) == ("/volume/time/end", "the volume has already ended")


@pytest.mark.parametrize("field", ["notices", "conflicts"])
def test_at_most_100_references(field: str) -> None:
    refs = tuple(f"x-{i}" for i in range(MAX_REFERENCES + 1))
    e = refusal(replace(REQUEST, **{field: refs}))
    assert (e.pointer, e.reason) == (f"/{field}", "at most 100 references")
    replace(REQUEST, **{field: refs[:MAX_REFERENCES]}).check(NOW)


@pytest.mark.parametrize("field", ["in_reply_to", "reply"])
def test_a_reply_names_the_request_and_the_answer(field: str) -> None:
    e = refusal(replace(ACCEPT, **{field: None}))
    assert (e.pointer, e.reason) == (f"/{field}", f"a reply needs {field}")


@pytest.mark.parametrize("reason", ["", "   \n\t"])
def test_a_decline_gives_its_reason(reason: str) -> None:
    e = refusal(replace(DECLINE, reason=reason))
    assert (e.pointer, e.reason) == ("/reason", "a decline gives its reason")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reason", "but only until noon"),
        ("volume", AREA),
        ("window", TimeWindow(NOW, NOW + timedelta(hours=1))),
    ],
)
def test_an_accept_proposes_nothing(field: str, value: object) -> None:
    e = refusal(replace(ACCEPT, **{field: value}))
    assert e.pointer == f"/{field}"
    assert "a counter proposes an alternative" in e.reason


def test_a_counter_proposes_a_volume_or_a_window() -> None:
    e = refusal(replace(COUNTER, window=None, volume=None))
    assert e.pointer == "/volume"
    assert e.reason == "a counter proposes an alternative: a volume, a window or both"


def test_a_counter_window_already_over_is_refused() -> None:
    past = TimeWindow(NOW - timedelta(hours=2), NOW - timedelta(seconds=1))
    e = refusal(replace(COUNTER, window=past))
    assert (e.pointer, e.reason) == ("/window/end", "the window has already ended")
    replace(COUNTER, window=TimeWindow(NOW - timedelta(hours=2), NOW)).check(NOW)  # ends now


def test_a_counter_volume_already_over_is_refused() -> None:
    over = volume("circle_5km", start_h=-3.0, hours=1.0)
    e = refusal(replace(COUNTER, window=None, volume=over))
    assert e.pointer == "/volume/time/end"


def test_a_withdrawal_names_the_accepted_request() -> None:
    e = refusal(replace(WITHDRAW, in_reply_to=None))
    assert (e.pointer, e.reason) == ("/in_reply_to", "a withdrawal names the accepted request")


@pytest.mark.parametrize("text", ["", "  ", "\n\t"])
def test_a_note_needs_text(text: str) -> None:
    e = refusal(replace(NOTE, text=text))
    assert (e.pointer, e.reason) == ("/text", "a note needs text")


@pytest.mark.parametrize("draft", [NOTE, REQUEST, DECLINE])
def test_text_over_2000_characters_is_refused(draft: MessageDraft) -> None:
    e = refusal(replace(draft, text="ü" * (MAX_TEXT + 1)))
    assert (e.pointer, e.reason) == ("/text", "at most 2000 characters, not 2001")
    replace(draft, text="ü" * MAX_TEXT).check(NOW)


def test_a_reason_with_a_control_character_is_refused() -> None:
    e = refusal(replace(DECLINE, reason="area\x1b[31m in use"))
    assert e.pointer == "/reason"
    assert e.reason.startswith("no control characters (line breaks and tabs are allowed): U+")


# -- check_text -------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\n", "\r", "\t"])
def test_single_line_text_has_no_control_characters(char: str) -> None:
    with pytest.raises(InvalidInput) as e:
        check_text(f"convoy{char}7", 200, "/subject")
    assert e.value.pointer == "/subject"
    assert e.value.reason == f"no control characters: U+{ord(char):04X} at 6"


@pytest.mark.parametrize("char", ["\n", "\r", "\t"])
def test_text_with_lines_keeps_line_breaks_and_tabs(char: str) -> None:
    assert check_text(f"convoy{char}7", 200, "/text", lines=True) == f"convoy{char}7"


@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x0c", "\x1f", "\x7f"])
def test_text_with_lines_still_refuses_other_controls(char: str) -> None:
    with pytest.raises(InvalidInput) as e:
        check_text(f"convoy{char}7", 200, "/text", lines=True)
    assert e.value.pointer == "/text"
    assert e.value.reason == (
        f"no control characters (line breaks and tabs are allowed): U+{ord(char):04X} at 6"
    )


def test_text_length_counts_characters() -> None:
    assert check_text("é" * 200, 200, "/subject") == "é" * 200
    with pytest.raises(InvalidInput) as e:
        check_text("é" * 201, 200, "/subject")
    assert e.value.reason == "at most 200 characters, not 201"
