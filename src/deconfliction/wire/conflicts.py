"""Conflicts on the wire: a party's view of one (what the API answers and streams push), and a
conflict in full (what the event log keeps, both sides; the same field table as the store's).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from deconfliction.domain import Audience, Conflict, ConflictAck, TrackConflict
from deconfliction.domain.view import ConflictView, Side
from deconfliction.wire.fields import Encoding, decode, encode
from deconfliction.wire.time import utc_z

__all__ = [
    "JSON",
    "ack_from_record",
    "ack_json",
    "ack_record",
    "conflict_from_record",
    "conflict_json",
    "conflict_record",
    "track_conflict_from_record",
    "track_conflict_record",
]

JSON = Encoding(
    instant=utc_z,
    read_instant=datetime.fromisoformat,
    audience=Audience.to_json,
    read_audience=Audience.of,
)
"""The event log's encoding of a record: RFC 3339 instants, audiences as ``"all"`` or slugs."""


def _side(s: Side | None) -> dict[str, Any] | None:
    if s is None:
        return None
    out: dict[str, Any] = {"party": s.party}
    if s.notice is not None:
        out["notice"] = s.notice
        if s.volume is not None:
            out["volume"] = s.volume
        if s.version is not None:
            out["version"] = s.version
    if s.track is not None:
        out["track"] = s.track
    return out


def conflict_json(c: ConflictView) -> dict[str, Any]:
    """A conflict as one party sees it."""
    out: dict[str, Any] = {
        "id": c.id,
        "kind": c.kind.value,
        "status": c.status.value,
        "severity": c.severity.value,
        "mine": _side(c.mine),
        "other": _side(c.other),
        "detected_at": utc_z(c.detected_at),
        "redacted": c.redacted,
    }
    if c.window is not None:
        out["window"] = {"start": utc_z(c.window.start), "end": utc_z(c.window.end)}
    if c.distance_m is not None:
        out["distance_m"] = round(c.distance_m, 1)
    for name in ("t_in", "t_out", "cpa", "updated_at"):
        value = getattr(c, name)
        if value is not None:
            out[name] = utc_z(value)
    if c.reason is not None:
        out["reason"] = c.reason
    if c.agreement is not None:
        out["agreement"] = c.agreement
    if c.detail is not None:
        out["detail"] = c.detail
    out["acknowledged_by"] = [ack_json(a) for a in c.acknowledged_by]
    return {k: v for k, v in out.items() if v is not None}


def ack_json(a: ConflictAck) -> dict[str, Any]:
    """An acknowledgement as a party is shown it: the member only when it is the party's own."""
    out: dict[str, Any] = {"party": a.party, "at": utc_z(a.at), "severity": a.severity.value}
    if a.member is not None:
        out["member"] = a.member
    return out


def ack_record(a: ConflictAck) -> dict[str, Any]:
    """An acknowledgement in the body of the conflict's events: its party, when and at which
    severity, never the member — the other side may read the record entry in clear, and which
    member acted is for its own party only (the store keeps it)."""
    return encode(replace(a, member=None), JSON)


def ack_from_record(r: dict[str, Any]) -> ConflictAck:
    return decode(ConflictAck, r, JSON)


def conflict_record(c: Conflict) -> dict[str, Any]:
    """A strategic conflict in full, both sides: the body of its events."""
    return encode(c, JSON)


def conflict_from_record(r: dict[str, Any]) -> Conflict:
    return decode(Conflict, r, JSON)


def track_conflict_record(c: TrackConflict) -> dict[str, Any]:
    """A conflict on tracks in full, both sides: the body of its events."""
    return encode(c, JSON)


def track_conflict_from_record(r: dict[str, Any]) -> TrackConflict:
    return decode(TrackConflict, r, JSON)
