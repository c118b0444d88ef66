"""Several nodes of one line over the machine's PostgreSQL and NATS.

Each test module gets a database of its own (``nodes_<random>``, dropped afterwards, its
sessions ended), with two parties and a coordinator each; nodes are ``deconfliction serve``
processes (``Node``) or, where a test reads a node's own counters, uvicorn servers in threads
of this process, each with a line of its own (``InProcessNode``). Skipped, saying why, when
PostgreSQL or NATS is not there.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from deconfliction import service
from deconfliction.api.app import QUIET, create_app
from deconfliction.config import LineConfig
from deconfliction.domain import Role
from deconfliction.domain.probing import NO_BUDGETS
from tests.conftest import PG_URL
from tests.waiting import WAIT_S, wait_for

NATS_URL = os.environ.get("DECONFLICTION_TEST_NATS", "nats://127.0.0.1:4222")

pytestmark = pytest.mark.postgres


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _reachable(url: str) -> str | None:
    """Why the NATS server at ``url`` cannot be reached, or ``None``."""
    where = sa.make_url(url.replace("nats://", "postgresql://", 1))
    try:
        with socket.create_connection((where.host or "127.0.0.1", where.port or 4222), 2):
            return None
    except OSError as exc:
        return str(exc)


@pytest.fixture(scope="session")
def nats_url() -> str:
    reason = _reachable(NATS_URL)
    if reason is not None:
        pytest.skip(f"NATS not reachable at {NATS_URL}: {reason}; start it or set "
                    "DECONFLICTION_TEST_NATS")  # fmt: skip
    return NATS_URL


@pytest.fixture(scope="module")
def db_url() -> Iterator[str]:
    """A fresh database on the test server for this module, dropped afterwards."""
    admin = sa.create_engine(PG_URL, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    name = f"nodes_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {str(exc).splitlines()[0]}; "
                    "start it or set DECONFLICTION_TEST_PG")  # fmt: skip
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class Setup:
    db_url: str
    key_path: Path
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture(scope="module")
def setup(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """The line: its key file (every node signs with it), two parties, their coordinators."""
    key = tmp_path_factory.mktemp("line") / "line.key"
    line = service.open_line(LineConfig(db_url, key_path=key, budgets=NO_BUDGETS))
    try:
        assert line.origin  # the key made now, once, for every node
        tokens = {}
        for slug in ("blue", "red"):
            service.create_party(line, slug, slug.title())
            tokens[slug] = service.create_member(line, slug, Role.COORDINATOR, "tests")[1]
    finally:
        line.store.close()
    return Setup(db_url, key, tokens)


def square(lon: float, lat: float, size_deg: float = 0.1) -> dict[str, Any]:
    """A volume over a square, from an hour from now for two hours (the nodes' clock is real)."""
    now = datetime.now(UTC)
    ring = [[lon, lat], [lon + size_deg, lat], [lon + size_deg, lat + size_deg],
            [lon, lat + size_deg], [lon, lat]]  # fmt: skip
    return {
        "footprint": {"type": "Polygon", "coordinates": [ring]},
        "time": {
            "start": (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
            "end": (now + timedelta(hours=3)).isoformat().replace("+00:00", "Z"),
        },
    }


def notice(*volumes: dict[str, Any], audience: Any = "all") -> dict[str, Any]:
    return {"kind": "operation", "title": "test", "audience": audience, "volumes": list(volumes)}


UNLIMITED = ["--rate-member", "off", "--rate-party", "off", "--rate-upload-kib", "off",
             "--rate-anonymous", "off", "--connections-per-client", "0",
             "--no-budgets"]  # fmt: skip


class Node:
    """``deconfliction serve`` in a process of its own, on a free port (``ready()`` waits)."""

    def __init__(self, setup: Setup, log: Path, *options: str, nats: str | None = None) -> None:
        self.port = free_port()
        self.log = log
        cmd = [sys.executable, "-m", "deconfliction", "serve", "--db", setup.db_url,
               "--port", str(self.port), "--key-file", str(setup.key_path), "--no-feeds",
               "--no-tak", "--record-interval-s", "1", *UNLIMITED, *options]  # fmt: skip
        if nats is not None:
            cmd += ["--nats", nats]
        env = {**os.environ, "NO_COLOR": "1"}
        env.pop("DECONFLICTION_NATS", None)
        with log.open("wb") as out:  # the child has its own copy
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)

    def ready(self) -> Node:
        """Wait until it answers (two minutes at most: starting Python is slow on a busy box)."""
        wait_for(self._answers, f"the node on port {self.port} answering (see {self.log})", 120)
        return self

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"the node exited with {self.proc.returncode}; see {self.log}")
        try:
            return httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/stream"

    def kill(self) -> None:
        """SIGKILL: no goodbye to anyone, as when a machine dies."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=WAIT_S)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.kill()


class InProcessNode:
    """A node as a uvicorn server in a thread of this process, on a line of its own (so its own
    signal), whose link to the others (``app.state.nodes``) a test can read."""

    def __init__(self, setup: Setup, nats: str | None, **changes: Any) -> None:
        self.port = free_port()
        config = replace(QUIET, db_url=setup.db_url, key_path=setup.key_path,
                         nats_url=nats, budgets=NO_BUDGETS, **changes)  # fmt: skip
        self.line = service.open_line(config)
        self.app = create_app(self.line, config)
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> InProcessNode:
        self.thread.start()
        wait_for(lambda: self.server.started, f"the server on port {self.port} started")
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=WAIT_S)
        self.line.store.close()

    @property
    def link(self) -> service.NodeLink:
        link = self.app.state.nodes
        assert link is not None, "this node has no link to the others"
        return link  # type: ignore[no-any-return]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/stream"


class Subscriber:
    """A WebSocket subscriber in a thread, keeping every event it receives."""

    def __init__(self, url: str, token: str, after: int) -> None:
        self.url = f"{url}?after={after}"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.events: list[dict[str, Any]] = []
        self.ws: ClientConnection | None = None
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        wait_for(lambda: self.ws is not None or self.error, f"a connection to {url}")
        assert self.error is None, self.error

    def _read(self) -> None:
        try:
            with connect(self.url, additional_headers=self.headers) as ws:
                self.ws = ws
                for message in ws:
                    self.events.append(orjson.loads(message))
        except ConnectionClosed:
            pass  # closed by close(), or the node went away
        except Exception as exc:
            self.error = exc

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
        self.thread.join(timeout=WAIT_S)
        assert self.error is None, self.error

    def got(self, notice_id: str) -> dict[str, Any] | None:
        return next(
            (
                e
                for e in self.events
                if e["kind"] == "notice.created" and e["subject"] == notice_id
            ),  # fmt: skip
            None,
        )
