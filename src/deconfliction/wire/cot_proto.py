"""TAK Protocol v1 both ways: a ``TakMessage`` (takproto's generated protobuf) read as the XML
event it stands for and checked as XML events are, and an XML event written as one.

The mapping is the one takproto's ``.proto`` comments give: ``cotEvent`` holds the event's
attributes and point (times in ms since 1970), the detail's ``contact``, ``__group``,
``precisionlocation``, ``status``, ``takv`` and ``track`` have typed fields, and every other detail
element travels as XML text in ``xmlDetail`` (parsed here by defusedxml, as any XML).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from google.protobuf.message import DecodeError
from takproto.proto import TakMessage

from deconfliction.errors import InvalidInput
from deconfliction.wire.cot_parse import MAX_EVENT_BYTES, CotEvent, parse_xml, read_event

__all__ = ["event_element", "parse_protobuf", "to_protobuf"]


def _ms(ms: int, where: str) -> str:
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        raise InvalidInput(
            "times must lie between 1970-01-01 and 2200-01-01 (UTC)", where
        ) from None


def _put(el: ET.Element, tag: str, **attrs: str) -> None:
    ET.SubElement(el, tag, {k: v for k, v in attrs.items() if v})


def event_element(message: TakMessage) -> ET.Element:
    """The XML ``<event>`` a TAK Protocol v1 message stands for (the mapping of takproto's
    ``.proto`` comments: typed detail fields become their elements, ``xmlDetail`` the rest)."""
    ev = message.cotEvent
    root = ET.Element("event", {"version": "2.0", "uid": ev.uid, "type": ev.type, "how": ev.how})
    for name, ms in (("time", ev.sendTime), ("start", ev.startTime), ("stale", ev.staleTime)):
        if ms:
            root.set(name, _ms(ms, f"event/@{name}"))
    values = {k: repr(getattr(ev, k)) for k in ("lat", "lon", "hae", "ce", "le")}
    ET.SubElement(root, "point", values)
    d = ev.detail
    try:
        detail = SafeET.fromstring(f"<detail>{d.xmlDetail}</detail>", forbid_dtd=True)
    except DefusedXmlException:
        raise InvalidInput("DTDs and entities are refused", "event/detail") from None
    except ET.ParseError as e:
        raise InvalidInput(f"xmlDetail is not well-formed XML: {e}", "event/detail") from None
    if d.HasField("contact"):
        _put(detail, "contact", callsign=d.contact.callsign, endpoint=d.contact.endpoint)
    if d.HasField("group"):
        _put(detail, "__group", name=d.group.name, role=d.group.role)
    if d.HasField("track"):
        _put(detail, "track", course=repr(d.track.course), speed=repr(d.track.speed))
    root.append(detail)
    return root


def parse_protobuf(payload: bytes) -> CotEvent:
    """One TAK Protocol v1 payload (a ``TakMessage``, without its stream or mesh header),
    checked exactly as an XML event is."""
    if len(payload) > MAX_EVENT_BYTES:
        raise InvalidInput(
            f"an event of {len(payload):,} bytes; at most {MAX_EVENT_BYTES:,} are read", "event"
        )
    try:
        message = TakMessage.FromString(payload)
    except (DecodeError, ValueError, RecursionError) as e:
        raise InvalidInput(f"not a TAK Protocol v1 message: {e}", "event") from None
    if not message.HasField("cotEvent"):
        raise InvalidInput("the TakMessage carries no cotEvent", "event")
    return read_event(event_element(message))


_TYPED = {"contact", "__group", "precisionlocation", "status", "takv", "track"}


def _epoch_ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def to_protobuf(xml: bytes, *, trusted: bool = False) -> bytes:
    """One CoT XML event as a TAK Protocol v1 payload (a ``TakMessage``, without header): the
    typed detail fields of takproto's ``.proto`` where they exist, the rest in ``xmlDetail``.

    ``trusted``: the line's own event (``cot_out``), read without the size and depth caps put on
    what clients send (a notice's drawing may be 500 KB), but still parsed safely (no DTD)."""
    root = parse_xml(xml, trusted=trusted)
    checked = read_event(root, trusted=trusted)
    message = TakMessage()
    ev = message.cotEvent
    ev.type, ev.uid, ev.how = checked.type, checked.uid, checked.how
    ev.sendTime, ev.startTime = _epoch_ms(checked.time), _epoch_ms(checked.start)
    ev.staleTime = _epoch_ms(checked.stale)
    point = root.find("point")
    assert point is not None  # read_event checked it
    ev.lat, ev.lon = checked.lat, checked.lon
    for name in ("hae", "ce", "le"):
        value: float | None = getattr(checked, {"hae": "hae_m", "ce": "ce_m", "le": "le_m"}[name])
        setattr(ev, name, 9_999_999.0 if value is None else value)
    detail = root.find("detail")
    rest: list[str] = []
    for child in [] if detail is None else list(detail):
        get = child.get
        if child.tag == "contact":
            ev.detail.contact.callsign = get("callsign", "")
            ev.detail.contact.endpoint = get("endpoint", "")
        elif child.tag == "__group":
            ev.detail.group.name, ev.detail.group.role = get("name", ""), get("role", "")
        elif child.tag == "precisionlocation":
            ev.detail.precisionLocation.geopointsrc = get("geopointsrc", "")
            ev.detail.precisionLocation.altsrc = get("altsrc", "")
        elif child.tag == "status" and (get("battery") or "").isdigit():
            ev.detail.status.battery = int(get("battery", "0"))
        elif child.tag == "takv":
            for k in ("device", "platform", "os", "version"):
                setattr(ev.detail.takv, k, get(k, ""))
        elif child.tag == "track" and checked.course_deg is not None:
            ev.detail.track.course = checked.course_deg
            ev.detail.track.speed = checked.speed_mps or 0.0
        else:
            child.tail = None
            rest.append(ET.tostring(child, encoding="unicode"))
    ev.detail.xmlDetail = "".join(rest)
    return bytes(message.SerializeToString())
