"""The conversation from a terminal against a real server: thread, request, reply, withdraw,
note, ack and receipts, in process through typer's runner and as real subprocesses.

The line runs on the real clock here, since ``--deadline +30m`` is resolved against it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from deconfliction import service
from deconfliction.cli.when import parse_time
from deconfliction.domain import Role
from deconfliction.service import Line
from tests.api.conftest import notice, square
from tests.cli.test_watch import Live, Server, _command, _free_port, as_member, cli
from tests.cli.test_watch import env as env  # noqa: F401  (the fixture, by name)
from tests.conftest import MakeStore


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def area(lon: float = 40.0, lat: float = 35.0) -> dict[str, Any]:
    """A square volume from one to three hours from now."""
    now = datetime.now(UTC)
    start, end = _z(now + timedelta(hours=1)), _z(now + timedelta(hours=3))
    return square(lon, lat, start=start, end=end)


@pytest.fixture
def live(make_store: MakeStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    """Blue and red on a line that keeps real time; tables wide enough to read whole."""
    monkeypatch.setenv("COLUMNS", "200")
    line = Line(store=make_store("sqlite"), clock=lambda: datetime.now(UTC))
    tokens = {}
    for slug in ("blue", "red"):
        service.create_party(line, slug, slug.title())
        tokens[slug] = service.create_member(line, slug, Role.COORDINATOR)[1]
    made = Live(line, tokens, Server(line, _free_port()).start())
    yield made
    made.server.stop()


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1].strip()


def ok(*args: str) -> Any:
    r = cli(*args)
    assert r.exit_code == 0, (r.stdout, r.stderr)
    return r


def shown(thread: str) -> dict[str, Any]:
    return dict(orjson.loads(ok("thread", "show", thread, "--json").stdout))


def a_thread_and_a_request(
    live: Live, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str]:
    as_member(live, "blue", monkeypatch)
    thread = last_line(ok("thread", "open", "red", "--subject", "Palmyra road").stdout)
    volume = tmp_path / "valley.json"
    volume.write_bytes(orjson.dumps(area()))
    args = ["--to", "red", "--kind", "vacate", "--deadline", "+30m", "--volume", str(volume)]
    r = ok("request", thread, *args, "--text", "Pull your aircraft from the valley.")
    return thread, last_line(r.stdout)


def test_the_seed_exchange_from_a_terminal(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    thread, request = a_thread_and_a_request(live, tmp_path, monkeypatch)
    after = datetime.now(UTC)
    listed = ok("threads").stdout
    assert thread[-6:] in listed and thread not in listed  # the random tail, not the time
    assert "Palmyra road" in listed and "blue, red" in listed

    asked = shown(thread)["messages"][0]
    assert asked["id"] == request and asked["state"] == "open" and asked["to"] == "red"
    deadline = datetime.fromisoformat(asked["deadline"])
    assert before + timedelta(minutes=30) <= deadline <= after + timedelta(minutes=30)
    assert asked["volume"]["footprint"]["type"] == "Polygon"

    as_member(live, "red", monkeypatch)
    r = ok("reply", request, "--thread", thread, "--accept")
    assert "red: reply accept" in r.stdout and f"re {request}" in r.stdout
    page = ok("thread", "show", thread).stdout
    assert ok("thread", thread).stdout == page  # `thread ID` is short for `thread show ID`
    assert '"Palmyra road" between blue, red' in page
    assert "blue: request vacate to red" in page and "Pull your aircraft" in page
    assert re.search(r" · by blue#[0-9a-z]{6}", page), page  # blue's writer, by its label
    assert "accepted · commitment in force · area Polygon of 4 vertices within" in page
    assert "40.0000°E–40.1000°E 35.0000°N–35.1000°N" in page  # where, not only what shape
    assert request[-6:] in page and request not in page  # ids shown short

    as_member(live, "blue", monkeypatch)
    r = ok("withdraw", request, "--thread", thread, "--text", "Area released.")
    assert last_line(r.stdout) != request
    ok("note", thread, "Thank you.")
    messages = shown(thread)["messages"]
    assert [m["kind"] for m in messages] == ["request", "reply", "withdraw", "note"]
    assert messages[0]["commitment"] == "withdrawn"
    assert "commitment withdrawn" in ok("thread", "show", thread).stdout

    # red acknowledges blue's notice; blue sees it in the receipts
    mine = live.post("blue", notice(area(), audience=["red"]))
    as_member(live, "red", monkeypatch)
    r = ok("ack", mine["id"])
    assert r.stdout.startswith(f"red: notice {mine['id']} v1 acknowledged ")
    assert orjson.loads(ok("ack", mine["id"], "--version", "1", "--json").stdout)["version"] == 1
    as_member(live, "blue", monkeypatch)
    table = ok("receipts", mine["id"]).stdout
    row = next(line for line in table.splitlines() if "│ red" in line)
    assert len(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", row)) == 2  # delivered, acked
    assert "no acknowledgement deadline on this notice" in table
    got = orjson.loads(ok("receipts", mine["id"], "--json").stdout)
    assert [(x["party"], x["acknowledged_at"] is not None) for x in got["receipts"]] == [
        ("red", True)
    ]
    for who in ("blue", "red"):
        assert live.tokens[who] not in table + page + listed


def test_protected_notice_receipts_name_who_is_still_missing(
    live: Live, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hospital = live.post("blue", {**notice(area(), audience=["red"]), "protected": True})
    as_member(live, "blue", monkeypatch)
    out = ok("receipts", hospital["id"]).stdout
    assert "no receipts yet" in out and "still missing red" in out
    as_member(live, "red", monkeypatch)
    ok("ack", hospital["id"])
    as_member(live, "blue", monkeypatch)
    assert "acknowledged by every party" in ok("receipts", hospital["id"]).stdout


def test_bad_input_exits_non_zero_naming_the_field(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread, request = a_thread_and_a_request(live, tmp_path, monkeypatch)

    def refused(code: int, *args: str) -> str:
        r = cli(*args)
        assert r.exit_code == code, (r.stdout, r.stderr)
        return str(r.stderr)

    base = ["request", thread, "--to", "red", "--deadline", "+1h"]
    assert "--kind" in refused(2, *base, "--kind", "evacuate")
    assert "--deadline" in refused(2, *base[:-2], "--kind", "hold", "--deadline", "+30x")
    naive = refused(2, *base[:-2], "--kind", "hold", "--deadline", "2026-12-01T05:00")
    assert "--deadline" in naive and "no UTC offset" in naive
    # the line's own refusals name the field from the error's pointer, exit 1
    assert "error: deadline: " in refused(
        1, *base[:-2], "--kind", "hold", "--deadline", "2020-01-01T00:00:00Z"
    )
    bad = tmp_path / "bad.json"
    bad.write_bytes(orjson.dumps(area(40.0, 89.95)))  # its north edge at latitude 90.05
    assert "error: volume/footprint" in refused(1, *base, "--kind", "vacate", "--volume", str(bad))
    bad.write_text("[1, 2]")
    assert "--volume" in refused(2, *base, "--kind", "vacate", "--volume", str(bad))
    assert "error: to: " in refused(1, "request", thread, "--to", "green", "--kind", "hold",
                                    "--deadline", "+1h")  # fmt: skip

    as_member(live, "red", monkeypatch)
    reply = ["reply", request, "--thread", thread]
    assert "--reason" in refused(2, *reply, "--decline")
    assert "one of --accept" in refused(2, *reply)
    assert "one of --accept" in refused(2, *reply, "--accept", "--decline", "--reason", "x")
    assert "--counter" in refused(2, *reply, "--counter")
    assert "--window" in refused(2, *reply, "--counter", "--window", "+1h")
    ok(*reply, "--decline", "--reason", "Our convoy uses that road until 12:00Z.")
    assert "error: in_reply_to: " in refused(1, *reply, "--accept")
    assert "declined" in ok("thread", "show", thread).stdout
    assert "not_found" not in refused(1, "thread", "show", "no-such-thread")
    assert "no thread you may see" in refused(1, "thread", "show", "no-such-thread")
    r = cli("note", thread, "hello", "--server", f"http://127.0.0.1:{_free_port()}")
    assert r.exit_code == 1 and "cannot reach the line" in r.stderr


def test_the_requester_accepts_a_counter(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread, request = a_thread_and_a_request(live, tmp_path, monkeypatch)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(orjson.dumps(area(41.0, 35.0)))
    as_member(live, "red", monkeypatch)
    r = ok("reply", request, "--thread", thread, "--counter", "--volume", str(elsewhere))
    counter = last_line(r.stdout)
    assert "open" in r.stdout and "41.0000°E–41.1000°E" in r.stdout
    as_member(live, "blue", monkeypatch)
    r = ok("reply", counter, "--thread", thread, "--accept")
    assert "blue: reply accept" in r.stdout and f"re {counter}" in r.stdout
    asked, countered, accepted = shown(thread)["messages"]
    assert (asked["state"], asked["commitment"]) == ("accepted", "in force")
    assert countered["state"] == "accepted" and accepted["in_reply_to"] == counter
    page = ok("thread", thread).stdout
    assert f"accepted · re {request[-6:]} · area Polygon" in page  # ids shown short


def test_from_a_real_process(live: Live, tmp_path: Path) -> None:
    def run(who: str, *args: str) -> str:
        proc = _command(live, who, *args, tmp_path=tmp_path)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert live.tokens[who] not in out + err
        return out

    thread = last_line(run("blue", "thread", "open", "red", "--subject", "Deir ez-Zor"))
    request = last_line(run("blue", "request", thread, "--to", "red", "--kind", "hold",
                            "--deadline", "+2h", "--text", "Hold the convoy."))  # fmt: skip
    counter = run("red", "reply", request, "--thread", thread, "--counter", "--window",
                  "+3h/+5h", "--reason", "We can wait from then.")  # fmt: skip
    assert "red: reply counter" in counter and "window" in counter
    got = orjson.loads(run("red", "thread", "show", thread, "--json"))
    asked, answer = got["messages"]
    assert asked["state"] == "countered" and asked["request"] == "hold"
    assert answer["in_reply_to"] == request and answer["window"]["start"].endswith("Z")
    bad = _command(live, "red", "reply", request, "--thread", thread, "--decline",
                   tmp_path=tmp_path)  # fmt: skip
    _, err = bad.communicate(timeout=60)
    assert bad.returncode == 2 and "--reason" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+30m", "2026-11-25T12:30:00+00:00"),
        ("+2h", "2026-11-25T14:00:00+00:00"),
        ("+1h30m", "2026-11-25T13:30:00+00:00"),
        ("+1d", "2026-11-26T12:00:00+00:00"),
        ("+45s", "2026-11-25T12:00:45+00:00"),
        ("2026-12-01T05:00:00Z", "2026-12-01T05:00:00+00:00"),
        ("2026-12-01T08:00:00+03:00", "2026-12-01T05:00:00+00:00"),
    ],
)
def test_times_absolute_and_relative(text: str, expected: str) -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_time(text, now).isoformat() == expected


@pytest.mark.parametrize("text", ["+", "+30", "30m", "+m", "soon", "2026-12-01", "+1m1h"])
def test_times_refused(text: str) -> None:
    with pytest.raises(ValueError, match="RFC 3339|UTC offset"):
        parse_time(text, datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
