"""``deconfliction watch`` and ``inbox`` against a real server (uvicorn in a thread).

The line has two parties; the commands run in process through typer's runner and as real
subprocesses with the token in the environment. The streaming watch must survive the server
restarting on the same port and print every event once.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import orjson
import pytest
import uvicorn
from typer.testing import CliRunner

from deconfliction import service
from deconfliction.api.app import create_app
from deconfliction.cli.main import app
from deconfliction.cli.watch import follow
from deconfliction.domain import Role
from deconfliction.service import Line
from tests.api.conftest import NOW, notice, square
from tests.conftest import MakeStore
from tests.waiting import WAIT_S, delivered, wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """uvicorn over ``line`` in a thread, on ``port``; stop it and start another on the same."""

    def __init__(self, line: Line, port: int) -> None:
        self.port = port
        config = uvicorn.Config(
            create_app(line),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,  # open event streams do not end by themselves
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> Server:
        self.thread.start()
        wait_for(lambda: self.server.started, f"the server on port {self.port} started")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=WAIT_S)
        assert not self.thread.is_alive(), f"the server did not stop within {WAIT_S:.0f} s"


class Live:
    def __init__(self, line: Line, tokens: dict[str, str], server: Server) -> None:
        self.line, self.tokens, self.server = line, tokens, server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def post(self, who: str, body: Any) -> dict[str, Any]:
        r = httpx.post(
            f"{self.url}/v1/notices",
            json=body,
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
            timeout=WAIT_S,
        )
        assert r.status_code == 201, r.text
        return dict(r.json()["notice"])

    def restart(self) -> None:
        self.server.stop()
        self.server = Server(self.line, self.server.port).start()


@pytest.fixture
def live(make_store: MakeStore) -> Iterator[Live]:
    line = Line(store=make_store("sqlite"), clock=lambda: NOW)
    tokens = {}
    for slug in ("blue", "red"):
        service.create_party(line, slug, slug.title())
        tokens[slug] = service.create_member(line, slug, Role.COORDINATOR)[1]
    made = Live(line, tokens, Server(line, _free_port()).start())
    yield made
    made.server.stop()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No token, server or state from the person running the tests; returns the config path."""
    for name in ("DECONFLICTION_URL", "DECONFLICTION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DECONFLICTION_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("DECONFLICTION_STATE", str(tmp_path / "state" / "inbox.json"))
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path / "config.toml"


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def as_member(live: Live, who: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DECONFLICTION_URL", live.url)
    monkeypatch.setenv("DECONFLICTION_TOKEN", live.tokens[who])


def json_lines(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in text.splitlines() if line.strip()]


def two_notices_and_a_conflict(live: Live) -> tuple[dict[str, Any], dict[str, Any]]:
    mine = live.post("blue", notice(square(40.0, 35.0), audience="all"))
    theirs = live.post("red", notice(square(40.05, 35.05), audience=[]))
    return mine, theirs


# -- once -----------------------------------------------------------------------------------


def test_watch_once_json_prints_what_the_party_may_see(
    live: Live, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, theirs = two_notices_and_a_conflict(live)
    as_member(live, "blue", monkeypatch)
    r = cli("watch", "--once", "--json")
    assert r.exit_code == 0, r.output
    got = json_lines(r.stdout)
    # red's private notice (seq 2) never reaches blue; the conflict it raised does, redacted
    assert [(e["seq"], e["kind"]) for e in got] == [(1, "notice.created"), (3, "conflict.opened")]
    assert got[0]["notice"]["id"] == mine["id"]
    assert got[1]["conflict"]["other"] == {"party": "red"}
    assert theirs["id"] not in r.stdout
    assert live.tokens["blue"] not in r.output
    after = json_lines(cli("watch", "--once", "--json", "--after", "1").stdout)
    assert [e["seq"] for e in after] == [3]
    only = json_lines(cli("watch", "--once", "--json", "--kinds", "notice.created").stdout)
    assert [e["seq"] for e in only] == [1]


def test_watch_once_prints_a_line_a_person_can_read(
    live: Live, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live.post("blue", {**notice(square(40.0, 35.0)), "title": "Convoy [north]"})
    live.post("red", notice(square(40.05, 35.05), audience=["blue"]))
    as_member(live, "red", monkeypatch)
    r = cli("watch", "--once")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 3
    assert "#1" in lines[0] and "notice.created" in lines[0]
    declared = 'blue declared operation "Convoy [north]" v1, 11-25 13:00Z to 15:00Z, shared'
    assert declared in lines[0]
    assert 'red declared operation "test" v1' in lines[1] and "shared with blue" in lines[1]
    assert "conflict.opened" in lines[2]
    # the overlap starts within the hour: a caution
    assert (
        'caution new strategic conflict with blue: your "test" and blue\'s "Convoy [north]", '
        "11-25 13:00Z to 15:00Z, 0 m apart"
    ) in lines[2]


def test_token_from_the_config_file_and_errors_that_say_what_to_do(
    live: Live, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = cli("watch", "--once")
    assert r.exit_code == 2
    assert "no token" in r.stderr and "DECONFLICTION_TOKEN" in r.stderr
    assert str(env) in r.stderr
    env.write_text(f'server = "{live.url}"\ntoken = "{live.tokens["blue"]}"\n')
    two_notices_and_a_conflict(live)
    r = cli("watch", "--once", "--json")
    assert r.exit_code == 0, r.output
    assert [e["seq"] for e in json_lines(r.stdout)] == [1, 3]
    monkeypatch.setenv("DECONFLICTION_TOKEN", "dl_not-a-member")
    r = cli("watch", "--once")
    assert r.exit_code == 2 and "refused the token" in r.stderr
    assert "dl_not-a-member" not in r.output
    r = cli("watch", "--once", "--server", f"http://127.0.0.1:{_free_port()}")
    assert r.exit_code == 1 and "cannot reach the line" in r.stderr


# -- inbox ----------------------------------------------------------------------------------


def test_inbox_shows_only_what_is_new_the_second_time(
    live: Live, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rows whole, not folded
    mine, _ = two_notices_and_a_conflict(live)
    as_member(live, "red", monkeypatch)
    first = cli("inbox")
    assert first.exit_code == 0, first.output
    assert "3 events" in first.stdout and "notice.created" in first.stdout
    assert "conflict.opened" in first.stdout
    # red has received blue's notice: the receipt (#4) is told to blue, not red
    delivered(live.line, "red", [mine["id"]])
    again = cli("inbox")
    assert again.exit_code == 0 and "nothing new since #3" in again.stdout
    shared = live.post("blue", notice(square(60.0, 10.0), audience=["red"]))
    live.post("blue", notice(square(80.0, 10.0), audience=[]))  # not red's to see
    third = cli("inbox")
    assert "1 new since #3" in third.stdout
    rows = [line for line in third.stdout.splitlines() if "notice.created" in line]
    assert len(rows) == 1 and rows[0].lstrip("│ ").startswith("5")
    delivered(live.line, "red", [shared["id"]])  # the receipt: #7
    # blue's inbox is its own: everything is new to blue, red's receipts too
    monkeypatch.setenv("DECONFLICTION_TOKEN", live.tokens["blue"])
    blues = cli("inbox").stdout
    assert "6 events" in blues
    receipts = [line for line in blues.splitlines() if "receipt.recorded" in line]
    assert [row.split("│")[1].strip() for row in receipts] == ["4", "7"]
    assert all('red received "test" v1' in row for row in receipts)
    monkeypatch.setenv("DECONFLICTION_TOKEN", live.tokens["red"])
    everything = cli("inbox", "--all")
    assert "4 events" in everything.stdout and "receipt" not in everything.stdout
    assert "nothing new since #5" in cli("inbox").stdout
    state = (env.parent / "state" / "inbox.json").read_text()
    assert live.tokens["red"] not in state and live.tokens["blue"] not in state


# -- streaming, as a real process -----------------------------------------------------------


def _reader(stream: IO[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _next_event(lines: queue.Queue[str], timeout_s: float = WAIT_S) -> dict[str, Any]:
    try:
        return dict(orjson.loads(lines.get(timeout=timeout_s)))
    except queue.Empty:
        raise AssertionError(f"no event from the watcher within {timeout_s:.0f} s") from None


def _command(live: Live, who: str, *args: str, tmp_path: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DECONFLICTION_URL": live.url,
        "DECONFLICTION_TOKEN": live.tokens[who],
        "DECONFLICTION_CONFIG": str(tmp_path / "none.toml"),
        "DECONFLICTION_STATE": str(tmp_path / "inbox.json"),
        "NO_COLOR": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "deconfliction", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )


@pytest.fixture
def interruptible() -> Iterator[None]:
    """Ctrl-C (SIGINT) stops the commands a test starts even when the tests run with SIGINT
    ignored, as a background job of a shell without job control does: a child inherits an
    ignored signal, while a handled one is back to its default after exec."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if previous is not None:
        signal.signal(signal.SIGINT, previous)


def test_watch_streams_and_survives_a_server_restart(
    live: Live, tmp_path: Path, interruptible: None
) -> None:
    first = live.post("blue", notice(square(40.0, 35.0), audience="all"))
    proc = _command(live, "red", "watch", "--json", tmp_path=tmp_path)
    try:
        lines = _reader(proc.stdout)  # type: ignore[arg-type]
        seen = [_next_event(lines)]  # from before it started
        delivered(live.line, "red", [first["id"]])  # pushed: the receipt, #2, is told to blue
        live.post("red", notice(square(40.05, 35.05), audience=["blue"]))  # after it started
        seen += [_next_event(lines), _next_event(lines)]
        live.restart()  # the stream drops; the watcher reconnects with Last-Event-ID
        live.post("blue", notice(square(60.0, 10.0), audience=[]))  # not red's
        live.post("blue", notice(square(60.05, 10.05), audience=["red"]))
        seen.append(_next_event(lines))
        live.restart()
        live.post("red", notice(square(60.02, 10.02), audience="all"))
        seen += [_next_event(lines) for _ in range(3)]
        # nothing else came before the next event red is told of: events arrive in order
        last = live.post("blue", notice(square(100.0, -10.0), audience=["red"]))
        assert _next_event(lines)["notice"]["id"] == last["id"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()  # never left running into the next tests
            proc.communicate()
            raise
    assert proc.returncode == 0, stderr
    # the log also holds events red is not told of (blue's private notice; receipts of what
    # red was pushed, told to blue), so red's sequence numbers have gaps, never repeats
    seqs = [e["seq"] for e in seen]
    assert seqs == sorted(set(seqs)) and seqs[:3] == [1, 3, 4]
    assert [e["kind"] for e in seen] == [
        "notice.created",
        "notice.created",
        "conflict.opened",
        "notice.created",
        "notice.created",
        "conflict.opened",  # red's last notice with each of blue's two (one private)
        "conflict.opened",
    ]
    assert "reconnecting" in stderr
    assert live.tokens["red"] not in stderr


def test_subprocess_once_json_and_missing_token(live: Live, tmp_path: Path) -> None:
    two_notices_and_a_conflict(live)
    proc = _command(live, "blue", "watch", "--once", "--json", tmp_path=tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert [e["seq"] for e in json_lines(out)] == [1, 3]
    env = {k: v for k, v in os.environ.items() if k != "DECONFLICTION_TOKEN"}
    env |= {"DECONFLICTION_CONFIG": str(tmp_path / "none.toml"), "NO_COLOR": "1"}
    missing = subprocess.run(
        [sys.executable, "-m", "deconfliction", "watch"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert missing.returncode == 2
    assert "no token: set DECONFLICTION_TOKEN" in missing.stderr


def test_reconnect_waits_double_up_to_ten_seconds() -> None:
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        if len(waits) == 8:
            raise KeyboardInterrupt

    nobody = f"http://127.0.0.1:{_free_port()}"
    with httpx.Client(base_url=nobody) as client, pytest.raises(KeyboardInterrupt):
        follow(client, 0, {}, lambda e: None, sleep=sleep)
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
