"""The body of a conflict's events, pinned field by field: the record hashes it, so a change to
this shape changes what every party can prove. Each expected body is written out by hand."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC
from typing import Any

import pytest

from deconfliction.domain import TrackConflict
from deconfliction.record.canonical import canonical_json
from deconfliction.wire import (
    conflict_from_record,
    conflict_record,
    track_conflict_from_record,
    track_conflict_record,
)
from tests.wire.samples import DEVIATION, INTRUSION, STRATEGIC, TACTICAL

STRATEGIC_BODY = {
    "id": "c-1",
    "kind": "strategic",
    "status": "open",
    "party_a": "coalition",
    "notice_a": "n-a",
    "volume_a": 0,
    "version_a": 3,
    "party_b": "un-ocha",
    "notice_b": "n-b",
    "volume_b": 2,
    "version_b": 1,
    "distance_m": 420.25,
    "window": {"start": "2026-11-25T06:10:00Z", "end": "2026-11-25T07:00:00Z"},
    "detected_at": "2026-11-25T06:00:00Z",
    "severity": "advisory",
}

TACTICAL_BODY = {
    "id": "t-1",
    "kind": "tactical",
    "status": "open",
    "key": "tactical:coalition/hawk-1|red/r-7",
    "party_a": "coalition",
    "track_a": "hawk-1",
    "party_b": "red",
    "track_b": "r-7",
    "notice_b": None,
    "volume_b": None,
    "movement": None,
    "reason": None,
    "t_in": "2026-11-25T06:01:00.250000Z",
    "t_out": "2026-11-25T06:02:00Z",
    "cpa": "2026-11-25T06:01:30Z",
    "distance_m": 1200.5,
    "detail": "",
    "told": [],
    "visible_a": "all",
    "visible_b": ["coalition", "un-ocha"],
    "detected_at": "2026-11-25T06:00:00Z",
    "updated_at": "2026-11-25T06:00:10Z",
    "resolved_at": None,
    "agreement": None,
    "notice_a": None,
    "volume_a": None,
    "severity": "warning",
}

INTRUSION_BODY = {
    "id": "t-2",
    "kind": "intrusion",
    "status": "resolved",
    "key": "intrusion:coalition/hawk-1|n-hosp/0",
    "party_a": "coalition",
    "track_a": "hawk-1",
    "party_b": "un-ocha",
    "track_b": None,
    "notice_b": "n-hosp",
    "volume_b": 0,
    "movement": None,
    "reason": None,
    "t_in": "2026-11-25T06:01:00.250000Z",
    "t_out": None,
    "cpa": None,
    "distance_m": 3000.0,
    "detail": "",
    "told": [],
    "visible_a": [],
    "visible_b": "all",
    "detected_at": "2026-11-25T06:00:00Z",
    "updated_at": "2026-11-25T06:00:10Z",
    "resolved_at": "2026-11-25T06:05:00Z",
    "agreement": None,
    "notice_a": None,
    "volume_a": None,
    "severity": "advisory",
}

DEVIATION_BODY = {
    "id": "t-3",
    "kind": "deviation",
    "status": "open",
    "key": "deviation:un-ocha/bus-3|stopped",
    "party_a": "un-ocha",
    "track_a": "bus-3",
    "party_b": None,
    "track_b": None,
    "notice_b": None,
    "volume_b": None,
    "movement": "n-move",
    "reason": "stopped",
    "t_in": "2026-11-25T06:01:00.250000Z",
    "t_out": None,
    "cpa": None,
    "distance_m": None,
    "detail": "stopped for 31 min",
    "told": ["icrc"],
    "visible_a": ["coalition", "icrc"],
    "visible_b": [],
    "detected_at": "2026-11-25T06:00:00Z",
    "updated_at": "2026-11-25T06:00:10Z",
    "resolved_at": None,
    "agreement": None,
    "notice_a": None,
    "volume_a": None,
    "severity": "caution",
}


def test_strategic_conflict_record_is_pinned() -> None:
    body = conflict_record(STRATEGIC)
    assert body == STRATEGIC_BODY
    assert conflict_from_record(body) == STRATEGIC


@pytest.mark.parametrize(
    ("conflict", "expected"),
    [(TACTICAL, TACTICAL_BODY), (INTRUSION, INTRUSION_BODY), (DEVIATION, DEVIATION_BODY)],
    ids=["tactical", "intrusion", "deviation"],
)
def test_track_conflict_record_is_pinned(conflict: TrackConflict, expected: dict[str, Any]) -> None:
    body = track_conflict_record(conflict)
    assert body == expected
    # the log keeps it as JSON text; read back, it is the same conflict
    assert track_conflict_from_record(json.loads(json.dumps(body))) == conflict


def test_a_record_written_before_alert_levels_reads_as_advisory() -> None:
    old = {k: v for k, v in TACTICAL_BODY.items() if k != "severity"}
    assert track_conflict_from_record(old).severity == "advisory"


def test_records_hash_the_same_whatever_zone_an_instant_was_given_in() -> None:
    assert STRATEGIC.detected_at.utcoffset() != UTC.utcoffset(None)  # given at +02:00
    utc = replace(STRATEGIC, detected_at=STRATEGIC.detected_at.astimezone(UTC))
    assert canonical_json(conflict_record(utc)) == canonical_json(conflict_record(STRATEGIC))
