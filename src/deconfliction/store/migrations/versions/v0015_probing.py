"""Probing bounded and told: what each party has spent of its budgets of notice changes in the
last day (``budget_spend``), when each party was last suspected of probing each notice
(``probing_told``), and the index that counts a party's intrusions into one notice.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budget_spend",
        sa.Column("party", sa.String(64), primary_key=True),
        sa.Column("pool", sa.String(16), primary_key=True),
        sa.Column("at_us", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("units", sa.Integer, nullable=False),
    )
    op.create_index("ix_budget_spend_at", "budget_spend", ["at_us"])
    op.create_table(
        "probing_told",
        sa.Column("party", sa.String(64), primary_key=True),
        sa.Column("notice_id", sa.String(128), primary_key=True),
        sa.Column("at_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_track_conflict_notice_b", "track_conflict", ["notice_b", "detected_us"])


def downgrade() -> None:
    op.drop_index("ix_track_conflict_notice_b", "track_conflict")
    op.drop_table("probing_told")
    op.drop_index("ix_budget_spend_at", "budget_spend")
    op.drop_table("budget_spend")
