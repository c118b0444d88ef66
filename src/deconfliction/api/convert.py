"""Conversions between the API's shapes and domain values, in one place per resource."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deconfliction.api.schemas import NoticeIn, VolumeIn
from deconfliction.domain import (
    AltitudeBand,
    Audience,
    Buffers,
    FootprintKind,
    Notice,
    Volume,
)
from deconfliction.domain.volume import check_band, check_window
from deconfliction.geo.geojson import parse_footprints
from deconfliction.service import ConflictView, NoticeDraft

__all__ = ["conflict_json", "draft_from", "notice_json", "utc_z"]


def utc_z(t: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, the one time format the line speaks."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _volumes_from(i: int, v: VolumeIn) -> list[Volume]:
    pointer = f"/volumes/{i}"
    window = check_window(v.time.start, v.time.end, f"{pointer}/time")
    altitude = (
        check_band(v.altitude.lower_m, v.altitude.upper_m, f"{pointer}/altitude")
        if v.altitude
        else AltitudeBand()
    )
    footprints = parse_footprints(
        v.footprint,
        radius_m=v.radius_m,
        half_width_m=v.half_width_m,
        pointer=f"{pointer}/footprint",
        fields_pointer=pointer,
    )
    return [Volume(footprint=f, time=window, altitude=altitude) for f in footprints]


def draft_from(body: NoticeIn) -> NoticeDraft:
    volumes = [vol for i, v in enumerate(body.volumes) for vol in _volumes_from(i, v)]
    buffers = (
        Buffers(body.buffers.h_m, body.buffers.v_m, body.buffers.t_s) if body.buffers else None
    )
    return NoticeDraft(
        kind=body.kind,
        volumes=tuple(volumes),
        audience=Audience.of(body.audience),
        title=body.title,
        protected=body.protected,
        buffers=buffers,
    )


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


def conflict_json(c: ConflictView) -> dict[str, Any]:
    def side(s: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"party": s.party}
        if s.notice is not None:
            out.update(notice=s.notice, volume=s.volume, version=s.version)
        return out

    out: dict[str, Any] = {
        "id": c.id,
        "kind": c.kind.value,
        "status": c.status.value,
        "mine": side(c.mine),
        "other": side(c.other),
        "window": {"start": utc_z(c.window.start), "end": utc_z(c.window.end)},
        "detected_at": utc_z(c.detected_at),
        "redacted": c.redacted,
    }
    if c.distance_m is not None:
        out["distance_m"] = round(c.distance_m, 1)
    return out
