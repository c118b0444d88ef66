"""A track as the line's JSON: what ``GET /v1/tracks`` answers."""

from __future__ import annotations

from typing import Any

from deconfliction.domain import Track
from deconfliction.wire.time import utc_z

__all__ = ["track_json"]


def track_json(t: Track) -> dict[str, Any]:
    out: dict[str, Any] = {
        "party": t.party,
        "uid": t.uid,
        "domain": t.domain.value,
        "lat": t.lat,
        "lon": t.lon,
        "gs_mps": t.gs_mps,
        "trk_deg": t.trk_deg,
        "vs_mps": t.vs_mps,
        "time": utc_z(t.time),
        "stale_s": t.stale_s,
        "audience": t.audience.to_json(),
    }
    if t.alt_m is not None:  # a surface track may have been reported without its height
        out["alt_m"] = t.alt_m
    if t.callsign is not None:
        out["callsign"] = t.callsign
    if t.movement is not None:
        out["movement"] = t.movement
    if t.alt_unc_m:
        out["alt_unc_m"] = t.alt_unc_m
    if t.stopped_since is not None:
        out["stopped_since"] = utc_z(t.stopped_since)
    return out
