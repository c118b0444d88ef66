"""The record from a terminal: a party's `record sync` catches a host that rewrote or cut its
log, cosigns what it proved consistent and holds the line to the other witnesses' cosignatures
(a split view, a tail cut with its checkpoints); an evidence bundle still checks once the line
and its database are gone."""

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


@pytest.fixture(autouse=True)
def no_member_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No member key unless a test makes one: never the key of whoever runs the tests."""
    path = tmp_path / "member.key"
    monkeypatch.setenv("DECONFLICTION_MEMBER_KEY", str(path))
    return path


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


def witness(live: Live, who: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """``who`` with a registered member key, as a witness; the file it keeps checkpoints in."""
    as_member(live, who, monkeypatch)
    monkeypatch.setenv("DECONFLICTION_MEMBER_KEY", str(tmp_path / f"{who}.key"))
    assert cli("key", "new", "--name", f"{who}-ops").exit_code == 0
    assert cli("key", "register").exit_code == 0
    return tmp_path / f"{who}-held.json"


def test_sync_cosigns_what_it_proved_and_the_line_serves_it(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = witness(live, "red", monkeypatch, tmp_path)
    live.post("blue", notice(square(40.0, 35.0)))
    advance(live.line)
    name = f"{live.line.origin}/witness/red"
    code, said = sync(held)
    assert code == 0 and f"cosigned as {name}" in said
    kept = json.loads(held.read_text())["cosigned"]
    assert kept["size"] == 2 and kept["name"] == name
    with live.line.store.read() as tx:
        (row,) = tx.latest_cosignatures()
    assert (row.party, row.size, row.signature) == ("red", 2, kept["cosignature"])
    code, said = sync(held)
    assert code == 0 and "1 witness agrees with it" in said and "already" in said
    assert sync_no_cosign(held)[0] == 0
    as_member(live, "blue", monkeypatch)
    monkeypatch.setenv("COLUMNS", "250")
    r = cli("record", "witnesses", "--file", str(tmp_path / "blue-held.json"))
    assert r.exit_code == 0 and "agrees" in r.stdout and "red" in r.stdout


def sync_no_cosign(held: Path) -> tuple[int, str]:
    r = cli("record", "sync", "--file", str(held), "--no-cosign")
    return r.exit_code, " ".join((r.stdout + r.stderr).split())


def test_sync_catches_a_tail_cut_with_its_checkpoints_through_a_cosignature(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    red_held = witness(live, "red", monkeypatch, tmp_path)
    for lon in (40.0, 40.5, 41.0):
        live.post("blue", notice(square(lon, 35.0)))
    advance(live.line)
    assert sync(red_held)[0] == 0  # red cosigns checkpoint 4
    with live.line.store.transaction() as tx:  # the host cuts the last two, and all it signed
        tx._conn.exec_driver_sql("DELETE FROM event WHERE seq > 2")
        tx._conn.exec_driver_sql("DELETE FROM record_checkpoint")
        tx._conn.exec_driver_sql("DELETE FROM record_node")
    advance(live.line)
    as_member(live, "blue", monkeypatch)  # blue never synced: only red's cosignature can tell
    code, said = sync(tmp_path / "blue-held.json")
    assert code == 1
    assert "party red cosigned checkpoint 4 at" in said
    assert "the line's latest checkpoint is 2: its log was cut" in said
    with live.line.store.transaction() as tx:  # a host that also deletes the cosignatures...
        tx._conn.exec_driver_sql("DELETE FROM record_cosignature")
    as_member(live, "red", monkeypatch)
    code, said = sync(red_held)  # ...is still caught by the witness's own file
    assert code == 1 and "covers 2 events, fewer than the 4 of the checkpoint you hold" in said


def test_a_split_view_is_caught_by_sync_and_witnesses(
    live: Live, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    red_held = witness(live, "red", monkeypatch, tmp_path)
    live.post("blue", notice(square(40.0, 35.0)))
    advance(live.line)
    assert sync(red_held)[0] == 0  # red cosigns checkpoint 2
    rewrite_history(live.line)  # what blue is shown from now on: another history, as long
    as_member(live, "blue", monkeypatch)
    code, said = sync(tmp_path / "blue-held.json")
    assert code == 1
    assert "SPLIT VIEW: party red cosigned checkpoint 2 at" in said
    assert "with another root than the line shows you" in said
    monkeypatch.setenv("COLUMNS", "250")
    r = cli("record", "witnesses", "--file", str(tmp_path / "blue-held.json"))
    assert r.exit_code == 1 and "SPLIT VIEW" in r.stdout and "red" in r.stdout
