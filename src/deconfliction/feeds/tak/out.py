"""The line's views as CoT for the TAK door: ``wire.cot``'s encoders where it has them, and a
minimal stand-in (positions, conflict alerts, GeoChat) until it does.

The stand-in exists only because the codec's encoders were not yet written when this door was;
each name here defers to ``wire.cot`` as soon as it defines it. Remove it then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from xml.sax.saxutils import quoteattr

from deconfliction.wire import cot

__all__ = [
    "SPEAKS_PROTOBUF",
    "chat_event",
    "conflict_event",
    "notice_events",
    "protobuf",
    "track_event",
]

_DOMAIN = {"air": "A", "ground": "G", "sea": "S"}


def _z(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _event(
    uid: str, type_: str, at: datetime, stale: datetime, lat: float, lon: float, hae: Any,
    detail: str,
) -> bytes:  # fmt: skip
    h = "9999999.0" if hae is None else repr(float(hae))
    return (
        f'<event version="2.0" uid={quoteattr(uid)} type={quoteattr(type_)} how="m-g" '
        f'time="{_z(at)}" start="{_z(at)}" stale="{_z(stale)}"><point lat="{lat!r}" '
        f'lon="{lon!r}" hae="{h}" ce="9999999.0" le="9999999.0"/><detail>{detail}</detail>'
        "</event>"
    ).encode()


def _track_event(t: dict[str, Any]) -> bytes:
    at = _instant(t["time"])
    stale = at + timedelta(seconds=float(t.get("stale_s") or 60.0))
    callsign = t.get("callsign") or f"{t['party']}/{t['uid']}"
    return _event(
        f"dl-{t['party']}-{t['uid']}",
        f"a-u-{_DOMAIN.get(t.get('domain', ''), 'G')}",
        at,
        stale,
        float(t["lat"]),
        float(t["lon"]),
        t.get("alt_m"),
        f"<contact callsign={quoteattr(str(callsign))}/>"
        f'<track course="{float(t.get("trk_deg") or 0.0)!r}" '
        f'speed="{float(t.get("gs_mps") or 0.0)!r}"/>',
    )


def _conflict_event(c: dict[str, Any]) -> bytes:
    now = datetime.now(UTC)
    where = c.get("position") or c.get("where") or {}
    lat = float(where.get("lat", 0.0)) if isinstance(where, dict) else 0.0
    lon = float(where.get("lon", 0.0)) if isinstance(where, dict) else 0.0
    text = f"{c.get('type', 'conflict')} conflict, {c.get('severity', '')}, {c.get('status', '')}"
    return _event(
        f"dl-conflict-{c['id']}",
        "b-a-o-tbl",
        now,
        now + timedelta(minutes=10),
        lat,
        lon,
        None,
        f"<contact callsign={quoteattr('Conflict ' + str(c['id'])[-6:])}/>"
        f"<__deconfliction conflict={quoteattr(str(c['id']))} "
        f"severity={quoteattr(str(c.get('severity', '')))}/>"
        f"<remarks>{text}</remarks>",
    )


def _chat_event(
    thread: dict[str, Any], message: dict[str, Any], to_uid: str | None = None
) -> bytes:
    now = datetime.now(UTC)
    room = str(thread["id"])
    sender = f"{message.get('party', 'line')}"
    text = str(message.get("text") or message.get("kind") or "")
    uid = f"GeoChat.dl-line.{room}.{message.get('id', '')}"
    return _event(
        uid,
        "b-t-f",
        now,
        now + timedelta(days=1),
        0.0,
        0.0,
        None,
        f"<__chat chatroom={quoteattr(room)} id={quoteattr(room)} "
        f"senderCallsign={quoteattr(sender)} messageId={quoteattr(str(message.get('id', '')))}>"
        f'<chatgrp uid0="dl-line" id={quoteattr(room)}/></__chat>'
        f'<remarks source="dl-line" time="{_z(now)}">'
        + text.replace("&", "&amp;").replace("<", "&lt;")
        + "</remarks>",
    )


def _encoder(name: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    return cast(Callable[..., Any], getattr(cot, name, fallback))


track_event: Callable[[dict[str, Any]], bytes] = _encoder("track_event", _track_event)
conflict_event: Callable[[dict[str, Any]], bytes] = _encoder("conflict_event", _conflict_event)
chat_event: Callable[..., bytes] = _encoder("chat_event", _chat_event)
notice_events: Callable[[dict[str, Any]], list[bytes]] = _encoder("notice_events", lambda n: [])
_to_protobuf: Callable[[bytes], bytes] | None = getattr(cot, "to_protobuf", None)
SPEAKS_PROTOBUF = _to_protobuf is not None
"""Whether the door may accept a client's TAK Protocol v1 request."""


def protobuf(xml: bytes) -> bytes | None:
    """The event as TAK Protocol v1 in its stream framing; ``None`` while the codec has none."""
    if _to_protobuf is None:
        return None
    return cot.encode_stream(_to_protobuf(xml))
