"""Conflicts in numbers, strategic and on tracks, built by hand (for paging and filter tests):
ties on ``detected_at`` within and across the two tables, every status, kind and severity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deconfliction.domain import (
    Audience,
    Conflict,
    ConflictKind,
    ConflictStatus,
    Severity,
    TimeWindow,
    TrackConflict,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)
STATUSES = list(ConflictStatus)
SEVERITIES = list(Severity)
ON_TRACKS = [ConflictKind.TACTICAL, ConflictKind.INTRUSION, ConflictKind.DEVIATION]


def strategic(i: int) -> Conflict:
    other = "red" if i % 2 else "aid"
    return Conflict(
        id=f"s-{i:05d}",
        kind=ConflictKind.STRATEGIC,
        status=STATUSES[i % 4],
        party_a="blue",
        notice_a=f"nb-{i}",
        volume_a=0,
        version_a=1,
        party_b=other,
        notice_b=f"no-{i}",
        volume_b=0,
        version_b=1,
        distance_m=10.0,
        window=TimeWindow(NOW, NOW + 3600 * S),
        detected_at=NOW - (i // 3) * S,  # ties on detected_at, broken by id
        severity=SEVERITIES[i % 3],
    )


def on_tracks(i: int) -> TrackConflict:
    kind = ON_TRACKS[i % 3]
    other = None if kind is ConflictKind.DEVIATION else ("red" if i % 2 else "aid")
    return TrackConflict(
        id=f"t-{i:05d}",
        kind=kind,
        status=STATUSES[(i + 1) % 4],
        key=f"k-{i}",
        party_a="blue",
        track_a=f"b-{i}",
        party_b=other,
        track_b=None if other is None or kind is not ConflictKind.TACTICAL else f"o-{i}",
        notice_b=f"nv-{i}" if kind is ConflictKind.INTRUSION else None,
        volume_b=0 if kind is ConflictKind.INTRUSION else None,
        movement=f"nm-{i}" if kind is ConflictKind.DEVIATION else None,
        reason="stopped" if kind is ConflictKind.DEVIATION else None,
        t_in=NOW,
        t_out=None,
        cpa=None,
        distance_m=100.0,
        detail="",
        told=Audience(),
        visible_a=Audience(),
        visible_b=Audience(),
        detected_at=NOW - (i // 2) * S,  # the same instants as strategic ones: ties across tables
        updated_at=NOW + (i % 5) * S,
        severity=SEVERITIES[(i + 2) % 3],
    )
