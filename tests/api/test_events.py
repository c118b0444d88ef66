"""The event log over HTTP: gap-free, need-to-know per party, resumable JSON, SSE and WebSocket.

The push tests run a real server (uvicorn on a free port in a thread) and real clients: httpx
reading the SSE stream, and the ``websockets`` library.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
import websockets

from deconfliction.api.app import create_app
from tests.api.conftest import Api, make_api, notice, square
from tests.conftest import MakeStore
from tests.waiting import WAIT_S, delivered, wait_for


def events(api: Api, who: str, **params: Any) -> dict[str, Any]:
    r = api.get(who, "/v1/events", **params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def kinds(got: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in got["events"]]


def test_every_change_is_one_event_numbered_without_gaps(api: Api) -> None:
    first = api.post("blue", notice(square(40.0, 35.0), audience=["red"])).json()["notice"]
    api.post("aid", notice(square(40.05, 35.05), audience="all"))
    api.client.delete(f"/v1/notices/{first['id']}", headers=api.headers("blue"))
    with api.line.store.read() as tx:
        log = tx.events_after(0, None)
    assert [e.seq for e in log] == [1, 2, 3, 4, 5]
    assert [e.kind.value for e in log] == [
        "notice.created",
        "notice.created",
        "conflict.opened",
        "notice.withdrawn",
        "conflict.closed",
    ]
    assert log[4].body["conflict"]["status"] == "resolved"


def test_each_party_receives_what_it_may_see(api: Api) -> None:
    secret = api.post("blue", notice(square(40.0, 35.0), audience=[])).json()["notice"]
    shared = api.post("aid", notice(square(40.05, 35.05), audience="all")).json()["notice"]
    blue = events(api, "blue")
    delivered(api.line, "blue", [shared["id"]])  # aid is told that blue has its notice
    aid, red = events(api, "aid"), events(api, "red")
    assert kinds(blue) == ["notice.created", "notice.created", "conflict.opened"]
    # not blue's private notice; told that blue has its own
    assert kinds(aid) == ["notice.created", "conflict.opened", "receipt.recorded"]
    assert [(x["notice"], x["party"]) for x in aid["events"][2]["receipts"]] == [
        (shared["id"], "blue")
    ]
    assert kinds(red) == ["notice.created"]  # aid's public notice only; no conflict of red's
    assert secret["id"] not in orjson.dumps(aid).decode()
    [aid_view] = [e["conflict"] for e in aid["events"] if e["kind"] == "conflict.opened"]
    assert aid_view["redacted"] is True and aid_view["other"] == {"party": "blue"}
    [blue_view] = [e["conflict"] for e in blue["events"] if e["kind"] == "conflict.opened"]
    assert blue_view["other"]["notice"] == shared["id"]
    assert red["events"][0]["notice"]["id"] == shared["id"]


def test_resume_after_and_filters(api: Api) -> None:
    api.post("blue", notice(square(40.0, 35.0), audience="all"))
    api.post("red", notice(square(40.05, 35.05), audience="all"))
    everything = events(api, "aid")
    assert [e["seq"] for e in everything["events"]] == [1, 2] and everything["last"] == 2
    later = api.post("aid", notice(square(50.0, 35.0), audience="all")).json()["notice"]
    resumed = events(api, "aid", after=everything["last"])
    assert [e["subject"] for e in resumed["events"]] == [later["id"]]
    assert kinds(events(api, "blue", kinds="conflict.opened")) == ["conflict.opened"]
    by_red = events(api, "blue", parties="red")["events"]
    assert [(e["party"], e["kind"]) for e in by_red] == [
        ("red", "notice.created"),
        ("red", "conflict.opened"),  # red's notice raised it: red's change
    ]
    bad = api.get("blue", "/v1/events", kinds="notice.exploded")
    assert bad.status_code == 422 and bad.json()["pointer"] == "/query/kinds"
    assert api.get("blue", "/v1/events", after=-1).status_code == 422


# -- push with real clients -------------------------------------------------------------------


class Server:
    def __init__(self, api: Api) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(
            create_app(api.line), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        wait_for(lambda: self.server.started, f"the server on port {self.port} started")
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=WAIT_S)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def live(make_store: MakeStore) -> Iterator[tuple[Api, Server]]:
    made = make_api(make_store("sqlite"))
    with Server(made) as server:
        yield made, server


def read_sse(base: str, token: str, count: int, last_id: int | None = None) -> list[dict[str, Any]]:
    """Open the stream, read ``count`` events, hang up."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    if last_id is not None:
        headers["Last-Event-ID"] = str(last_id)
    got: list[dict[str, Any]] = []
    with httpx.stream("GET", f"{base}/v1/events", headers=headers, timeout=WAIT_S) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in r.iter_lines():
            if line.startswith(":"):
                continue
            if line:
                key, _, value = line.partition(": ")
                fields[key] = value
                continue
            if "data" in fields:
                event = orjson.loads(fields["data"])
                assert int(fields["id"]) == event["seq"] and fields["event"] == event["kind"]
                got.append(event)
                if len(got) == count:
                    break
            fields = {}
    return got


def test_sse_stream_pushes_and_resumes_without_loss_or_duplicates(
    live: tuple[Api, Server],
) -> None:
    api, server = live
    api.post("blue", notice(square(40.0, 35.0), audience="all"))

    def later() -> None:
        time.sleep(0.3)
        api.post("red", notice(square(40.05, 35.05), audience=[]))

    threading.Thread(target=later).start()
    # one event stored before the stream opens, one pushed while it is open; red's private
    # notice (seq 2) never reaches blue, the conflict it raises does, redacted
    first = read_sse(server.base, api.tokens["blue"], 2)
    assert [(e["seq"], e["kind"]) for e in first] == [(1, "notice.created"), (3, "conflict.opened")]
    assert first[1]["conflict"]["redacted"] is True
    assert first[1]["conflict"]["other"] == {"party": "red"}
    # disconnected; meanwhile more happens
    api.post("blue", notice(square(60.0, 10.0), audience="all"))
    api.post("aid", notice(square(60.05, 10.05), audience="all"))
    resumed = read_sse(server.base, api.tokens["blue"], 3, last_id=first[-1]["seq"])
    assert [(e["seq"], e["kind"]) for e in resumed] == [
        (4, "notice.created"),
        (5, "notice.created"),
        (6, "conflict.opened"),
    ]


def test_websocket_filters_redacts_and_resumes(live: tuple[Api, Server]) -> None:
    api, server = live
    url = f"ws://127.0.0.1:{server.port}/v1/stream"

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        headers = {"Authorization": f"Bearer {api.tokens['aid']}"}
        async with websockets.connect(
            url + "?kinds=conflict.opened", additional_headers=headers
        ) as ws:
            await asyncio.to_thread(api.post, "blue", notice(square(40.0, 35.0), audience=[]))
            await asyncio.to_thread(api.post, "aid", notice(square(40.05, 35.05), audience="all"))
            first = [orjson.loads(await asyncio.wait_for(ws.recv(), WAIT_S))]
        # dropped; two more conflicts happen while aid is away
        await asyncio.to_thread(api.post, "red", notice(square(40.02, 35.02), audience="all"))
        async with websockets.connect(
            f"{url}?kinds=conflict.opened&after={first[-1]['seq']}", additional_headers=headers
        ) as ws:
            again = [orjson.loads(await asyncio.wait_for(ws.recv(), WAIT_S)) for _ in range(1)]
        return first, again

    first, again = asyncio.run(scenario())
    [opened] = first
    assert (opened["seq"], opened["kind"]) == (3, "conflict.opened")
    assert opened["conflict"]["redacted"] is True
    assert opened["conflict"]["other"] == {"party": "blue"}
    # red's notice raised two conflicts (seq 5 with blue, which aid is not told of; seq 6 with aid)
    [(seq, view)] = [(e["seq"], e["conflict"]) for e in again]
    assert seq == 6 and view["other"]["party"] == "red" and view["redacted"] is False


def test_websocket_refuses_an_unknown_token(live: tuple[Api, Server]) -> None:
    _, server = live

    async def attempt() -> int | None:
        async with websockets.connect(
            f"ws://127.0.0.1:{server.port}/v1/stream",
            additional_headers={"Authorization": "Bearer dl_nope"},
        ) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
            return ws.close_code

    assert asyncio.run(attempt()) == 4401


def test_an_area_narrows_notice_events_but_never_hides_your_conflicts(api: Api) -> None:
    api.post("blue", notice(square(40.0, 35.0), audience="all"))  # Deir ez-Zor
    api.post("red", notice(square(2.0, 48.0), audience="all"))  # Paris
    api.post("aid", notice(square(40.05, 35.05), audience="all"))  # meets blue's
    near = events(api, "blue", area="39,34,41,36")
    assert [(e["kind"], e["party"]) for e in near["events"]] == [
        ("notice.created", "blue"),
        ("notice.created", "aid"),
        ("conflict.opened", "aid"),
    ]
    far = events(api, "blue", area="0,47,5,50")
    assert [(e["kind"], e["party"]) for e in far["events"]] == [
        ("notice.created", "red"),
        ("conflict.opened", "aid"),  # blue's own conflict, wherever it is
    ]
    across = events(api, "blue", area="170,30,45,40")  # across the antimeridian: not Paris
    assert [e["party"] for e in across["events"]] == ["blue", "aid", "aid"]
    bad = api.get("blue", "/v1/events", area="1,2,3")
    assert bad.status_code == 422 and bad.json()["pointer"] == "/query/area"
