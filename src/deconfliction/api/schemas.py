"""The HTTP API's request and response shapes (pydantic lives only at this edge)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from deconfliction.domain import ConflictKind, ConflictStatus, NoticeKind, NoticeState

__all__ = [
    "AltitudeIn",
    "BuffersIn",
    "ConflictOut",
    "ErrorOut",
    "NoticeIn",
    "NoticeOut",
    "NoticeWithConflicts",
    "TimeIn",
    "VolumeIn",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# Numbers and flags must arrive as JSON numbers and booleans: "5" or true is not a radius.
Number = Annotated[float, Field(strict=True)]
Flag = Annotated[bool, Field(strict=True)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]
Text = Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
Altitude = Annotated[
    float,
    Field(strict=True, ge=-20_000, le=1_000_000, description="metres above the WGS84 ellipsoid"),
]


class TimeIn(_In):
    start: AwareDatetime = Field(description="RFC 3339 with a time zone; stored as UTC")
    end: AwareDatetime


class AltitudeIn(_In):
    lower_m: Altitude | None = None
    upper_m: Altitude | None = None


class VolumeIn(_In):
    footprint: dict[str, Any] = Field(
        description="GeoJSON geometry: Polygon (geodesic edges, holes allowed), MultiPolygon "
        "(split into one volume per polygon), Point with radius_m, LineString with half_width_m",
        examples=[{"type": "Point", "coordinates": [40.14, 35.33]}],
    )
    radius_m: Number | None = Field(None, gt=0, description="circle radius (Point footprint)")
    half_width_m: Number | None = Field(None, gt=0, description="corridor half-width (LineString)")
    altitude: AltitudeIn | None = Field(None, description="absent: every altitude")
    time: TimeIn


class BuffersIn(_In):
    h_m: Number = Field(0.0, ge=0, description="horizontal buffer, metres")
    v_m: Number = Field(0.0, ge=0, description="vertical buffer, metres")
    t_s: Number = Field(0.0, ge=0, description="time buffer, seconds")


class NoticeIn(_In):
    kind: NoticeKind
    title: Text = Field("", description="free text, no control characters")
    protected: Flag = Field(False, description="a humanitarian or medical site or movement")
    audience: Literal["all"] | list[Slug] = Field(
        default_factory=list,
        max_length=1000,
        description="party slugs the notice is shared with, or 'all'",
    )
    volumes: list[VolumeIn] = Field(min_length=1, max_length=100)
    buffers: BuffersIn | None = Field(
        None, description="raise the line's default buffers for this notice's conflicts"
    )


class VolumeOut(BaseModel):
    footprint: dict[str, Any]
    radius_m: float | None = None
    half_width_m: float | None = None
    altitude: AltitudeIn | None = None
    time: TimeIn


class NoticeOut(BaseModel):
    id: str
    party: str
    kind: NoticeKind
    title: str
    protected: bool
    audience: Literal["all"] | list[str]
    state: NoticeState
    version: int
    created_at: AwareDatetime
    updated_at: AwareDatetime
    buffers: BuffersIn | None
    volumes: list[VolumeOut]


class SideOut(BaseModel):
    party: str
    notice: str | None = Field(None, description="absent when redacted")
    volume: int | None = None
    version: int | None = None


class WindowOut(BaseModel):
    start: AwareDatetime
    end: AwareDatetime


class ConflictOut(BaseModel):
    id: str
    kind: ConflictKind
    status: ConflictStatus
    mine: SideOut
    other: SideOut
    window: WindowOut = Field(description="when the two overlap, buffers applied")
    distance_m: float | None = Field(None, description="geodesic gap; absent when redacted")
    detected_at: AwareDatetime
    redacted: bool = Field(description="true when the other notice is not shared with you")


class NoticeWithConflicts(BaseModel):
    notice: NoticeOut
    conflicts: list[ConflictOut]


class NoticeList(BaseModel):
    notices: list[NoticeOut]


class ConflictList(BaseModel):
    conflicts: list[ConflictOut]


class PartyOut(BaseModel):
    slug: str
    name: str


class PartyList(BaseModel):
    parties: list[PartyOut]


class ErrorOut(BaseModel):
    error: str = Field(description="machine-readable code, e.g. invalid_geometry")
    message: str = Field(description="what was wrong, in a sentence")
    pointer: str = Field(description="JSON pointer to the field at fault ('' = whole request)")
    errors: list[dict[str, str]] = Field(default_factory=list, description="every problem found")
