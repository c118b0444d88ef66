"""Agreements: a withdrawn commitment's time on its request, a breach's request on its conflict;
closed conflicts on tracks indexed by when they closed (a returning encounter reopens its own).

A ``withdraw`` message names its request in ``in_reply_to`` too, so "one answer per request"
becomes a unique index over replies only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


_REPLIES = sa.text("kind = 'reply'")


def upgrade() -> None:
    op.add_column("message", sa.Column("withdrawn_us", sa.BigInteger))
    op.add_column("track_conflict", sa.Column("agreement", sa.String(128)))
    # an encounter found again soon after it closed reopens its conflict: find those by time
    op.create_index("ix_track_conflict_resolved", "track_conflict", ["resolved_us"])
    op.drop_index("ux_message_in_reply_to", table_name="message")
    op.create_index(
        "ux_message_answer",
        "message",
        ["in_reply_to"],
        unique=True,
        sqlite_where=_REPLIES,
        postgresql_where=_REPLIES,
    )


def downgrade() -> None:
    op.drop_index("ix_track_conflict_resolved", table_name="track_conflict")
    op.drop_index("ux_message_answer", table_name="message")
    op.create_index("ux_message_in_reply_to", "message", ["in_reply_to"], unique=True)
    with op.batch_alter_table("track_conflict") as batch:
        batch.drop_column("agreement")
    with op.batch_alter_table("message") as batch:
        batch.drop_column("withdrawn_us")
