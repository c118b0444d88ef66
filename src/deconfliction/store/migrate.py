"""Bring a database to the newest schema with Alembic, from code (no alembic.ini needed).

The scripts live in ``store/migrations`` inside the package, so an installed line migrates itself
when it opens its store.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

__all__ = ["MIGRATIONS", "alembic_config", "current_revision", "head_revision", "upgrade"]

MIGRATIONS = Path(__file__).with_name("migrations")

# Any constant both processes agree on: serialises concurrent first opens of one database.
_MIGRATION_LOCK = 0x6465_636F_6D69_6772  # "decomigr"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: sa.Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine) -> None:
    """Apply every pending migration in one transaction; a no-op when already at head."""
    head = head_revision()
    with engine.connect() as connection:
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK}
                )
            # SQLite: the store's BEGIN IMMEDIATE already holds the write lock.
            if current_revision(connection) != head:
                command.upgrade(alembic_config(connection), "head")
