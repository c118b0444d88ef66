"""What a duty officer needs: every conflict's alert level (``severity``), when a strategic
conflict last changed (``updated_us``: a notice's new version, a raised severity), and a party's
acknowledgement of a conflict (``conflict_ack``: who, when, and at which severity, so that an
escalation above it asks again).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("conflict", "track_conflict"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("severity", sa.String(8), nullable=False, server_default="advisory")
            )
            if table == "conflict":
                batch.add_column(sa.Column("updated_us", sa.BigInteger))
    # conflicts found before alert levels: a live strategic conflict with a protected notice is a
    # caution (those whose overlap is near rise at the duty loop's next tick; conflicts on
    # tracks are graded again at the next scan)
    op.execute(
        "UPDATE conflict SET severity = 'caution' WHERE status IN ('open', 'acknowledged') "
        "AND (notice_a IN (SELECT id FROM notice WHERE protected) "
        "OR notice_b IN (SELECT id FROM notice WHERE protected))"
    )
    # the deadline duty's question: which advisories now overlap within the caution threshold
    live_advisory = "severity = 'advisory' AND status IN ('open', 'acknowledged')"
    op.create_index(
        "ix_conflict_advisory_start",
        "conflict",
        ["window_start_us"],
        sqlite_where=sa.text(live_advisory),
        postgresql_where=sa.text(live_advisory),
    )
    # the write path's question: has this party agreed to keep out of anywhere?
    in_force = "kind = 'request' AND answer = 'accept' AND withdrawn_us IS NULL"
    op.create_index(
        "ix_message_committed",
        "message",
        ["to_party"],
        sqlite_where=sa.text(in_force),
        postgresql_where=sa.text(in_force),
    )
    op.create_table(
        "conflict_ack",
        sa.Column("conflict_id", sa.String(128), primary_key=True),
        sa.Column("party", sa.String(64), primary_key=True),
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("at_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_conflict_ack_at", "conflict_ack", ["at_us"])


def downgrade() -> None:
    op.drop_index("ix_conflict_ack_at", "conflict_ack")
    op.drop_table("conflict_ack")
    op.drop_index("ix_message_committed", "message")
    op.drop_index("ix_conflict_advisory_start", "conflict")
    for table in ("track_conflict", "conflict"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("severity")
            if table == "conflict":
                batch.drop_column("updated_us")
