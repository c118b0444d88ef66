"""Domain values to and from what the tables hold: JSON bodies, epoch microseconds, packed boxes.

This is the storage format, the store's alone: a stored notice keeps every field (``extra``,
unbounded altitudes, a polygon's radius of 0) so it reads back exactly. What the API answers and
events carry is ``wire``'s; conflicts use ``wire.fields`` with the row encoding ``ROW``.

Instants are stored as integer microseconds since the Unix epoch (exact, sortable, the same on
every database) and come back as timezone-aware UTC ``datetime`` values.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from deconfliction.domain import (
    AltitudeBand,
    Audience,
    Buffers,
    Conflict,
    Footprint,
    FootprintKind,
    Member,
    Notice,
    NoticeKind,
    NoticeState,
    Party,
    Position,
    Role,
    TimeWindow,
    TrackConflict,
    Volume,
)
from deconfliction.geo.box import Box4
from deconfliction.store import schema
from deconfliction.wire.fields import Encoding, decode, encode

__all__ = [
    "audience_from_text",
    "audience_to_text",
    "boxes_from_bytes",
    "boxes_to_bytes",
    "conflict_columns",
    "conflict_from_row",
    "conflict_to_row",
    "track_conflict_from_row",
    "track_conflict_to_row",
    "ROW",
    "dt_from_us",
    "dt_to_us",
    "opt_from_us",
    "opt_to_us",
    "member_from_row",
    "notice_from_stored_json",
    "notice_from_row",
    "stored_notice_json",
    "notice_to_row",
    "party_from_row",
    "volume_from_stored_json",
    "stored_volume_json",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_BOX = struct.Struct("<8d")
_JSON_OPTS = orjson.OPT_SORT_KEYS


# -- instants ---------------------------------------------------------------------------------


def dt_to_us(value: datetime) -> int:
    """Microseconds since the Unix epoch; a naive ``value`` is refused (time is UTC-aware)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the line keeps time as timezone-aware UTC")
    return (value - _EPOCH) // _US


def dt_from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def opt_to_us(value: datetime | None) -> int | None:
    """:func:`dt_to_us` for a column that may be empty."""
    return None if value is None else dt_to_us(value)


def opt_from_us(us: int | None) -> datetime | None:
    """:func:`dt_from_us` for a column that may be empty."""
    return None if us is None else dt_from_us(us)


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the line keeps time as timezone-aware UTC")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# -- boxes ------------------------------------------------------------------------------------


def boxes_to_bytes(boxes: tuple[Box4, ...] | list[Box4]) -> bytes:
    """Pack boxes as little-endian doubles, 64 bytes each, in ``Box4`` field order (exact)."""
    return b"".join(
        _BOX.pack(
            b.lon_min, b.lat_min, b.alt_min, b.t_min, b.lon_max, b.lat_max, b.alt_max, b.t_max
        )
        for b in boxes
    )


# Frozen dataclasses pay for every field through object.__setattr__; candidate rows decode many
# boxes, so they are built through the slot descriptors directly (same values, same class).
_BOX_SLOTS = tuple(
    getattr(Box4, f).__set__
    for f in ("lon_min", "lat_min", "alt_min", "t_min", "lon_max", "lat_max", "alt_max", "t_max")
)


def _box4(values: tuple[float, ...]) -> Box4:
    box = object.__new__(Box4)
    s0, s1, s2, s3, s4, s5, s6, s7 = _BOX_SLOTS
    s0(box, values[0])
    s1(box, values[1])
    s2(box, values[2])
    s3(box, values[3])
    s4(box, values[4])
    s5(box, values[5])
    s6(box, values[6])
    s7(box, values[7])
    return box


def boxes_from_bytes(blob: bytes) -> tuple[Box4, ...]:
    return tuple(_box4(values) for values in _BOX.iter_unpack(blob))


# -- audience ---------------------------------------------------------------------------------


def audience_to_text(audience: Audience) -> str:
    """``all``, or the slugs between commas (``,a,b,``) so that one LIKE finds a member."""
    if audience.everyone:
        return "all"
    return "," + "".join(p + "," for p in sorted(audience.parties))


def audience_from_text(text: str) -> Audience:
    if text == "all":
        return Audience(everyone=True)
    return Audience(parties=frozenset(p for p in text.split(",") if p))


# -- volumes and notices ----------------------------------------------------------------------


def _position(value: list[float]) -> Position:
    return (value[0], value[1])


def footprint_from_geojson(geometry: Mapping[str, Any], radius_m: float) -> Footprint:
    kind = {"Polygon": FootprintKind.POLYGON, "Point": FootprintKind.CIRCLE}.get(
        geometry["type"], FootprintKind.CORRIDOR
    )
    coords = geometry["coordinates"]
    rings: tuple[tuple[Position, ...], ...]
    if kind is FootprintKind.POLYGON:
        # GeoJSON repeats the first position at the end; the domain does not.
        rings = tuple(tuple(_position(p) for p in ring[:-1]) for ring in coords)
    elif kind is FootprintKind.CIRCLE:
        rings = ((_position(coords),),)
    else:
        rings = (tuple(_position(p) for p in coords),)
    return Footprint(kind, rings, radius_m)


def stored_volume_json(volume: Volume) -> dict[str, Any]:
    return {
        "footprint": volume.footprint.to_geojson(),
        "radius_m": volume.footprint.radius_m,
        "altitude": {"lower_m": volume.altitude.lower_m, "upper_m": volume.altitude.upper_m},
        "time": {"start": _iso(volume.time.start), "end": _iso(volume.time.end)},
    }


def volume_from_stored_json(body: Mapping[str, Any]) -> Volume:
    alt = body["altitude"]
    return Volume(
        footprint=footprint_from_geojson(body["footprint"], body["radius_m"]),
        time=TimeWindow(_from_iso(body["time"]["start"]), _from_iso(body["time"]["end"])),
        altitude=AltitudeBand(alt["lower_m"], alt["upper_m"]),
    )


def _buffers_json(buffers: Buffers | None) -> dict[str, float] | None:
    if buffers is None:
        return None
    return {"h_m": buffers.h_m, "v_m": buffers.v_m, "t_s": buffers.t_s}


def stored_notice_json(notice: Notice, volumes: list[dict[str, Any]] | None = None) -> bytes:
    """The whole notice as canonical-ish JSON (sorted keys, UTC ``Z``): one kept version.

    ``volumes`` is ``[stored_volume_json(v) for v in notice.volumes]`` if the caller has it.
    """
    body = {
        "id": notice.id,
        "party": notice.party,
        "kind": notice.kind.value,
        "title": notice.title,
        "protected": notice.protected,
        "audience": notice.audience.to_json(),
        "buffers": _buffers_json(notice.buffers),
        "state": notice.state.value,
        "version": notice.version,
        "created_at": _iso(notice.created_at),
        "updated_at": _iso(notice.updated_at),
        "volumes": [stored_volume_json(v) for v in notice.volumes] if volumes is None else volumes,
        "extra": notice.extra,
    }
    return orjson.dumps(body, option=_JSON_OPTS)


def notice_from_stored_json(raw: str | bytes) -> Notice:
    body = orjson.loads(raw)
    buffers = body["buffers"]
    return Notice(
        id=body["id"],
        party=body["party"],
        kind=NoticeKind(body["kind"]),
        volumes=tuple(volume_from_stored_json(v) for v in body["volumes"]),
        audience=Audience.of(body["audience"]),
        created_at=_from_iso(body["created_at"]),
        updated_at=_from_iso(body["updated_at"]),
        title=body["title"],
        protected=body["protected"],
        buffers=None if buffers is None else Buffers(**buffers),
        state=NoticeState(body["state"]),
        version=body["version"],
        extra=dict(body["extra"]),
    )


def notice_to_row(
    notice: Notice, volumes_json: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The ``notice`` table row: filter columns beside the JSON that rebuilds the notice."""
    b = notice.buffers
    volumes = notice.volumes
    if volumes_json is None:
        volumes_json = [stored_volume_json(v) for v in volumes]
    return {
        "id": notice.id,
        "party": notice.party,
        "kind": notice.kind.value,
        "title": notice.title,
        "protected": notice.protected,
        "audience": audience_to_text(notice.audience),
        "buffer_h_m": None if b is None else b.h_m,
        "buffer_v_m": None if b is None else b.v_m,
        "buffer_t_s": None if b is None else b.t_s,
        "state": notice.state.value,
        "version": notice.version,
        "created_us": dt_to_us(notice.created_at),
        "updated_us": dt_to_us(notice.updated_at),
        "t_start_us": min(dt_to_us(v.time.start) for v in volumes) if volumes else None,
        "t_end_us": max(dt_to_us(v.time.end) for v in volumes) if volumes else None,
        "volumes": orjson.dumps(volumes_json).decode(),
        "extra": orjson.dumps(notice.extra, option=_JSON_OPTS).decode(),
    }


def notice_from_row(row: Any) -> Notice:
    buffers = None
    if row.buffer_h_m is not None:
        buffers = Buffers(row.buffer_h_m, row.buffer_v_m, row.buffer_t_s)
    return Notice(
        id=row.id,
        party=row.party,
        kind=NoticeKind(row.kind),
        volumes=tuple(volume_from_stored_json(v) for v in orjson.loads(row.volumes)),
        audience=audience_from_text(row.audience),
        created_at=dt_from_us(row.created_us),
        updated_at=dt_from_us(row.updated_us),
        title=row.title,
        protected=bool(row.protected),
        buffers=buffers,
        state=NoticeState(row.state),
        version=row.version,
        extra=dict(orjson.loads(row.extra)),
    )


# -- parties, members, conflicts --------------------------------------------------------------


def party_from_row(row: Any) -> Party:
    return Party(slug=row.slug, name=row.name, created_at=dt_from_us(row.created_us))


def member_from_row(row: Any) -> Member:
    return Member(
        id=row.id,
        party=row.party,
        role=Role(row.role),
        created_at=dt_from_us(row.created_us),
        name=row.name,
        expires_at=opt_from_us(row.expires_us),
        revoked_at=opt_from_us(row.revoked_us),
        last_used_at=opt_from_us(row.last_used_us),
        token_prefix=row.token_prefix,
    )


ROW = Encoding(
    instant=dt_to_us,
    read_instant=dt_from_us,
    audience=audience_to_text,
    read_audience=audience_from_text,
    instant_suffix="_us",
    split_windows=True,
)
"""How a row holds a record's fields (``wire.fields``): instants as epoch microseconds in
``*_us`` columns, audiences as text, a window as two instants."""

_CONFLICT_COLUMNS = tuple(c.name for c in schema.conflict.columns)


def conflict_to_row(c: Conflict) -> tuple[Any, ...]:
    """The ``conflict`` row in table column order (``schema.conflict``; ``resolved_us`` empty)."""
    values = conflict_columns(c)
    return tuple(values.get(name) for name in _CONFLICT_COLUMNS)


def conflict_columns(c: Conflict) -> dict[str, Any]:
    """Every field of a strategic conflict, by column name."""
    return encode(c, ROW)


def conflict_from_row(row: Any) -> Conflict:
    return decode(Conflict, row._mapping, ROW)


def track_conflict_to_row(c: TrackConflict) -> dict[str, Any]:
    """The ``track_conflict`` row: every field of the conflict, by column name."""
    return encode(c, ROW)


def track_conflict_from_row(row: Any) -> TrackConflict:
    return decode(TrackConflict, row._mapping, ROW)
