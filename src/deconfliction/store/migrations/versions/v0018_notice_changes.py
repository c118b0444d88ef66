"""Notice changes: one row per notice write (create, new version, withdrawal), numbered in commit
order, so each process's in-memory index of active volumes (``store.memindex``) can catch up on
what other processes and nodes wrote since the position it reflects.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_change",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),  # fmt: skip
        sa.Column("notice_id", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notice_change")
