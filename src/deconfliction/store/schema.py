"""The tables as SQLAlchemy Core objects, for building statements (the migrations create them).

Instants are ``*_us`` columns: integer microseconds since the Unix epoch, UTC. The spatial index
(``volume_box``) differs by database and is reached through ``store.spatial``.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "ack_due",
    "budget_spend",
    "conflict",
    "conflict_ack",
    "event",
    "feed",
    "member",
    "message",
    "metadata",
    "notice",
    "notice_change",
    "notice_version",
    "party",
    "probing_told",
    "receipt",
    "record_cosignature",
    "stream_ticket",
    "thread",
    "thread_party",
    "track",
    "track_conflict",
    "volume",
]

metadata = sa.MetaData()

# An INTEGER PRIMARY KEY is SQLite's rowid; BIGINT everywhere else.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

party = sa.Table(
    "party",
    metadata,
    sa.Column("slug", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
)

member = sa.Table(
    "member",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("token_hash", sa.String(128), nullable=False, unique=True),
    sa.Column("public_key", sa.Text),
    sa.Column("key_registered_us", sa.BigInteger),
    sa.Column("expires_us", sa.BigInteger),
    sa.Column("revoked_us", sa.BigInteger),
    sa.Column("last_used_us", sa.BigInteger),
    sa.Column("token_prefix", sa.String(16), unique=True),
)
"""``public_key``: the member's registered Ed25519 key (base64 of 32 bytes), if any;
``expires_us``, ``revoked_us``, ``last_used_us`` and ``token_prefix``: its token's life."""

notice = sa.Table(
    "notice",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("protected", sa.Boolean, nullable=False),
    sa.Column("audience", sa.Text, nullable=False),
    sa.Column("buffer_h_m", sa.Float),
    sa.Column("buffer_v_m", sa.Float),
    sa.Column("buffer_t_s", sa.Float),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("updated_us", sa.BigInteger, nullable=False),
    sa.Column("t_start_us", sa.BigInteger),
    sa.Column("t_end_us", sa.BigInteger),
    sa.Column("volumes", sa.Text, nullable=False),
    sa.Column("extra", sa.Text, nullable=False),
)

notice_version = sa.Table(
    "notice_version",
    metadata,
    sa.Column("notice_id", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("recorded_us", sa.BigInteger, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

notice_change = sa.Table(
    "notice_change",
    metadata,
    sa.Column("seq", BigId, primary_key=True, autoincrement=False),
    sa.Column("notice_id", sa.String(128), nullable=False),
)
"""One row per notice write, numbered in commit order (under the notice write lock): how each
process's in-memory index of volumes (``store.memindex``) learns of writes made elsewhere."""

volume = sa.Table(
    "volume",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=False),
    sa.Column("notice_id", sa.String(128), nullable=False),
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("alt_lower_m", sa.Float),
    sa.Column("alt_upper_m", sa.Float),
    sa.Column("t_start_us", sa.BigInteger, nullable=False),
    sa.Column("t_end_us", sa.BigInteger, nullable=False),
    sa.Column("buffer_h_m", sa.Float),
    sa.Column("buffer_v_m", sa.Float),
    sa.Column("buffer_t_s", sa.Float),
    sa.Column("n_boxes", sa.Integer, nullable=False),
    sa.Column("boxes", sa.LargeBinary, nullable=False),
    sa.Column("shape", sa.LargeBinary, nullable=False),
    sa.Column("audience", sa.Text, nullable=False),
)

conflict = sa.Table(
    "conflict",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("party_a", sa.String(64), nullable=False),
    sa.Column("notice_a", sa.String(128), nullable=False),
    sa.Column("volume_a", sa.Integer, nullable=False),
    sa.Column("version_a", sa.Integer, nullable=False),
    sa.Column("party_b", sa.String(64), nullable=False),
    sa.Column("notice_b", sa.String(128), nullable=False),
    sa.Column("volume_b", sa.Integer, nullable=False),
    sa.Column("version_b", sa.Integer, nullable=False),
    sa.Column("distance_m", sa.Float, nullable=False),
    sa.Column("window_start_us", sa.BigInteger, nullable=False),
    sa.Column("window_end_us", sa.BigInteger, nullable=False),
    sa.Column("detected_us", sa.BigInteger, nullable=False),
    sa.Column("resolved_us", sa.BigInteger),
    sa.Column("severity", sa.String(8), nullable=False, server_default="advisory"),
    sa.Column("updated_us", sa.BigInteger),
)
"""``updated_us``: when the conflict last changed after it was detected (a notice's new version,
a raised severity); the ``since`` filter reads it."""

conflict_ack = sa.Table(
    "conflict_ack",
    metadata,
    sa.Column("conflict_id", sa.String(128), primary_key=True),
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("member", sa.String(128), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("at_us", sa.BigInteger, nullable=False),
)
"""A party's acknowledgement of a conflict (strategic or on tracks): by which member, when, and
at which severity; a conflict that escalates above it is open again for that party."""

track = sa.Table(
    "track",
    metadata,
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("uid", sa.String(128), primary_key=True),
    sa.Column("domain", sa.String(8), nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("alt_m", sa.Float),  # NULL: a surface track reported without its height
    sa.Column("gs_mps", sa.Float, nullable=False),
    sa.Column("trk_deg", sa.Float, nullable=False),
    sa.Column("vs_mps", sa.Float, nullable=False),
    sa.Column("time_us", sa.BigInteger, nullable=False),
    sa.Column("stale_s", sa.Float, nullable=False),
    sa.Column("live_until_us", sa.BigInteger, nullable=False),
    sa.Column("audience", sa.Text, nullable=False),
    sa.Column("callsign", sa.Text),
    sa.Column("movement", sa.String(128)),
    sa.Column("stopped_since_us", sa.BigInteger),
    sa.Column("received_us", sa.BigInteger, nullable=False),
    sa.Column("alt_unc_m", sa.Float, nullable=False, server_default="0"),
    sa.Column("rev", sa.BigInteger, nullable=False, server_default="0"),
)
"""``alt_unc_m``: how far the true height may lie from ``alt_m`` either way (0: as reported).
``rev``: which write last changed the row, growing in commit order as a scan reads it (SQLite: one
more than the table's highest, under the single write lock; PostgreSQL: the writing transaction's
id, read back from the snapshot's xmin): a scan's cache of live tracks catches up on ``rev >=``
the mark it last read (``store.tracks``)."""

feed = sa.Table(
    "feed",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("options", sa.Text, nullable=False),
    sa.Column("member", sa.String(128), nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
)
"""A party's standing connection to an outside source of tracks, reporting as ``member``."""

track_conflict = sa.Table(
    "track_conflict",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("party_a", sa.String(64), nullable=False),
    sa.Column("track_a", sa.String(128)),
    sa.Column("party_b", sa.String(64)),
    sa.Column("track_b", sa.String(128)),
    sa.Column("notice_b", sa.String(128)),
    sa.Column("volume_b", sa.Integer),
    sa.Column("movement", sa.String(128)),
    sa.Column("reason", sa.String(32)),
    sa.Column("t_in_us", sa.BigInteger, nullable=False),
    sa.Column("t_out_us", sa.BigInteger),
    sa.Column("cpa_us", sa.BigInteger),
    sa.Column("distance_m", sa.Float),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("told", sa.Text, nullable=False),
    sa.Column("visible_a", sa.Text, nullable=False),
    sa.Column("visible_b", sa.Text, nullable=False),
    sa.Column("detected_us", sa.BigInteger, nullable=False),
    sa.Column("updated_us", sa.BigInteger, nullable=False),
    sa.Column("resolved_us", sa.BigInteger),
    sa.Column("agreement", sa.String(128)),
    sa.Column("notice_a", sa.String(128)),
    sa.Column("volume_a", sa.Integer),
    sa.Column("severity", sa.String(8), nullable=False, server_default="advisory"),
)

event = sa.Table(
    "event",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("at_us", sa.BigInteger, nullable=False),
    sa.Column("subject", sa.String(128), nullable=False),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("told", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

record_node = sa.Table(
    "record_node",
    metadata,
    sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary, nullable=False),
    sqlite_with_rowid=False,
)
"""The hash of every perfect subtree of the record's Merkle tree: ``(level, idx)`` covers
events ``idx * 2**level + 1`` to ``(idx + 1) * 2**level`` (level 0: each event's leaf hash)."""

record_checkpoint = sa.Table(
    "record_checkpoint",
    metadata,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at_us", sa.BigInteger, nullable=False),
    sa.Column("root", sa.LargeBinary, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)
"""Every signed tree head the line has published, as its signed note."""

record_line = sa.Table(
    "record_line",
    metadata,
    sa.Column("origin", sa.Text, primary_key=True),
    sa.Column("vkey", sa.Text, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
)
"""The line's name and the public key its record is signed with (one row, from the first
checkpoint on)."""

record_cosignature = sa.Table(
    "record_cosignature",
    metadata,
    sa.Column("member", sa.String(128), primary_key=True),
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("vkey", sa.Text, nullable=False),
    sa.Column("root", sa.LargeBinary, nullable=False),
    sa.Column("time_s", sa.BigInteger, nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Column("received_us", sa.BigInteger, nullable=False),
)
"""Witness cosignatures (c2sp.org/tlog-cosignature) of the checkpoint over ``size`` events, by a
member of ``party`` under its cosigner key ``vkey``; ``signature`` is the signature line."""

receipt = sa.Table(
    "receipt",
    metadata,
    sa.Column("notice_id", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("delivered_us", sa.BigInteger),
    sa.Column("delivered_by", sa.String(128)),
    sa.Column("acknowledged_us", sa.BigInteger),
    sa.Column("acknowledged_by", sa.String(128)),
    sa.Column("ack_signed", sa.Text),
)
"""``ack_signed``: the acknowledgement's verified signature (``record.statement.Signed``, JSON)."""

ack_due = sa.Table(
    "ack_due",
    metadata,
    sa.Column("notice_id", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("due_us", sa.BigInteger, nullable=False),
    sa.Column("escalated_us", sa.BigInteger),
)

thread = sa.Table(
    "thread",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("member", sa.String(128), nullable=False),
    sa.Column("parties", sa.Text, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("updated_us", sa.BigInteger, nullable=False),
)

thread_party = sa.Table(
    "thread_party",
    metadata,
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("thread_id", sa.String(128), primary_key=True),
)

message = sa.Table(
    "message",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("thread_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("party", sa.String(64), nullable=False),
    sa.Column("member", sa.String(128), nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("request", sa.String(16)),
    sa.Column("to_party", sa.String(64)),
    sa.Column("notices", sa.Text, nullable=False),
    sa.Column("conflicts", sa.Text, nullable=False),
    sa.Column("volume", sa.Text),
    sa.Column("deadline_us", sa.BigInteger),
    sa.Column("answer", sa.String(16)),
    sa.Column("escalated_us", sa.BigInteger),
    sa.Column("in_reply_to", sa.String(128)),
    sa.Column("reply", sa.String(16)),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("window_start_us", sa.BigInteger),
    sa.Column("window_end_us", sa.BigInteger),
    sa.Column("withdrawn_us", sa.BigInteger),
    sa.Column("signed", sa.Text),
)

message_receipt = sa.Table(
    "message_receipt",
    metadata,
    sa.Column("message_id", sa.String(128), primary_key=True),
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("delivered_us", sa.BigInteger),
    sa.Column("delivered_by", sa.String(128)),
    sa.Column("acknowledged_us", sa.BigInteger),
    sa.Column("acknowledged_by", sa.String(128)),
    sa.Column("ack_signed", sa.Text),
)

stream_ticket = sa.Table(
    "stream_ticket",
    metadata,
    sa.Column("hash", sa.String(64), primary_key=True),
    sa.Column("member", sa.String(128), nullable=False),
    sa.Column("expires_us", sa.BigInteger, nullable=False),
)
"""One-use tickets that open an event stream for a member (SHA-256 of the ticket)."""

budget_spend = sa.Table(
    "budget_spend",
    metadata,
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("pool", sa.String(16), primary_key=True),
    sa.Column("at_us", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("units", sa.Integer, nullable=False),
)
"""Units of a budget (``domain.probing.Pool``) a party spent at an instant; rows older than the
budgets' window are forgotten as new ones come."""

probing_told = sa.Table(
    "probing_told",
    metadata,
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("notice_id", sa.String(128), primary_key=True),
    sa.Column("at_us", sa.BigInteger, nullable=False),
)
"""When ``party`` was last told on as probing the notice (``probing.suspected``)."""
