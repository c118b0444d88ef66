"""AIS as NMEA 0183 (``!AIVDM``, ``!AIVDO``) read into sea track reports with ``pyais``: positions
from message types 1-3 (class A), 18 and 19 (class B); names and call signs from 5 and 24.

``pyais`` decodes the sentences; this module puts multi-part sentences back together itself
(``pyais.queue.NMEAQueue`` skips bad lines silently, and they must be counted) with a bound on
what it holds, and maps values: "not available" (latitude 91, longitude 181, speed 102.3 kn,
course 360, heading 511) is never reported as a value.

>>> from datetime import UTC, datetime
>>> t = AisTracker()
>>> r = t.feed("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C", datetime(2026, 12, 8, tzinfo=UTC))
>>> r["uid"], r["domain"], r["lat"], r["lon"], r["gs_mps"], r["trk_deg"]
('mmsi:366053209', 'sea', 37.802118, -122.341618, 0.0, 219.3)
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from pyais.exceptions import AISBaseException
from pyais.messages import AISSentence, NMEASentenceFactory

from deconfliction.wire.sbs import KT
from deconfliction.wire.time import utc_z

__all__ = ["AisTracker"]

_POSITIONS = frozenset({1, 2, 3, 18, 19})
_STATIC = frozenset({5, 19, 24})
_MAX_SLOTS = 64
"""Multi-part sentences being put together at once (NMEA has 10 sequence ids per channel)."""
_PART_S = 10.0
"""How long the first part of a sentence waits for the rest, seconds."""
_MAX_NAMES = 50_000
_DECODE_ERRORS = (AISBaseException, ValueError, IndexError, KeyError, TypeError)


def _name(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.replace("@", " ").strip()
    return text[:64] if text and text.isprintable() else None


class AisTracker:
    """Decodes NMEA lines one by one; :meth:`feed` returns a sea track report when a line
    completes a position, and raises ``ValueError`` (saying why) for a line it cannot use."""

    def __init__(self) -> None:
        self._parts: dict[tuple[int, str], tuple[datetime, list[AISSentence | None]]] = {}
        self._names: OrderedDict[int, str] = OrderedDict()

    def feed(self, line: str | bytes, now: datetime) -> dict[str, Any] | None:
        raw = line.encode("ascii", "replace") if isinstance(line, str) else line
        raw = raw.strip()
        if not raw.startswith((b"!AIVDM", b"!AIVDO")) or len(raw) > 200:
            raise ValueError("not an !AIVDM or !AIVDO sentence")
        try:
            sentence = NMEASentenceFactory.produce(raw)
        except _DECODE_ERRORS as e:
            raise ValueError(f"not an AIS sentence: {e}") from None
        if not isinstance(sentence, AISSentence) or not sentence.is_valid:
            raise ValueError("bad checksum")
        whole = sentence if sentence.is_single else self._assemble(sentence, now)
        if whole is None:
            return None
        try:
            msg = whole.decode().asdict()
        except _DECODE_ERRORS as e:
            raise ValueError(f"cannot decode the AIS message: {e}") from None
        return self._use(msg, now)

    def _assemble(self, s: AISSentence, now: datetime) -> AISSentence | None:
        count, num = s.fragment_count, s.frag_num
        if not 1 <= num <= count <= 9:
            raise ValueError(f"fragment {num} of {count}")
        for slot, (since, _) in list(self._parts.items()):
            if (now - since).total_seconds() > _PART_S:
                del self._parts[slot]
        slot = (-1 if s.seq_id is None else int(s.seq_id), str(s.channel))
        held = self._parts.get(slot)
        if held is None or num == 1 or len(held[1]) != count:
            if len(self._parts) >= _MAX_SLOTS and slot not in self._parts:
                raise ValueError("too many multi-part sentences at once")
            held = self._parts[slot] = (now, [None] * count)
        held[1][num - 1] = s
        parts = held[1]
        if any(p is None for p in parts):
            return None
        del self._parts[slot]
        try:
            return AISSentence.assemble_from_iterable([p for p in parts if p is not None])
        except _DECODE_ERRORS as e:
            raise ValueError(f"cannot put the parts together: {e}") from None

    def _use(self, msg: dict[str, Any], now: datetime) -> dict[str, Any] | None:
        kind, mmsi = msg.get("msg_type"), msg.get("mmsi")
        if not isinstance(mmsi, int) or not 0 < mmsi < 1_000_000_000:
            raise ValueError(f"MMSI {mmsi!r} is not nine digits")
        if kind in _STATIC:
            name = _name(msg.get("shipname")) or _name(msg.get("callsign"))
            if name:
                self._names[mmsi] = name
                self._names.move_to_end(mmsi)
                while len(self._names) > _MAX_NAMES:
                    self._names.popitem(last=False)
        if kind not in _POSITIONS:
            return None
        lat, lon, sog = msg.get("lat"), msg.get("lon"), msg.get("speed")
        cog, heading = msg.get("course"), msg.get("heading")
        if not all(isinstance(v, int | float) for v in (lat, lon, sog)):
            raise ValueError("a position report without latitude, longitude or speed")
        assert isinstance(lat, int | float) and isinstance(lon, int | float)
        assert isinstance(sog, int | float)
        if lat == 91 or lon == 181 or sog >= 102.3:
            return None  # position or speed not available: nothing to report
        if not (-90 <= lat <= 90 and -180 <= lon <= 180 and sog >= 0):
            raise ValueError(f"latitude {lat} or longitude {lon} out of range")
        if isinstance(cog, int | float) and 0 <= cog < 360:
            trk = float(cog)
        elif isinstance(heading, int) and 0 <= heading < 360:
            trk = float(heading)  # no course over ground: the bow's heading is the best guess
        elif sog < 0.5:
            trk = 0.0  # still: which way it points does not move it
        else:
            return None  # moving, and no way to tell where
        report: dict[str, Any] = {
            "uid": f"mmsi:{mmsi:09d}", "domain": "sea", "lat": float(lat), "lon": float(lon),
            "gs_mps": float(sog) * KT, "trk_deg": trk, "vs_mps": 0.0, "time": utc_z(now),
        }  # fmt: skip
        name = self._names.get(mmsi) or _name(msg.get("shipname"))
        if name:
            report["callsign"] = name
        return report
