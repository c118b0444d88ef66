"""Push across nodes: a notice created on one node reaches a WebSocket subscriber of another,
carried by NATS; with NATS out of reach, by the node reading the log's head itself."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.nodes.conftest import InProcessNode, Setup, Subscriber, free_port, notice, square
from tests.waiting import wait_for

pytestmark = pytest.mark.postgres


def head(node: InProcessNode, setup: Setup, who: str) -> int:
    r = httpx.get(f"{node.base}/v1/events", params={"limit": 1000}, headers=setup.headers(who))
    last = r.json()["last"]
    assert isinstance(last, int)
    return last


@pytest.fixture
def two(setup: Setup, nats_url: str) -> Iterator[tuple[InProcessNode, InProcessNode]]:
    with InProcessNode(setup, nats_url) as a, InProcessNode(setup, nats_url) as b:
        wait_for(lambda: a.link.stats.connected and b.link.stats.connected, "both nodes on NATS")
        yield a, b


def test_a_notice_created_on_one_node_is_pushed_to_a_subscriber_of_the_other(
    setup: Setup, two: tuple[InProcessNode, InProcessNode]
) -> None:
    a, b = two
    sub = Subscriber(b.ws, setup.tokens["red"], head(b, setup, "red"))
    try:
        created = httpx.post(
            f"{a.base}/v1/notices", json=notice(square(10.0, 50.0)), headers=setup.headers("blue")
        )
        assert created.status_code == 201, created.text
        nid = created.json()["notice"]["id"]
        event = wait_for(lambda: sub.got(nid), "the notice made on A pushed by B")
    finally:
        sub.close()
    # NATS carried it: A said how far the log went, and B heard it (not only read the log)
    assert a.link.stats.published >= 1
    assert b.link.stats.last_heard >= event["seq"]


def test_with_nats_out_of_reach_the_push_still_arrives_by_the_log(
    setup: Setup, nats_url: str
) -> None:
    nowhere = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    with InProcessNode(setup, nats_url) as a, InProcessNode(setup, nowhere) as b:
        sub = Subscriber(b.ws, setup.tokens["red"], head(b, setup, "red"))
        try:
            created = httpx.post(
                f"{a.base}/v1/notices",
                json=notice(square(11.0, 50.0)),
                headers=setup.headers("blue"),
            )
            assert created.status_code == 201, created.text
            nid = created.json()["notice"]["id"]
            event = wait_for(lambda: sub.got(nid), "the notice made on A pushed by B")
        finally:
            sub.close()
        assert not b.link.stats.connected
        assert b.link.stats.heard == 0
        # B learnt of it by reading the log's head on its own timer
        wait_for(lambda: b.link.stats.polled >= 1, "B's read of the log's head woke it")
        assert b.line.signal.last >= event["seq"]
