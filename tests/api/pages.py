"""Walking a paged list to its end, checking the ``next`` cursor and the ``Link`` header agree."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.api.conftest import Api

_LINK = re.compile(r'^<([^>]+)>; rel="next"$')


def link_next(response: Any) -> tuple[str, dict[str, list[str]]] | None:
    """The path and query of the ``Link: <...>; rel="next"`` header, if any."""
    value = response.headers.get("link")
    if value is None:
        return None
    match = _LINK.match(value)
    assert match, value
    url = urlsplit(match.group(1))
    return url.path, parse_qs(url.query)


def walk(
    api: Api,
    who: str,
    path: str,
    name: str,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> tuple[list[dict[str, Any]], int]:
    """Every item of the list ``name`` at ``path``, following ``next``; and the pages read."""
    items: list[dict[str, Any]] = []
    pages = 0
    cursor: str | None = None
    while True:
        query = dict(params) if cursor is None else {**params, "cursor": cursor}
        got = api.client.get(path, params=query, headers=api.headers(who, **(headers or {})))
        assert got.status_code == 200, got.text
        body = got.json()
        pages += 1
        items += body["features"] if body.get("type") == "FeatureCollection" else body[name]
        cursor = body["next"]
        link = link_next(got)
        if cursor is None:
            assert link is None
            return items, pages
        assert link is not None and link[0] == path and link[1]["cursor"] == [cursor]
        for key, value in params.items():  # the link repeats the query
            values = value if isinstance(value, list) else [value]
            assert link[1][key] == [_text(v) for v in values]


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
