"""The line's files at rest: made for their owner's eyes only, checked before serving, and
backed up while the line runs into a copy that `record verify` still passes."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from deconfliction import service
from deconfliction.cli.main import app
from deconfliction.cli.server import check_files
from deconfliction.config import LineConfig
from deconfliction.domain import Role
from deconfliction.service import Line, open_line
from deconfliction.service.record import advance
from tests.api.conftest import notice, square
from tests.conftest import PG_URL, _pg_admin


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No database, key or umask from the person running the tests."""
    for name in ("DECONFLICTION_DB", "DECONFLICTION_KEY", "DECONFLICTION_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    old = os.umask(0o022)  # the usual default: files readable by all unless made otherwise
    yield
    os.umask(old)


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _line_with_history(url: str) -> Line:
    """A line with two parties, three notices and a signed checkpoint over them."""
    line = open_line(url)
    service.create_party(line, "blue", "Blue")
    service.create_party(line, "red", "Red")
    blue = service.create_member(line, "blue", Role.COORDINATOR)[0]
    for lon in (40.0, 40.5, 41.0):
        service.create_notice(line, blue, _draft(lon))
    advance(line)
    return line


def _draft(lon: float) -> Any:
    from deconfliction.api.convert import draft_from
    from deconfliction.api.schemas import NoticeIn

    return draft_from(
        NoticeIn.model_validate(
            notice(square(lon, 35.0, start="2027-01-01T00:00:00Z", end="2027-01-01T02:00:00Z"))
        )
    )


def test_the_database_its_wal_and_the_key_are_made_owner_only(tmp_path: Path) -> None:
    line = _line_with_history(f"sqlite:///{tmp_path}/line.db")
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == ["line.db", "line.db-shm", "line.db-wal", "line.key"]
    assert {p.name: _mode(p) for p in tmp_path.iterdir()} == dict.fromkeys(made, 0o600)
    line.store.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_refuses_a_database_others_can_read(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/line.db"
    line = _line_with_history(url)  # still open, so its WAL is there too
    (tmp_path / "line.db").chmod(0o644)  # as an older version made them
    (tmp_path / "line.db-wal").chmod(0o644)
    r = cli("serve", "--db", url, "--port", str(_free_port()))
    line.store.close()
    said = " ".join(r.output.split())
    assert r.exit_code == 2
    assert f"{tmp_path}/line.db (mode 0644), {tmp_path}/line.db-wal (mode 0644)" in said
    assert f"chmod 600 {tmp_path}/line.db {tmp_path}/line.db-wal" in said
    assert "--allow-readable-files" in said


def test_a_readable_database_may_be_served_with_a_loud_warning_a_readable_key_never(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = LineConfig(db_url=f"sqlite:///{tmp_path}/line.db")
    _line_with_history(config.db_url).store.close()
    (tmp_path / "line.db").chmod(0o640)
    check_files(config, allow_readable=True)
    assert "WARNING" in capsys.readouterr().err
    (tmp_path / "line.key").chmod(0o644)
    r = cli("serve", "--db", config.db_url, "--allow-readable-files", "--port", "1")
    assert r.exit_code == 2 and "line.key (mode 0644)" in r.output
    assert "--allow-readable-files" not in r.output.split("chmod")[1]


def test_a_backup_made_while_the_line_runs_restores_and_verifies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/line.db"
    line = _line_with_history(url)
    backups = tmp_path / "backups"
    backups.mkdir()
    r = cli("backup", str(backups / "line-1.db"), "--db", url, "--with-key")
    assert r.exit_code == 0, r.output
    assert "the signing key in" in r.output
    assert {p.name: _mode(p) for p in backups.iterdir()} == {
        "line-1.db": 0o600,
        "line-1.key": 0o600,
    }
    # the line goes on; a second backup never replaces the first
    advance(line)
    again = cli("backup", str(backups / "line-1.db"), "--db", url)
    assert again.exit_code == 2 and "exists; a backup never replaces a file" in again.output
    line.store.close()

    # restore: the copy and its key where a line looks for them, then verify it
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy2(backups / "line-1.db", restored / "line.db")
    shutil.copy2(backups / "line-1.key", restored / "line.key")
    verified = cli("record", "verify", "--db", f"sqlite:///{restored}/line.db")
    assert verified.exit_code == 0, verified.output
    assert "3 events, 3 in the tree" in " ".join(verified.output.split())
    opened = open_line(f"sqlite:///{restored}/line.db")
    assert [p.slug for p in service.list_parties(opened)] == ["blue", "red"]
    opened.store.close()


def test_backup_names_pg_dump_for_a_postgresql_line(tmp_path: Path) -> None:
    r = cli("backup", str(tmp_path / "x.db"), "--db", "postgresql://db.example/line")
    assert r.exit_code == 2 and "pg_dump" in r.output
    assert not (tmp_path / "x.db").exists()


@pytest.fixture
def pg_databases() -> Iterator[list[str]]:
    """Databases made on the test server for a test; dropped afterwards."""
    admin = _pg_admin()
    if isinstance(admin, str):
        pytest.skip(admin)
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    made: list[str] = []
    yield made
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        for name in made:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _pg_database(made: list[str], cube: bool = True) -> str:
    name = f"line_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    made.append(name)
    url = sa.make_url(PG_URL).set(database=name)
    if cube:  # as the host's database administrator sets a line up
        with sa.create_engine(url, poolclass=sa.pool.NullPool).begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS cube"))
    return url.render_as_string(hide_password=False)


@pytest.mark.postgres
def test_a_pg_dump_restores_and_verifies(tmp_path: Path, pg_databases: list[str]) -> None:
    source, target = _pg_database(pg_databases), _pg_database(pg_databases, cube=False)
    line = open_line(LineConfig(db_url=source, key_path=tmp_path / "line.key"))
    service.create_party(line, "blue", "Blue")
    blue = service.create_member(line, "blue", Role.COORDINATOR)[0]
    service.create_notice(line, blue, _draft(40.0))
    advance(line)
    line.store.close()

    # the commands of docs/security.md, with libpq URLs
    dump = tmp_path / "line.dump"
    plain = source.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", plain], check=True)
    restore = target.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={restore}", str(dump)], check=True)

    verified = cli("record", "verify", "--db", target, "--key-file", str(tmp_path / "line.key"))
    assert verified.exit_code == 0, verified.output
    assert "1 events, 1 in the tree" in " ".join(verified.output.split())
