"""Need-to-know: each party is told of a conflict from its own side, and learns of the other side
only the party and when unless the other notice or track is shared with it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from deconfliction.domain import (
    ALL,
    Audience,
    Conflict,
    ConflictKind,
    ConflictStatus,
    TimeWindow,
    TrackConflict,
)
from deconfliction.domain.view import Side, strategic_view, track_view
from tests.common import T0

S = timedelta(seconds=1)
WINDOW = TimeWindow(T0 + 600 * S, T0 + 3600 * S)

STRATEGIC = Conflict(
    id="c-1",
    kind=ConflictKind.STRATEGIC,
    status=ConflictStatus.OPEN,
    party_a="coalition",
    notice_a="n-a",
    volume_a=0,
    version_a=3,
    party_b="un-ocha",
    notice_b="n-b",
    volume_b=2,
    version_b=1,
    distance_m=420.0,
    window=WINDOW,
    detected_at=T0,
)
SIDE_A = Side("coalition", "n-a", 0, 3)
SIDE_B = Side("un-ocha", "n-b", 2, 1)


def test_strategic_shared_other_side_is_told_in_full() -> None:
    v = strategic_view(STRATEGIC, "coalition", ("un-ocha", Audience.of(["coalition"])))
    assert (v.mine, v.other) == (SIDE_A, SIDE_B)
    assert v.redacted is False and v.distance_m == 420.0
    assert (v.id, v.kind, v.status, v.window, v.detected_at) == (
        "c-1",
        ConflictKind.STRATEGIC,
        ConflictStatus.OPEN,
        WINDOW,
        T0,
    )


def test_strategic_seen_from_side_b_puts_b_first() -> None:
    v = strategic_view(STRATEGIC, "un-ocha", ("coalition", Audience.of(ALL)))
    assert (v.mine, v.other) == (SIDE_B, SIDE_A)
    assert v.redacted is False and v.distance_m == 420.0


@pytest.mark.parametrize(
    "other_notice",
    [
        ("un-ocha", Audience.of([])),
        ("un-ocha", Audience.of(["icrc", "red"])),
        None,  # the other notice is not known (gone): nothing is shared
    ],
    ids=["private", "shared-with-others", "unknown"],
)
def test_strategic_unshared_other_side_is_redacted(
    other_notice: tuple[str, Audience] | None,
) -> None:
    v = strategic_view(STRATEGIC, "coalition", other_notice)
    assert v.mine == SIDE_A  # one's own side is always in full
    assert v.other == Side("un-ocha", None, None, None)  # the party, to pick up the line
    assert v.redacted is True
    assert v.distance_m is None  # a distance would give the hidden place away
    # when, to talk about it: rounded out to quarter hours, so that one long notice of one's
    # own cannot read the hidden window exactly (06:10-07:00Z is told as 06:00-07:00Z)
    assert v.window == TimeWindow(T0, WINDOW.end)


def test_strategic_redaction_follows_the_asking_partys_view() -> None:
    # b's notice is shared with coalition, a's is not shared with un-ocha: each view is its own
    v_a = strategic_view(STRATEGIC, "coalition", ("un-ocha", Audience.of(["coalition"])))
    v_b = strategic_view(STRATEGIC, "un-ocha", ("coalition", Audience.of([])))
    assert v_a.redacted is False and v_a.other == SIDE_B
    assert v_b.redacted is True and v_b.other == Side("coalition", None, None, None)


# -- conflicts on tracks ----------------------------------------------------------------------

TACTICAL = TrackConflict(
    id="t-1",
    kind=ConflictKind.TACTICAL,
    status=ConflictStatus.OPEN,
    key="tactical:coalition/hawk-1|red/r-7",
    party_a="coalition",
    track_a="hawk-1",
    party_b="red",
    track_b="r-7",
    notice_b=None,
    volume_b=None,
    movement=None,
    reason=None,
    t_in=T0 + 60 * S,
    t_out=T0 + 120 * S,
    cpa=T0 + 90 * S,
    distance_m=1200.5,
    detail="dcpa 1200 m",
    told=Audience(),
    visible_a=Audience.of(ALL),
    visible_b=Audience.of([]),
    detected_at=T0,
    updated_at=T0 + 10 * S,
)
HAWK = Side("coalition", None, None, None, "hawk-1")
R7 = Side("red", None, None, None, "r-7")


def test_tactical_from_side_a_hides_the_unshared_track() -> None:
    v = track_view(TACTICAL, "coalition")
    assert v.mine == HAWK
    assert v.other == Side("red", None, None, None, None)
    assert v.redacted is True and v.distance_m is None and v.detail is None
    # when separation is lost is always told: it is what the parties must talk about
    assert (v.t_in, v.t_out, v.cpa) == (T0 + 60 * S, T0 + 120 * S, T0 + 90 * S)
    assert v.window is None and v.updated_at == T0 + 10 * S


def test_tactical_from_side_b_swaps_mine_and_other() -> None:
    v = track_view(TACTICAL, "red")
    assert v.mine == R7
    assert v.other == HAWK  # hawk-1 is shared with all
    assert v.redacted is False and v.distance_m == 1200.5 and v.detail == "dcpa 1200 m"


def test_tactical_shared_both_ways_is_clear_to_both() -> None:
    c = replace(TACTICAL, visible_b=Audience.of(["coalition"]))
    v = track_view(c, "coalition")
    assert (v.mine, v.other, v.redacted, v.distance_m) == (HAWK, R7, False, 1200.5)


def test_tactical_shared_with_neither_hides_both_ways() -> None:
    c = replace(TACTICAL, visible_a=Audience.of(["icrc"]))
    for party, mine, other in (("coalition", HAWK, "red"), ("red", R7, "coalition")):
        v = track_view(c, party)
        assert v.mine == mine
        assert v.other == Side(other, None, None, None, None)
        assert v.redacted is True and v.distance_m is None


INTRUSION = replace(
    TACTICAL,
    id="t-2",
    kind=ConflictKind.INTRUSION,
    key="intrusion:coalition/hawk-1|n-hosp/0",
    party_b="un-ocha",
    track_b=None,
    notice_b="n-hosp",
    volume_b=0,
    t_out=None,
    cpa=None,
    distance_m=3000.0,
    detail="",
    visible_a=Audience.of([]),
    visible_b=Audience.of(ALL),
)


def test_intrusion_seen_by_the_intruder_names_the_shared_volume() -> None:
    v = track_view(INTRUSION, "coalition")
    assert v.mine == HAWK
    assert v.other == Side("un-ocha", "n-hosp", 0, None, None)
    assert v.redacted is False and v.distance_m == 3000.0


def test_intrusion_seen_by_the_notice_owner_hides_the_private_track() -> None:
    v = track_view(INTRUSION, "un-ocha")
    assert v.mine == Side("un-ocha", "n-hosp", 0, None, None)
    assert v.other == Side("coalition", None, None, None, None)
    assert v.redacted is True and v.distance_m is None


DEVIATION = replace(
    TACTICAL,
    id="t-3",
    kind=ConflictKind.DEVIATION,
    key="deviation:un-ocha/bus-3|near-volume",
    party_a="un-ocha",
    track_a="bus-3",
    party_b="coalition",
    track_b=None,
    notice_b="n-op",
    volume_b=1,
    movement="n-move",
    reason="near-volume",
    t_out=None,
    cpa=None,
    distance_m=250.0,
    detail="250 m from coalition's volume",
    told=Audience.of(["icrc", "coalition"]),
    visible_a=Audience.of(["icrc", "coalition"]),
    visible_b=Audience.of(["un-ocha"]),
)
BUS = Side("un-ocha", "n-move", None, None, "bus-3")


def test_deviation_seen_by_the_movements_party() -> None:
    v = track_view(DEVIATION, "un-ocha")
    assert v.mine == BUS  # its own track, on its own movement notice
    assert v.other == Side("coalition", "n-op", 1, None, None)
    assert v.redacted is False and v.reason == "near-volume" and v.distance_m == 250.0


@pytest.mark.parametrize("party", ["icrc", "coalition"])
def test_deviation_told_to_the_movement_audience_has_no_side_of_its_own(party: str) -> None:
    # coalition owns the volume the convoy nears, but is told only as the movement's audience
    v = track_view(DEVIATION, party)
    assert v.mine is None
    assert v.other == BUS
    assert v.reason == "near-volume" and v.t_in == DEVIATION.t_in


def test_deviation_distance_to_a_volume_hidden_from_the_audience_is_redacted() -> None:
    v = track_view(DEVIATION, "icrc")  # icrc may not see coalition's volume
    assert v.redacted is True and v.distance_m is None and v.detail is None
    w = track_view(DEVIATION, "coalition")  # coalition may: it is its own
    assert w.redacted is False and w.distance_m == 250.0


def test_stopped_deviation_has_no_other_party() -> None:
    c = replace(
        DEVIATION,
        key="deviation:un-ocha/bus-3|stopped",
        party_b=None,
        notice_b=None,
        volume_b=None,
        reason="stopped",
        distance_m=None,
        detail="stopped for 31 min",
        visible_b=Audience(),
    )
    own = track_view(c, "un-ocha")
    assert (own.mine, own.other, own.redacted) == (BUS, None, False)
    told = track_view(c, "icrc")
    assert (told.mine, told.other, told.redacted) == (None, BUS, False)
    assert told.detail == "stopped for 31 min"
    hidden = track_view(replace(c, visible_a=Audience.of(["coalition"])), "icrc")
    assert hidden.other == Side("un-ocha", None, None, None, None)  # no movement, no track
    assert hidden.redacted is True and hidden.detail is None


def test_a_deviation_is_told_to_the_movement_audience_not_the_volume_owner() -> None:
    untold = replace(DEVIATION, told=Audience.of(["icrc"]))
    assert untold.involves("un-ocha") and untold.involves("icrc")
    assert not untold.involves("coalition")  # nears its volume, but the movement is not shared
    assert TACTICAL.involves("red") and not TACTICAL.involves("icrc")
