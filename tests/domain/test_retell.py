"""When a continuing encounter is told again: only on a change a reader would act on."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from deconfliction.domain import Audience, ConflictKind, ConflictStatus, Retell, Severity
from tests.wire.samples import TACTICAL

RETELL = Retell()
S = timedelta(seconds=1)


def test_the_same_finding_again_is_not_material() -> None:
    assert not TACTICAL.differs_materially(TACTICAL, RETELL)


def test_detail_text_and_scan_time_are_not_material() -> None:
    later = replace(TACTICAL, detail="closest approach 1,201 m", updated_at=TACTICAL.updated_at + S)
    assert not later.differs_materially(TACTICAL, RETELL)


@pytest.mark.parametrize("field", ["t_in", "t_out", "cpa"])
@pytest.mark.parametrize(
    ("moved_s", "material"), [(9.9, False), (-9.9, False), (10.0, True), (-10.0, True)]
)
def test_an_instant_is_material_from_ten_seconds(
    field: str, moved_s: float, material: bool
) -> None:
    moved = replace(TACTICAL, **{field: getattr(TACTICAL, field) + moved_s * S})
    assert moved.differs_materially(TACTICAL, RETELL) is material


def test_an_instant_newly_known_or_no_longer_known_is_material() -> None:
    assert replace(TACTICAL, t_out=None).differs_materially(TACTICAL, RETELL)
    assert TACTICAL.differs_materially(replace(TACTICAL, t_out=None), RETELL)


@pytest.mark.parametrize(
    ("told_m", "now_m", "material"),
    [
        (1200.0, 1299.0, False),  # 8 %, 99 m
        (1200.0, 1320.0, True),  # 10 %, 120 m
        (500.0, 580.0, False),  # 16 % but under 100 m
        (500.0, 600.0, True),  # 20 %, 100 m
        (5000.0, 5400.0, False),  # 400 m but 8 %
        (5000.0, 4500.0, True),  # 10 % nearer
        (95.0, 0.0, True),  # two convoys under a 100 m minimum, closing: half the distance
        (95.0, 60.0, False),  # 35 m: less than half of 95
        (0.0, 60.0, True),
        (0.0, 9.0, False),  # under 10 m: noise
    ],
)
def test_distance_is_material_by_ten_percent_and_a_hundred_metres(
    told_m: float, now_m: float, material: bool
) -> None:
    told = replace(TACTICAL, distance_m=told_m)
    assert replace(TACTICAL, distance_m=now_m).differs_materially(told, RETELL) is material


@pytest.mark.parametrize(
    "change",
    [
        {"status": ConflictStatus.RESOLVED},
        {"severity": Severity.CAUTION},
        {"track_b": "r-8"},
        {"visible_b": Audience.of(["un-ocha"])},
        {"distance_m": None},
    ],
    ids=["status", "severity", "side", "who-may-see", "distance-unknown"],
)
def test_status_severity_and_sides_are_material(change: dict[str, object]) -> None:
    assert replace(TACTICAL, **change).differs_materially(TACTICAL, RETELL)  # type: ignore[arg-type]


def test_the_thresholds_are_the_lines() -> None:
    moved = replace(TACTICAL, t_in=TACTICAL.t_in + 5 * S)
    assert moved.differs_materially(TACTICAL, Retell(time_s=5.0))


def test_a_track_closing_on_a_volume_as_predicted_is_told_once_more_only_when_inside() -> None:
    told = replace(TACTICAL, kind=ConflictKind.INTRUSION, distance_m=1027.4)
    closer = replace(told, distance_m=807.4, t_in=told.t_in + 0.1 * S)  # one scan on, 220 m/s
    assert not closer.differs_materially(told, RETELL)
    inside = replace(told, distance_m=0.0)
    assert inside.differs_materially(closer, RETELL)
    # but an entry that moved by ten seconds, or a tactical miss distance, still is news
    assert replace(told, t_in=told.t_in + 10 * S).differs_materially(told, RETELL)
    assert replace(TACTICAL, distance_m=807.4).differs_materially(
        replace(TACTICAL, distance_m=1027.4), RETELL
    )
