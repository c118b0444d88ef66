"""Tokens that expire, can be revoked and say whose they are; administration only by the host.

Each member gains ``expires_us``, ``revoked_us``, ``last_used_us`` and ``token_prefix`` (the
public head of a token made from now on, ``dl_`` and 8 characters, unique). Tokens made before
keep working, without a prefix, until 90 days after this upgrade: rotate them to get the new
shape and a fresh term.

The role ``admin`` now exists only in the host's own party, ``host``: every admin of another
party moves there (the party is made if missing). That is refused, changing nothing, when
``host`` is already an ordinary party (it has coordinators, observers or notices): its members
would then be told of every escalation and its notices would carry the host's name. What an
admin did as another party (its reads counted as that party's deliveries, a registered key) stays
in the record as it was.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

HOST = "host"
LEGACY_LIFETIME = timedelta(days=90)


class HostPartyTaken(RuntimeError):
    """The slug ``host`` belongs to an ordinary party: the upgrade cannot make it the host's."""


def _us(at: datetime) -> int:
    return (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _check_host_party(conn: sa.Connection) -> None:
    members = conn.execute(
        sa.text("SELECT COUNT(*) FROM member WHERE party = :h AND role <> 'admin'"), {"h": HOST}
    ).scalar_one()
    notices = conn.execute(
        sa.text("SELECT COUNT(*) FROM notice WHERE party = :h"), {"h": HOST}
    ).scalar_one()
    if members or notices:
        raise HostPartyTaken(
            f"cannot upgrade this line (migration 0014): the party slug {HOST!r} is now reserved "
            f"for the host's administrators, but party {HOST!r} here is an ordinary party with "
            f"{members} coordinator(s) or observer(s) and {notices} notice(s). Nothing was "
            "changed. Back up the database, give that party another slug in the member, notice "
            "and party tables (or remove it), then start the line again; see docs/security.md, "
            "'Administration'."
        )


def upgrade() -> None:
    conn = op.get_bind()
    _check_host_party(conn)  # before any change: a refusal leaves the line as it was
    now = _us(datetime.now(UTC))
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("expires_us", sa.BigInteger))
        batch.add_column(sa.Column("revoked_us", sa.BigInteger))
        batch.add_column(sa.Column("last_used_us", sa.BigInteger))
        batch.add_column(sa.Column("token_prefix", sa.String(16)))
    op.create_index("ix_member_token_prefix", "member", ["token_prefix"], unique=True)
    op.create_index("ix_member_created", "member", ["created_us", "id"])
    conn.execute(
        sa.text("UPDATE member SET expires_us = :at WHERE expires_us IS NULL"),
        {"at": now + LEGACY_LIFETIME // timedelta(microseconds=1)},
    )
    strays = conn.execute(
        sa.text("SELECT COUNT(*) FROM member WHERE role = 'admin' AND party <> :h"), {"h": HOST}
    ).scalar_one()
    if strays:
        exists = conn.execute(
            sa.text("SELECT COUNT(*) FROM party WHERE slug = :h"), {"h": HOST}
        ).scalar_one()
        if not exists:
            conn.execute(
                sa.text("INSERT INTO party (slug, name, created_us) VALUES (:h, 'The host', :at)"),
                {"h": HOST, "at": now},
            )
        conn.execute(
            sa.text("UPDATE member SET party = :h WHERE role = 'admin' AND party <> :h"),
            {"h": HOST},
        )
    conn.execute(sa.text("DELETE FROM stream_ticket"))  # issued under the old rules; a minute's


def downgrade() -> None:
    # admins moved into ``host`` stay there: the old schema holds them as well
    op.drop_index("ix_member_created", "member")
    op.drop_index("ix_member_token_prefix", "member")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("token_prefix")
        batch.drop_column("last_used_us")
        batch.drop_column("revoked_us")
        batch.drop_column("expires_us")
