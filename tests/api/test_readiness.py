"""``/healthz`` answers while the process does; ``/readyz`` only while the store answers within
its bound, holds the schema the code expects, and the background duties run, and names what is
not ready (503); other parts of the line add checks of their own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from deconfliction.api.app import create_app
from deconfliction.service import Line
from deconfliction.store import SqlStore
from deconfliction.store.base import Store, Tx
from deconfliction.store.lease import Lease
from tests.conftest import MakeStore
from tests.waiting import wait_for


class Switch:
    """A store that forwards to another, which a test can swap while the app runs."""

    def __init__(self, target: Store) -> None:
        self.target = target
        self.url = target.url

    def to(self, target: Store) -> None:
        self.target = target

    def transaction(self) -> AbstractContextManager[Tx]:
        return self.target.transaction()

    def read(self) -> AbstractContextManager[Tx]:
        return self.target.read()

    def lease(self, name: str) -> Lease:
        return self.target.lease(name)

    def close(self) -> None:
        pass


def unreachable() -> SqlStore:
    """A PostgreSQL store on a port nothing listens on: every transaction fails to connect."""
    url = "postgresql+psycopg://postgres@127.0.0.1:1/line"
    return SqlStore(url, sa.create_engine(url, poolclass=sa.pool.NullPool))


class Hung:
    """A store whose reads wait until the test lets them go."""

    def __init__(self, target: Store) -> None:
        self.target = target
        self.url = target.url
        self.release = threading.Event()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        self.release.wait(60)
        with self.target.read() as tx:
            yield tx

    def transaction(self) -> AbstractContextManager[Tx]:
        return self.target.transaction()

    def close(self) -> None:
        self.release.set()


def _client(line: Line, **config: Any) -> TestClient:
    return TestClient(create_app(line, **config), raise_server_exceptions=False)


def test_ready_then_not_when_the_store_is_unreachable_then_ready_again(
    make_store: MakeStore,
) -> None:
    real = make_store("sqlite")
    switch = Switch(real)
    with _client(Line(store=switch), scan_interval_s=60.0, deadline_interval_s=60.0) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {
            "status": "ready",
            "checks": {"store": "ok", "scanner": "ok", "deadlines": "ok"},
        }
        switch.to(unreachable())
        down = client.get("/readyz")
        assert down.status_code == 503
        body = down.json()
        assert body["status"] == "not ready"
        assert body["checks"]["store"] == "failed: OperationalError"  # no server detail leaks
        assert body["checks"]["scanner"] == "ok"
        assert client.get("/healthz").json() == {"status": "ok"}  # alive: do not restart it
        switch.to(real)
        assert client.get("/readyz").status_code == 200


def test_a_store_slower_than_the_bound_is_not_ready(make_store: MakeStore) -> None:
    hung = Hung(make_store("sqlite"))
    with _client(Line(store=hung), ready_timeout_s=0.05) as client:
        first = client.get("/readyz")
        assert first.status_code == 503
        assert first.json()["checks"]["store"].startswith("no answer within 0.05 s")
        # the check still running is not started again: one thread, however often asked
        again = client.get("/readyz")
        assert again.status_code == 503
        assert [t.name for t in threading.enumerate()].count("ready-store") == 1
        hung.release.set()
        wait_for(lambda: client.get("/readyz").status_code == 200, "ready once the store answers")


def test_a_schema_the_code_does_not_expect_is_not_ready(make_store: MakeStore) -> None:
    store = make_store("sqlite")
    with _client(Line(store=store)) as client:
        assert client.get("/readyz").status_code == 200
        with store.engine.begin() as conn:
            head = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["store"] == (
            f"the database's schema is at 9999; this node's code expects {head}"
        )


def test_a_stopped_duty_is_not_ready(make_store: MakeStore) -> None:
    with _client(Line(store=make_store("sqlite")), scan_interval_s=60.0) as client:
        assert client.get("/readyz").status_code == 200
        client.app.state.scanner.stop()  # type: ignore[attr-defined]
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["scanner"] == "not running"


def test_other_parts_of_the_line_register_their_checks(make_store: MakeStore) -> None:
    with _client(Line(store=make_store("sqlite"))) as client:
        state: dict[str, str | None] = {"bridge": "not connected, not falling back"}
        remove = client.app.state.readiness.add("bridge", lambda: state["bridge"])  # type: ignore[attr-defined]
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"] == {"store": "ok", "bridge": "not connected, not falling back"}
        state["bridge"] = None
        assert client.get("/readyz").json()["checks"]["bridge"] == "ok"
        remove()
        assert client.get("/readyz").json()["checks"] == {"store": "ok"}
