"""Conflicts of every kind, built by hand for the wire tests, and a storage-like encoding."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from deconfliction.domain import (
    ALL,
    Audience,
    Conflict,
    ConflictKind,
    ConflictStatus,
    Severity,
    TimeWindow,
    TrackConflict,
)
from deconfliction.wire.fields import Encoding

T = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
S = timedelta(seconds=1)
PLUS2 = timezone(timedelta(hours=2))

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
    distance_m=420.25,
    window=TimeWindow(T + 600 * S, T + 3600 * S),
    detected_at=datetime(2026, 11, 25, 8, 0, tzinfo=PLUS2),  # 06:00Z, written in +02:00
)

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
    t_in=T + 60 * S + timedelta(microseconds=250_000),
    t_out=T + 120 * S,
    cpa=T + 90 * S,
    distance_m=1200.5,
    detail="",
    told=Audience(),
    visible_a=Audience.of(ALL),
    visible_b=Audience.of(["un-ocha", "coalition"]),
    detected_at=T,
    updated_at=T + 10 * S,
    severity=Severity.WARNING,
)

INTRUSION = replace(
    TACTICAL,
    id="t-2",
    kind=ConflictKind.INTRUSION,
    status=ConflictStatus.RESOLVED,
    key="intrusion:coalition/hawk-1|n-hosp/0",
    party_b="un-ocha",
    track_b=None,
    notice_b="n-hosp",
    volume_b=0,
    t_out=None,
    cpa=None,
    distance_m=3000.0,
    visible_a=Audience.of([]),
    visible_b=Audience.of(ALL),
    resolved_at=T + 300 * S,
    severity=Severity.ADVISORY,
)

DEVIATION = replace(
    TACTICAL,
    id="t-3",
    kind=ConflictKind.DEVIATION,
    status=ConflictStatus.OPEN,
    key="deviation:un-ocha/bus-3|stopped",
    party_a="un-ocha",
    track_a="bus-3",
    party_b=None,
    track_b=None,
    movement="n-move",
    reason="stopped",
    t_out=None,
    cpa=None,
    distance_m=None,
    detail="stopped for 31 min",
    told=Audience.of(["icrc"]),
    visible_a=Audience.of(["icrc", "coalition"]),
    visible_b=Audience(),
    severity=Severity.CAUTION,
)

BREACH = replace(
    INTRUSION,
    id="t-4",
    status=ConflictStatus.OPEN,
    key="intrusion:n-op/1|n-hosp/0",
    track_a=None,
    notice_a="n-op",
    volume_a=1,
    agreement="m-9",
    resolved_at=None,
)

TRACK_CONFLICTS = {
    "tactical": TACTICAL,
    "intrusion": INTRUSION,
    "deviation": DEVIATION,
    "breach": BREACH,  # a notice inside an area its party agreed (m-9) to keep out of
}

# -- a storage-like encoding: integer microseconds, audiences as text, windows in two columns

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)


def to_us(t: datetime) -> int:
    return (t - EPOCH) // US


def from_us(n: int) -> datetime:
    return EPOCH + n * US


def audience_text(a: Audience) -> str:
    return "all" if a.everyone else ",".join(sorted(a.parties))


def audience_read(text: str) -> Audience:
    return Audience(everyone=True) if text == "all" else Audience(frozenset(text.split(",")) - {""})


STORE = Encoding(
    instant=to_us,
    read_instant=from_us,
    audience=audience_text,
    read_audience=audience_read,
    instant_suffix="_us",
    split_windows=True,
)
