"""Two ``serve`` processes over one PostgreSQL database and NATS: conflicting notices made at
once on both are both told; a subscriber of a node killed outright resumes on the other with
nothing lost or repeated; one node scans, and another takes over when it dies."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.nodes.conftest import Node, Setup, Subscriber, notice, square
from tests.waiting import wait_for

pytestmark = pytest.mark.postgres


class Pair:
    """Two nodes for the module, each started again if a test killed it."""

    def __init__(self, setup: Setup, nats_url: str, logs: Path) -> None:
        self.setup, self.nats_url, self.logs = setup, nats_url, logs
        self.nodes: list[Node] = []
        self.started = 0

    def _start(self) -> Node:
        self.started += 1
        return Node(self.setup, self.logs / f"node-{self.started}.log", "--scan-interval-s",
                    "0.2", nats=self.nats_url)  # fmt: skip

    def both(self) -> tuple[Node, Node]:
        alive = [n for n in self.nodes if n.proc.poll() is None]
        fresh = [self._start() for _ in range(2 - len(alive))]  # started side by side
        self.nodes = [*alive, *(n.ready() for n in fresh)]
        return self.nodes[0], self.nodes[1]

    def stop(self) -> None:
        for n in self.nodes:
            n.stop()


@pytest.fixture(scope="module")
def pair(setup: Setup, nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    made = Pair(setup, nats_url, tmp_path_factory.mktemp("nodes"))
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
def nodes(pair: Pair) -> tuple[Node, Node]:
    return pair.both()


def create(node: Node, setup: Setup, who: str, body: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(f"{node.base}/v1/notices", json=body, headers=setup.headers(who), timeout=60)
    assert r.status_code == 201, r.text
    got: dict[str, Any] = r.json()
    return got


def conflicts_of(node: Node, setup: Setup, who: str) -> list[dict[str, Any]]:
    r = httpx.get(
        f"{node.base}/v1/conflicts", params={"limit": 1000}, headers=setup.headers(who), timeout=60
    )
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["conflicts"]
    return found


def notices_of(conflict: dict[str, Any]) -> set[str]:
    return {s["notice"] for s in (conflict["mine"], conflict["other"]) if s and "notice" in s}


def test_conflicting_notices_made_at_once_on_two_nodes_are_both_told(
    setup: Setup, nodes: tuple[Node, Node]
) -> None:
    a, b = nodes
    for i in range(6):
        body = notice(square(20.0 + i, 40.0), audience="all")
        answers: dict[str, dict[str, Any]] = {}
        ready = threading.Barrier(2)

        def make(
            node: Node,
            who: str,
            into: dict[str, dict[str, Any]] = answers,
            body: dict[str, Any] = body,
            ready: threading.Barrier = ready,
        ) -> None:
            ready.wait(timeout=30)
            into[who] = create(node, setup, who, body)

        threads = [threading.Thread(target=make, args=(a, "blue")),
                   threading.Thread(target=make, args=(b, "red"))]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        ids = {answers[who]["notice"]["id"] for who in ("blue", "red")}
        # whichever committed second was told in its answer; the conflict is one, not two
        told = [c for who in ("blue", "red") for c in answers[who]["conflicts"]]
        assert [notices_of(c) for c in told] == [ids], (i, told)
        # and both parties see it, on either node
        for node, who in ((a, "blue"), (b, "blue"), (a, "red"), (b, "red")):
            assert ids in [notices_of(c) for c in conflicts_of(node, setup, who)], (i, who)


def test_a_subscriber_of_a_killed_node_resumes_on_the_other(
    setup: Setup, nodes: tuple[Node, Node]
) -> None:
    a, b = nodes
    start = httpx.get(f"{b.base}/v1/events", headers=setup.headers("red")).json()["last"]
    sub = Subscriber(a.ws, setup.tokens["red"], start)
    made = [create(b, setup, "blue", notice(square(60.0 + i, 10.0)))["notice"]["id"]
            for i in range(5)]  # fmt: skip
    wait_for(lambda: all(sub.got(n) for n in made), "the first notices pushed by A")
    a.kill()
    sub.close()
    made += [create(b, setup, "blue", notice(square(70.0 + i, 10.0)))["notice"]["id"]
             for i in range(5)]  # fmt: skip
    resumed_after = max(e["seq"] for e in sub.events)
    again = Subscriber(b.ws, setup.tokens["red"], resumed_after)
    made += [create(b, setup, "blue", notice(square(80.0 + i, 10.0)))["notice"]["id"]
             for i in range(5)]  # fmt: skip
    try:
        wait_for(lambda: all(again.got(n) for n in made[5:]), "every later notice pushed by B")
    finally:
        again.close()
    received = [e["seq"] for e in (*sub.events, *again.events)]
    entitled = httpx.get(
        f"{b.base}/v1/events", params={"after": start}, headers=setup.headers("red")
    ).json()["events"]
    upto = max(received)
    assert received == [e["seq"] for e in entitled if e["seq"] <= upto]  # nothing lost or twice


def _holders(setup: Setup) -> list[int]:
    """The pids of the nodes holding the scanner's lease (from the lease's session name)."""
    engine = sa.create_engine(setup.db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            names = conn.execute(
                sa.text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a"
                    " ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
                    " AND l.database = (SELECT oid FROM pg_database"
                    "                   WHERE datname = current_database())"
                    " AND a.application_name LIKE 'deconfliction scanner lease %'"
                )
            ).scalars()
            return [int(m.group(1)) for n in names if (m := re.search(r":(\d+)$", n))]
    finally:
        engine.dispose()


def test_one_node_scans_and_another_takes_over_when_it_dies(
    setup: Setup, nodes: tuple[Node, Node]
) -> None:
    a, b = nodes
    pids = {a.proc.pid: a, b.proc.pid: b}
    [leader] = wait_for(lambda: _holders(setup) or None, "a node holding the scanner's lease")
    assert leader in pids
    assert len(_holders(setup)) == 1
    pids[leader].kill()
    [other] = {a.proc.pid, b.proc.pid} - {leader}
    wait_for(lambda: _holders(setup) == [other], "the other node taking the scanner's lease")
