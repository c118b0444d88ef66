"""Instants on the wire: RFC 3339 in UTC with a ``Z``, the one time format the line speaks."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["opt_utc_z", "utc_z"]


def utc_z(t: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``.

    >>> from datetime import timedelta, timezone
    >>> utc_z(datetime(2026, 12, 6, 8, 30, tzinfo=timezone(timedelta(hours=2))))
    '2026-12-06T06:30:00Z'
    """
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def opt_utc_z(t: datetime | None) -> str | None:
    """:func:`utc_z`, or ``None`` for an instant not (yet) known."""
    return None if t is None else utc_z(t)
