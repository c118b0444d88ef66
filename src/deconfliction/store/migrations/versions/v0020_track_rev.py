"""A track row's ``rev``: which write last changed it, growing in commit order as readers see it,
so that a scan's cache of live tracks catches up on the rows changed since its last read instead
of reading every live track again (``store.tracks``, ``service.tracks.live``).

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("track") as batch:
        batch.add_column(sa.Column("rev", sa.BigInteger, nullable=False, server_default="0"))
    op.create_index("ix_track_rev", "track", ["rev"])


def downgrade() -> None:
    op.drop_index("ix_track_rev", "track")
    with op.batch_alter_table("track") as batch:
        batch.drop_column("rev")
