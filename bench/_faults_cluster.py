"""The cluster ``bench/faults.py`` breaks: a PostgreSQL server and a NATS server of its own (so
restarting or stopping them disturbs no one else on the machine), and ``serve`` nodes over them,
all on loopback, all stopped and removed at the end."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from deconfliction import service
from deconfliction.config import LineConfig
from deconfliction.domain import Role
from deconfliction.domain.probing import NO_BUDGETS

__all__ = ["Nats", "Node", "Postgres", "free_port", "make_line"]

UNLIMITED = ["--rate-member", "off", "--rate-party", "off", "--rate-upload-kib", "off",
             "--rate-anonymous", "off", "--connections-per-client", "0",
             "--no-budgets"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5):
            return True
    except OSError:
        return False


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name))  # fmt: skip
    if not found:
        raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql")
    return found[-1].parent


class Postgres:
    """A PostgreSQL cluster of its own in a temporary folder, run as the ``postgres`` user
    (``runuser``: this bench runs as root, which may start it and restart it at will)."""

    def __init__(self) -> None:
        if os.geteuid() != 0:
            raise SystemExit("bench/faults.py runs as root: it starts and restarts PostgreSQL")
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self._as_postgres(self.bin / "initdb", "-D", str(self.dir / "data"), "-A", "trust",
                          "-U", "postgres", "--no-sync")  # fmt: skip
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *cmd: object) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, cmd)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._as_postgres(self.bin / "pg_ctl", "-D", self.dir / "data", "-l",
                          self.dir / "server.log", "-w", "-o", opts, "start")  # fmt: skip

    def crash(self) -> None:
        """Stop at once, as a power cut would (``-m immediate``: no checkpoint, WAL replayed at
        the next start)."""
        self._as_postgres(self.bin / "pg_ctl", "-D", self.dir / "data", "-m", "immediate",
                          "-w", "stop")  # fmt: skip

    def close(self) -> None:
        try:
            self._as_postgres(self.bin / "pg_ctl", "-D", self.dir / "data", "-m", "fast",
                              "-w", "stop")  # fmt: skip
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Nats:
    """``nats-server`` of its own on a free port, with its monitoring port (``/connz``)."""

    def __init__(self) -> None:
        exe = shutil.which("nats-server")
        if exe is None:
            raise SystemExit("nats-server is not installed (Debian: apt-get install nats-server)")
        self.port, self.monitor = free_port(), free_port()
        self.proc = subprocess.Popen(
            [exe, "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not _listening(self.port):
            if time.monotonic() > deadline:
                raise SystemExit("nats-server did not start")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGSTOP: the server is there but answers nothing (the harder case for a client than
        a closed connection: only its pings tell)."""
        self.proc.send_signal(signal.SIGSTOP)

    def cont(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def clients(self) -> set[int]:
        """The ids of the server's client connections (a reconnection is a new id)."""
        try:
            r = httpx.get(f"http://127.0.0.1:{self.monitor}/connz", timeout=1)
            return {int(c["cid"]) for c in r.json().get("connections") or ()}
        except (httpx.HTTPError, ValueError, KeyError):
            return set()

    def close(self) -> None:
        self.cont()
        self.proc.terminate()
        self.proc.wait(timeout=30)


def make_line(
    db_url: str, key: Path, parties: int, slug: Callable[[int], str] = "p{}".format
) -> dict[str, str]:
    """The line's parties (party ``p`` named ``slug(p)``), a coordinator's token each; its key
    made now for every node."""
    line = service.open_line(LineConfig(db_url, key_path=key, budgets=NO_BUDGETS))
    tokens = {}
    try:
        assert line.origin
        for p in range(parties):
            name = slug(p)
            service.create_party(line, name, f"Party {p}")
            tokens[name] = service.create_member(line, name, Role.COORDINATOR, "bench")[1]
    finally:
        line.store.close()
    return tokens


class Node:
    """``deconfliction serve`` over the cluster, on a port of its own that it keeps across a
    restart (clients come back to it)."""

    def __init__(self, name: str, db_url: str, key: Path, nats: str, logs: Path) -> None:
        self.name, self.port = name, free_port()
        self.cmd = [sys.executable, "-m", "deconfliction", "serve", "--db", db_url,
                    "--port", str(self.port), "--key-file", str(key), "--nats", nats,
                    "--no-feeds", "--no-tak", "--scan-interval-s", "1",
                    "--record-interval-s", "1", *UNLIMITED]  # fmt: skip
        self.logs = logs
        self.starts = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/stream"

    def start(self) -> None:
        self.starts += 1
        with (self.logs / f"{self.name}-{self.starts}.log").open("wb") as out:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT)

    def ready(self, within_s: float = 120.0) -> float:
        """Wait until it answers ``/healthz``; how long that took."""
        started = time.monotonic()
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            assert self.proc is not None
            if self.proc.poll() is not None or time.monotonic() - started > within_s:
                raise SystemExit(f"node {self.name} did not start; see {self.logs}")
            time.sleep(0.1)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def said(self, text: str) -> int:
        """How many lines of this node's logs (every start) contain ``text``."""
        return sum(
            line.count(text)
            for log in self.logs.glob(f"{self.name}-*.log")
            for line in log.read_text(errors="replace").splitlines()
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
