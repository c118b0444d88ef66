"""The line's JSON forms of notices, conflicts and tracks: what the API answers and events carry.

One place, so that a notice in an answer, in a pushed event and (later) in the record is the
same document, byte for byte once canonicalized.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deconfliction.domain import FootprintKind, Notice, Track, Volume
from deconfliction.service.conflicts import ConflictView, Side

__all__ = ["conflict_json", "notice_json", "opt_utc_z", "track_json", "utc_z"]


def utc_z(t: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, the one time format the line speaks."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def opt_utc_z(t: datetime | None) -> str | None:
    """:func:`utc_z`, or ``None`` for an instant not (yet) known."""
    return None if t is None else utc_z(t)


def _volume_json(v: Volume) -> dict[str, Any]:
    out: dict[str, Any] = {"footprint": v.footprint.to_geojson()}
    if v.footprint.kind is FootprintKind.CIRCLE:
        out["radius_m"] = v.footprint.radius_m
    elif v.footprint.kind is FootprintKind.CORRIDOR:
        out["half_width_m"] = v.footprint.radius_m
    if v.altitude.lower_m is not None or v.altitude.upper_m is not None:
        out["altitude"] = {"lower_m": v.altitude.lower_m, "upper_m": v.altitude.upper_m}
    out["time"] = {"start": utc_z(v.time.start), "end": utc_z(v.time.end)}
    return out


def notice_json(n: Notice) -> dict[str, Any]:
    return {
        "id": n.id,
        "party": n.party,
        "kind": n.kind.value,
        "title": n.title,
        "protected": n.protected,
        "audience": n.audience.to_json(),
        "state": n.state.value,
        "version": n.version,
        "created_at": utc_z(n.created_at),
        "updated_at": utc_z(n.updated_at),
        "buffers": (
            {"h_m": n.buffers.h_m, "v_m": n.buffers.v_m, "t_s": n.buffers.t_s}
            if n.buffers
            else None
        ),
        "volumes": [_volume_json(v) for v in n.volumes],
    }


def _side(s: Side | None) -> dict[str, Any] | None:
    if s is None:
        return None
    out: dict[str, Any] = {"party": s.party}
    if s.notice is not None:
        out["notice"] = s.notice
        if s.volume is not None:
            out["volume"] = s.volume
        if s.version is not None:
            out["version"] = s.version
    if s.track is not None:
        out["track"] = s.track
    return out


def conflict_json(c: ConflictView) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id,
        "kind": c.kind.value,
        "status": c.status.value,
        "mine": _side(c.mine),
        "other": _side(c.other),
        "detected_at": utc_z(c.detected_at),
        "redacted": c.redacted,
    }
    if c.window is not None:
        out["window"] = {"start": utc_z(c.window.start), "end": utc_z(c.window.end)}
    if c.distance_m is not None:
        out["distance_m"] = round(c.distance_m, 1)
    for name in ("t_in", "t_out", "cpa", "updated_at"):
        value = getattr(c, name)
        if value is not None:
            out[name] = utc_z(value)
    if c.reason is not None:
        out["reason"] = c.reason
    if c.agreement is not None:
        out["agreement"] = c.agreement
    if c.detail is not None:
        out["detail"] = c.detail
    return {k: v for k, v in out.items() if v is not None}


def track_json(t: Track) -> dict[str, Any]:
    out: dict[str, Any] = {
        "party": t.party,
        "uid": t.uid,
        "domain": t.domain.value,
        "lat": t.lat,
        "lon": t.lon,
        "alt_m": t.alt_m,
        "gs_mps": t.gs_mps,
        "trk_deg": t.trk_deg,
        "vs_mps": t.vs_mps,
        "time": utc_z(t.time),
        "stale_s": t.stale_s,
        "audience": t.audience.to_json(),
    }
    if t.callsign is not None:
        out["callsign"] = t.callsign
    if t.movement is not None:
        out["movement"] = t.movement
    if t.stopped_since is not None:
        out["stopped_since"] = utc_z(t.stopped_since)
    return out
