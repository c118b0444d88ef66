"""A conflict the running detector follows may have a notice volume on side a (a breach of an
agreement by a notice), not only a track.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("track_conflict") as batch:
        batch.alter_column("track_a", existing_type=sa.String(128), nullable=True)
        batch.add_column(sa.Column("notice_a", sa.String(128)))
        batch.add_column(sa.Column("volume_a", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("track_conflict") as batch:
        batch.drop_column("volume_a")
        batch.drop_column("notice_a")
        batch.alter_column("track_a", existing_type=sa.String(128), nullable=False)
