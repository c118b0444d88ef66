"""SBS-1 BaseStation text (dump1090 and readsb, TCP port 30003) read into track reports: each
``MSG`` line tells part of one aircraft's state, merged per ICAO address until a fresh position
can be reported with the altitude and velocity heard with it.

Written by hand: the format is 22 comma-separated fields, and the one PyPI reader (py1090, last
released 2024, no checks on values) would leave the merging, the freshness and every bound on
absurd values to this module anyway. Times in a line are the receiver's local time without a
zone, so a report's time is when the line arrived (the caller's clock).

>>> t = SbsTracker()
>>> from datetime import UTC, datetime
>>> now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
>>> t.feed("MSG,1,1,1,4CA2D6,1,,,,,RYR4PL  ,,,,,,,,,,,0", now) is None
True
>>> t.feed("MSG,4,1,1,4CA2D6,1,,,,,,,420,88.5,,,-640,,,,,0", now) is None
True
>>> r = t.feed("MSG,3,1,1,4CA2D6,1,,,,,,35000,,,53.35,-6.26,,,0,0,0,0", now)
>>> r["uid"], r["callsign"], round(r["gs_mps"], 1), r["trk_deg"], round(r["vs_mps"], 2)
('icao:4CA2D6', 'RYR4PL', 216.1, 88.5, -3.25)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from deconfliction.wire.altitude import FT, barometric
from deconfliction.wire.time import utc_z

__all__ = ["FPM", "FRESH_S", "KT", "SbsTracker", "check_motion"]

KT = 1852.0 / 3600.0
"""Metres per second in a knot."""
FPM = FT / 60.0
"""Metres per second in a foot per minute."""
FRESH_S = 10.0
"""How old an altitude or velocity may be to go with a new position, seconds."""
WAIT_VELOCITY_S = 2.0
"""How long a newly heard aircraft's position waits for its velocity before it is reported
without one (dump1090 hears both twice a second)."""
_FORGET = timedelta(minutes=5)
"""An aircraft not heard for this long is forgotten."""
_MAX_AIRCRAFT = 20_000
_HEX = re.compile(r"~?[0-9A-Fa-f]{6}")
_CALLSIGN = re.compile(r"[A-Za-z0-9 @._-]{1,8}")


def check_motion(gs_mps: float, trk_deg: float, vs_mps: float) -> None:
    """``ValueError`` for a velocity nothing flies at (the line's own bounds)."""
    if not (math.isfinite(gs_mps) and 0.0 <= gs_mps <= 2000.0):
        raise ValueError(f"ground speed {gs_mps / KT:g} kt is absurd")
    if not (math.isfinite(trk_deg) and 0.0 <= trk_deg <= 360.0):
        raise ValueError(f"track {trk_deg:g} is not 0-360 degrees")
    if not (math.isfinite(vs_mps) and abs(vs_mps) <= 300.0):
        raise ValueError(f"vertical rate {vs_mps / FPM:g} ft/min is absurd")


def _number(field: str, name: str) -> float | None:
    if not field.strip():
        return None
    try:
        value = float(field)
    except ValueError:
        raise ValueError(f"{name} {field[:20]!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} is not finite")
    return value


@dataclass
class _Aircraft:
    """What was last heard of one aircraft, and when."""

    heard: datetime
    first: datetime
    callsign: str | None = None
    alt_ft: float | None = None
    alt_at: datetime | None = None
    on_ground: bool = False
    velocity: tuple[float, float, float] | None = None
    """Ground speed m/s, track degrees, vertical rate m/s."""
    velocity_at: datetime | None = None
    position: tuple[float, float] | None = None
    position_at: datetime | None = None
    reported_at: datetime | None = None


def _fresh(at: datetime | None, now: datetime) -> bool:
    return at is not None and (now - at).total_seconds() <= FRESH_S


class SbsTracker:
    """Merges SBS lines per aircraft; :meth:`feed` returns a report when a line completes a
    fresh one. Raises ``ValueError`` (saying why) for a line that is not SBS or holds absurd
    values; the state is then as before the line."""

    def __init__(self) -> None:
        self._aircraft: dict[str, _Aircraft] = {}

    def __len__(self) -> int:
        return len(self._aircraft)

    def feed(self, line: str, now: datetime) -> dict[str, Any] | None:
        f = line.strip().split(",")
        if len(f) < 11 or f[0] != "MSG" or f[1] not in "12345678" or len(f[1]) != 1:
            raise ValueError("not an SBS MSG line")
        f += [""] * (22 - len(f))
        kind, hex_ = int(f[1]), f[4].strip()
        if not _HEX.fullmatch(hex_):
            raise ValueError(f"ICAO address {hex_[:10]!r} is not six hex digits")
        alt, gs, trk, lat, lon, vr = (_number(f[i], n) for i, n in (
            (11, "altitude"), (12, "ground speed"), (13, "track"), (14, "latitude"),
            (15, "longitude"), (16, "vertical rate")))  # fmt: skip
        callsign = f[10].strip()
        if callsign and not _CALLSIGN.fullmatch(callsign):
            raise ValueError(f"callsign {callsign[:12]!r} is not 1-8 letters or digits")
        if alt is not None and not -2000 <= alt <= 100_000:
            raise ValueError(f"altitude {alt:g} ft is absurd")
        position = None
        if lat is not None or lon is not None:
            if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError("latitude and longitude must both be given, within ±90 and ±180")
            position = (lat, lon)
        velocity = None
        if kind in (2, 4) and gs is not None and trk is not None:
            velocity = (gs * KT, trk % 360.0, (vr or 0.0) * FPM)
            check_motion(*velocity)
        return self._merge(hex_.upper(), kind, f[21], callsign, alt, position, velocity, now)

    def _merge(
        self,
        hex_: str,
        kind: int,
        ground: str,
        callsign: str,
        alt: float | None,
        position: tuple[float, float] | None,
        velocity: tuple[float, float, float] | None,
        now: datetime,
    ) -> dict[str, Any] | None:
        a = self._aircraft.get(hex_)
        if a is None:
            if len(self._aircraft) >= _MAX_AIRCRAFT:
                self.forget(now)
                if len(self._aircraft) >= _MAX_AIRCRAFT:
                    raise ValueError("too many aircraft at once")
            a = self._aircraft[hex_] = _Aircraft(heard=now, first=now)
        a.heard = now
        if callsign:
            a.callsign = callsign
        if alt is not None and kind != 2:  # MSG,2 (surface) altitudes are not barometric
            a.alt_ft, a.alt_at = alt, now
        flag = ground.strip()  # dump1090 and readsb write -1 for on the ground
        if kind in (2, 3):  # a surface or an airborne position says which it is
            a.on_ground = kind == 2
        elif flag in ("-1", "1", "0"):
            a.on_ground = flag != "0"
        if velocity is not None:
            a.velocity, a.velocity_at = velocity, now
        if position is not None:
            a.position, a.position_at = position, now
        return self._report(hex_, a, now)

    def _report(self, hex_: str, a: _Aircraft, now: datetime) -> dict[str, Any] | None:
        """The report of a position not yet reported, heard within ``FRESH_S`` with a velocity
        (and, airborne, an altitude) as fresh; else ``None``."""
        if a.position is None or a.position_at is None or a.position_at == a.reported_at:
            return None
        if not _fresh(a.position_at, now):
            return None
        if not a.on_ground and not _fresh(a.alt_at, now):
            return None
        moving = a.velocity is not None and _fresh(a.velocity_at, now)
        if not moving and not a.on_ground and (now - a.first).total_seconds() < WAIT_VELOCITY_S:
            return None  # its velocity comes with the next messages
        # an aircraft whose velocity is not heard is still reported (erring toward reporting),
        # as still: its position, refreshed each time, is what the line can act on
        gs, trk, vs = a.velocity if moving and a.velocity else (0.0, 0.0, 0.0)
        report: dict[str, Any] = {
            "uid": f"icao:{hex_}", "lat": a.position[0], "lon": a.position[1],
            "gs_mps": gs, "trk_deg": trk, "time": utc_z(a.position_at),
        }  # fmt: skip
        if a.on_ground:
            report.update(domain="ground", vs_mps=0.0)
        else:
            assert a.alt_ft is not None
            alt_m, unc_m = barometric(a.alt_ft)
            report.update(domain="air", alt_m=alt_m, alt_unc_m=unc_m, vs_mps=vs)
        if a.callsign:
            report["callsign"] = a.callsign
        a.reported_at = a.position_at
        return report

    def forget(self, now: datetime) -> int:
        """Forget aircraft not heard for five minutes; how many were forgotten."""
        old = [k for k, a in self._aircraft.items() if now - a.heard > _FORGET]
        for k in old:
            del self._aircraft[k]
        return len(old)
