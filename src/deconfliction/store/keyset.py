"""Keyset paging in SQL: the rows after a page's last key, in the list's own order."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = ["after_key"]


def after_key(
    first: sa.ColumnElement[Any], second: sa.ColumnElement[Any], key: tuple[Any, Any], newest: bool
) -> sa.ColumnElement[bool]:
    """Rows strictly after ``key`` in the order (first, second), descending if ``newest``.

    Spelt as an OR rather than a row comparison so SQLite and PostgreSQL read it alike.
    """
    a, b = key
    if newest:
        return sa.or_(first < a, sa.and_(first == a, second < b))
    return sa.or_(first > a, sa.and_(first == a, second > b))
