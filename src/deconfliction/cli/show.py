"""How the CLI writes times, windows, audiences and severities, the same in every command."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text

from deconfliction.domain import Severity

__all__ = [
    "SEVERITY_STYLE",
    "audience",
    "clock",
    "duration",
    "hhmm",
    "severity",
    "severity_rank",
    "span",
    "volumes_span",
]

SEVERITY_STYLE = {"warning": "bold red", "caution": "yellow", "advisory": "cyan"}


def clock(text: Any) -> str:
    """An RFC 3339 instant as ``2026-11-25 13:00:00Z``; anything else as it came."""
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M:%SZ")
    except (TypeError, ValueError):
        return str(text)


def hhmm(text: Any) -> str:
    """An instant as ``13:00:05Z`` (the day is the event's)."""
    try:
        return datetime.fromisoformat(text).strftime("%H:%M:%SZ")
    except (TypeError, ValueError):
        return str(text)


def span(start: Any, end: Any) -> str:
    """A window as ``11-25 13:00Z to 15:00Z`` (the end's date only when it differs)."""
    try:
        a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
    except (TypeError, ValueError):
        return f"{start} to {end}"
    tail = "%H:%MZ" if a.date() == b.date() else "%m-%d %H:%MZ"
    return f"{a.strftime('%m-%d %H:%MZ')} to {b.strftime(tail)}"


def volumes_span(volumes: Any) -> str:
    """From the earliest start to the latest end of a notice's volumes; ``""`` when none give
    both."""
    times = [v.get("time") or {} for v in volumes or () if isinstance(v, dict)]
    starts = [t["start"] for t in times if t.get("start")]
    ends = [t["end"] for t in times if t.get("end")]
    return span(min(starts), max(ends)) if starts and ends else ""


def duration(seconds: float) -> str:
    """``45 s``, ``2 min 10 s``, ``1 h 05 min``.

    >>> [duration(s) for s in (4.6, 130, 3900)]
    ['5 s', '2 min 10 s', '1 h 05 min']
    """
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s" if s % 60 else f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def audience(value: Any) -> str:
    if value == "all":
        return "shared with all"
    if not value:
        return "not shared"
    return "shared with " + ", ".join(map(str, value))


def severity(value: Any) -> Text:
    """A severity in its colour: red for warning, yellow for caution, cyan for advisory."""
    text = str(value or "advisory")
    return Text(text, style=SEVERITY_STYLE.get(text, ""))


def severity_rank(value: Any) -> int:
    """0 for the most urgent; an unknown level sorts last."""
    try:
        return Severity(value).rank
    except ValueError:
        return len(Severity)
