"""The few TAK control events the server itself says: the pong to a client's ping, and TAK
Protocol negotiation (``t-x-takp-v`` offers version 1, ``t-x-takp-r`` answers a client's
``t-x-takp-q``). Fixed texts with a time in them: no codec needed, and none of the client's
words is ever echoed."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["NEGOTIATE", "PING", "PONG", "offer", "pong", "response"]

PING = "t-x-c-t"
PONG = "t-x-c-t-r"
NEGOTIATE = "t-x-takp-q"
_OFFER = "t-x-takp-v"
_RESPONSE = "t-x-takp-r"


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _event(uid: str, type_: str, now: datetime, detail: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<event version="2.0" uid="{uid}" '
        f'type="{type_}" how="h-g-i-g-o" time="{_z(now)}" start="{_z(now)}" '
        f'stale="{_z(now + timedelta(seconds=20))}"><point lat="0.0" lon="0.0" hae="0.0" '
        f'ce="9999999.0" le="9999999.0"/><detail>{detail}</detail></event>'
    ).encode()


def pong(now: datetime) -> bytes:
    """The answer to a client's ``t-x-c-t``."""
    return _event("takPong", PONG, now, "")


def offer(now: datetime) -> bytes:
    """Sent on connecting: the server speaks TAK Protocol version 1 when asked."""
    return _event(
        "protouid", _OFFER, now, '<TakControl><TakProtocolSupport version="1"/></TakControl>'
    )


def response(now: datetime, accepted: bool) -> bytes:
    """The answer to a client's ``t-x-takp-q``; after a true one both sides speak version 1."""
    status = "true" if accepted else "false"
    return _event(
        "protouid", _RESPONSE, now, f'<TakControl><TakResponse status="{status}"/></TakControl>'
    )
