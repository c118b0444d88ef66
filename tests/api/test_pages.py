"""Every list pages: ``limit``, the ``next`` cursor, ``Link: rel="next"``; nothing is cut."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.conftest import NOW, Api, notice, square
from tests.api.pages import link_next, walk


def z(seconds: float) -> str:
    return (NOW + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def test_notices_page_in_their_order_each_once(api: Api) -> None:
    made = [
        api.post("blue", notice(square(40.0 + i / 10, 35.0))).json()["notice"] for i in range(7)
    ]
    api.post("red", notice(square(10.0, 10.0), audience=[]))  # not red's to share with blue
    everything = [n["id"] for n in api.get("blue", "/v1/notices", limit=1000).json()["notices"]]
    assert sorted(everything) == sorted(n["id"] for n in made)
    for limit in (1, 2, 3, 7):
        items, pages = walk(api, "blue", "/v1/notices", "notices", limit=limit)
        assert [n["id"] for n in items] == everything
        assert pages == -(-7 // limit)  # a page that ends the list says so: no empty page
    # filters hold across pages, and the link repeats them
    items, _ = walk(api, "blue", "/v1/notices", "notices", limit=2, bbox="40.25,34.9,41,36")
    assert [n["id"] for n in items] == everything[2:]


def test_the_last_full_page_may_end_with_next(api: Api) -> None:
    for i in range(4):
        api.post("blue", notice(square(40.0 + i / 10, 35.0)))
    first = api.get("blue", "/v1/notices", limit=4)
    assert len(first.json()["notices"]) == 4 and first.json()["next"] is None
    assert "link" not in first.headers
    second = api.get("blue", "/v1/notices", limit=2)
    assert second.json()["next"] is not None
    path, query = link_next(second) or ("", {})
    assert path == "/v1/notices" and query == {"limit": ["2"], "cursor": [second.json()["next"]]}


def test_tracks_page_by_party_and_uid(api: Api) -> None:
    reports = [
        {
            "uid": f"u-{i:02d}",
            "domain": "ground",
            "lat": 35.0,
            "lon": 40.0 + i / 100,
            "alt_m": 300.0,
            "gs_mps": 0.0,
            "trk_deg": 0.0,
            "vs_mps": 0.0,
            "time": z(0),
            "audience": "all" if i % 2 else [],
        }
        for i in range(25)
    ]
    for who in ("blue", "red"):
        got = api.client.post("/v1/tracks", json=reports, headers=api.headers(who))
        assert got.status_code == 200, got.text
    items, pages = walk(api, "blue", "/v1/tracks", "tracks", limit=10)
    keys = [(t["party"], t["uid"]) for t in items]
    expected = [("blue", f"u-{i:02d}") for i in range(25)]
    expected += [("red", f"u-{i:02d}") for i in range(25) if i % 2]
    assert keys == expected and pages == 4
    items, _ = walk(api, "red", "/v1/tracks", "tracks", limit=7, domain="ground")
    assert [(t["party"], t["uid"]) for t in items] == sorted(
        [("blue", f"u-{i:02d}") for i in range(25) if i % 2]
        + [("red", f"u-{i:02d}") for i in range(25)]
    )
    assert len(api.get("blue", "/v1/tracks").json()["tracks"]) == 37  # default 100: all of them


def test_threads_and_messages_page(api: Api) -> None:
    threads = []
    for i in range(5):
        body = {"parties": ["red"], "subject": f"road {i}"}
        got = api.client.post("/v1/threads", json=body, headers=api.headers("blue"))
        threads.append(got.json()["id"])
    listed, pages = walk(api, "red", "/v1/threads", "threads", limit=2)
    assert sorted(t["id"] for t in listed) == sorted(threads) and pages == 3
    assert walk(api, "aid", "/v1/threads", "threads")[0] == []

    thread = threads[0]
    sent = []
    for i in range(9):
        body = {"kind": "note", "text": f"note {i}"}
        got = api.client.post(
            f"/v1/threads/{thread}/messages",
            json=body,
            headers=api.headers("blue" if i % 2 else "red"),
        )
        assert got.status_code == 201, got.text
        sent.append(got.json()["id"])
    everything = [
        m["id"] for m in api.get("red", f"/v1/threads/{thread}/messages").json()["messages"]
    ]
    assert sorted(everything) == sorted(sent)
    messages, pages = walk(api, "red", f"/v1/threads/{thread}/messages", "messages", limit=4)
    assert [m["id"] for m in messages] == everything and pages == 3

    # reading the thread gives the first page; next and Link lead on to its messages
    read = api.get("red", f"/v1/threads/{thread}", limit=4)
    body = read.json()
    assert body["thread"]["id"] == thread and [m["id"] for m in body["messages"]] == everything[:4]
    path, query = link_next(read) or ("", {})
    assert path == f"/v1/threads/{thread}/messages" and query["cursor"] == [body["next"]]
    rest = api.get("red", path, limit=4, cursor=body["next"]).json()["messages"]
    assert [m["id"] for m in rest] == everything[4:8]
    whole = api.get("red", f"/v1/threads/{thread}").json()
    assert len(whole["messages"]) == 9 and whole["next"] is None
    assert api.get("aid", f"/v1/threads/{thread}/messages").status_code == 404


def test_a_cursor_is_refused_by_another_list_and_names_the_field(api: Api) -> None:
    for i in range(3):
        api.post("blue", notice(square(40.0 + i, 35.0)))
    cursor = api.get("blue", "/v1/notices", limit=1).json()["next"]
    for path in ("/v1/tracks", "/v1/threads", "/v1/conflicts"):
        got = api.get("blue", path, cursor=cursor)
        assert got.status_code == 422 and got.json()["pointer"] == "/query/cursor", path
    assert api.get("blue", "/v1/notices", cursor=cursor).status_code == 200
    for bad in ("", "%%%", "eyJhIjoxfQ", cursor[:-3]):
        got = api.get("blue", "/v1/notices", cursor=bad)
        assert got.status_code == 422 and got.json()["pointer"] == "/query/cursor", bad


def test_limits_are_checked(api: Api) -> None:
    for path in ("/v1/notices", "/v1/tracks", "/v1/threads", "/v1/conflicts"):
        for limit in (0, 1001, "many"):
            got = api.get("blue", path, limit=limit)
            assert got.status_code == 422 and got.json()["pointer"] == "/query/limit", path
        assert api.get("blue", path, limit=1000).status_code == 200


def test_a_cursor_tells_nothing_a_party_cannot_see(api: Api) -> None:
    """A cursor is the position in the reader's own list: another party's cursor, replayed,
    still only lists what the replaying party may see."""
    for i in range(4):
        api.post("blue", notice(square(40.0 + i, 35.0), audience=[]))
    cursor = api.get("blue", "/v1/notices", limit=1).json()["next"]
    got: Any = api.get("red", "/v1/notices", cursor=cursor)
    assert got.status_code == 200 and got.json()["notices"] == []
