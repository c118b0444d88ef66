"""Framing of a TAK TCP byte stream into events: XML (``<event>…</event>`` one after another,
each optionally after an ``<?xml …?>`` prolog) and TAK Protocol v1 (0xbf, varint length, payload).

Written here because the framing is all there is to it: the XML rule is TAK's own (split right
after each ``</event>``, ``protocol.txt`` in takproto), and takproto frames only whole buffers.
A frame that passes ``MAX_EVENT_BYTES`` or bytes that cannot start an event raise
``InvalidInput`` at once, so a hostile sender costs at most one frame of memory.
"""

from __future__ import annotations

from deconfliction.errors import InvalidInput
from deconfliction.wire.cot_parse import MAX_EVENT_BYTES

__all__ = ["MESH_HEADER", "ProtobufStream", "XmlStream", "encode_stream", "mesh_payload"]

_END = b"</event>"
_START = b"<event"
_SPACE = b" \t\r\n"
MAGIC = 0xBF
MESH_HEADER = b"\xbf\x01\xbf"
"""A TAK Protocol v1 mesh (UDP) datagram starts with magic, version 1, magic."""


class XmlStream:
    """Cuts a stream of CoT XML into events; ``feed`` returns the complete ones (bytes, each
    from its prolog or ``<event`` to its ``</event>``), keeping a partial one for later."""

    def __init__(self, max_bytes: int = MAX_EVENT_BYTES) -> None:
        self._buf = bytearray()
        self._max = max_bytes
        self._scanned = 0  # bytes of the held frame already searched for </event>

    @property
    def pending(self) -> int:
        """Bytes held of an event not yet complete."""
        return len(self._buf)

    def rest(self) -> bytes:
        """The bytes held, given up (a client that switches to TAK Protocol v1 mid-stream)."""
        out = bytes(self._buf)
        self._buf.clear()
        self._scanned = 0
        return out

    def _event_at(self, buf: bytearray) -> int | None:
        """Where the ``<event`` of the frame at the head of ``buf`` starts; ``None`` while the
        head is too short to tell. Raises on anything else (a DOCTYPE, garbage)."""
        i = 0
        if buf.startswith(b"<?"):
            close = buf.find(b"?>")
            if close < 0:
                if b">" in buf or len(buf) > 512:
                    raise InvalidInput("an <?xml …?> prolog that does not close", "event")
                return None
            i = close + 2
            while i < len(buf) and buf[i] in _SPACE:
                i += 1
        head = bytes(buf[i : i + len(_START) + 1])
        if len(head) <= len(_START):
            if _START.startswith(head):
                return None
        elif head.startswith(_START) and head[-1:] in (b" ", b"\t", b"\r", b"\n", b">"):
            return i
        shown = bytes(buf[i : i + 16])
        raise InvalidInput(f"expected an <event>, got {shown!r}", "event")

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._buf
        buf += data
        out: list[bytes] = []
        while True:
            skip = 0
            while skip < len(buf) and buf[skip] in _SPACE:
                skip += 1
            if skip:
                del buf[:skip]
            if not buf:
                return out
            start = self._event_at(buf)
            # a slow sender's event is searched once, not again on every chunk it trickles in
            end = -1 if start is None else buf.find(_END, max(start, self._scanned))
            if end < 0:
                self._scanned = max(0, len(buf) - len(_END) + 1)
                if len(buf) > self._max:
                    size = len(buf)
                    self.rest()
                    raise InvalidInput(
                        f"an event longer than {self._max:,} bytes ({size:,} held, no </event>)",
                        "event",
                    )
                return out
            end += len(_END)
            self._scanned = 0
            if end > self._max:
                self.rest()
                raise InvalidInput(
                    f"an event of {end:,} bytes; at most {self._max:,} are read", "event"
                )
            out.append(bytes(buf[:end]))
            del buf[:end]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_stream(payload: bytes) -> bytes:
    """A TAK Protocol v1 payload with its streaming header: 0xbf and the varint length."""
    return bytes((MAGIC,)) + _varint(len(payload)) + payload


def mesh_payload(datagram: bytes) -> bytes:
    """The payload of a TAK Protocol v1 mesh datagram (``0xbf 0x01 0xbf`` + payload)."""
    if not datagram.startswith(MESH_HEADER):
        raise InvalidInput("a TAK mesh datagram starts with 0xbf 0x01 0xbf", "event")
    return datagram[len(MESH_HEADER) :]


class ProtobufStream:
    """Cuts a TAK Protocol v1 stream into payloads: each is 0xbf, its length as a varint, then
    that many bytes. ``feed`` returns the complete payloads, keeping a partial one for later."""

    def __init__(self, max_bytes: int = MAX_EVENT_BYTES) -> None:
        self._buf = bytearray()
        self._max = max_bytes

    @property
    def pending(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._buf
        buf += data
        out: list[bytes] = []
        while buf:
            if buf[0] != MAGIC:
                shown = bytes(buf[:8])
                buf.clear()
                raise InvalidInput(
                    f"a TAK Protocol v1 message starts with 0xbf, got {shown!r}", "event"
                )
            length = shift = 0
            i = 1
            while True:
                if i >= len(buf):
                    return out  # the length is still arriving
                byte = buf[i]
                length |= (byte & 0x7F) << shift
                i += 1
                if not byte & 0x80:
                    break
                shift += 7
                if shift > 28:  # past 2**28 (and past any length we read)
                    break
            if length > self._max or shift > 28:
                buf.clear()
                raise InvalidInput(
                    f"a message of {length:,} bytes; at most {self._max:,} are read", "event"
                )
            if len(buf) < i + length:
                return out
            out.append(bytes(buf[i : i + length]))
            del buf[: i + length]
        return out
