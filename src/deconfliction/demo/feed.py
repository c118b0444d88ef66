"""Scripted assets for the demo: each flies or drives its route and reports through the use case.

A route is a list of ``[lon, lat]`` points followed along geodesics at a constant speed; the
asset starts ``start`` (a fraction) of the way along and starts over from there at the end, so
the demo line always has live tracks, encounters that open and resolve, and a convoy to watch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from pyproj import Geod

from deconfliction import service
from deconfliction.bus import Periodic
from deconfliction.domain import Member
from deconfliction.service import Line

__all__ = ["Asset", "Feed", "assets_from"]

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Asset:
    """One scripted asset; ``report_at`` says where it is at any instant."""

    party: str
    uid: str
    domain: str
    route: tuple[tuple[float, float], ...]
    speed_mps: float
    alt_m: float
    start: float
    epoch: datetime
    fields: Mapping[str, Any]

    def _legs(self) -> tuple[np.ndarray, np.ndarray]:
        lon = [p[0] for p in self.route]
        lat = [p[1] for p in self.route]
        az, _, dist = _GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
        return np.asarray(az, dtype=np.float64), np.asarray(dist, dtype=np.float64)

    def report_at(self, when: datetime) -> dict[str, Any]:
        az, dist = self._legs()
        total = float(dist.sum())
        offset = self.start * total
        run = (when - self.epoch).total_seconds() * self.speed_mps
        s = offset + run % (total - offset) if total > offset else 0.0
        leg = min(int(np.searchsorted(np.cumsum(dist), s, side="right")), len(dist) - 1)
        into = s - float(dist[:leg].sum())
        lon0, lat0 = self.route[leg]
        lon, lat, back = _GEOD.fwd(lon0, lat0, float(az[leg]), into)
        return {
            "uid": self.uid,
            "domain": self.domain,
            "lat": round(float(lat), 6),
            "lon": round(float(lon), 6),
            "alt_m": self.alt_m,
            "gs_mps": self.speed_mps,
            "trk_deg": round((float(back) + 180.0) % 360.0, 1),
            "vs_mps": 0.0,
            "time": when.isoformat(),
            **self.fields,
        }


def assets_from(
    scenario: Sequence[Mapping[str, Any]], movements: Sequence[str], epoch: datetime
) -> list[Asset]:
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
                epoch=epoch,
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
    ) -> None:
        super().__init__(interval_s, self.report_once, "demo-feed")
        self.line = line
        self.assets = list(assets)
        self.members = members

    def report_once(self) -> int:
        """Report every asset's state now; the number of reports the line accepted."""
        now = self.line.clock()
        accepted = 0
        for party, member in self.members.items():
            batch = [a.report_at(now) for a in self.assets if a.party == party]
            if batch:
                accepted += service.report_tracks(self.line, member, batch).accepted
        return accepted
