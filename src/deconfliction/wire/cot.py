"""Cursor on Target, both ways: the one codec TAK front doors use (pure: no sockets).

In: ``parse_event`` / ``parse_protobuf`` read one event safely into a checked ``CotEvent``;
``XmlStream`` / ``ProtobufStream`` cut a TCP stream into events; ``track_report``,
``notice_source`` and ``chat_message`` say what an event means to the line. Out: the line's JSON
views as CoT events, and TAK Protocol v1 payloads of them. See docs/interop.md.
"""

from deconfliction.wire.cot_in import (
    ALL_CHAT_ROOMS,
    DEFAULT_HALF_WIDTH_M,
    DRAWING_TYPES,
    LINE_PREFIX,
    ChatIn,
    chat_message,
    notice_source,
    track_report,
)
from deconfliction.wire.cot_out import (
    ALERT_TYPES,
    LINE_UID,
    chat_event,
    conflict_event,
    notice_events,
    notice_uid,
    track_event,
)
from deconfliction.wire.cot_parse import (
    MAX_EVENT_BYTES,
    Chat,
    CotDetail,
    CotEvent,
    Ellipse,
    parse_event,
)
from deconfliction.wire.cot_proto import parse_protobuf, to_protobuf
from deconfliction.wire.cot_stream import (
    MESH_HEADER,
    ProtobufStream,
    XmlStream,
    encode_stream,
    mesh_payload,
)

__all__ = [
    "ALERT_TYPES",
    "ALL_CHAT_ROOMS",
    "LINE_UID",
    "DEFAULT_HALF_WIDTH_M",
    "DRAWING_TYPES",
    "LINE_PREFIX",
    "MAX_EVENT_BYTES",
    "MESH_HEADER",
    "Chat",
    "ChatIn",
    "CotDetail",
    "CotEvent",
    "Ellipse",
    "ProtobufStream",
    "XmlStream",
    "chat_event",
    "chat_message",
    "conflict_event",
    "encode_stream",
    "mesh_payload",
    "notice_events",
    "notice_source",
    "notice_uid",
    "parse_event",
    "parse_protobuf",
    "to_protobuf",
    "track_event",
    "track_report",
]
