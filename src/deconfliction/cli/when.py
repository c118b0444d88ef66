"""Times as a person types them on the command line: RFC 3339, or relative to now (``+30m``,
``+2h``, ``+1d``), and windows ``START/END`` of either, so that a command written today still
works tomorrow."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from deconfliction.cli.client import fail

__all__ = ["parse_time", "time_option", "window_option"]

_RELATIVE = re.compile(r"\+(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def parse_time(text: str, now: datetime) -> datetime:
    """An instant from RFC 3339 (with ``Z`` or an offset) or ``+30m``, ``+2h``, ``+1h30m``,
    ``+1d`` after ``now``; in UTC. ``ValueError`` says what was expected.

    >>> now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    >>> parse_time("+30m", now).isoformat()
    '2026-11-25T12:30:00+00:00'
    >>> parse_time("2026-11-25T15:00:00+02:00", now).isoformat()
    '2026-11-25T13:00:00+00:00'
    >>> parse_time("tomorrow", now)
    Traceback (most recent call last):
    ...
    ValueError: 'tomorrow' is neither RFC 3339 (2026-12-01T05:00:00Z) nor relative (+30m, +2h)
    """
    relative = _RELATIVE.fullmatch(text.strip())
    if relative and any(relative.groups()):
        d, h, m, s = (int(g or 0) for g in relative.groups())
        return now.astimezone(UTC) + timedelta(days=d, hours=h, minutes=m, seconds=s)
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither RFC 3339 (2026-12-01T05:00:00Z) nor relative (+30m, +2h)"
        ) from None
    if at.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset: end it with Z or +hh:mm")
    return at.astimezone(UTC)


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def time_option(option: str, text: str) -> str:
    """The option's instant as RFC 3339; a usage error naming the option otherwise."""
    try:
        return _z(parse_time(text, _utcnow()))
    except ValueError as e:
        raise fail(f"{option}: {e}") from None


def window_option(text: str, option: str = "--window") -> dict[str, Any]:
    """``START/END`` (each RFC 3339 or relative to now) as a volume's ``time``."""
    start, sep, end = text.partition("/")
    if not sep:
        raise fail(f"{option}: {text!r} is not START/END (e.g. 2026-12-01T13:00Z/+6h)")
    return {"start": time_option(option, start), "end": time_option(option, end)}
