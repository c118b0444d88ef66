"""The host's commands: parties, members and tokens that then work against the API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from deconfliction.api.app import create_app
from deconfliction.service import list_conflicts, open_line
from deconfliction.store.base import NoticeQuery


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deconfliction", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )


def test_party_and_member_then_token_works(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/line.db"
    made = run("party", "create", "un-ocha", "--name", "UN OCHA", "--db", db, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    again = run("party", "create", "un-ocha", "--name", "UN OCHA", "--db", db, cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    member = run(
        "member", "create", "--party", "un-ocha", "--role", "observer", "--db", db, cwd=tmp_path
    )
    assert member.returncode == 0, member.stderr
    token = member.stdout.strip().splitlines()[-1]
    assert token.startswith("dl_")

    line = open_line(db)
    with TestClient(create_app(line)) as client:
        r = client.get("/v1/parties", headers={"Authorization": f"Bearer {token}"})
        assert r.json() == {"parties": [{"slug": "un-ocha", "name": "UN OCHA"}]}
    line.store.close()
    # the token itself is nowhere in the database file
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("line.db*"))
    assert token.encode() not in raw


def test_member_of_unknown_party_or_role_is_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/line.db"
    r = run("member", "create", "--party", "ghost", "--db", db, cwd=tmp_path)
    assert r.returncode == 2 and "ghost" in r.stderr
    run("party", "create", "blue", "--name", "Blue", "--db", db, cwd=tmp_path)
    r = run("member", "create", "--party", "blue", "--role", "general", "--db", db, cwd=tmp_path)
    assert r.returncode == 2 and "coordinator" in r.stderr


def test_demo_loads_the_scenario_with_its_conflicts(tmp_path: Path) -> None:
    r = run("demo", "--db", f"sqlite:///{tmp_path}/demo.db", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "un-ocha" in r.stdout and "curl" in r.stdout
    line = open_line(f"sqlite:///{tmp_path}/demo.db")
    with line.store.transaction() as tx:
        notices = tx.list_notices(NoticeQuery())
        members = {m.party: m for m in tx.list_members()}
        assets = tx.list_tracks("coalition", None)
    assert sorted(n.kind.value for n in notices) == [
        "movement",
        "operation",
        "operation",
        "operation",
        "site",
    ]
    # the coalition sees its strike package, the counterpart's assets shared with it and the
    # public convoy
    assert sorted(t.key for t in assets) == [
        "coalition/viper-1",
        "coalition/viper-2",
        "coalition/viper-3",
        "coalition/viper-4",
        "counterpart/armor-1",
        "counterpart/falcon-2",
        "un-ocha/convoy-lead",
    ]
    with line.store.read() as tx:
        [thread] = tx.list_threads("un-ocha")
        request, reply = tx.list_messages(thread.id)
    assert request.to == "counterpart" and reply.in_reply_to == request.id
    assert not request.commits()  # a confirmation, not an agreement to keep out of anywhere
    movement = next(n for n in notices if n.kind.value == "movement")
    assert (
        next(t for t in assets if t.domain.value == "ground" and t.party == "un-ocha").movement
        == movement.id
    )
    un = list_conflicts(line, members["un-ocha"]).items
    assert sorted(v.other.party for v in un) == [
        "coalition",
        "coalition",
        "counterpart",
        "counterpart",
    ]
    assert all(v.redacted for v in un)
    coalition = list_conflicts(line, members["coalition"]).items
    assert sorted(v.other.party for v in coalition) == [
        "counterpart",
        "counterpart",
        "un-ocha",
        "un-ocha",
    ]
    assert not any(v.redacted for v in coalition)
    # the coalition has acknowledged the conflicts of its air tasking; the others have not
    assert {v.status.value for v in coalition} == {"acknowledged"}
    # the convoy and the field hospital are protected
    assert {v.severity.value for v in coalition if v.other.party == "un-ocha"} == {"caution"}
    assert {v.status.value for v in un} == {"open"}
    line.store.close()


def test_host_admins_and_tokens_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/line.db"
    run("party", "create", "blue", "--name", "Blue", "--db", db, cwd=tmp_path)
    stray = run("member", "create", "--party", "blue", "--role", "admin", "--db", db, cwd=tmp_path)
    assert stray.returncode == 2 and "only in the host's own party 'host'" in stray.stderr
    admin = run("member", "create", "--party", "host", "--role", "admin", "--db", db, cwd=tmp_path)
    assert admin.returncode == 0, admin.stderr  # the host's party is made with its first admin
    made = run(
        "member", "create", "--party", "blue", "--name", "Ops", "--expires", "30d", "--db", db,
        cwd=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    prefix, secret = token[:11], token[12:]  # dl_ and 8 characters, then the secret
    assert prefix in made.stderr and "expires" in made.stderr
    bad = run("member", "create", "--party", "blue", "--expires", "2y", "--db", db, cwd=tmp_path)
    assert bad.returncode == 2 and "90d" in bad.stderr

    listed = run("member", "list", "--db", db, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert prefix in listed.stdout and secret not in listed.stdout
    assert "host" in listed.stdout and "admin" in listed.stdout and "active" in listed.stdout

    rotated = run("member", "rotate", prefix, "--db", db, cwd=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip().splitlines()[-1]
    assert new.startswith("dl_") and new != token and "no longer works" in rotated.stderr
    line = open_line(db)
    with TestClient(create_app(line)) as client:

        def status(t: str) -> int:
            return client.get("/v1/me", headers={"Authorization": f"Bearer {t}"}).status_code

        assert (status(token), status(new)) == (401, 200)
        revoked = run("member", "revoke", new[:11], "--db", db, cwd=tmp_path)
        assert revoked.returncode == 0 and "revoked" in revoked.stdout, revoked.stderr
        assert status(new) == 401
    line.store.close()
    listed = run("member", "list", "--party", "blue", "--db", db, cwd=tmp_path)
    assert "revoked" in listed.stdout and "host" not in listed.stdout
    unknown = run("member", "revoke", "dl_zzzzzzzz", "--db", db, cwd=tmp_path)
    assert unknown.returncode == 2 and "no member" in unknown.stderr
