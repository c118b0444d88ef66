"""A notice and its volumes as the line's JSON: what the API answers and notice events carry."""

from __future__ import annotations

from typing import Any

from deconfliction.domain import FootprintKind, Notice, Volume
from deconfliction.wire.time import utc_z

__all__ = ["notice_json", "volume_json"]


def volume_json(v: Volume) -> dict[str, Any]:
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
        "volumes": [volume_json(v) for v in n.volumes],
    }
