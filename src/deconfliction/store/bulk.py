"""Bulk inserts for the mixins of ``SqlTx`` (notices, volumes, strategic conflicts, events): one
executemany per table with a driver-level statement, or COPY on PostgreSQL for many rows.

Either way a driver's error surfaces as SQLAlchemy's type for it (``IntegrityError``,
``OperationalError`` for a lost connection, ...), as an INSERT through SQLAlchemy would raise it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import psycopg
import sqlalchemy as sa

from deconfliction.store import schema

__all__ = ["COPY_FROM", "BulkRows"]

COPY_FROM = 20
"""Rows from which COPY beats an executemany on PostgreSQL."""


@cache
def _insert_sql(dialect: str, table: str) -> str:
    """A driver-level INSERT of every column, positional: executemany skips per-row Python work."""
    columns = tuple(c.name for c in schema.metadata.tables[table].c)
    mark = "%s" if dialect == "postgresql" else "?"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"


class BulkRows:
    """Whole-row inserts on the transaction's connection; a base of the mixins that load many."""

    _conn: sa.Connection
    _dialect: str

    def _many(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if self._dialect == "postgresql" and len(rows) >= COPY_FROM:
            self._copy(table, rows)
        else:
            self._conn.exec_driver_sql(_insert_sql(self._dialect, table), list(rows))

    def _copy(self, table: str, rows: Sequence[tuple[Any, ...]], columns: str = "") -> None:
        """PostgreSQL COPY: one round trip for any number of rows (bulk loads, many conflicts)."""
        columns = columns or ", ".join(c.name for c in schema.metadata.tables[table].c)
        cursor = self._conn.connection.cursor()
        try:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            # Raw driver errors bypass SQLAlchemy's wrapping: give callers the type an INSERT
            # would have raised (IntegrityError, OperationalError on a lost connection, ...).
            raise sa.exc.DBAPIError.instance(f"COPY {table}", None, exc, psycopg.Error) from exc
        finally:
            cursor.close()
