"""Lists from a running line, page after page: a list answer may end with ``"next"`` (an opaque
cursor) when there is more, and the next page is asked for with ``?cursor=``; a command stops at
its ``--limit`` and says there was more rather than cutting silently."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import typer

from deconfliction.cli.calls import Body, call
from deconfliction.cli.client import fail
from deconfliction.cli.ids import Unresolved, resolve

__all__ = ["LimitOpt", "Listed", "fetch_all", "resolve_in"]

LimitOpt = Annotated[
    int, typer.Option("--limit", min=1, max=100_000, help="show at most this many")
]

Call = Callable[[str | None, str, str], Any]


@dataclass(frozen=True, slots=True)
class Listed:
    """What a list command read: the items, and whether the line had more past ``limit``."""

    items: list[Body]
    more: bool


def fetch_all(
    server: str | None,
    path: str,
    key: str,
    limit: int,
    params: Mapping[str, str | list[str]] | None = None,
    *,
    page_max: int = 1000,
    get: Call = call,
) -> Listed:
    """Up to ``limit`` items of ``key`` from ``path``, following each page's ``next`` cursor.

    The same query goes with every page (a cursor names where to go on, not what to read).
    """
    items: list[Body] = []
    cursor: str | None = None
    while True:
        query: dict[str, str | list[str]] = {
            **(params or {}),
            "limit": str(min(page_max, limit - len(items) + 1)),
        }
        if cursor is not None:
            query["cursor"] = cursor
        body = get(server, "GET", f"{path}?{urlencode(query, doseq=True)}")
        items.extend(body.get(key) or [])
        cursor = body.get("next") or None
        if len(items) > limit:
            return Listed(items[:limit], True)
        if cursor is None:
            return Listed(items, False)
        if len(items) == limit:
            return Listed(items, True)


def resolve_in(
    server: str | None,
    typed: str,
    path: str,
    key: str,
    what: str,
    label: Callable[[Body], str] | None = None,
    params: Mapping[str, str] | None = None,
) -> str:
    """The full id of one of the line's ``what`` that ``typed`` names (an id, or a unique prefix
    or tail of one), looked up in the list at ``path``; exits 1 saying why when none or several
    match. A whole UUID is taken as it is, with no lookup."""
    typed = typed.strip()
    if len(typed) == 36 and typed.count("-") == 4:
        return typed
    listed = fetch_all(server, path, key, 100_000, params).items
    ids = [str(x["id"]) for x in listed]
    labels = {str(x["id"]): label(x) for x in listed} if label else None
    try:
        return resolve(typed, ids, what, labels)
    except Unresolved as e:
        raise fail(str(e), 1) from None
