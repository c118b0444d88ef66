"""The line's JSON forms, each written once: what the API answers, events carry and the record
hashes. Pure functions of domain values; the store's own formats are in ``store.codec``.
"""

from deconfliction.wire.conflicts import (
    ack_from_record,
    ack_json,
    ack_record,
    conflict_from_record,
    conflict_json,
    conflict_record,
    track_conflict_from_record,
    track_conflict_record,
)
from deconfliction.wire.conversation import message_json, thread_json
from deconfliction.wire.cursor import read_cursor, read_slug_cursor, write_cursor
from deconfliction.wire.geojson import (
    conflict_feature,
    feature_collection,
    notice_feature,
    track_feature,
)
from deconfliction.wire.keys import key_json, key_text, signed_json
from deconfliction.wire.members import member_json
from deconfliction.wire.notices import notice_json, volume_json
from deconfliction.wire.receipts import ack_due_json, message_receipt_json, receipt_json
from deconfliction.wire.time import opt_utc_z, utc_z
from deconfliction.wire.tracks import track_json

__all__ = [
    "ack_from_record",
    "ack_json",
    "ack_record",
    "ack_due_json",
    "conflict_feature",
    "conflict_from_record",
    "conflict_json",
    "conflict_record",
    "feature_collection",
    "key_json",
    "key_text",
    "member_json",
    "message_json",
    "message_receipt_json",
    "notice_feature",
    "notice_json",
    "opt_utc_z",
    "read_cursor",
    "read_slug_cursor",
    "receipt_json",
    "signed_json",
    "thread_json",
    "track_conflict_from_record",
    "track_conflict_record",
    "track_feature",
    "track_json",
    "utc_z",
    "volume_json",
    "write_cursor",
]
