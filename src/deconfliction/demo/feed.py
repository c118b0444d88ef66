"""Scripted assets for the demo: each flies or drives its route and reports through the use case.

A route is a list of ``[lon, lat]`` points followed along geodesics at a constant speed; the
asset starts ``start`` (a fraction) of the way along and, at the end, starts over from
``loop_from`` (by default the same place), so the demo line always has live tracks. Positions
are computed in scenario time (``Pace``): at ``--speed 4`` an asset covers four times the ground
per second of the line's clock and reports four times its speed, so the line's predictions from
a report match where the asset is drawn next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from pyproj import Geod

from deconfliction import service
from deconfliction.bus import Periodic
from deconfliction.domain import Member
from deconfliction.service import Line

__all__ = ["Asset", "Feed", "Pace", "assets_from"]

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Pace:
    """Scenario time against the line's clock: the scenario starts at ``start`` and runs
    ``speed`` times as fast. Scenario seconds are what the scenario's offsets count."""

    start: datetime
    speed: float = 1.0

    def elapsed_s(self, now: datetime) -> float:
        """Scenario seconds since the start at the line's instant ``now``."""
        return (now - self.start).total_seconds() * self.speed

    def instant(self, elapsed_s: float) -> datetime:
        """The line's instant at which ``elapsed_s`` scenario seconds have passed."""
        return self.start + timedelta(seconds=elapsed_s / self.speed)


@dataclass(frozen=True)
class Asset:
    """One scripted asset on its current route, taken ``since_s`` scenario seconds after the
    start; ``report_at`` says where it is at any instant. ``speed_mps`` 0: it stays put."""

    party: str
    uid: str
    domain: str
    route: tuple[tuple[float, float], ...]
    speed_mps: float
    alt_m: float
    start: float
    fields: Mapping[str, Any]
    since_s: float = 0.0
    loop_from: float | None = None
    """Fraction of the route from which the asset starts over at its end (default ``start``)."""

    def _legs(self) -> tuple[np.ndarray, np.ndarray]:
        lon = [p[0] for p in self.route]
        lat = [p[1] for p in self.route]
        az, _, dist = _GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
        return np.asarray(az, dtype=np.float64), np.asarray(dist, dtype=np.float64)

    def position(self, elapsed_s: float) -> tuple[float, float, float]:
        """``(lon, lat, track_deg)`` after ``elapsed_s`` scenario seconds."""
        if len(self.route) < 2:
            lon, lat = self.route[0]
            return lon, lat, 0.0
        az, dist = self._legs()
        total = float(dist.sum())
        s = self.start * total + max(0.0, elapsed_s - self.since_s) * self.speed_mps
        if s > total:
            loop = (self.start if self.loop_from is None else self.loop_from) * total
            s = loop + (s - total) % (total - loop) if total > loop else total
        leg = min(int(np.searchsorted(np.cumsum(dist), s, side="right")), len(dist) - 1)
        into = s - float(dist[:leg].sum())
        lon0, lat0 = self.route[leg]
        lon, lat, back = _GEOD.fwd(lon0, lat0, float(az[leg]), into)
        return float(lon), float(lat), (float(back) + 180.0) % 360.0

    def report_at(self, when: datetime, pace: Pace | None = None) -> dict[str, Any]:
        """The report of the asset at the line's instant ``when`` (API track format)."""
        pace = pace or Pace(when)
        lon, lat, trk = self.position(pace.elapsed_s(when))
        return {
            "uid": self.uid,
            "domain": self.domain,
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "alt_m": self.alt_m,
            "gs_mps": self.speed_mps * pace.speed,
            "trk_deg": round(trk, 1),
            "vs_mps": 0.0,
            "time": when.isoformat(),
            **self.fields,
        }

    def rerouted(self, route: Sequence[tuple[float, float]], elapsed_s: float) -> Asset:
        """This asset flying, from where it is after ``elapsed_s``, to the start of ``route``,
        then along it, starting over from that start at its end."""
        lon, lat, _ = self.position(elapsed_s)
        points = ((lon, lat), *((float(x), float(y)) for x, y in route))
        _, _, dist = _GEOD.inv(
            [p[0] for p in points[:-1]],
            [p[1] for p in points[:-1]],
            [p[0] for p in points[1:]],
            [p[1] for p in points[1:]],
        )
        d = np.asarray(dist, dtype=np.float64)
        return replace(
            self, route=points, start=0.0, since_s=elapsed_s, loop_from=float(d[0] / d.sum())
        )

    def stopped(self, elapsed_s: float) -> Asset:
        """This asset stopped where it is after ``elapsed_s``, and staying there."""
        lon, lat, _ = self.position(elapsed_s)
        return replace(self, route=((lon, lat),), speed_mps=0.0, start=0.0, since_s=elapsed_s)


def assets_from(scenario: Sequence[Mapping[str, Any]], movements: Sequence[str]) -> list[Asset]:
    """The scenario's ``tracks``; a ``movement`` given as an index names the n-th notice id."""
    out = []
    for t in scenario:
        fields = {k: t[k] for k in ("callsign", "audience") if k in t}
        if "movement" in t:
            fields["movement"] = movements[t["movement"]]
        out.append(
            Asset(
                party=t["party"],
                uid=t["uid"],
                domain=t["domain"],
                route=tuple((float(x), float(y)) for x, y in t["route"]),
                speed_mps=float(t["speed_mps"]),
                alt_m=float(t["alt_m"]),
                start=float(t.get("start", 0.0)),
                fields=fields,
            )
        )
    return out


class Feed(Periodic):
    """Reports every asset every ``interval_s`` seconds in a daemon thread until stopped."""

    def __init__(
        self,
        line: Line,
        assets: Sequence[Asset],
        members: Mapping[str, Member],
        interval_s: float = 2.0,
        pace: Pace | None = None,
    ) -> None:
        super().__init__(interval_s, self.report_once, "demo-feed")
        self.line = line
        self.assets = {a.uid: a for a in assets}
        self.members = members
        self.pace = pace or Pace(line.clock())

    def report_once(self) -> int:
        """Report every asset's state now; the number of reports the line accepted."""
        return self.report_at(self.line.clock())

    def report_at(self, now: datetime) -> int:
        """Report every asset's state at ``now``; the number of reports the line accepted."""
        accepted = 0
        for party, member in self.members.items():
            batch = [a.report_at(now, self.pace) for a in self.assets.values() if a.party == party]
            if batch:
                accepted += service.report_tracks(self.line, member, batch).accepted
        return accepted
