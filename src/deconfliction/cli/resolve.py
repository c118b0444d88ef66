"""Ids typed short, made whole: each looks the typed text up in the list it belongs to (a
notice among the notices you may see, a thread among your threads, ...); ``cli/ids.py`` says
what matches and what is shown."""

from __future__ import annotations

from deconfliction.cli.calls import Body, segment
from deconfliction.cli.listing import resolve_in

__all__ = ["resolve_conflict", "resolve_message", "resolve_notice", "resolve_thread"]


def _titled(n: Body) -> str:
    return f'{n.get("party")}: "{n.get("title") or "(untitled)"}" v{n.get("version")}'


def resolve_notice(server: str | None, typed: str) -> str:
    """The id of a notice you may see that ``typed`` names (an id, a prefix or a tail)."""
    return resolve_in(server, typed, "/v1/notices", "notices", "notice", _titled)


def resolve_conflict(server: str | None, typed: str) -> str:
    """The id of a conflict your party is part of that ``typed`` names."""
    return resolve_in(
        server,
        typed,
        "/v1/conflicts",
        "conflicts",
        "conflict",
        lambda c: f"{c.get('severity')} {c.get('kind')} {c.get('status')}",
    )


def resolve_thread(server: str | None, typed: str) -> str:
    """The id of one of your party's threads that ``typed`` names."""
    return resolve_in(
        server, typed, "/v1/threads", "threads", "thread", lambda t: f'"{t.get("subject")}"'
    )


def resolve_message(server: str | None, thread: str, typed: str) -> str:
    """The id of a message on ``thread`` (already whole) that ``typed`` names."""
    return resolve_in(server, typed, f"/v1/threads/{segment(thread)}", "messages", "message")
