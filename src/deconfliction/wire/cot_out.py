"""Cursor on Target out: the line's JSON views (already redacted for the receiving party) as CoT
events, and TAK Protocol v1 payloads of them. Each event says only what its view says.

Types: a track is ``a-n-{A,G,S}`` (neutral: the line calls no party friend or foe); a notice
volume a drawing (``u-d-c-c`` circle, ``u-d-f`` closed polygon; a corridor is drawn as its
outline), deleted with ``t-x-d-d`` when withdrawn or expired; a conflict an alert (module
``ALERT_TYPES``); a message a GeoChat ``b-t-f`` in a room named for its thread, chat id = thread id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from deconfliction.geo.geojson import parse_footprints
from deconfliction.geo.outline import outline
from deconfliction.wire.xml_text import xml_text

__all__ = [
    "ALERT_TYPES",
    "LINE_UID",
    "chat_event",
    "conflict_event",
    "notice_events",
    "notice_uid",
    "track_event",
]

LINE_UID = "deconfliction-line"
"""The uid the line's own chat events come from (the sender TAK clients reply to)."""
ALERT_TYPES = {"warning": "b-a-o-pan", "caution": "b-a-g", "advisory": "b-a-g", "over": "b-a-o-can"}
"""A conflict's alert by severity. ``warning`` (act now) is ATAK's "Ring The Bell" emergency
(the ``b-a-o-*`` family TAK clients raise as alerts, not the 911 ``b-a-o-tbl`` a person down
sends); ``caution`` and ``advisory`` a geofence-breach alert (``b-a-g``), which alerts without
the emergency; a resolved or expired conflict cancels (``b-a-o-can``), as an emergency is."""
_UNKNOWN = "9999999.0"
_COLOURS = {"operation": "-65536", "site": "-16776961", "movement": "-256"}  # ARGB ints
_ESC = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)


def _q(value: object) -> str:
    """``value`` as XML text or attribute: escaped, and nothing XML 1.0 forbids (``xml_text``)."""
    return xml_text(str(value)).translate(_ESC)


def _t(when: datetime | str) -> str:
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _at(when: str) -> datetime:
    return datetime.fromisoformat(when).astimezone(UTC)


def _event(
    uid: str,
    type_: str,
    how: str,
    time: datetime,
    start: datetime,
    stale: datetime,
    point: tuple[float, float, float | None] | None,
    detail: str,
) -> bytes:
    if point is None:
        where = f'lat="0.0" lon="0.0" hae="{_UNKNOWN}" ce="{_UNKNOWN}" le="{_UNKNOWN}"'
    else:
        lat, lon, hae = point
        h = _UNKNOWN if hae is None else repr(float(hae))
        where = f'lat="{lat!r}" lon="{lon!r}" hae="{h}" ce="{_UNKNOWN}" le="{_UNKNOWN}"'
    return (
        f'<event version="2.0" uid="{_q(uid)}" type="{type_}" how="{how}" time="{_t(time)}" '
        f'start="{_t(start)}" stale="{_t(stale)}"><point {where}/><detail>{detail}</detail></event>'
    ).encode()


def track_event(
    track: Mapping[str, Any], *, stale_s: float | None = None, affiliation: str = "n"
) -> bytes:
    """A ``/v1/tracks`` item as a position. Its uid is ``party.uid`` (two parties' uids never
    collide on a phone); stale after ``stale_s`` (default: the track's own)."""
    domain = {"air": "A", "ground": "G", "sea": "S"}[track["domain"]]
    time = _at(track["time"])
    stale = time + timedelta(seconds=stale_s if stale_s is not None else track["stale_s"])
    party, uid = track["party"], track["uid"]
    callsign = track.get("callsign") or f"{party} {uid}"
    detail = (
        f'<contact callsign="{_q(callsign)}"/>'
        f'<track course="{track["trk_deg"]!r}" speed="{track["gs_mps"]!r}"/>'
        f"<remarks>{_q(party)}</remarks>"
    )
    return _event(
        f"{party}.{uid}",
        f"a-{affiliation}-{domain}",
        "m-g",
        time,
        time,
        stale,
        (track["lat"], track["lon"], track.get("alt_m")),
        detail,
    )


def notice_uid(notice_id: str, volume: int) -> str:
    """The uid of a notice's volume drawing: stable over versions, so an update replaces it."""
    return f"dl-notice.{notice_id}.{volume}"


def _delete(uid: str, time: datetime) -> bytes:
    """ATAK's delete: a ``t-x-d-d`` event linking the uid to remove."""
    detail = f'<link uid="{_q(uid)}" relation="none" type="none"/><__forcedelete/>'
    return _event(
        uid + ".delete",
        "t-x-d-d",
        "h-g-i-g-o",
        time,
        time,
        time + timedelta(minutes=1),
        None,
        detail,
    )


def _remarks(notice: Mapping[str, Any], volume: Mapping[str, Any]) -> str:
    parts = [f"{notice['kind']} of {notice['party']}, version {notice['version']}"]
    parts.append(f"{volume['time']['start']} to {volume['time']['end']}")
    band = volume.get("altitude")
    if band:
        lower = "surface" if band.get("lower_m") is None else f"{band['lower_m']:g} m"
        upper = "unlimited" if band.get("upper_m") is None else f"{band['upper_m']:g} m"
        parts.append(f"{lower} to {upper} above the WGS84 ellipsoid")
    else:
        parts.append("every altitude")
    if notice["protected"]:
        parts.append("PROTECTED (humanitarian or medical)")
    return "; ".join(parts)


def _drawing(notice: Mapping[str, Any], i: int, volume: Mapping[str, Any], now: datetime) -> bytes:
    fp = volume["footprint"]
    start, end = _at(volume["time"]["start"]), _at(volume["time"]["end"])
    colour = _COLOURS[notice["kind"]]
    line = (
        f'<__line notice="{_q(notice["id"])}" volume="{i}" version="{notice["version"]}" '
        f'party="{_q(notice["party"])}" kind="{notice["kind"]}"/>'
    )
    style = (
        f'<strokeColor value="{colour}"/><strokeWeight value="3.0"/>'
        f'<fillColor value="{int(colour) & 0x00FFFFFF | 0x40000000}"/><labels_on value="true"/>'
    )
    title = notice["title"] or f"{notice['party']} {notice['kind']}"
    common = (
        f'<contact callsign="{_q(title)}"/><remarks>{_q(_remarks(notice, volume))}</remarks>'
        f"{style}{line}"
    )
    uid = notice_uid(notice["id"], i)
    if fp["type"] == "Point":
        lon, lat = fp["coordinates"][:2]
        r = float(volume["radius_m"])
        detail = f'<shape><ellipse major="{r!r}" minor="{r!r}" angle="360"/></shape>{common}'
        return _event(uid, "u-d-c-c", "h-e", now, start, end, (lat, lon, None), detail)
    if fp["type"] == "Polygon":
        ring = [tuple(p[:2]) for p in fp["coordinates"][0]]
    else:  # a corridor: its outline, the area the line holds it to
        (footprint,) = parse_footprints(fp, half_width_m=volume.get("half_width_m"))
        ring = [tuple(p) for p in outline(footprint)[0][0]]
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    links = "".join(f'<link point="{lat!r},{lon!r}"/>' for lon, lat in ring)
    lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    lon = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
    return _event(uid, "u-d-f", "h-e", now, start, end, (lat, lon, None), links + common)


def notice_events(
    notice: Mapping[str, Any], *, now: datetime | None = None, previous_volumes: int = 0
) -> list[bytes]:
    """A notice view as one drawing per volume (uid ``notice_uid``), each shown over its window;
    withdrawn or expired: a delete per volume. ``previous_volumes``: how many the version a
    client was last sent had, so that volumes no longer there are deleted too."""
    time = now or _at(notice["updated_at"])
    volumes = notice["volumes"]
    if notice["state"] != "active":
        count = max(len(volumes), previous_volumes)
        return [_delete(notice_uid(notice["id"], i), time) for i in range(count)]
    out = [_drawing(notice, i, v, time) for i, v in enumerate(volumes)]
    out += [
        _delete(notice_uid(notice["id"], i), time) for i in range(len(volumes), previous_volumes)
    ]
    return out


def _place(geometry: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """A point to pin an alert on: the first part of the geometry, a polygon's vertex mean."""
    if geometry is None:
        return None
    kind, coords = geometry["type"], geometry.get("coordinates") or []
    if kind == "GeometryCollection":
        return _place(geometry["geometries"][0]) if geometry["geometries"] else None
    if kind == "Point":
        return (coords[1], coords[0])
    if kind == "MultiPoint":
        pts = coords
    elif kind == "Polygon":
        pts = coords[0][:-1]
    elif kind == "MultiPolygon":
        pts = coords[0][0][:-1]
    else:
        return None
    if not pts:
        return None
    return (sum(p[1] for p in pts) / len(pts), sum(p[0] for p in pts) / len(pts))


def _sentence(c: Mapping[str, Any]) -> str:
    other = c.get("other") or {}
    parts = [f"{c['severity'].upper()}: {c['kind']} conflict ({c['status']})"]
    if other.get("party"):
        parts.append(f"with {other['party']}")
    if "window" in c:
        parts.append(f"overlap {c['window']['start']} to {c['window']['end']}")
    for name, label in (("t_in", "separation lost"), ("cpa", "closest"), ("t_out", "regained")):
        if name in c:
            parts.append(f"{label} {c[name]}")
    if "distance_m" in c:
        parts.append(f"{c['distance_m']:g} m")
    if c.get("reason"):
        parts.append(str(c["reason"]))
    if c.get("redacted"):
        parts.append("the other side is not shared with you: talk to that party")
    if c.get("detail"):
        parts.append(str(c["detail"]))
    return "; ".join(parts)


def conflict_event(
    conflict: Mapping[str, Any],
    *,
    geometry: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> bytes:
    """A ``/v1/conflicts`` item (or its GeoJSON Feature, whose geometry is the places the party
    may see) as an alert pinned there; with no place to show (every side redacted), at 0,0 with
    an unknown error. Resolved or expired: a cancel, stale at once."""
    if conflict.get("type") == "Feature":
        geometry = geometry or conflict.get("geometry")
        conflict = conflict["properties"]
    over = conflict["status"] in ("resolved", "expired")
    type_ = ALERT_TYPES["over" if over else conflict["severity"]]
    time = now or _at(conflict.get("updated_at") or conflict["detected_at"])
    ends = [conflict.get("window", {}).get("end"), conflict.get("t_out")]
    latest = max((_at(e) for e in ends if e), default=time)
    stale = time if over else max(latest, time + timedelta(minutes=10))
    place = _place(geometry)
    other = (conflict.get("other") or {}).get("party", "")
    callsign = f"{conflict['severity'].upper()} {conflict['kind']} {other}".strip()
    detail = (
        f'<contact callsign="{_q(callsign)}"/><remarks>{_q(_sentence(conflict))}</remarks>'
        f'<__line conflict="{_q(conflict["id"])}" severity="{conflict["severity"]}" '
        f'status="{conflict["status"]}"/>'
    )
    if type_ == "b-a-o-pan":
        detail += f'<emergency type="Ring The Bell">{_q(callsign)}</emergency>'
    elif over:
        detail += '<emergency cancel="true"/>'
    point = None if place is None else (place[0], place[1], None)
    return _event(
        f"dl-conflict.{conflict['id']}", type_, "h-g-i-g-o", time, time, stale, point, detail
    )


def _text(message: Mapping[str, Any]) -> str:
    kind = message["kind"]
    head = ""
    if kind == "request":
        head = f"[REQUEST {message['request']}, by {message['deadline']}, {message['state']}] "
    elif kind == "reply":
        head = f"[REPLY {message['reply']}] "
    elif kind == "withdraw":
        head = "[WITHDRAWN] "
    text = head + (message.get("text") or "")
    if message.get("reason"):
        text += f" (reason: {message['reason']})"
    return text


def chat_event(
    thread: Mapping[str, Any], message: Mapping[str, Any], *, to_uid: str | None = None
) -> bytes:
    """A message on a thread as a GeoChat in a group room named for the thread's subject, whose
    chat id is the thread id: a reply typed in that room comes back to the thread."""
    sender = f"{message['party']}/{message['member']}"
    sender_uid = f"{LINE_UID}.{message['party']}"
    room, chat_id, msg_id = thread["subject"] or thread["id"], thread["id"], message["id"]
    time = _at(message["created_at"])
    members = [sender_uid] + ([to_uid] if to_uid else [])
    uids = "".join(f' uid{i}="{_q(u)}"' for i, u in enumerate(members))
    contacts = "".join(f'<contact uid="{_q(u)}" name="{_q(u)}"/>' for u in members)
    detail = (
        f'<__chat parent="UserGroups" groupOwner="false" messageId="{_q(msg_id)}" '
        f'chatroom="{_q(room)}" id="{_q(chat_id)}" senderCallsign="{_q(sender)}">'
        f'<chatgrp{uids} id="{_q(chat_id)}"/><hierarchy><group uid="UserGroups" name="Groups">'
        f'<group uid="{_q(chat_id)}" name="{_q(room)}">{contacts}</group></group></hierarchy>'
        f'</__chat><link uid="{_q(sender_uid)}" type="a-n-G" relation="p-p"/>'
        f'<remarks source="{_q(sender_uid)}" to="{_q(chat_id)}" time="{_t(time)}">'
        f"{_q(_text(message))}</remarks>"
    )
    if to_uid:
        detail += f'<marti><dest uid="{_q(to_uid)}"/></marti>'
    uid = f"GeoChat.{sender_uid}.{chat_id}.{msg_id}"
    return _event(uid, "b-t-f", "h-g-i-g-o", time, time, time + timedelta(days=1), None, detail)
