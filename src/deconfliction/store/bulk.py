"""Bulk inserts for the mixins of ``SqlTx`` (notices, volumes, strategic conflicts, events): one
executemany per table with a driver-level statement, or COPY on PostgreSQL for many rows; and
the one-number probes (``MAX(seq)``) a checked write makes under the write lock.

These run on the driver's own cursor, inside the transaction SQLAlchemy began: a checked create
makes about a dozen such fixed, positional statements, and SQLAlchemy's work around each (an
execution context, result metadata: 12-40 µs against the driver's 4) was up to a tenth of its CPU.
Either way a driver's error surfaces as SQLAlchemy's type for it (``IntegrityError``,
``OperationalError`` for a lost connection, ...), as a statement through SQLAlchemy would raise it.
"""

from __future__ import annotations

import sqlite3
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
            self._driver_many(_insert_sql(self._dialect, table), rows)

    def _driver_many(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """``sql`` (the driver's placeholders) once per row, on the driver's cursor."""
        cursor = self._conn.connection.cursor()
        try:
            cursor.executemany(sql, rows)
        except _DRIVER_ERRORS as exc:
            raise _wrapped(sql, exc) from exc
        finally:
            cursor.close()

    def _driver_number(self, sql: str) -> int:
        """The one number ``sql`` answers (a ``coalesce(max(...), 0)``), on the driver's cursor."""
        cursor = self._conn.connection.cursor()
        try:
            cursor.execute(sql)
            row = cursor.fetchone()
        except _DRIVER_ERRORS as exc:
            raise _wrapped(sql, exc) from exc
        finally:
            cursor.close()
        return 0 if row is None else int(row[0])

    def _copy(self, table: str, rows: Sequence[tuple[Any, ...]], columns: str = "") -> None:
        """PostgreSQL COPY: one round trip for any number of rows (bulk loads, many conflicts)."""
        columns = columns or ", ".join(c.name for c in schema.metadata.tables[table].c)
        cursor = self._conn.connection.cursor()
        try:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise _wrapped(f"COPY {table}", exc) from exc
        finally:
            cursor.close()


_DRIVER_ERRORS = (sqlite3.Error, psycopg.Error)


def _wrapped(statement: str, exc: Exception) -> sa.exc.StatementError:
    """A driver's error as SQLAlchemy's type for it, the one a statement through SQLAlchemy would
    have raised (IntegrityError, OperationalError on a lost connection, ...)."""
    base = psycopg.Error if isinstance(exc, psycopg.Error) else sqlite3.Error
    return sa.exc.DBAPIError.instance(statement, None, exc, base)
