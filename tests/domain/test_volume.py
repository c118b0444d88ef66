"""Volume rules a front door relies on: instants in the line's years and in UTC, windows that end
after they start, bands whose lower bound is not above the upper, and the closed-interval sums
detection builds on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from deconfliction.domain import AltitudeBand, Buffers, TimeWindow
from deconfliction.domain.volume import (
    EARLIEST,
    LATEST,
    check_band,
    check_instant,
    check_window,
    parse_instant,
)
from deconfliction.errors import InvalidInput
from tests.common import T0

PLUS2 = timezone(timedelta(hours=2))
MINUS5 = timezone(timedelta(hours=-5))
YEARS = "between 1970-01-01 and 2200-01-01"


# -- instants ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    [
        EARLIEST,
        datetime(1970, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1))),  # = EARLIEST in UTC
        LATEST - timedelta(microseconds=1),
        datetime(2200, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),  # 2199-12-31T23:30Z
        T0,
    ],
)
def test_instants_in_the_lines_years_are_accepted_in_utc(when: datetime) -> None:
    utc = check_instant(when, "/at")
    assert utc == when and utc.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "when",
    [
        EARLIEST - timedelta(microseconds=1),
        LATEST,
        datetime(2200, 1, 1, 0, 30, tzinfo=MINUS5),  # 05:30Z, past the end once in UTC
        datetime(1, 1, 1, tzinfo=PLUS2),  # before year 1 once in UTC
        datetime.max.replace(tzinfo=MINUS5),  # after year 9999 once in UTC
    ],
)
def test_instants_outside_the_lines_years_are_refused(when: datetime) -> None:
    with pytest.raises(InvalidInput) as e:
        check_instant(when, "/volumes/3/time/start")
    assert e.value.pointer == "/volumes/3/time/start"
    assert YEARS in e.value.reason


def test_a_naive_instant_is_refused_asking_for_a_time_zone() -> None:
    with pytest.raises(InvalidInput) as e:
        check_instant(datetime(2025, 6, 1, 6, 0), "/deadline")  # noqa: DTZ001 (the point)
    assert e.value.pointer == "/deadline"
    assert "time zone" in e.value.reason and "Z" in e.value.reason


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2025-06-01T06:00:00Z", datetime(2025, 6, 1, 6, 0, tzinfo=UTC)),
        ("2025-06-01T08:00:00+02:00", datetime(2025, 6, 1, 6, 0, tzinfo=UTC)),
        ("2025-06-01T01:00:00-05:00", datetime(2025, 6, 1, 6, 0, tzinfo=UTC)),
        ("2025-05-31T23:30:00-06:30", datetime(2025, 6, 1, 6, 0, tzinfo=UTC)),
        ("2025-06-01T06:00:00.25Z", datetime(2025, 6, 1, 6, 0, 0, 250_000, tzinfo=UTC)),
    ],
)
def test_parse_instant_converts_offsets_to_utc(text: str, utc: datetime) -> None:
    parsed = parse_instant(text, "time", "/0/time")
    assert parsed == utc
    assert parsed.tzinfo is UTC  # not merely the same instant: UTC, as the line keeps time


@pytest.mark.parametrize(
    "value", [None, 1748757600, 1748757600.0, ["2025-06-01T06:00:00Z"], "", "yesterday", "06:00Z"]
)
def test_parse_instant_refuses_what_is_not_rfc3339_text(value: object) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_instant(value, "start", "/features/2/properties/start")
    assert e.value.pointer == "/features/2/properties/start"
    assert e.value.reason.startswith("start must be an RFC 3339 time")
    assert "2026-11-25T06:00:00Z" in e.value.reason  # an example to copy


@pytest.mark.parametrize("text", ["2025-06-01T06:00:00", "2025-06-01"])
def test_parse_instant_without_a_timezone_says_it_needs_one(text: str) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_instant(text, "time", "/3/time")
    assert e.value.pointer == "/3/time"
    assert e.value.reason == "time needs a timezone (Z or +hh:mm)"


def test_parse_instant_holds_text_to_the_lines_years() -> None:
    with pytest.raises(InvalidInput) as e:
        parse_instant("2200-01-01T00:00:00Z", "time", "/3/time")
    assert (e.value.pointer, YEARS in e.value.reason) == ("/3/time", True)


# -- windows ----------------------------------------------------------------------------------


def test_check_window_gives_the_window_in_utc() -> None:
    start = datetime(2025, 6, 1, 8, 0, tzinfo=PLUS2)
    w = check_window(start, start + timedelta(hours=2), "/volumes/0/time")
    assert w == TimeWindow(T0, T0 + timedelta(hours=2))
    assert w.start.utcoffset() == timedelta(0) and w.end.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("start", "end", "field", "says"),
    [
        (T0, T0, "end", "end after it starts"),
        (T0, T0 - timedelta(seconds=1), "end", "end after it starts"),
        # the same instant written in two zones is still an empty window
        (T0, T0.astimezone(PLUS2), "end", "end after it starts"),
        (T0.replace(tzinfo=None), T0 + timedelta(hours=1), "start", "time zone"),
        (T0, (T0 + timedelta(hours=1)).replace(tzinfo=None), "end", "time zone"),
        (EARLIEST - timedelta(days=1), T0, "start", YEARS),
        (T0, LATEST, "end", YEARS),
    ],
)
def test_check_window_points_at_the_bound_at_fault(
    start: datetime, end: datetime, field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as e:
        check_window(start, end, "/volumes/4/time")
    assert e.value.pointer == f"/volumes/4/time/{field}"
    assert says in e.value.reason


def test_touching_windows_overlap_in_one_instant() -> None:
    a = TimeWindow(T0, T0 + timedelta(hours=1))
    b = TimeWindow(T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    assert a.gap_s(b) == 0.0 and b.gap_s(a) == 0.0
    assert a.overlap(b) == TimeWindow(T0 + timedelta(hours=1), T0 + timedelta(hours=1))


def test_window_gap_is_symmetric_seconds_between_them() -> None:
    a = TimeWindow(T0, T0 + timedelta(hours=1))
    b = TimeWindow(T0 + timedelta(hours=1, seconds=90), T0 + timedelta(hours=3))
    assert a.gap_s(b) == b.gap_s(a) == 90.0
    assert a.overlap(b) is None and b.overlap(a) is None


def test_overlap_widens_only_self_by_the_time_buffer() -> None:
    a = TimeWindow(T0, T0 + timedelta(hours=1))
    b = TimeWindow(T0 + timedelta(hours=1, seconds=90), T0 + timedelta(hours=3))
    assert a.overlap(b, widen_s=89.0) is None
    # widened by 90 s a's end reaches b's start: a single shared instant
    assert a.overlap(b, widen_s=90.0) == TimeWindow(b.start, b.start)
    # the common part never reaches outside the other window
    assert a.overlap(b, widen_s=3600.0) == TimeWindow(b.start, T0 + timedelta(hours=2))


def test_overlap_of_nested_windows_is_the_inner_one() -> None:
    outer = TimeWindow(T0, T0 + timedelta(hours=4))
    inner = TimeWindow(T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    assert outer.overlap(inner) == inner and inner.overlap(outer) == inner
    assert outer.gap_s(inner) == 0.0


# -- altitude bands ---------------------------------------------------------------------------


def test_check_band_refuses_lower_above_upper_at_lower_m() -> None:
    with pytest.raises(InvalidInput) as e:
        check_band(3000.0, 1000.0, "/volumes/1/altitude")
    assert e.value.pointer == "/volumes/1/altitude/lower_m"
    assert e.value.reason == "the lower altitude is above the upper one"


@pytest.mark.parametrize(
    ("lower", "upper"),
    [(1000.0, 1000.0), (None, 1000.0), (1000.0, None), (None, None), (-400.0, 0.0)],
)
def test_check_band_accepts_a_level_and_open_sides(
    lower: float | None, upper: float | None
) -> None:
    assert check_band(lower, upper, "/altitude") == AltitudeBand(lower, upper)


@pytest.mark.parametrize(
    ("a", "b", "gap"),
    [
        (AltitudeBand(0.0, 1000.0), AltitudeBand(1500.0, 2000.0), 500.0),
        (AltitudeBand(1500.0, 2000.0), AltitudeBand(0.0, 1000.0), 500.0),
        (AltitudeBand(0.0, 1000.0), AltitudeBand(1000.0, 2000.0), 0.0),  # touching
        (AltitudeBand(0.0, 3000.0), AltitudeBand(1000.0, 2000.0), 0.0),  # nested
        (AltitudeBand(None, 100.0), AltitudeBand(400.0, None), 300.0),
        (AltitudeBand(), AltitudeBand(9000.0, 9500.0), 0.0),  # unbounded: every altitude
        (AltitudeBand(None, 100.0), AltitudeBand(None, -50.0), 0.0),
    ],
)
def test_band_gap_is_the_vertical_distance_or_zero(
    a: AltitudeBand, b: AltitudeBand, gap: float
) -> None:
    assert a.gap_m(b) == gap


# -- buffers ----------------------------------------------------------------------------------


def test_a_notice_may_raise_each_buffer_never_lower_it() -> None:
    line = Buffers(h_m=500.0, v_m=150.0, t_s=300.0)
    asked = Buffers(h_m=2000.0, v_m=0.0, t_s=600.0)
    assert line.raised_by(asked) == Buffers(h_m=2000.0, v_m=150.0, t_s=600.0)
    assert line.raised_by(Buffers()) == line
    assert line.raised_by(None) == line
