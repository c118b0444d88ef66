"""Live tracks (the latest state of each asset) and the conflicts detected on them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "track",
        sa.Column("party", sa.String(64), primary_key=True),
        sa.Column("uid", sa.String(128), primary_key=True),
        sa.Column("domain", sa.String(8), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("alt_m", sa.Float, nullable=False),
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
    )
    op.create_index("ix_track_live_until", "track", ["live_until_us"])
    op.create_table(
        "track_conflict",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("party_a", sa.String(64), nullable=False),
        sa.Column("track_a", sa.String(128), nullable=False),
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
    )
    op.create_index("ix_track_conflict_live", "track_conflict", ["status", "key"])
    op.create_index("ix_track_conflict_detected", "track_conflict", ["detected_us"])


def downgrade() -> None:
    op.drop_table("track_conflict")
    op.drop_table("track")
