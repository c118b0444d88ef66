"""Alert levels: each rule at its boundaries, and thresholds that cannot be ordered wrong."""

from __future__ import annotations

import pytest

from deconfliction.domain import AlertLevels, ConflictKind, Severity

LEVELS = AlertLevels()


@pytest.mark.parametrize("kind", [ConflictKind.TACTICAL, ConflictKind.INTRUSION])
@pytest.mark.parametrize(
    ("t_in_s", "expected"),
    [
        (-30.0, Severity.WARNING),  # separation already lost
        (0.0, Severity.WARNING),
        (59.0, Severity.WARNING),
        (60.0, Severity.WARNING),
        (61.0, Severity.CAUTION),
        (179.0, Severity.CAUTION),
        (180.0, Severity.CAUTION),
        (181.0, Severity.ADVISORY),
        (299.0, Severity.ADVISORY),
    ],
)
def test_on_tracks_by_time_to_loss_of_separation(
    kind: ConflictKind, t_in_s: float, expected: Severity
) -> None:
    assert LEVELS.on_tracks(kind, t_in_s) is expected


def test_a_deviation_is_a_caution_and_a_warning_for_a_protected_movement() -> None:
    assert LEVELS.on_tracks(ConflictKind.DEVIATION, 0.0) is Severity.CAUTION
    assert LEVELS.on_tracks(ConflictKind.DEVIATION, 0.0, protected=True) is Severity.WARNING


def test_a_notice_breaching_an_agreement_is_a_caution() -> None:
    assert LEVELS.on_tracks(ConflictKind.STRATEGIC, 7200.0) is Severity.CAUTION


@pytest.mark.parametrize(
    ("protected", "starts_in_s", "expected"),
    [
        (False, 3601.0, Severity.ADVISORY),
        (False, 3600.0, Severity.CAUTION),
        (False, -10.0, Severity.CAUTION),  # under way
        (True, 86400.0, Severity.CAUTION),
    ],
)
def test_strategic(protected: bool, starts_in_s: float, expected: Severity) -> None:
    assert LEVELS.strategic(protected, starts_in_s) is expected


def test_the_line_sets_its_own_thresholds() -> None:
    mine = AlertLevels(warning_s=30.0, caution_s=90.0)
    assert mine.on_tracks(ConflictKind.TACTICAL, 45.0) is Severity.CAUTION
    assert mine.on_tracks(ConflictKind.TACTICAL, 100.0) is Severity.ADVISORY


@pytest.mark.parametrize(("warning", "caution"), [(200.0, 180.0), (-1.0, 180.0)])
def test_thresholds_out_of_order_are_refused(warning: float, caution: float) -> None:
    with pytest.raises(ValueError, match="warning threshold"):
        AlertLevels(warning_s=warning, caution_s=caution)


def test_severities_sort_the_urgent_first() -> None:
    assert sorted(Severity, key=lambda s: s.rank) == [
        Severity.WARNING,
        Severity.CAUTION,
        Severity.ADVISORY,
    ]
    assert Severity.WARNING.above(Severity.CAUTION)
    assert not Severity.ADVISORY.above(Severity.CAUTION)
