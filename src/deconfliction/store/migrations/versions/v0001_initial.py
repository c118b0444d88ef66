"""Initial schema: parties, members, notices with every version, volumes, spatial index, conflicts.

The spatial index is an R*Tree virtual table on SQLite and a GiST-indexed ``cube`` column on
PostgreSQL; both hold 4-D boxes (longitude, latitude, altitude m, minutes since 2000-01-01 UTC).

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "party",
        sa.Column("slug", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "member",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("token_hash", sa.String(128), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_member_token_hash"),
    )
    op.create_index("ix_member_party", "member", ["party", "created_us"])
    op.create_table(
        "notice",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("protected", sa.Boolean, nullable=False),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("buffer_h_m", sa.Float),
        sa.Column("buffer_v_m", sa.Float),
        sa.Column("buffer_t_s", sa.Float),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
        sa.Column("t_start_us", sa.BigInteger),
        sa.Column("t_end_us", sa.BigInteger),
        sa.Column("volumes", sa.Text, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
    )
    op.create_index("ix_notice_created", "notice", ["created_us", "id"])
    op.create_index("ix_notice_party", "notice", ["party", "created_us"])
    op.create_table(
        "notice_version",
        sa.Column(
            "notice_id",
            sa.String(128),
            sa.ForeignKey("notice.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("recorded_us", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "volume",
        sa.Column("id", BigId, primary_key=True, autoincrement=False),
        sa.Column(
            "notice_id",
            sa.String(128),
            sa.ForeignKey("notice.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("alt_lower_m", sa.Float),
        sa.Column("alt_upper_m", sa.Float),
        sa.Column("t_start_us", sa.BigInteger, nullable=False),
        sa.Column("t_end_us", sa.BigInteger, nullable=False),
        sa.Column("buffer_h_m", sa.Float),
        sa.Column("buffer_v_m", sa.Float),
        sa.Column("buffer_t_s", sa.Float),
        sa.Column("n_boxes", sa.Integer, nullable=False),
        sa.Column("boxes", sa.LargeBinary, nullable=False),
        sa.Column("shape", sa.LargeBinary, nullable=False),
        # the notice's audience, copied so a candidate carries its own need-to-know
        sa.Column("audience", sa.Text, nullable=False),
    )
    op.create_index("ix_volume_notice", "volume", ["notice_id", "idx"])
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS cube")
        op.execute("CREATE SEQUENCE volume_id_seq OWNED BY volume.id")
        op.execute(
            "CREATE TABLE volume_box ("
            " id BIGINT PRIMARY KEY,"
            " volume_id BIGINT NOT NULL REFERENCES volume(id) ON DELETE CASCADE,"
            " box CUBE NOT NULL)"
        )
        op.execute("CREATE INDEX ix_volume_box_box ON volume_box USING gist (box)")
        op.execute("CREATE INDEX ix_volume_box_volume ON volume_box (volume_id)")
    else:
        # R*Tree keeps 32-bit floats, rounded outward: boxes stay conservative.
        op.execute(
            "CREATE VIRTUAL TABLE volume_box USING rtree("
            "id, lon_min, lon_max, lat_min, lat_max, alt_min, alt_max, t_min, t_max, +volume_id)"
        )
    op.create_table(
        "conflict",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("party_a", sa.String(64), nullable=False),
        sa.Column("notice_a", sa.String(128), nullable=False),
        sa.Column("volume_a", sa.Integer, nullable=False),
        sa.Column("version_a", sa.Integer, nullable=False),
        sa.Column("party_b", sa.String(64), nullable=False),
        sa.Column("notice_b", sa.String(128), nullable=False),
        sa.Column("volume_b", sa.Integer, nullable=False),
        sa.Column("version_b", sa.Integer, nullable=False),
        sa.Column("distance_m", sa.Float, nullable=False),
        sa.Column("window_start_us", sa.BigInteger, nullable=False),
        sa.Column("window_end_us", sa.BigInteger, nullable=False),
        sa.Column("detected_us", sa.BigInteger, nullable=False),
        sa.Column("resolved_us", sa.BigInteger),
    )
    op.create_index("ix_conflict_party_a", "conflict", ["party_a", "detected_us"])
    op.create_index("ix_conflict_party_b", "conflict", ["party_b", "detected_us"])
    op.create_index("ix_conflict_notice_a", "conflict", ["notice_a"])
    op.create_index("ix_conflict_notice_b", "conflict", ["notice_b"])


def downgrade() -> None:
    op.drop_table("conflict")
    op.drop_table("volume_box")
    op.drop_table("volume")
    op.drop_table("notice_version")
    op.drop_table("notice")
    op.drop_table("member")
    op.drop_table("party")
