"""Lists follow the line's ``next`` cursor page after page, up to ``--limit``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from deconfliction.cli.listing import fetch_all


class Pages:
    """A line that answers ``size`` items a page from ``total``, with a cursor while more."""

    def __init__(self, total: int, size: int) -> None:
        self.total, self.size, self.asked = total, size, []  # type: list[dict[str, list[str]]]

    def __call__(self, server: str | None, method: str, path: str) -> Any:
        query = parse_qs(urlsplit(path).query)
        self.asked.append(query)
        start = int(query.get("cursor", ["0"])[0])
        n = min(self.size, int(query["limit"][0]))
        items = [{"id": str(i)} for i in range(start, min(start + n, self.total))]
        body: dict[str, Any] = {"notices": items}
        if start + n < self.total:
            body["next"] = str(start + n)
        return body


def test_follows_next_until_the_end() -> None:
    line = Pages(total=25, size=10)
    got = fetch_all(None, "/v1/notices", "notices", 100, {"kind": "site"}, get=line)
    assert [x["id"] for x in got.items] == [str(i) for i in range(25)] and not got.more
    assert [q.get("cursor") for q in line.asked] == [None, ["10"], ["20"]]
    assert all(q["kind"] == ["site"] for q in line.asked)


def test_stops_at_the_limit_and_says_there_is_more() -> None:
    got = fetch_all(None, "/v1/notices", "notices", 15, get=Pages(total=25, size=10))
    assert len(got.items) == 15 and got.more
    exact = fetch_all(None, "/v1/notices", "notices", 25, get=Pages(total=25, size=10))
    assert len(exact.items) == 25 and not exact.more


def test_one_page_today_asks_one_more_to_know_if_there_is_more() -> None:
    line = Pages(total=7, size=1000)
    got = fetch_all(None, "/v1/notices", "notices", 5, get=line)
    assert len(got.items) == 5 and got.more and line.asked[0]["limit"] == ["6"]
    assert not fetch_all(None, "/v1/notices", "notices", 7, get=Pages(7, 1000)).more
