"""Threads between parties and their messages: requests, replies and notes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Requests still waiting for an answer or an escalation: all the deadline check ever reads.
_PENDING = sa.text("answer IS NULL AND escalated_us IS NULL")


def upgrade() -> None:
    op.create_table(
        "thread",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("parties", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "thread_party",
        sa.Column("party", sa.String(64), primary_key=True),
        sa.Column("thread_id", sa.String(128), primary_key=True),
    )
    op.create_table(
        "message",
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
    )
    op.create_index("ix_message_thread", "message", ["thread_id", "created_us"])
    # One reply per request (NULLs are distinct: requests and notes have none).
    op.create_index("ux_message_in_reply_to", "message", ["in_reply_to"], unique=True)
    op.create_index(
        "ix_message_due",
        "message",
        ["deadline_us"],
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )


def downgrade() -> None:
    op.drop_table("message")
    op.drop_table("thread_party")
    op.drop_table("thread")
