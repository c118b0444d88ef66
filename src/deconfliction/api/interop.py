"""ASTM F3548 shapes at the API's edge: a USS's Volume4D as the OpenAPI document describes it.

Structure is checked here (objects, numbers); what the fields mean (W84, M, RFC3339, one
outline) is checked once by ``wire.f3548``, whose refusals name the F3548 field and say why.
Unknown fields are ignored, as F3548 asks of its readers.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from deconfliction.domain.limits import MAX_VERTICES

__all__ = ["Volume4DIn"]


class _F3548(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


Number = Annotated[float, Field(strict=True)]


class TimeF3548(_F3548):
    value: AwareDatetime = Field(description="RFC 3339; F3548 asks for the Z time zone")
    format: str = Field(json_schema_extra={"enum": ["RFC3339"]})


class AltitudeF3548(_F3548):
    value: Number = Field(description="metres above the WGS84 ellipsoid, -8000 to 100000")
    reference: str = Field(json_schema_extra={"enum": ["W84"]})
    units: str = Field(json_schema_extra={"enum": ["M"]})


class LatLngPoint(_F3548):
    lat: Number
    lng: Number


class PolygonF3548(_F3548):
    vertices: list[LatLngPoint] = Field(
        min_length=3,
        max_length=MAX_VERTICES,
        description="geodesic edges between consecutive vertices; the last is not the first",
    )


class RadiusF3548(_F3548):
    value: Number = Field(gt=0)
    units: str = Field(json_schema_extra={"enum": ["M"]})


class CircleF3548(_F3548):
    center: LatLngPoint | None = None
    radius: RadiusF3548 | None = None


class Volume3DIn(_F3548):
    outline_circle: CircleF3548 | None = None
    outline_polygon: PolygonF3548 | None = None
    altitude_lower: AltitudeF3548 | None = None
    altitude_upper: AltitudeF3548 | None = None


class Volume4DIn(_F3548):
    """ASTM F3548-21 Volume4D: exactly one outline; both times; altitudes W84 in M (absent:
    unbounded on that side)."""

    volume: Volume3DIn
    time_start: TimeF3548 | None = None
    time_end: TimeF3548 | None = None
