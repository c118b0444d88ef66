"""Receipts of messages from a terminal: `ack ID --thread T` (signed with `--sign`) and
`receipts ID --thread T`, against a real server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from deconfliction.record.statement import Signed
from tests.cli.test_talk import last_line, ok
from tests.cli.test_talk import live as live  # noqa: F401  (the fixture, by name)
from tests.cli.test_watch import Live, as_member, cli
from tests.cli.test_watch import env as env  # noqa: F401  (the fixture, by name)
from tests.waiting import WAIT_S


def live_member(live: Live, who: str) -> str:
    r = httpx.get(
        f"{live.url}/v1/members/me/key",
        headers={"Authorization": f"Bearer {live.tokens[who]}"},
        timeout=WAIT_S,
    )
    return str(r.json()["member"])


def test_a_message_acknowledged_and_its_receipts_from_a_terminal(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_member(live, "blue", monkeypatch)
    thread = last_line(ok("thread", "open", "red", "--subject", "Bridge at Deir ez-Zor").stdout)
    note = last_line(ok("note", thread, "Convoy crosses at 14:00Z.").stdout)
    second = last_line(ok("note", thread, "Two trucks more.").stdout)

    as_member(live, "red", monkeypatch)
    said = " ".join(ok("ack", note, "--thread", thread).stdout.split())
    assert said.startswith(f"red: message {note} acknowledged") and "signed" not in said
    r = cli("ack", note, "--thread", thread, "--version", "2")
    assert r.exit_code == 2 and "--version is for notices" in r.stderr

    monkeypatch.setenv("DECONFLICTION_MEMBER_KEY", str(tmp_path / "red.key"))
    ok("key", "new", "--name", "red")
    ok("key", "register")
    signed = ok("ack", second, "--thread", thread, "--sign", "--json").stdout
    assert Signed.from_json(json.loads(signed)["signed"]).member == live_member(live, "red")

    as_member(live, "blue", monkeypatch)
    table = " ".join(ok("receipts", note, "--thread", thread).stdout.split())
    assert f"receipts of message {note}" in table and "red" in table
    table = ok("receipts", second, "--thread", thread).stdout
    assert "signed by" in table and "red" in table.split("signed by", 1)[1]
    r = cli("receipts", note, "--thread", "no-such-thread")
    assert r.exit_code == 1
    assert "no thread you may see has an id beginning or ending 'no-such-thread'" in r.stderr
