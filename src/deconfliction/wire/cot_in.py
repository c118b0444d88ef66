"""What a checked CoT event means to the line: a track report (``a-*``), a notice body (a drawing
marked for the line), or a message on a thread (a GeoChat reply); anything else means nothing.

The dicts are exactly what ``POST /v1/tracks`` and ``POST /v1/notices`` take, so the service
checks them as it checks any report or notice and names the field when it refuses one.

Marking a drawing for the line (a party's other sketches never leave it): a detail element
``<__deconfliction kind="operation|site|movement" start end lower upper audience protected
half_width title/>`` (TAK clients keep detail elements they do not know), or a callsign that
starts ``DL:`` (an operation for the drawing's life, start to stale, shared with nobody).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from deconfliction.domain.limits import MAX_ALT_UNC_M
from deconfliction.errors import InvalidInput
from deconfliction.wire.cot_parse import CotEvent, read_instant, read_number
from deconfliction.wire.time import utc_z

__all__ = [
    "ALL_CHAT_ROOMS",
    "DEFAULT_HALF_WIDTH_M",
    "DRAWING_TYPES",
    "LINE_PREFIX",
    "ChatIn",
    "chat_message",
    "notice_source",
    "track_report",
]

DOMAINS = {"A": "air", "G": "ground", "S": "sea"}
"""The third atom of an ``a-*`` type: air, ground, sea surface. Subsurface (U), space (P) and
others are no track of the line."""
DRAWING_TYPES = frozenset({"u-d-f", "u-d-r", "u-d-c-c"})
LINE_PREFIX = "DL:"
DEFAULT_HALF_WIDTH_M = 500.0
"""Half-width of a corridor drawn as an open line without ``half_width``: wide, as every
approximation of the line errs toward reporting."""
ALL_CHAT_ROOMS = "All Chat Rooms"
_MARK = "event/detail/__deconfliction"
_MARK_KEYS = frozenset(
    {"kind", "start", "end", "lower", "upper", "audience", "protected", "half_width", "title"}
)
_KINDS = ("operation", "site", "movement")
_THREAD = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


def track_report(event: CotEvent) -> dict[str, Any] | None:
    """An ``a-*`` position as one ``POST /v1/tracks`` report; ``None`` for any other event.

    Course and speed come from ``<track>`` (0 when absent: CoT has no vertical speed), the
    callsign from ``<contact>``, ``stale_s`` from stale minus time (1 s to a day), ``alt_unc_m``
    from ``le`` (the height's linear error, metres; see :func:`_height`). ``ce`` is not read:
    a track has no horizontal uncertainty (docs/interop.md, "Not mapped").
    """
    atoms = event.type.split("-")
    if len(atoms) < 3 or atoms[0] != "a" or atoms[2] not in DOMAINS:
        return None
    report: dict[str, Any] = {
        "uid": event.uid,
        "domain": DOMAINS[atoms[2]],
        "lat": event.lat,
        "lon": event.lon,
        "gs_mps": event.speed_mps or 0.0,
        "trk_deg": event.course_deg or 0.0,
        "vs_mps": 0.0,
        "time": utc_z(event.time),
        "stale_s": min(max((event.stale - event.time).total_seconds(), 1.0), 86_400.0),
    }
    report.update(_height(event, report["domain"]))
    if event.callsign:
        report["callsign"] = event.callsign
    return report


def _height(event: CotEvent, domain: str) -> dict[str, float]:
    """``alt_m`` and ``alt_unc_m`` from ``hae`` and ``le`` (unknown, 9999999: none, as reported).

    An ``le`` past the widest uncertainty a report may give (``MAX_ALT_UNC_M``, 5 km) says the
    height is all but unknown: a surface track then goes without its height (in every band,
    which covers more than any uncertainty), an air track, which must have one, takes 5 km.
    """
    if event.hae_m is None:
        return {}
    le = event.le_m or 0.0
    if le <= MAX_ALT_UNC_M:
        return {"alt_m": event.hae_m, "alt_unc_m": le} if le else {"alt_m": event.hae_m}
    if domain != "air":
        return {}
    return {"alt_m": event.hae_m, "alt_unc_m": MAX_ALT_UNC_M}


def _mark(event: CotEvent) -> dict[str, str] | None:
    if event.detail.mark is not None:
        mark = dict(event.detail.mark)
        unknown = sorted(set(mark) - _MARK_KEYS)
        if unknown:
            raise InvalidInput(
                f"unknown attribute; use {', '.join(sorted(_MARK_KEYS))}", f"{_MARK}/@{unknown[0]}"
            )
        return mark
    if event.callsign and event.callsign.startswith(LINE_PREFIX):
        return {"kind": "operation", "title": event.callsign[len(LINE_PREFIX) :].strip()}
    return None


def _audience(raw: str | None) -> str | list[str]:
    if raw is None or not raw.strip():
        return []
    if raw.strip() == "all":
        return "all"
    slugs = [s.strip() for s in raw.split(",") if s.strip()]
    for s in slugs:
        if not _SLUG.fullmatch(s):
            raise InvalidInput(
                f"{s[:40]!r} is not a party slug; give 'all' or slugs joined by ','",
                f"{_MARK}/@audience",
            )
    return slugs


def _ring(event: CotEvent, where: str) -> list[list[float]]:
    points = list(event.detail.vertices)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) < 3:
        raise InvalidInput("an area needs at least three distinct <link point> vertices", where)
    ring = [[lon, lat] for lat, lon in points]
    return [*ring, ring[0]]


def _volume(event: CotEvent, mark: dict[str, str]) -> dict[str, Any]:
    where = "event/detail/link"
    volume: dict[str, Any]
    if event.type == "u-d-c-c":
        ellipse = event.detail.ellipse
        if ellipse is None or max(ellipse.major_m, ellipse.minor_m) <= 0:
            raise InvalidInput("a circle needs <shape><ellipse major=…>", "event/detail/shape")
        # an ellipse is held to the circle of its larger radius: it covers the ellipse
        volume = {
            "footprint": {"type": "Point", "coordinates": [event.lon, event.lat]},
            "radius_m": max(ellipse.major_m, ellipse.minor_m),
        }
    elif event.type == "u-d-r" or event.detail.closed:
        volume = {"footprint": {"type": "Polygon", "coordinates": [_ring(event, where)]}}
    else:
        line = [[lon, lat] for lat, lon in event.detail.vertices]
        if len(line) < 2:
            raise InvalidInput("a line needs at least two <link point> vertices", where)
        half = read_number(mark.get("half_width"), f"{_MARK}/@half_width", 1.0, 1e6)
        volume = {
            "footprint": {"type": "LineString", "coordinates": line},
            "half_width_m": half or DEFAULT_HALF_WIDTH_M,
        }
    lower = read_number(mark.get("lower"), f"{_MARK}/@lower", -20_000, 1e6)
    upper = read_number(mark.get("upper"), f"{_MARK}/@upper", -20_000, 1e6)
    if lower is not None or upper is not None:
        volume["altitude"] = {"lower_m": lower, "upper_m": upper}
    start = read_instant(mark["start"], f"{_MARK}/@start") if "start" in mark else event.start
    end = read_instant(mark["end"], f"{_MARK}/@end") if "end" in mark else event.stale
    volume["time"] = {"start": utc_z(start), "end": utc_z(end)}
    return volume


def notice_source(event: CotEvent) -> dict[str, Any] | None:
    """A drawing marked for the line (module docstring) as a ``POST /v1/notices`` body; ``None``
    for an unmarked drawing or any other event. Raises ``InvalidInput`` for a bad marking."""
    if event.type not in DRAWING_TYPES:
        return None
    mark = _mark(event)
    if mark is None:
        return None
    kind = mark.get("kind", "operation")
    if kind not in _KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(_KINDS)}", f"{_MARK}/@kind")
    protected = mark.get("protected", "false").lower()
    if protected not in ("true", "false"):
        raise InvalidInput("protected is true or false", f"{_MARK}/@protected")
    title = mark.get("title")
    if title is None:
        title = (event.callsign or "").removeprefix(LINE_PREFIX).strip()
    return {
        "kind": kind,
        "title": title[:200],
        "protected": protected == "true",
        "audience": _audience(mark.get("audience")),
        "volumes": [_volume(event, mark)],
    }


@dataclass(frozen=True, slots=True)
class ChatIn:
    """A GeoChat typed on a TAK client to a line thread: the thread (the chat id the line's
    own chat events carry), the text, who sent it, and the message's uid (to drop repeats)."""

    thread_id: str
    text: str
    sender_callsign: str | None
    message_uid: str


def chat_message(event: CotEvent) -> ChatIn | None:
    """A GeoChat (``b-t-f``) sent into a line thread's room; ``None`` for other events and for
    chats elsewhere (All Chat Rooms, a team, a person): those are not the line's."""
    chat = event.detail.chat
    if event.type != "b-t-f" or chat is None:
        return None
    if chat.chat_id == ALL_CHAT_ROOMS or not _THREAD.fullmatch(chat.chat_id):
        return None
    if not chat.text.strip():
        return None
    return ChatIn(
        thread_id=chat.chat_id,
        text=chat.text,
        sender_callsign=chat.sender_callsign,
        message_uid=chat.message_id or event.uid,
    )
