"""Witness cosignatures: a party that proved a checkpoint consistent cosigns it
(c2sp.org/tlog-cosignature) and hands the cosignature back; the line keeps it, serves it to the
other parties, and ``record verify`` holds the log to it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_cosignature",
        sa.Column("member", sa.String(128), primary_key=True),
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("vkey", sa.Text, nullable=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("time_s", sa.BigInteger, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("received_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_record_cosignature_size", "record_cosignature", ["size"])


def downgrade() -> None:
    op.drop_index("ix_record_cosignature_size", "record_cosignature")
    op.drop_table("record_cosignature")
