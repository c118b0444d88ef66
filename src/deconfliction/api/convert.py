"""Conversions from the API's request shapes to domain values: volumes are read (and their
windows and bands checked) here, once; the draft's other rules are ``NoticeDraft.check``'s."""

from __future__ import annotations

from datetime import UTC

from deconfliction.api.schemas import NoticeIn, VolumeIn
from deconfliction.domain import (
    AltitudeBand,
    Audience,
    Buffers,
    NoticeDraft,
    Volume,
)
from deconfliction.domain.volume import check_band, check_window
from deconfliction.errors import InvalidInput
from deconfliction.geo.geojson import parse_footprints
from deconfliction.wire.f3548 import volumes_from_4d

__all__ = ["bbox_param", "draft_from", "volume_from"]


def _volumes_from(pointer: str, v: VolumeIn) -> list[Volume]:
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


def volume_from(body: VolumeIn, pointer: str) -> Volume:
    """One volume (a request's area, a counter's alternative), checked as a notice's would be."""
    volumes = _volumes_from(pointer, body)
    if len(volumes) != 1:
        raise InvalidInput(
            "one volume: a MultiPolygon of a single polygon at most", f"{pointer}/footprint"
        )
    return volumes[0]


def draft_from(body: NoticeIn) -> NoticeDraft:
    if body.volumes and body.volumes4d is not None:
        raise InvalidInput("give volumes or volumes4d (ASTM F3548), not both", "/volumes4d")
    if not body.volumes and body.volumes4d is None:
        raise InvalidInput(
            "a notice needs at least one volume (or volumes4d, ASTM F3548)", "/volumes"
        )
    volumes = [vol for i, v in enumerate(body.volumes) for vol in _volumes_from(f"/volumes/{i}", v)]
    for i, v4 in enumerate(body.volumes4d or ()):
        volumes.extend(volumes_from_4d(v4.model_dump(mode="json"), f"/volumes4d/{i}"))
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
        ack_by=None if body.ack_by is None else body.ack_by.astimezone(UTC),
    )


def bbox_param(
    value: str | None, pointer: str = "/query/bbox", name: str = "bbox"
) -> tuple[float, float, float, float] | None:
    """A ``lon_min,lat_min,lon_max,lat_max`` query parameter, checked."""
    if value is None:
        return None
    try:
        parts = tuple(float(p) for p in value.split(","))
    except ValueError:
        parts = ()
    limits = (180, 90, 180, 90)
    if len(parts) != 4 or not all(abs(p) <= lim for p, lim in zip(parts, limits, strict=True)):
        raise InvalidInput(
            f"{name} is lon_min,lat_min,lon_max,lat_max in degrees (lon_min > lon_max crosses "
            "the antimeridian)",
            pointer,
        )
    if parts[1] > parts[3]:
        raise InvalidInput(f"{name} lat_min is above lat_max", pointer)
    return parts[0], parts[1], parts[2], parts[3]
