"""Cursor on Target in: one ``<event>`` (XML, or a TAK Protocol v1 protobuf) read into a checked
:class:`CotEvent`, refusing what an adversary on the line would send, naming the field.

Safety: an event larger than ``MAX_EVENT_BYTES`` is refused unread. A document that could carry a
DTD (any ``<!``, a byte-order mark, an encoding other than UTF-8) is parsed by ``defusedxml`` with
DTDs forbidden, so entity expansion (billion laughs) and external references (XXE) are refused
before anything is expanded or read. A document with no ``<!`` at all, in UTF-8, has no place for
a DTD, so it goes to the standard library's C parser: the same guarantee, at less than half the
cost (``bench/cot_codec.py``: 11 µs instead of 26 µs for an ATAK position). No library reads CoT
into checked values with pointers, so that part is written here.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from deconfliction.domain.text import check_plain
from deconfliction.domain.volume import check_instant
from deconfliction.errors import InvalidInput

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_DEPTH",
    "Chat",
    "CotDetail",
    "CotEvent",
    "Ellipse",
    "UNKNOWN",
    "parse_event",
    "parse_xml",
    "read_event",
    "read_instant",
    "read_number",
]

MAX_EVENT_BYTES = 64 * 1024
"""Largest event read, in bytes (XML or protobuf payload)."""
MAX_DEPTH = 12
"""Deepest nesting of elements in an event (ATAK's deepest detail is about five)."""
UNKNOWN = 999_999.0
"""CoT writes an unknown height or error as 9999999 (the TAK protobuf says 999999): at or above
this, a value is read as unknown."""

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TYPE = re.compile(r"[A-Za-z0-9_.]+(?:-[A-Za-z0-9_.]*)*")
_UTF8_PROLOG = re.compile(rb"<\?xml[^>]*?encoding=[\"'](?:utf-8|UTF-8|us-ascii|US-ASCII)[\"']")
_MAX_TEXT = 4000


@dataclass(frozen=True, slots=True)
class Ellipse:
    """``<shape><ellipse major minor angle>``: ATAK's circle (``u-d-c-c``) has major = minor =
    its radius, metres."""

    major_m: float
    minor_m: float
    angle_deg: float


@dataclass(frozen=True, slots=True)
class Chat:
    """A GeoChat (``b-t-f``): the room (``__chat/@chatroom``), its id (``__chat/@id``), the
    sender (``chatgrp/@uid0``, ``@senderCallsign``), the message id and text (``remarks``)."""

    chatroom: str
    chat_id: str
    sender_uid: str | None
    sender_callsign: str | None
    message_id: str | None
    text: str
    to: tuple[str, ...] = ()
    """``marti/dest/@callsign``: the callsigns a direct message is addressed to."""


@dataclass(frozen=True, slots=True)
class CotDetail:
    """What the line reads from ``<detail>``; everything else in it is ignored."""

    vertices: tuple[tuple[float, float], ...] = ()
    """``<link point="lat,lon[,hae]">`` in order: a drawing's vertices, (lat, lon) degrees."""
    closed: bool = False
    """The last vertex repeats the first (ATAK's closed shape), or ``<closed value="true">``."""
    ellipse: Ellipse | None = None
    mark: tuple[tuple[str, str], ...] | None = None
    """The attributes of ``<__deconfliction>``: the drawing is marked for the line."""
    chat: Chat | None = None
    remarks: str | None = None
    group: str | None = None
    """``__group/@name``: the team colour."""
    link_uid: str | None = None
    """The first ``<link uid>``: what a delete (``t-x-d-d``) deletes, or a drawing's parent."""


@dataclass(frozen=True, slots=True)
class CotEvent:
    """One checked ``<event>``. Times are aware UTC; heights are metres above the WGS84
    ellipsoid (CoT's ``hae``); an unknown height or error (9999999) is ``None``."""

    uid: str
    type: str
    how: str
    time: datetime
    start: datetime
    stale: datetime
    lat: float
    lon: float
    hae_m: float | None
    ce_m: float | None
    le_m: float | None
    callsign: str | None
    course_deg: float | None
    speed_mps: float | None
    detail: CotDetail = CotDetail()


def _text(value: str | None, limit: int, where: str, lines: bool = False) -> str | None:
    """Free text another party will read: refused as ``domain.text`` refuses it."""
    if value is None:
        return None
    if len(value) > limit:
        raise InvalidInput(f"at most {limit} characters", where)
    return check_plain(value, where, lines)


def read_number(
    raw: str | None, where: str, lo: float, hi: float, *, nan_is_none: bool = False
) -> float | None:
    if raw is None:
        return None
    raw = raw.strip()
    if nan_is_none and raw.lower() in ("nan", "-nan"):
        return None
    if not _NUMBER.fullmatch(raw):
        raise InvalidInput(f"{raw[:20]!r} is not a decimal number", where)
    v = float(raw)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise InvalidInput(f"must lie between {lo:g} and {hi:g}", where)
    return v


def _need(el: ET.Element, name: str, where: str) -> str:
    v = el.get(name)
    if v is None or not v.strip():
        raise InvalidInput(f"{name} is required", f"{where}/@{name}")
    return v


def read_instant(raw: str | None, where: str) -> datetime:
    if raw is None:
        raise InvalidInput("required (an xs:dateTime such as 2026-11-25T06:00:00.000Z)", where)
    try:
        when = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            f"{raw[:40]!r} is not a time such as 2026-11-25T06:00:00.000Z", where
        ) from None
    if when.tzinfo is None:  # CoT times are UTC; a sender that leaves out the Z means it
        when = when.replace(tzinfo=UTC)
    return check_instant(when, where)


def _height(raw: str | None, where: str, lo: float) -> float | None:
    v = read_number(raw, where, lo, math.inf)
    return None if v is None or v >= UNKNOWN else v


def _error(raw: str | None, where: str) -> float | None:
    v = read_number(raw, where, 0.0, math.inf, nan_is_none=True)  # "le='nan'" is seen in the field
    return None if v is None or v >= UNKNOWN else v


def _vertex(raw: str, where: str) -> tuple[float, float]:
    parts = raw.split(",")
    if len(parts) not in (2, 3):
        raise InvalidInput("a link point is 'lat,lon' or 'lat,lon,hae'", where)
    lat = read_number(parts[0], where, -90.0, 90.0)
    lon = read_number(parts[1], where, -180.0, 180.0)
    assert lat is not None and lon is not None
    return (lat, lon)


def _chat(detail: ET.Element, where: str, remarks: str | None) -> Chat | None:
    el = detail.find("__chat")
    if el is None:
        return None
    w = f"{where}/__chat"
    grp = el.find("chatgrp")
    dests = tuple(
        _text(d.get("callsign"), 64, f"{where}/marti/dest/@callsign") or ""
        for d in detail.iterfind("marti/dest")
        if d.get("callsign")
    )
    return Chat(
        chatroom=_text(el.get("chatroom"), 200, f"{w}/@chatroom") or "",
        chat_id=_text(el.get("id"), 200, f"{w}/@id") or "",
        sender_uid=_text(None if grp is None else grp.get("uid0"), 200, f"{w}/chatgrp/@uid0"),
        sender_callsign=_text(el.get("senderCallsign"), 64, f"{w}/@senderCallsign"),
        message_id=_text(el.get("messageId"), 200, f"{w}/@messageId"),
        text=remarks or "",
        to=dests,
    )


def _detail(detail: ET.Element | None) -> tuple[CotDetail, str | None, float | None, float | None]:
    """The detail, the callsign, and ``<track>``'s course and speed."""
    if detail is None:
        return CotDetail(), None, None, None
    w = "event/detail"
    callsign = course = speed = None
    first: dict[str, ET.Element] = {}
    links: list[str] = []
    link_uid = None
    for child in detail:  # one pass: the first of each element, and every link's point
        if child.tag == "link":
            point = child.get("point")
            if point is not None:
                links.append(point)
            elif link_uid is None and child.get("uid"):
                link_uid = _text(child.get("uid"), 128, f"{w}/link/@uid")
        elif child.tag not in first:
            first[child.tag] = child
    contact = first.get("contact")
    if contact is not None:
        callsign = _text(contact.get("callsign"), 64, f"{w}/contact/@callsign") or None
    track = first.get("track")
    if track is not None:  # an unknown course or speed is sent as NaN by some gateways
        course = read_number(track.get("course"), f"{w}/track/@course", -360, 720, nan_is_none=True)
        course = None if course is None else course % 360.0
        speed = read_number(track.get("speed"), f"{w}/track/@speed", 0, 1e5, nan_is_none=True)
    vertices = tuple(_vertex(p, f"{w}/link/@point") for p in links)
    closed_el = first.get("closed")
    closed = len(vertices) > 2 and vertices[0] == vertices[-1]
    if closed_el is not None and closed_el.get("value", "").lower() == "true":
        closed = True
    ellipse = None
    shape = first.get("shape")
    el = None if shape is None else shape.find("ellipse")
    if el is not None:
        ew = f"{w}/shape/ellipse"
        major = read_number(_need(el, "major", ew), f"{ew}/@major", 0, 1e7)
        minor = read_number(el.get("minor", el.get("major")), f"{ew}/@minor", 0, 1e7)
        angle = read_number(el.get("angle", "0"), f"{ew}/@angle", -360, 720)
        assert major is not None and minor is not None and angle is not None
        ellipse = Ellipse(major, minor, angle)
    mark_el = first.get("__deconfliction")
    mark = None
    if mark_el is not None:
        mark = tuple(
            (k, _text(v, 1000, f"{w}/__deconfliction/@{k}") or "")
            for k, v in sorted(mark_el.attrib.items())
        )
    remarks_el = first.get("remarks")
    remarks = None
    if remarks_el is not None:
        text = "".join(remarks_el.itertext()).strip()
        remarks = _text(text, _MAX_TEXT, f"{w}/remarks", lines=True)
    group = first.get("__group")
    out = CotDetail(
        vertices=vertices,
        closed=closed,
        ellipse=ellipse,
        mark=mark,
        chat=_chat(detail, w, remarks),
        remarks=remarks,
        group=None if group is None else _text(group.get("name"), 64, f"{w}/__group/@name"),
        link_uid=link_uid,
    )
    return out, callsign, course, speed


def _check_depth(root: ET.Element) -> None:
    """Level by level, so a position (three or four levels) costs a few list builds."""
    level = [root]
    for _ in range(MAX_DEPTH):
        level = [child for el in level for child in el]
        if not level:
            return
    raise InvalidInput(f"elements nest deeper than {MAX_DEPTH} levels", "event")


def read_event(root: ET.Element, *, trusted: bool = False) -> CotEvent:
    """A parsed ``<event>`` element, checked: what XML and protobuf events both go through.
    ``trusted``: the line's own event, whose nesting is not checked (its values still are)."""
    if root.tag != "event":
        raise InvalidInput(f"the root element is <{root.tag[:40]}>, not <event>", "event")
    if not trusted:
        _check_depth(root)
    uid = _need(root, "uid", "event")
    _text(uid, 256, "event/@uid")
    type_ = _need(root, "type", "event")
    if len(type_) > 100 or not _TYPE.fullmatch(type_):
        raise InvalidInput("type is CoT atoms joined by '-', such as a-f-G-U-C", "event/@type")
    how = _text(root.get("how", ""), 50, "event/@how") or ""
    time = read_instant(root.get("time"), "event/@time")
    start = read_instant(root.get("start"), "event/@start") if root.get("start") else time
    stale = read_instant(root.get("stale"), "event/@stale")
    point = root.find("point")
    if point is None:
        raise InvalidInput("an event needs a <point>", "event/point")
    lat = read_number(_need(point, "lat", "event/point"), "event/point/@lat", -90.0, 90.0)
    lon = read_number(_need(point, "lon", "event/point"), "event/point/@lon", -180.0, 180.0)
    assert lat is not None and lon is not None
    detail, callsign, course, speed = _detail(root.find("detail"))
    return CotEvent(
        uid=uid,
        type=type_,
        how=how,
        time=time,
        start=start,
        stale=stale,
        lat=lat,
        lon=lon,
        hae_m=_height(point.get("hae"), "event/point/@hae", -20_000.0),
        ce_m=_error(point.get("ce"), "event/point/@ce"),
        le_m=_error(point.get("le"), "event/point/@le"),
        callsign=callsign,
        course_deg=course,
        speed_mps=speed,
        detail=detail,
    )


def _may_hold_dtd(data: bytes) -> bool:
    """Whether ``data`` could declare a DTD: all but a document that starts (after ASCII
    whitespace) with ASCII ``<?xml`` (declaring UTF-8 or ASCII, or nothing) or ``<event``, and
    holds no NUL byte and no ``<!`` (a DOCTYPE, but also comments and CDATA).

    Anything else (a byte-order mark, UTF-16 or UTF-32 with or without one, another declared
    encoding) goes to defusedxml: expat detects those encodings by itself and would read a DTD
    written in them, which no ASCII test of the bytes would see.
    """
    if b"<!" in data or b"\x00" in data:
        return True
    head = data.lstrip(b" \t\r\n")
    if head.startswith(b"<event"):
        return False
    if head.startswith(b"<?xml"):
        prolog = head[: head.find(b"?>") + 2]
        return b"encoding" in prolog and not _UTF8_PROLOG.match(prolog)
    return True


def parse_xml(data: bytes, *, trusted: bool = False) -> ET.Element:
    """The element tree of one XML event, parsed safely (module docstring); not yet checked.
    ``trusted``: the line's own event (a notice of 10,000 vertices), read past the size cap."""
    if len(data) > MAX_EVENT_BYTES and not trusted:
        raise InvalidInput(
            f"an event of {len(data):,} bytes; at most {MAX_EVENT_BYTES:,} are read", "event"
        )
    try:
        if _may_hold_dtd(data):
            root: ET.Element = SafeET.fromstring(data, forbid_dtd=True)
            return root
        return ET.fromstring(data)  # no DTD can be declared here: see _may_hold_dtd
    except DefusedXmlException as e:
        raise InvalidInput(
            f"DTDs, entity declarations and external references are refused ({type(e).__name__})",
            "event",
        ) from None
    except ET.ParseError as e:
        raise InvalidInput(f"not well-formed XML: {e}", "event") from None


def parse_event(data: bytes) -> CotEvent:
    """One CoT XML event (an ``<?xml …?>`` prolog allowed), checked.

    Raises ``InvalidInput`` naming the element or attribute (``event/point/@lat``) and why.
    """
    return read_event(parse_xml(data))
