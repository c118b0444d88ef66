"""Stream tickets: a browser cannot send a header with a WebSocket or an EventSource, so it asks
for a ticket (``POST /v1/stream/tickets``) and puts that in the URL instead of its token. Kept as
hashes, good for one use within a minute.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stream_ticket",
        sa.Column("hash", sa.String(64), primary_key=True),
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("expires_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_stream_ticket_expires", "stream_ticket", ["expires_us"])


def downgrade() -> None:
    op.drop_index("ix_stream_ticket_expires", "stream_ticket")
    op.drop_table("stream_ticket")
