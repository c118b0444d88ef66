"""Feeds: a party's standing connections to outside sources of tracks (ADS-B receivers, AIS),
each reporting as a member of its party made for it; and a track's vertical uncertainty
(``alt_unc_m``), which a barometric altitude needs and tactical detection honours.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )
    with op.batch_alter_table("track") as batch:
        batch.add_column(sa.Column("alt_unc_m", sa.Float, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("track") as batch:
        batch.drop_column("alt_unc_m")
    op.drop_table("feed")
