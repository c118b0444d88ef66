"""Surface tracks without a height: a ground or sea report may omit ``alt_m`` (on the surface,
its height above the ellipsoid not given), so ``track.alt_m`` becomes nullable.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("track") as batch:
        batch.alter_column("alt_m", existing_type=sa.Float, nullable=True)


def downgrade() -> None:
    # a surface track without a height goes back to the surface of the ellipsoid
    op.execute(sa.text("UPDATE track SET alt_m = 0 WHERE alt_m IS NULL"))
    with op.batch_alter_table("track") as batch:
        batch.alter_column("alt_m", existing_type=sa.Float, nullable=False)
