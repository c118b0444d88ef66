"""Member keys from a terminal against a real server: `key new` makes an owner-only key file,
`key register` tells the line its public half, and `ack --sign`, `reply --sign` and `note --sign`
carry signatures the line checks and records."""

from __future__ import annotations

import base64
import os
import re
import stat
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from deconfliction.record.keyfile import load
from deconfliction.record.statement import Signed
from tests.api.conftest import notice
from tests.cli.test_talk import a_thread_and_a_request, area, last_line, ok
from tests.cli.test_talk import live as live  # noqa: F401  (the fixture, by name)
from tests.cli.test_watch import Live, _command, as_member, cli
from tests.cli.test_watch import env as env  # noqa: F401  (the fixture, by name)
from tests.waiting import WAIT_S


def refused(code: int, *args: str) -> str:
    r = cli(*args)
    assert r.exit_code == code, (r.stdout, r.stderr)
    return str(r.stderr)


def my_key(live: Live, who: str) -> Any:
    r = httpx.get(
        f"{live.url}/v1/members/me/key",
        headers={"Authorization": f"Bearer {live.tokens[who]}"},
        timeout=WAIT_S,
    )
    return r.json() if r.status_code == 200 else None


def test_key_new_makes_an_owner_only_file_and_keeps_it(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keys" / "red.key"
    first = ok("key", "new", "--file", str(path), "--name", "red-ops").stdout
    assert f"made a new key red-ops in {path}" in first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    public = last_line(first)
    assert base64.b64decode(public) == load(path).verifier().public_key
    again = ok("key", "new", "--file", str(path)).stdout
    assert "kept the key red-ops" in again and last_line(again) == public
    # the default file: $DECONFLICTION_MEMBER_KEY
    monkeypatch.setenv("DECONFLICTION_MEMBER_KEY", str(tmp_path / "member.key"))
    assert "key member in" in ok("key", "new").stdout
    # a file others can read is refused, as ssh refuses one
    os.chmod(path, 0o640)
    assert "chmod 600" in refused(2, "key", "new", "--file", str(path))
    assert "--name" in refused(2, "key", "new", "--file", str(tmp_path / "x.key"), "--name", "a b")


def test_register_then_sign_an_acknowledgement_and_messages(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread, request = a_thread_and_a_request(live, tmp_path, monkeypatch)
    mine = live.post("blue", notice(area(), audience=["red"]))
    as_member(live, "red", monkeypatch)
    monkeypatch.setenv("DECONFLICTION_MEMBER_KEY", str(tmp_path / "red.key"))
    # no key file yet; then a key the line does not know
    assert "no key file" in refused(2, "ack", mine["id"], "--sign")
    public = last_line(ok("key", "new", "--name", "red").stdout)
    assert "error: signature: register a public key first" in refused(
        1, "ack", mine["id"], "--sign"
    )
    assert last_line(ok("key", "register").stdout) == public
    assert my_key(live, "red")["public_key"] == public

    r = ok("ack", mine["id"], "--sign")
    assert r.stdout.startswith(f"red: notice {mine['id']} v1 acknowledged ")
    assert "signed" in r.stdout
    receipt = orjson.loads(ok("ack", mine["id"], "--json").stdout)
    signed = Signed.from_json(receipt["signed"])
    assert signed.verifies(base64.b64decode(public))
    assert f'"notice":"{mine["id"]}"' in signed.statement and '"version":1' in signed.statement

    answered = orjson.loads(ok("reply", request, "--thread", thread, "--accept", "--sign",
                               "--json").stdout)  # fmt: skip
    assert Signed.from_json(answered["signed"]).verifies(base64.b64decode(public))
    ok("note", thread, "Aircraft leaving now — tail 42.", "--sign")
    ok("note", thread, "Unsigned, this one.")
    page = ok("thread", "show", thread).stdout
    assert page.count("signed by") == 2
    as_member(live, "blue", monkeypatch)
    table = ok("receipts", mine["id"]).stdout
    row = next(line for line in table.splitlines() if "│ red" in line)
    # blue reads red's signer by its label on this notice's receipts, never by its id
    assert receipt["signed"]["member"] not in row and re.search(r"red#[0-9a-z]{6}", row), row


def test_from_a_real_process(live: Live, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DECONFLICTION_MEMBER_KEY", str(tmp_path / "member.key"))

    def run(*args: str) -> str:
        proc = _command(live, "red", *args, tmp_path=tmp_path)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        return out

    mine = live.post("blue", notice(area(), audience=["red"]))
    public = last_line(run("key", "new"))
    assert last_line(run("key", "register")) == public
    receipt = orjson.loads(run("ack", mine["id"], "--version", "1", "--sign", "--json"))
    assert receipt["signed"]["signature"]
    assert Signed.from_json(receipt["signed"]).verifies(base64.b64decode(public))
