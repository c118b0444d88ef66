"""Member signatures: a member's registered Ed25519 public key, and the verified signatures on
acknowledgements (of notice versions and of messages) and on messages sent.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("public_key", sa.Text))
        batch.add_column(sa.Column("key_registered_us", sa.BigInteger))
    with op.batch_alter_table("receipt") as batch:
        batch.add_column(sa.Column("ack_signed", sa.Text))
    with op.batch_alter_table("message_receipt") as batch:
        batch.add_column(sa.Column("ack_signed", sa.Text))
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("signed", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_column("signed")
    with op.batch_alter_table("message_receipt") as batch:
        batch.drop_column("ack_signed")
    with op.batch_alter_table("receipt") as batch:
        batch.drop_column("ack_signed")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("key_registered_us")
        batch.drop_column("public_key")
