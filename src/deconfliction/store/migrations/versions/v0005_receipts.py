"""Receipts of notice versions (delivered, acknowledged) and the acknowledgements due.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "receipt",
        sa.Column("notice_id", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("party", sa.String(64), primary_key=True),
        sa.Column("delivered_us", sa.BigInteger),
        sa.Column("delivered_by", sa.String(128)),
        sa.Column("acknowledged_us", sa.BigInteger),
        sa.Column("acknowledged_by", sa.String(128)),
    )
    op.create_table(
        "ack_due",
        sa.Column("notice_id", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("due_us", sa.BigInteger, nullable=False),
        sa.Column("escalated_us", sa.BigInteger),
    )
    op.create_index("ix_ack_due_open", "ack_due", ["escalated_us", "due_us"])


def downgrade() -> None:
    op.drop_table("ack_due")
    op.drop_table("receipt")
