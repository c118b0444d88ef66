"""Feeds: a party's standing connections to outside sources of tracks (an ADS-B receiver, AIS),
and the rules for naming their sources, checked once before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from deconfliction.errors import InvalidInput

__all__ = ["Feed", "FeedKind", "check_source"]

_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\]")


class FeedKind(StrEnum):
    ADSB_SBS = "adsb-sbs"
    """SBS-1 BaseStation text over TCP (dump1090, readsb: port 30003)."""
    ADSB_JSON = "adsb-json"
    """readsb/tar1090 ``aircraft.json``, polled over HTTP."""
    AIS_TCP = "ais-tcp"
    """NMEA ``!AIVDM``/``!AIVDO`` sentences read from a TCP server."""
    AIS_UDP = "ais-udp"
    """NMEA sentences received as UDP datagrams on a local address."""

    @classmethod
    def parse(cls, value: str, pointer: str = "/kind") -> FeedKind:
        try:
            return cls(value)
        except ValueError:
            valid = ", ".join(k.value for k in cls)
            raise InvalidInput(
                f"unknown feed kind {value!r}; valid kinds are {valid}", pointer
            ) from None

    @property
    def source_tag(self) -> str:
        """The glossary's track source this feed's tracks come from: ``adsb`` or ``ais``."""
        return self.value.partition("-")[0]


def _host_port(text: str, pointer: str, host_optional: bool) -> str:
    host, sep, port = text.rpartition(":")
    if not sep and host_optional:
        host, port = "", text
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInput(f"{text!r} needs a port from 1 to 65535 after the host (HOST:PORT)",
                           pointer)  # fmt: skip
    if host == "" and host_optional:
        return f"127.0.0.1:{int(port)}"  # loopback unless asked: anyone who reaches it reports
    if not _HOST.fullmatch(host):
        raise InvalidInput(f"{host!r} is not a host name or address (HOST:PORT)", pointer)
    return f"{host}:{int(port)}"


def check_source(kind: FeedKind, source: str, pointer: str = "/source") -> str:
    """The feed's source in its canonical form, or ``InvalidInput`` saying what is wrong.

    ``host:port`` for the sockets (a UDP feed may give only the port it listens on),
    an ``http(s)://`` URL for ``aircraft.json``.

    >>> check_source(FeedKind.AIS_UDP, "10110")
    '127.0.0.1:10110'
    >>> check_source(FeedKind.ADSB_SBS, "receiver.local:30003")
    'receiver.local:30003'
    """
    text = source.strip()
    if not text or len(text) > 2000 or not text.isprintable():
        raise InvalidInput("a feed's source is 1-2000 printable characters", pointer)
    if kind is FeedKind.ADSB_JSON:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput(f"{text!r} is not an http:// or https:// URL of aircraft.json",
                               pointer)  # fmt: skip
        if parts.username or parts.password:
            raise InvalidInput("put no user or password in the URL (it would be shown)", pointer)
        return text
    return _host_port(text, pointer, host_optional=kind is FeedKind.AIS_UDP)


@dataclass(frozen=True, slots=True)
class Feed:
    """A standing connection of ``party`` to ``source``; what it reads it reports as
    ``member``, a coordinator of the party made for it (revoking that member stops it)."""

    id: str
    party: str
    kind: FeedKind
    source: str
    member: str
    created_at: datetime
    options: str = "{}"
    """Kind-specific settings as a JSON object (none are defined yet; kept for the future)."""

    @property
    def name(self) -> str:
        """How the feed is named, as its member: ``adsb-sbs 10.0.0.5:30003``."""
        return f"{self.kind.value} {self.source}"[:200]
