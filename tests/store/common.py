"""Builders for store tests: notices, hand-made index boxes, opaque shapes (no geo/ needed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from deconfliction.domain import (
    AltitudeBand,
    Audience,
    Buffers,
    Conflict,
    ConflictKind,
    ConflictStatus,
    Footprint,
    FootprintKind,
    Notice,
    NoticeKind,
    NoticeState,
    TimeWindow,
    Volume,
)
from deconfliction.store import Box4, VolumeRow

T0 = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

POLYGON = Footprint(
    FootprintKind.POLYGON,
    (
        ((10.0, 50.0), (10.5, 50.0), (10.5, 50.25), (10.0, 50.25)),
        ((10.1, 50.1), (10.2, 50.1), (10.2, 50.2)),
    ),
)
CIRCLE = Footprint(FootprintKind.CIRCLE, (((10.123456789012345, 50.987654321098765),),), 1500.5)
CORRIDOR = Footprint(FootprintKind.CORRIDOR, (((10.0, 50.0), (10.3, 50.1), (10.7, 50.05)),), 250.0)
FOOTPRINTS = {"polygon": POLYGON, "circle": CIRCLE, "corridor": CORRIDOR}


def epoch(t: datetime) -> float:
    return t.timestamp()


def box(
    lon: tuple[float, float] = (10.0, 10.5),
    lat: tuple[float, float] = (50.0, 50.25),
    alt: tuple[float, float] = (0.0, 1000.0),
    t: tuple[datetime, datetime] = (T0, T0 + HOUR),
) -> Box4:
    return Box4(lon[0], lat[0], alt[0], epoch(t[0]), lon[1], lat[1], alt[1], epoch(t[1]))


def volume(
    footprint: Footprint = POLYGON,
    start: datetime = T0,
    end: datetime = T0 + HOUR,
    altitude: AltitudeBand | None = None,
) -> Volume:
    return Volume(footprint, TimeWindow(start, end), altitude or AltitudeBand(0.0, 1000.0))


def notice(
    id: str,
    party: str = "alpha",
    volumes: Sequence[Volume] = (),
    audience: Audience | None = None,
    kind: NoticeKind = NoticeKind.OPERATION,
    created_at: datetime = T0,
    **kw: object,
) -> Notice:
    return Notice(
        id=id,
        party=party,
        kind=kind,
        volumes=tuple(volumes) or (volume(),),
        audience=audience or Audience(everyone=True),
        created_at=created_at,
        updated_at=created_at,
        **kw,  # type: ignore[arg-type]
    )


def rows(n: Notice, boxes: Sequence[Sequence[Box4]] | None = None) -> list[VolumeRow]:
    """One VolumeRow per volume of ``n``; ``boxes[i]`` index volume i (default: one box each)."""
    out = []
    for i, v in enumerate(n.volumes):
        mine = tuple(boxes[i]) if boxes is not None else (box(t=(v.time.start, v.time.end)),)
        out.append(
            VolumeRow(
                notice_id=n.id,
                index=i,
                party=n.party,
                version=n.version,
                altitude=v.altitude,
                time=v.time,
                shape=f"shape:{n.id}:{i}".encode() + bytes(range(256)),
                boxes=mine,
                buffers=n.buffers,
                audience=n.audience,
            )
        )
    return out


def conflict(
    id: str,
    a: Notice,
    b: Notice,
    detected_at: datetime = T0,
    status: ConflictStatus = ConflictStatus.OPEN,
) -> Conflict:
    return Conflict(
        id=id,
        kind=ConflictKind.STRATEGIC,
        status=status,
        party_a=a.party,
        notice_a=a.id,
        volume_a=0,
        version_a=a.version,
        party_b=b.party,
        notice_b=b.id,
        volume_b=0,
        version_b=b.version,
        distance_m=12.5,
        window=TimeWindow(T0, T0 + HOUR),
        detected_at=detected_at,
    )


__all__ = [
    "CIRCLE",
    "CORRIDOR",
    "FOOTPRINTS",
    "HOUR",
    "POLYGON",
    "T0",
    "Buffers",
    "NoticeState",
    "box",
    "conflict",
    "epoch",
    "notice",
    "rows",
    "volume",
]
