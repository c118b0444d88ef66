"""A conflict as one party is told of it: its own side first, the other side redacted past
need-to-know, nothing unknown written as null, distances to a decimetre."""

from __future__ import annotations

from dataclasses import replace

import pytest

from deconfliction.domain import ALL, Audience, ConflictAck, Severity
from deconfliction.domain.view import strategic_view, track_view
from deconfliction.wire import conflict_json
from tests.wire.samples import DEVIATION, STRATEGIC, TACTICAL, S, T

# -- conflicts as a party sees them -----------------------------------------------------------


def test_a_redacted_strategic_conflict_names_only_the_other_party() -> None:
    view = strategic_view(STRATEGIC, "coalition", ("un-ocha", Audience.of(["icrc"])))
    assert conflict_json(view) == {
        "id": "c-1",
        "kind": "strategic",
        "status": "open",
        "severity": "advisory",
        "mine": {"party": "coalition", "notice": "n-a", "volume": 0, "version": 3},
        "other": {"party": "un-ocha"},
        "detected_at": "2026-11-25T06:00:00Z",
        "redacted": True,
        # the overlap (06:10-07:00Z) rounded out to quarter hours, and no distance
        "window": {"start": "2026-11-25T06:00:00Z", "end": "2026-11-25T07:00:00Z"},
        "acknowledged_by": [],
    }


def test_a_shared_strategic_conflict_gives_the_distance_to_a_decimetre() -> None:
    conflict = replace(STRATEGIC, distance_m=420.27)
    out = conflict_json(strategic_view(conflict, "un-ocha", ("coalition", Audience.of(ALL))))
    assert out["mine"] == {"party": "un-ocha", "notice": "n-b", "volume": 2, "version": 1}
    assert out["other"] == {"party": "coalition", "notice": "n-a", "volume": 0, "version": 3}
    assert out["redacted"] is False
    assert out["distance_m"] == 420.3


@pytest.mark.parametrize(
    ("distance", "shown"), [(1234.56, 1234.6), (1234.54, 1234.5), (0.04, 0.0), (0.0, 0.0)]
)
def test_distance_is_rounded_to_a_decimetre(distance: float, shown: float) -> None:
    out = conflict_json(track_view(replace(TACTICAL, distance_m=distance), "coalition"))
    assert out["distance_m"] == shown


def test_a_tactical_conflict_json_is_pinned() -> None:
    acks = [
        ConflictAck("red", "m-red", T + 20 * S, Severity.WARNING),
        ConflictAck("coalition", "m-coal", T + 5 * S, Severity.WARNING),
    ]
    assert conflict_json(track_view(TACTICAL, "coalition", acks)) == {
        "id": "t-1",
        "kind": "tactical",
        "status": "acknowledged",
        "severity": "warning",
        "mine": {"party": "coalition", "track": "hawk-1"},
        "other": {"party": "red", "track": "r-7"},
        "detected_at": "2026-11-25T06:00:00Z",
        "redacted": False,
        "distance_m": 1200.5,
        "t_in": "2026-11-25T06:01:00.250000Z",
        "t_out": "2026-11-25T06:02:00Z",
        "cpa": "2026-11-25T06:01:30Z",
        "updated_at": "2026-11-25T06:00:10Z",
        "detail": "",
        # oldest first; the other party's member is not the viewer's to know
        "acknowledged_by": [
            {"party": "coalition", "member": "m-coal", "at": "2026-11-25T06:00:05Z",
             "severity": "warning"},
            {"party": "red", "at": "2026-11-25T06:00:20Z", "severity": "warning"},
        ],
    }  # fmt: skip


def test_a_deviation_told_to_the_audience_drops_what_is_none() -> None:
    out = conflict_json(track_view(DEVIATION, "icrc"))
    assert out == {
        "id": "t-3",
        "kind": "deviation",
        "status": "open",
        "severity": "caution",
        "other": {"party": "un-ocha", "notice": "n-move", "track": "bus-3"},
        "detected_at": "2026-11-25T06:00:00Z",
        "redacted": False,
        "t_in": "2026-11-25T06:01:00.250000Z",
        "updated_at": "2026-11-25T06:00:10Z",
        "reason": "stopped",
        "detail": "stopped for 31 min",
        "acknowledged_by": [],
    }
    assert None not in out.values()


def test_a_redacted_track_side_has_no_track_id() -> None:
    hidden = replace(TACTICAL, visible_a=Audience.of(["icrc"]))
    out = conflict_json(track_view(hidden, "red"))
    assert out["mine"] == {"party": "red", "track": "r-7"}
    assert out["other"] == {"party": "coalition"}
    assert out["redacted"] is True
    assert "distance_m" not in out and "detail" not in out
