"""Deviation: a track that follows its party's own movement notice, checked against its legs.

Off the corridor, off the schedule (or the band), stopped too long, near another party's active
volume. Every test errs toward reporting: a deviation is a false alarm at worst, never a miss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import numpy as np

from deconfliction.detect.strategic import Candidate
from deconfliction.domain import Footprint, FootprintKind, Track
from deconfliction.geo import prepare, within

__all__ = ["Conformance", "Deviation", "DeviationReason", "deviations", "stopped_since"]


class DeviationReason(StrEnum):
    OFF_CORRIDOR = "off-corridor"
    OFF_SCHEDULE = "off-schedule"
    STOPPED = "stopped"
    NEAR_VOLUME = "near-volume"


@dataclass(frozen=True)
class Conformance:
    """How far a movement may stray before it counts as a deviation.

    ``corridor_tolerance_m``: beyond the footprint (which already holds the corridor's
    half-width); ``schedule_tolerance_s``: before a leg's window opens or after it closes;
    ``stop_speed_mps``: below this ground speed the asset counts as stopped, and
    ``stopped_after_s`` later as stopped too long; ``near_volume_m``: from another party's active
    volume.
    """

    corridor_tolerance_m: float = 250.0
    schedule_tolerance_s: float = 900.0
    stop_speed_mps: float = 0.5
    stopped_after_s: float = 1800.0
    near_volume_m: float = 2000.0


@dataclass(frozen=True)
class Deviation:
    """One way a movement deviates.

    ``volume`` indexes the movement volumes (``off-schedule``) or the other parties' candidates
    (``near-volume``), else ``None``; ``distance_m`` is the distance to the nearest movement
    footprint (``off-corridor``) or to that volume (``near-volume``), else ``None``; ``detail``
    says it in one plain sentence, numbering legs from 1.
    """

    reason: DeviationReason
    volume: int | None
    distance_m: float | None
    detail: str


def stopped_since(
    previous: Track | None, report_time: datetime, gs_mps: float, settings: Conformance
) -> datetime | None:
    """What ``Track.stopped_since`` becomes after a report: unchanged while the asset stays
    stopped, ``report_time`` when it has just stopped, ``None`` while it moves.

    >>> from datetime import UTC
    >>> t = datetime(2025, 6, 1, 6, 0, tzinfo=UTC)
    >>> stopped_since(None, t, 0.2, Conformance()) == t, stopped_since(None, t, 3.0, Conformance())
    (True, None)
    """
    if gs_mps >= settings.stop_speed_mps:
        return None
    if previous is not None and previous.stopped_since is not None:
        return min(previous.stopped_since, report_time)  # a late report never resets the clock
    return report_time


def deviations(
    track: Track,
    movement: Sequence[Candidate],
    others: Sequence[Candidate],
    now: datetime,
    settings: Conformance = Conformance(),
) -> list[Deviation]:
    """How ``track`` deviates from its movement notice, judged at its latest report.

    Position, altitude and schedule are those of the report (``track.time``); ``stopped`` is judged
    at ``now``. At most one of ``off-corridor`` (farther than the tolerance from every movement
    footprint) and ``off-schedule`` (near some footprint, but not in any of their windows give or
    take the schedule tolerance, or outside their altitude bands); then ``stopped``; then one
    ``near-volume`` per volume of ``others`` active at the report and within ``near_volume_m``
    (volumes of the track's own party among ``others`` are skipped). With no movement volume at
    all, the track is off its corridor. A surface track reported without its height is in every
    altitude band.

    Errs toward reporting: within the Safety rule's max(10 m, 0.5 %) under the corridor tolerance
    a position may be called off the corridor (so a tolerance under 10 m is honoured only to
    within 10 m); near-volume may be called within that much over its distance.

    Examples
    --------
    >>> from datetime import UTC, timedelta
    >>> from deconfliction.domain import ALL, AltitudeBand, Audience, TimeWindow, TrackDomain
    >>> t0 = datetime(2025, 6, 1, 6, 0, tzinfo=UTC)
    >>> road = prepare(Footprint(FootprintKind.CORRIDOR, (((10.0, 50.0), (10.2, 50.0)),), 500.0))
    >>> leg = Candidate("m#0", "p", TimeWindow(t0, t0 + timedelta(hours=1)), AltitudeBand(),
    ...                 road, None)
    >>> def at(lat, minutes):
    ...     return Track("p", "c1", TrackDomain.GROUND, lat, 10.1, 300.0, 8.0, 90.0, 0.0,
    ...                  t0 + timedelta(minutes=minutes), 120.0, Audience.of(ALL))
    >>> deviations(at(50.0, 30), [leg], [], t0)
    []
    >>> [d.detail for d in deviations(at(50.01, 30), [leg], [], t0)]
    ['607 m outside its corridor (tolerance 250 m)']
    >>> [d.detail for d in deviations(at(50.0, 78), [leg], [], t0)]
    ['late for leg 1, whose window closed at 07:00Z']
    """
    point = prepare(Footprint(FootprintKind.CIRCLE, (((track.lon, track.lat),),), 0.0))
    when = track.time
    active = [
        j
        for j, c in enumerate(others)
        if c.party != track.party and c.time.start <= when <= c.time.end
    ]
    tol = settings.corridor_tolerance_m
    # "within" may call a region near when it lies up to 0.8 * max(10 m, 0.5 %) beyond h: test
    # the corridor against h shrunk by that allowance, so that "near" means surely within the
    # tolerance and every doubt is reported off the corridor
    h_corridor = max(0.0, tol - max(10.0, 0.005 * tol))
    h = np.array(
        [h_corridor] * len(movement) + [settings.near_volume_m] * len(active), dtype=np.float64
    )
    shapes = [c.shape for c in movement] + [others[j].shape for j in active]
    hit, dist = within(point, shapes, h) if shapes else (np.zeros(0, bool), np.zeros(0))
    n = len(movement)

    found: list[Deviation] = []
    near = [i for i in range(n) if hit[i]]
    if n == 0:
        detail = "its movement notice has no volume to follow"
        found.append(Deviation(DeviationReason.OFF_CORRIDOR, None, None, detail))
    elif not near:
        d = float(np.min(dist[:n]))
        detail = f"{d:,.0f} m outside its corridor (tolerance {tol:,.0f} m)"
        found.append(Deviation(DeviationReason.OFF_CORRIDOR, None, d, detail))
    else:
        schedule = _off_schedule(track, movement, near, settings)
        if schedule is not None:
            found.append(schedule)
    since = track.stopped_since
    if since is not None and (now - since).total_seconds() >= settings.stopped_after_s:
        detail = f"stopped since {_hhmm(since)}"
        found.append(Deviation(DeviationReason.STOPPED, None, None, detail))
    for k, j in enumerate(active):
        if hit[n + k]:
            d = float(dist[n + k])
            c = others[j]
            where = "inside" if d <= 0.0 else f"{_km(d)} from"
            detail = f"{where} volume {c.key} of {c.party}"
            found.append(Deviation(DeviationReason.NEAR_VOLUME, j, d, detail))
    return found


def _off_schedule(
    track: Track, movement: Sequence[Candidate], near: list[int], settings: Conformance
) -> Deviation | None:
    """None when some leg near the position has the report in its window (give or take the
    tolerance) and its altitude in the band; else the leg it misses least, and how."""
    tol = settings.schedule_tolerance_s
    misses: list[tuple[float, float, int, float, float]] = []
    for i in near:
        c = movement[i]
        early = (c.time.start - track.time).total_seconds()
        late = (track.time - c.time.end).total_seconds()
        off_time = max(0.0, early - tol, late - tol)
        off_alt = 0.0  # a surface track without its height is in every band
        if track.alt_m is not None:
            off_alt = max(0.0, c.altitude.lower - track.alt_m, track.alt_m - c.altitude.upper)
        if off_time == 0.0 and off_alt == 0.0:
            return None
        misses.append((off_time, off_alt, i, early, late))
    off_time, _, i, early, late = min(misses)
    c = movement[i]
    if off_time > 0.0 and late > 0.0:
        detail = f"late for leg {i + 1}, whose window closed at {_hhmm(c.time.end)}"
    elif off_time > 0.0:
        detail = f"early for leg {i + 1}, whose window opens at {_hhmm(c.time.start)}"
    else:
        band = f"{_alt(c.altitude.lower_m)} to {_alt(c.altitude.upper_m)}"
        height = _alt(track.alt_m)
        detail = f"at {height}, outside the altitude band of leg {i + 1} ({band})"
    return Deviation(DeviationReason.OFF_SCHEDULE, i, None, detail)


def _hhmm(t: datetime) -> str:
    """An instant as the detail of a deviation gives it: fixed, so that a deviation that goes on
    reads the same at every scan (``Retell``)."""
    return t.astimezone(UTC).strftime("%H:%MZ")


def _km(d: float) -> str:
    return f"{d / 1000.0:,.1f} km" if d >= 1000.0 else f"{d:,.0f} m"


def _alt(m: float | None) -> str:
    return "unbounded" if m is None else f"{m:,.0f} m"
