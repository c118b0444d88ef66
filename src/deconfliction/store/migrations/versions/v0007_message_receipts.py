"""Receipts of messages: per message and receiving party, when it was delivered and acknowledged.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_receipt",
        sa.Column("message_id", sa.String(128), primary_key=True),
        sa.Column("party", sa.String(64), primary_key=True),
        sa.Column("delivered_us", sa.BigInteger),
        sa.Column("delivered_by", sa.String(128)),
        sa.Column("acknowledged_us", sa.BigInteger),
        sa.Column("acknowledged_by", sa.String(128)),
    )


def downgrade() -> None:
    op.drop_table("message_receipt")
