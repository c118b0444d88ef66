"""The record from a terminal: a party's `record sync` catches a host that rewrote or cut its
log, and an evidence bundle still checks once the line and its database are gone."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from deconfliction import service
from deconfliction.domain import Role
from deconfliction.service import Line
from deconfliction.service.record import advance
from tests.api.conftest import NOW, notice, square
from tests.cli.test_watch import Live, Server, _free_port, as_member, cli
from tests.cli.test_watch import env as env  # noqa: F401  (the fixture, by name)
from tests.conftest import MakeStore


@pytest.fixture
def live(make_store: MakeStore, tmp_path: Path) -> Iterator[Live]:
    line = Line(store=make_store("sqlite"), clock=lambda: NOW, key_path=tmp_path / "line.key")
    tokens = {}
    for slug in ("blue", "red"):
        service.create_party(line, slug, slug.title())
        tokens[slug] = service.create_member(line, slug, Role.COORDINATOR)[1]
    made = Live(line, tokens, Server(line, _free_port()).start())
    yield made
    made.server.stop()


def sync(held: Path) -> tuple[int, str]:
    r = cli("record", "sync", "--file", str(held))
    return r.exit_code, " ".join((r.stdout + r.stderr).split())


def rewrite_history(line: Line) -> None:
    """What a dishonest host would do: change an old event, rebuild the tree, sign it anew."""
    with line.store.transaction() as tx:
        tx._conn.exec_driver_sql("UPDATE event SET body = REPLACE(body, 'test', 'TEST')")
        tx._conn.exec_driver_sql("DELETE FROM record_node")
        tx._conn.exec_driver_sql("DELETE FROM record_checkpoint")
    advance(line)


def test_sync_keeps_checkpoints_and_catches_a_rewritten_log(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_member(live, "red", monkeypatch)
    held = tmp_path / "held.json"
    live.post("blue", notice(square(40.0, 35.0)))
    advance(live.line)
    assert sync(held) == (0, f"checkpoint 1 (the first you hold); 1 held in {held}")
    live.post("blue", notice(square(40.5, 35.0)))
    advance(live.line)
    assert sync(held) == (0, f"checkpoint 2, consistent with the 1 you held; 2 held in {held}")
    assert sync(held)[0] == 0  # nothing new: nothing added
    kept = json.loads(held.read_text())
    assert [c["size"] for c in kept["checkpoints"]] == [1, 2]
    assert kept["vkey"] == live.line.signer.verifier().vkey()

    live.post("blue", notice(square(41.0, 35.0)))
    rewrite_history(live.line)  # three events, every one rewritten, signed with the line's key
    code, said = sync(held)
    assert code == 1
    assert "the line's checkpoint 3 is not consistent with the checkpoint 2 you hold" in said
    assert "its log was rewritten" in said
    assert [c["size"] for c in json.loads(held.read_text())["checkpoints"]] == [1, 2]


def test_sync_catches_a_truncated_log_and_a_changed_key(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_member(live, "red", monkeypatch)
    held = tmp_path / "held.json"
    for lon in (40.0, 40.5):
        live.post("blue", notice(square(lon, 35.0)))
    advance(live.line)
    assert sync(held)[0] == 0
    with live.line.store.transaction() as tx:
        tx._conn.exec_driver_sql("DELETE FROM event WHERE seq = 2")
        tx._conn.exec_driver_sql("DELETE FROM record_node")
        tx._conn.exec_driver_sql("DELETE FROM record_checkpoint")
    advance(live.line)
    code, said = sync(held)
    assert code == 1 and "covers 1 events, fewer than the 2 of the checkpoint you hold" in said

    other = tmp_path / "other.json"
    assert sync(other)[0] == 0
    r = cli("record", "sync", "--file", str(tmp_path / "third.json"), "--key", "x+1+AAAA")
    assert r.exit_code == 2 and "--key" in r.stderr


def test_an_evidence_bundle_checks_after_the_database_is_gone(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_member(live, "blue", monkeypatch)
    made = live.post("blue", notice(square(40.0, 35.0), audience=["red"]))
    as_member(live, "red", monkeypatch)
    assert cli("ack", made["id"], "--version", "1").exit_code == 0
    vkey = cli("record", "key").stdout.strip()
    as_member(live, "blue", monkeypatch)
    bundle = tmp_path / "evidence.json"
    r = cli("record", "evidence", "--notice", made["id"], "--party", "red", "-o", str(bundle))
    assert r.exit_code == 0 and f"entries written to {bundle}" in r.stdout

    live.server.stop()
    live.line.store.close()
    database = Path(live.line.store.url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    assert not database.exists()

    checked = subprocess.run(
        [sys.executable, "-m", "deconfliction", "record", "check", str(bundle), "--key", vkey],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    out = " ".join(checked.stdout.split())
    assert f"party blue published version 1 of notice {made['id']}" in out
    assert f"Party red acknowledged version 1 of notice {made['id']}" in out
    assert "statements are proven by the record" in out

    data = json.loads(bundle.read_text())
    data["entries"][-1]["entry"] = data["entries"][-1]["entry"].replace("red", "RED", 1)
    bundle.write_text(json.dumps(data))
    r = cli("record", "check", str(bundle), "--key", vkey)
    assert r.exit_code == 1 and "NOT PROVEN" in r.stderr
