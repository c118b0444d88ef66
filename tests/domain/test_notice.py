"""Notices without HTTP: a draft held to the line's limits at a given ``now``, who a notice is
shared with, and when an active notice has become history."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from deconfliction.domain import (
    ALL,
    Audience,
    Buffers,
    Notice,
    NoticeDraft,
    NoticeKind,
    NoticeState,
)
from deconfliction.domain.limits import (
    MAX_ACK_WITHIN,
    MAX_H_BUFFER_M,
    MAX_T_BUFFER_S,
    MAX_TITLE,
    MAX_V_BUFFER_M,
    MAX_VOLUMES,
)
from deconfliction.errors import InvalidInput
from tests.common import GEOMETRIES, T0, volume

NOW = T0 - timedelta(hours=1)  # an hour before the volumes of ``volume()`` begin
GOOD = NoticeDraft(
    kind=NoticeKind.OPERATION,
    volumes=(volume("square_10km"),),
    audience=Audience.of(["un-ocha"]),
    title="route clearance, sector north",
)


def refusal(draft: NoticeDraft, now: datetime = NOW) -> InvalidInput:
    with pytest.raises(InvalidInput) as e:
        draft.check(now)
    return e.value


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_a_good_draft_passes_on_every_shape(name: str) -> None:
    replace(GOOD, volumes=(volume(name),)).check(NOW)


def test_a_good_draft_with_every_option_at_its_limit_passes() -> None:
    draft = replace(
        GOOD,
        volumes=tuple(volume("square_10km", start_h=i) for i in range(MAX_VOLUMES)),
        title="t" * MAX_TITLE,
        protected=True,
        buffers=Buffers(MAX_H_BUFFER_M, MAX_V_BUFFER_M, MAX_T_BUFFER_S),
        ack_by=NOW + MAX_ACK_WITHIN,  # exactly 30 days: accepted
    )
    draft.check(NOW)


@pytest.mark.parametrize("count", [0, MAX_VOLUMES + 1])
def test_volume_count_outside_1_to_100_is_refused(count: int) -> None:
    e = refusal(replace(GOOD, volumes=(volume("square_left"),) * count))
    assert e.pointer == "/volumes"
    assert e.reason == "a notice has 1 to 100 volumes"


def test_a_title_of_201_characters_is_refused() -> None:
    e = refusal(replace(GOOD, title="é" * (MAX_TITLE + 1)))  # characters, not bytes
    assert (e.pointer, e.reason) == ("/title", "a title has at most 200 characters")


def test_a_notice_whose_every_volume_has_ended_is_refused() -> None:
    ended = (volume("square_left", start_h=-5, hours=1), volume("circle_5km", start_h=-3))
    e = refusal(replace(GOOD, volumes=ended), now=T0)  # the later one ended at T0 - 1 h
    assert e.pointer == "/volumes"
    assert "already ended" in e.reason


def test_one_volume_still_running_is_enough() -> None:
    volumes = (volume("square_left", start_h=-5, hours=1), volume("circle_5km", start_h=-1))
    replace(GOOD, volumes=volumes).check(T0)  # the second runs to T0 + 1 h


def test_a_volume_ending_at_now_has_not_ended() -> None:
    # windows are closed intervals: at its end instant the volume still holds
    replace(GOOD, volumes=(volume("square_left", start_h=-2),)).check(T0)


LIMITS = {"h_m": MAX_H_BUFFER_M, "v_m": MAX_V_BUFFER_M, "t_s": MAX_T_BUFFER_S}


@pytest.mark.parametrize("name", sorted(LIMITS))
@pytest.mark.parametrize(
    "bad",
    [-1.0, -1e-9, "over", float("nan"), float("inf"), float("-inf")],
    ids=["negative", "just-negative", "over", "nan", "inf", "-inf"],
)
def test_buffers_out_of_range_are_refused_by_name(name: str, bad: float | str) -> None:
    value = LIMITS[name] * 1.000001 if bad == "over" else bad
    buffers = replace(Buffers(), **{name: value})
    e = refusal(replace(GOOD, buffers=buffers))
    assert e.pointer == f"/buffers/{name}"
    assert e.reason == f"must be between 0 and {LIMITS[name]:g}"


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_buffers_at_zero_and_at_the_limit_pass(name: str) -> None:
    replace(GOOD, buffers=replace(Buffers(), **{name: LIMITS[name]})).check(NOW)
    replace(GOOD, buffers=Buffers(0.0, 0.0, 0.0)).check(NOW)


@pytest.mark.parametrize(
    "ack_in",
    [
        -timedelta(seconds=1),
        timedelta(0),
        MAX_ACK_WITHIN + timedelta(microseconds=1),
        timedelta(days=365),
    ],
    ids=["past", "now", "30-days-and-a-bit", "a-year"],
)
def test_ack_by_must_be_in_the_next_30_days(ack_in: timedelta) -> None:
    e = refusal(replace(GOOD, ack_by=NOW + ack_in))
    assert e.pointer == "/ack_by"
    assert e.reason == "ack_by must lie in the future, at most 30 days ahead"


@pytest.mark.parametrize("ack_in", [timedelta(microseconds=1), timedelta(hours=1), MAX_ACK_WITHIN])
def test_ack_by_within_30_days_passes(ack_in: timedelta) -> None:
    replace(GOOD, ack_by=NOW + ack_in).check(NOW)


# -- audience ---------------------------------------------------------------------------------


def test_an_ack_by_without_a_time_zone_is_refused_not_a_crash() -> None:
    e = refusal(replace(GOOD, ack_by=(NOW + timedelta(days=1)).replace(tzinfo=None)))
    assert e.pointer == "/ack_by" and "time zone" in e.reason


def test_audience_all_includes_every_party() -> None:
    everyone = Audience.of(ALL)
    assert everyone.everyone
    assert all(everyone.includes(p) for p in ("coalition", "un-ocha", "anyone-at-all"))
    assert everyone.to_json() == "all"


def test_audience_of_slugs_includes_only_them() -> None:
    some = Audience.of(["un-ocha", "icrc", "un-ocha"])
    assert some.includes("un-ocha") and some.includes("icrc")
    assert not some.includes("coalition") and not some.includes("all")
    assert some.to_json() == ["icrc", "un-ocha"]  # sorted, once each


def test_an_empty_audience_includes_nobody() -> None:
    assert not Audience.of([]).includes("coalition")
    assert not Audience().includes("coalition")


@pytest.mark.parametrize("value", ["un-ocha", "ALL", "", "everyone"])
def test_an_audience_string_other_than_all_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput) as e:
        Audience.of(value)
    assert e.value.pointer == "/audience"
    assert "'all' or a list of party slugs" in e.value.reason


# -- notices ----------------------------------------------------------------------------------


def notice(**kw: object) -> Notice:
    base = Notice(
        id="n-1",
        party="coalition",
        kind=NoticeKind.OPERATION,
        volumes=(volume("square_left", hours=1), volume("circle_5km", start_h=1, hours=2)),
        audience=Audience.of(["un-ocha"]),
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_an_active_notice_expires_once_its_last_volume_ends() -> None:
    n = notice()
    assert n.ends_at == T0 + timedelta(hours=3)
    assert n.state_at(T0) is NoticeState.ACTIVE
    assert n.state_at(T0 + timedelta(hours=2)) is NoticeState.ACTIVE  # first ended, not second
    assert n.state_at(n.ends_at) is NoticeState.ACTIVE  # closed interval
    assert n.state_at(n.ends_at + timedelta(microseconds=1)) is NoticeState.EXPIRED
    assert n.state is NoticeState.ACTIVE  # the value itself is not changed


def test_a_withdrawn_notice_stays_withdrawn() -> None:
    n = notice(state=NoticeState.WITHDRAWN)
    assert n.state_at(T0) is NoticeState.WITHDRAWN
    assert n.state_at(T0 + timedelta(days=1)) is NoticeState.WITHDRAWN


@pytest.mark.parametrize(
    ("audience", "seen_by"),
    [
        (Audience.of(["un-ocha"]), {"coalition", "un-ocha"}),
        (Audience.of([]), {"coalition"}),
        (Audience.of(ALL), {"coalition", "un-ocha", "red", "icrc"}),
    ],
)
def test_a_notice_is_visible_to_its_party_and_audience_only(
    audience: Audience, seen_by: set[str]
) -> None:
    n = notice(audience=audience)
    parties = {"coalition", "un-ocha", "red", "icrc"}
    assert {p for p in parties if n.visible_to(p)} == seen_by
