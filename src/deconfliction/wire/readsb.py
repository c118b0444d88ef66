"""readsb/tar1090 ``aircraft.json`` read into track reports: one report per aircraft with a
position heard within ``FRESH_S``, at the time it was heard (the poll's time less ``seen_pos``:
the receiver's own clock is not trusted, only the ages it gives).

Geometric altitude (``alt_geom``, feet above the WGS84 ellipsoid in readsb) is used where given,
barometric (``alt_baro``) otherwise through ``wire.altitude``; ``"ground"`` makes a ground track.

>>> from datetime import UTC, datetime
>>> doc = {"now": 0, "aircraft": [{"hex": "4ca2d6", "flight": "RYR4PL ", "lat": 53.35,
...     "lon": -6.26, "alt_baro": 35000, "alt_geom": 35500, "gs": 420, "track": 88.5,
...     "geom_rate": -640, "seen_pos": 0.4}]}
>>> reports, bad = aircraft_reports(doc, datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
>>> r = reports[0]
>>> r["uid"], r["alt_m"], r["alt_unc_m"], r["time"], bad
('icao:4CA2D6', 10820.4, 15.0, '2026-12-08T08:59:59.600000Z', [])
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

from deconfliction.wire.altitude import barometric, geometric
from deconfliction.wire.sbs import FPM, KT, check_motion
from deconfliction.wire.time import utc_z

__all__ = ["FRESH_S", "aircraft_reports"]

FRESH_S = 10.0
"""How old a position may be (``seen_pos``) to be reported, seconds."""
MAX_AIRCRAFT = 20_000
_HEX = re.compile(r"~?[0-9A-Fa-f]{6}")
_CALLSIGN = re.compile(r"[A-Za-z0-9 @._-]{1,8}")


def _num(a: dict[str, Any], key: str) -> float | None:
    v = a.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ValueError(f"{key} is not a number")
    return float(v)


def _report(a: object, now: datetime) -> dict[str, Any] | None:
    """One aircraft's report, ``None`` when it has no fresh position and velocity, or
    ``ValueError`` saying what is absurd."""
    if not isinstance(a, dict):
        raise ValueError("an aircraft is not an object")
    hex_ = a.get("hex")
    if not isinstance(hex_, str) or not _HEX.fullmatch(hex_):
        raise ValueError(f"hex {str(hex_)[:10]!r} is not six hex digits")
    lat, lon, seen = _num(a, "lat"), _num(a, "lon"), _num(a, "seen_pos")
    if lat is None or lon is None or seen is None or not 0 <= seen <= FRESH_S:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("lat and lon must lie within ±90 and ±180")
    gs, trk = _num(a, "gs"), _num(a, "track")
    if gs is None or (trk is None and gs > 1.0):
        return None  # no velocity yet: its next poll will have one
    baro = a.get("alt_baro")
    geom = _num(a, "alt_geom")
    rate = _num(a, "geom_rate") if geom is not None else None
    rate = _num(a, "baro_rate") if rate is None else rate
    report: dict[str, Any] = {
        "uid": f"icao:{hex_.upper()}", "lat": lat, "lon": lon, "gs_mps": gs * KT,
        "trk_deg": (trk or 0.0) % 360.0,
        "time": utc_z(now - timedelta(seconds=seen)),
    }  # fmt: skip
    if baro == "ground":
        report.update(domain="ground", vs_mps=0.0)
    else:
        if geom is not None:
            alt_m, unc_m = geometric(geom)
        elif isinstance(baro, int | float) and not isinstance(baro, bool):
            alt_m, unc_m = barometric(float(baro))
        else:
            return None  # no altitude yet
        if not -600 <= alt_m <= 30_000:
            raise ValueError(f"altitude {alt_m / 0.3048:.0f} ft is absurd")
        report.update(domain="air", alt_m=alt_m, alt_unc_m=unc_m, vs_mps=(rate or 0.0) * FPM)
    check_motion(report["gs_mps"], report["trk_deg"], report["vs_mps"])
    flight = a.get("flight")
    if isinstance(flight, str) and _CALLSIGN.fullmatch(flight.strip() or "?"):
        report["callsign"] = flight.strip()
    return report


def aircraft_reports(doc: object, now: datetime) -> tuple[list[dict[str, Any]], list[str]]:
    """The reports of one ``aircraft.json`` polled at ``now``, and why each bad aircraft was
    skipped; ``ValueError`` when the document is not an aircraft.json at all."""
    if not isinstance(doc, dict) or not isinstance(doc.get("aircraft"), list):
        raise ValueError("not an aircraft.json: no list of aircraft")
    aircraft = doc["aircraft"]
    if len(aircraft) > MAX_AIRCRAFT:
        raise ValueError(f"{len(aircraft)} aircraft: more than {MAX_AIRCRAFT}")
    reports, bad = [], []
    for a in aircraft:
        try:
            r = _report(a, now)
        except ValueError as e:
            bad.append(str(e))
            continue
        if r is not None:
            reports.append(r)
    return reports, bad
