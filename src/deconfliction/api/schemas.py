"""The HTTP API's request and response shapes (pydantic lives only at this edge)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
)

from deconfliction.api.interop import Volume4DIn
from deconfliction.domain import (
    ConflictKind,
    ConflictStatus,
    NoticeKind,
    NoticeState,
    Severity,
    TrackDomain,
)
from deconfliction.domain.limits import MAX_POLYGONS, MAX_VERTICES
from deconfliction.domain.text import unsafe_character

__all__ = [
    "TicketOut",
    "TokenOut",
    "AltitudeIn",
    "BuffersIn",
    "ConflictOut",
    "ErrorOut",
    "MeOut",
    "NoticeIn",
    "NoticeOut",
    "NoticeWithConflicts",
    "AckDueOut",
    "AckIn",
    "ReceiptList",
    "ReceiptOut",
    "ReportOut",
    "ScanOut",
    "Signature",
    "SignedOut",
    "MEMBER",
    "TimeIn",
    "TrackIn",
    "TrackList",
    "TrackOut",
    "VolumeIn",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# Numbers and flags must arrive as JSON numbers and booleans: "5" or true is not a radius.
Number = Annotated[float, Field(strict=True)]
Flag = Annotated[bool, Field(strict=True)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]


def plain_line(value: str) -> str:
    """One line of another party's reading: what ``domain.text`` refuses is a 422 naming it."""
    problem = unsafe_character(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def plain_lines(value: str) -> str:
    """Free text with line breaks and tabs, and nothing else ``domain.text`` refuses."""
    problem = unsafe_character(value, lines=True)
    if problem is not None:
        raise ValueError(problem)
    return value


Text = Annotated[str, Field(max_length=200), AfterValidator(plain_line)]
"""One line of free text: no control or bidirectional-override characters (``domain.text``)."""
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


def _geometry(kind: str, coordinates: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "title": kind,
        "properties": {"type": {"const": kind}, "coordinates": coordinates},
        "required": ["type", "coordinates"],
    }


_POSITION = {
    "type": "array",
    "description": "[longitude, latitude] in degrees on WGS84 (an altitude may follow, unused)",
    "prefixItems": [
        {"type": "number", "minimum": -180, "maximum": 180},
        {"type": "number", "minimum": -90, "maximum": 90},
    ],
    "items": {"type": "number"},
    "minItems": 2,
    "maxItems": 3,
}
_RING = {"type": "array", "items": _POSITION, "minItems": 4}
_POLYGON = {"type": "array", "items": _RING, "minItems": 1}
Footprint = Annotated[
    dict[str, Any],
    # what the OpenAPI document says a footprint is, so that clients and fuzzers send geometries;
    # geo.geojson checks each one whole (closed rings, no self-crossing, size) with a pointer
    WithJsonSchema(
        {
            "anyOf": [
                _geometry("Polygon", _POLYGON),
                _geometry(
                    "MultiPolygon",
                    {"type": "array", "items": _POLYGON, "minItems": 1, "maxItems": MAX_POLYGONS},
                ),
                _geometry("Point", _POSITION),
                _geometry("LineString", {"type": "array", "items": _POSITION, "minItems": 2}),
            ]
        }
    ),
]


class VolumeIn(_In):
    footprint: Footprint = Field(
        description="GeoJSON geometry: Polygon (geodesic edges, holes allowed), MultiPolygon "
        "(split into one volume per polygon), Point with radius_m, LineString with half_width_m; "
        f"at most {MAX_VERTICES:,} positions in all",
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
    volumes: list[VolumeIn] = Field(
        default_factory=list, max_length=100, description="1 to 100 (or give volumes4d)"
    )
    volumes4d: list[Volume4DIn] | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="instead of volumes: an ASTM F3548 operational intent's Volume4D list "
        "(docs/interop.md, ASTM F3548)",
    )
    ack_by: AwareDatetime | None = Field(
        None,
        description="every audience party must acknowledge this version by then (a protected "
        "notice: within 1 h by default); at most 30 days ahead",
    )
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
    notice: str | None = Field(
        None, description="the notice (a deviation: the movement); absent when redacted"
    )
    volume: int | None = None
    version: int | None = None
    track: str | None = Field(None, description="the track's uid; absent when redacted")


class WindowOut(BaseModel):
    start: AwareDatetime
    end: AwareDatetime


class AckOut(BaseModel):
    party: str
    member: str | None = Field(None, description="who acknowledged: given for your own party only")
    at: AwareDatetime
    severity: Severity = Field(description="the conflict's severity when it was acknowledged")


class ConflictOut(BaseModel):
    id: str
    kind: ConflictKind
    status: ConflictStatus
    severity: Severity = Field(
        description="alert level: warning (act now), caution (act soon), advisory (plan); "
        "see docs/conflicts.md"
    )
    mine: SideOut | None = Field(
        None, description="your side; absent when you are told of a deviation as its audience"
    )
    other: SideOut | None = Field(
        None, description="the other side (a deviation: the movement's, when not yours)"
    )
    window: WindowOut | None = Field(
        None, description="strategic: when the two overlap, buffers applied"
    )
    distance_m: float | None = Field(
        None,
        description="strategic: geodesic gap; tactical: distance at closest approach; "
        "intrusion and deviation: present distance. Absent when redacted",
    )
    detected_at: AwareDatetime
    redacted: bool = Field(description="true when the other side is not shared with you")
    t_in: AwareDatetime | None = Field(
        None, description="on tracks: when separation is (or was) lost, or the volume entered"
    )
    t_out: AwareDatetime | None = Field(
        None, description="tactical: when separation is regained, if it is on present tracks"
    )
    cpa: AwareDatetime | None = Field(None, description="tactical: closest horizontal approach")
    reason: str | None = Field(
        None,
        description="deviation: off-corridor, off-schedule, stopped or near-volume; "
        "intrusion: breach, when it breaks an agreement",
    )
    detail: str | None = Field(
        None, description="one sentence for people, as of the last material change"
    )
    updated_at: AwareDatetime | None = Field(
        None, description="on tracks: when it last changed materially (and was told again)"
    )
    agreement: str | None = Field(
        None,
        description="a breach (reason 'breach'): the accepted vacate or keep-clear request whose "
        "area the track's party agreed to stay out of",
    )
    acknowledged_by: list[AckOut] = Field(
        default_factory=list,
        description="each side's acknowledgement, oldest first; status is 'acknowledged' for "
        "you while yours holds (an escalation above the severity you acknowledged reopens it)",
    )


class NoticeWithConflicts(BaseModel):
    notice: NoticeOut
    conflicts: list[ConflictOut]


NEXT = "the cursor of the next page (pass it as `cursor`); null on the last page"


class NoticeList(BaseModel):
    notices: list[NoticeOut]
    next: str | None = Field(description=NEXT)


class ConflictList(BaseModel):
    conflicts: list[ConflictOut]
    next: str | None = Field(description=NEXT)


class PartyOut(BaseModel):
    slug: str
    name: str


class PartyList(BaseModel):
    parties: list[PartyOut]


class TokenOut(BaseModel):
    """The token a request was made with: never its secret."""

    prefix: str | None = Field(
        description="its public head (dl_ and 8 characters), as the host's lists show it; null "
        "for a token made before tokens had one"
    )
    expires_at: AwareDatetime | None = Field(description="when it stops working; rotate it before")


class MeOut(BaseModel):
    """The member a token belongs to, as the console shows it after sign-in."""

    member: str = Field(description="the member's id")
    name: str = Field(description="the member's name, as its coordinator gave it")
    role: str = Field(description="coordinator, observer or admin")
    party: PartyOut
    token: TokenOut


class ErrorOut(BaseModel):
    error: str = Field(description="machine-readable code, e.g. invalid_geometry")
    message: str = Field(description="what was wrong, in a sentence")
    pointer: str = Field(description="JSON pointer to the field at fault ('' = whole request)")
    errors: list[dict[str, str]] = Field(default_factory=list, description="every problem found")


class TrackIn(BaseModel):
    """One report in a ``POST /v1/tracks`` batch (documentation: the route reads each itself)."""

    uid: str = Field(pattern=r"^[A-Za-z0-9._:~@+-]{1,128}$", description="unique in your party")
    domain: TrackDomain
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    alt_m: float | None = Field(
        None,
        ge=-1000,
        le=100_000,
        description="metres above the WGS84 ellipsoid; required for air, may be omitted (or "
        "null) for ground and sea: on the surface, height unknown",
    )
    gs_mps: float = Field(ge=0, le=2000, description="ground speed, m/s")
    trk_deg: float = Field(ge=0, le=360, description="true track over ground, degrees")
    vs_mps: float = Field(ge=-300, le=300, description="vertical speed, m/s, up positive")
    time: AwareDatetime = Field(description="when the state held; at most 60 s in the future")
    callsign: str | None = Field(None, max_length=64)
    stale_s: float | None = Field(
        None, ge=1, le=86_400, description="live this long after time; default by domain"
    )
    movement: str | None = Field(None, description="your movement notice this asset follows")
    audience: Literal["all"] | list[Slug] | None = Field(
        None, description="parties who see the track; default: as before, else only yours"
    )
    alt_unc_m: float = Field(
        0.0,
        ge=0,
        le=5000,
        description="how far the true height may lie from alt_m either way, metres (e.g. a "
        "barometric altitude converted to an ellipsoid height); tactical detection adds it to "
        "the vertical minimum",
    )


class TrackOut(BaseModel):
    party: str
    uid: str
    domain: TrackDomain
    lat: float
    lon: float
    alt_m: float | None = Field(None, description="absent: a surface track reported without it")
    gs_mps: float
    trk_deg: float
    vs_mps: float
    time: AwareDatetime
    stale_s: float
    audience: Literal["all"] | list[str]
    callsign: str | None = None
    movement: str | None = None
    stopped_since: AwareDatetime | None = None
    alt_unc_m: float | None = Field(None, description="absent: 0, the height as reported")


class TrackList(BaseModel):
    tracks: list[TrackOut]
    next: str | None = Field(description=NEXT)


class ReportOut(BaseModel):
    accepted: int = Field(description="reports stored")
    ignored: int = Field(description="reports older than the track's latest (or its batch's)")
    rejected: int = Field(description="bad reports (a 422 lists each by pointer)")


class ScanOut(BaseModel):
    at: AwareDatetime
    tracks: int = Field(description="live tracks scanned")
    tactical: int
    intrusion: int
    deviation: int
    opened: int
    closed: int
    elapsed_ms: float


Signature = Annotated[
    str,
    Field(
        max_length=128,
        description="your Ed25519 signature over the statement (see Signatures in the docs), "
        "standard base64, with the key you registered (PUT /v1/members/me/key)",
    ),
]


MEMBER = (
    "the member: its id when it is of your party; otherwise a label `<party>#<code>` that "
    "tells that party's members apart on this thread (or this notice's receipts) and names "
    "no one elsewhere"
)


class SignedOut(BaseModel):
    """A signature the line verified against the member's registered key."""

    member: str = Field(description="the member who signed: " + MEMBER.removeprefix("the member: "))
    statement: str = Field(description="the exact text signed: RFC 8785 canonical JSON")
    signature: str = Field(description="standard base64 of the 64-byte Ed25519 signature")
    key: str | None = Field(
        None,
        description="the public key it verifies with (standard base64 of 32 bytes), as its "
        "`key.registered` event tells every party",
    )


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(
        None, ge=1, description="the version you acknowledge (default: current; signed: needed)"
    )
    signature: Signature | None = None


class ReceiptOut(BaseModel):
    notice: str
    version: int
    party: str
    delivered_at: AwareDatetime | None = Field(None, description="first fetched or pushed")
    acknowledged_at: AwareDatetime | None = Field(None, description="first acknowledged")
    signed: SignedOut | None = Field(None, description="the first signed acknowledgement")


class AckDueOut(BaseModel):
    version: int
    due: AwareDatetime
    escalated_at: AwareDatetime | None = None
    missing: list[str] = Field(
        description="audience parties that have not acknowledged (an audience party: itself only)"
    )


class ReceiptList(BaseModel):
    notice: str
    receipts: list[ReceiptOut]
    due: list[AckDueOut] = Field(
        description="acknowledgement deadlines: every one, for the notice's party; the ones you"
        " are asked to meet (missing: you, until you acknowledge), for an audience party"
    )


class TicketOut(BaseModel):
    ticket: str = Field(description="put it in the stream's URL as ?ticket=; good for one use")
    expires_at: AwareDatetime = Field(description="a minute from now")
