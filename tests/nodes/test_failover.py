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


@pytest.fixture
def nodes(setup: Setup, nats_url: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    a = Node(setup, tmp_path / "a.log", "--scan-interval-s", "0.2", nats=nats_url)
    try:
        b = Node(setup, tmp_path / "b.log", "--scan-interval-s", "0.2", nats=nats_url)
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()


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


def pair(conflict: dict[str, Any]) -> set[str]:
    return {s["notice"] for s in (conflict["mine"], conflict["other"]) if s and "notice" in s}


def test_conflicting_notices_made_at_once_on_two_nodes_are_both_told(
    setup: Setup, nodes: tuple[Node, Node]
) -> None:
    a, b = nodes
    for i in range(6):
        at = (20.0 + i, 40.0)
        answers: dict[str, dict[str, Any]] = {}
        ready = threading.Barrier(2)

        def make(node: Node, who: str, into: dict[str, dict[str, Any]] = answers) -> None:
            body = notice(square(*at), audience="all")
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
        assert [pair(c) for c in told] == [ids], (i, told)
        # and both parties see it, on either node
        for node, who in ((a, "blue"), (b, "blue"), (a, "red"), (b, "red")):
            assert ids in [pair(c) for c in conflicts_of(node, setup, who)], (i, who)


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
