"""Transactions: migrations on open, durability through kill -9, rollback, serialised writers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from deconfliction.domain import Party
from deconfliction.store import SqlStore, open_store
from deconfliction.store.migrate import alembic_config, current_revision, head_revision
from tests.conftest import STORE_KINDS, MakeStore
from tests.waiting import WAIT_S, wait_for

from .common import T0, box, conflict, notice, rows

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import os, signal, sys
from deconfliction.store import open_store
from tests.store.common import notice, rows
store = open_store(sys.argv[1])
for i in range(int(sys.argv[3])):
    n = notice(f"{sys.argv[2]}-{i}", party=sys.argv[2])
    with store.transaction() as tx:
        tx.lock_for_notice_write()
        tx.candidates([rows(n)[0].boxes[0]])
        tx.insert_notice(n, rows(n))
print("committed", flush=True)
if sys.argv[4] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
store.close()
"""


def _child(url: str, name: str, count: int, end: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url, name, str(count), end],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _count(store: SqlStore) -> int:
    with store.read() as tx:
        return len(tx.candidates([box(lon=(-180.0, 180.0))]))


def test_migrations_applied_on_open_and_idempotent(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        assert current_revision(conn) == head_revision() is not None
        names = set(sa.inspect(conn).get_table_names())
    assert {"party", "member", "notice", "notice_version", "volume", "conflict"} <= names
    with store.transaction() as tx:
        tx.add_party(Party("alpha", "Alpha", T0))
    again = open_store(store.url)
    try:
        with again.read() as tx:
            assert [p.slug for p in tx.list_parties()] == ["alpha"]
        with again.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
    finally:
        again.close()


def test_committed_write_survives_kill_9(store: SqlStore) -> None:
    child = _child(store.url, "killed", 3, "kill")
    out, err = child.communicate(timeout=60)
    assert child.returncode == -9, err
    assert out.strip() == "committed"
    with store.read() as tx:
        assert tx.get_notice("killed-2") is not None
    assert _count(store) == 3


def test_exception_rolls_everything_back(store: SqlStore) -> None:
    a, b = notice("n-a"), notice("n-b", party="bravo")
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.add_party(Party("alpha", "Alpha", T0))
        tx.insert_notices_bulk([(a, rows(a)), (b, rows(b))], [conflict("c-1", a, b)])
        raise RuntimeError("use case failed half-way")
    with store.read() as tx:
        assert tx.list_parties() == []
        assert tx.get_notice("n-a") is None
        assert tx.get_conflict("c-1") is None
        assert tx.candidates([box()]) == []


def test_lock_serialises_concurrent_writers(store: SqlStore) -> None:
    first_holds_lock = threading.Event()
    seen: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def write(name: str, hold_s: float) -> None:
        try:
            n = notice(name, party=name)
            with store.transaction() as tx:
                tx.lock_for_notice_write()
                first_holds_lock.set()
                seen[name] = [r.notice_id for r in tx.candidates([box()])]
                time.sleep(hold_s)
                tx.insert_notice(n, rows(n))
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    first = threading.Thread(target=write, args=("first", 0.3))
    first.start()
    assert first_holds_lock.wait(WAIT_S), "the first writer never took the lock"
    second = threading.Thread(target=write, args=("second", 0.0))
    second.start()
    first.join(30)
    second.join(30)
    assert not errors
    assert seen == {"first": [], "second": ["first"]}
    assert _count(store) == 2


def test_two_processes_writing_concurrently_both_complete(store: SqlStore) -> None:
    children = [_child(store.url, name, 25, "exit") for name in ("p1", "p2")]
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        assert out.strip() == "committed"
    assert _count(store) == 50


@pytest.mark.postgres
def test_postgres_writers_read_committed_whatever_the_server_default(
    make_store: MakeStore,
) -> None:
    # Under REPEATABLE READ a writer that waited for the notice lock would check against a
    # snapshot taken before the previous writer committed, and miss its conflict.
    base = make_store("postgres")
    url = sa.make_url(base.url)
    options = url.query.get("options", "")
    strict = url.update_query_dict(
        {"options": f"{options} -cdefault_transaction_isolation=serializable".strip()}
    )
    store = open_store(strict.render_as_string(hide_password=False))
    try:
        with store.transaction() as tx:
            conn = tx._conn  # the store's own connection: what its writers run under
            level = conn.exec_driver_sql("SHOW transaction_isolation").scalar()
        assert level == "read committed"
    finally:
        store.close()


def test_sqlite_wal_is_checkpointed_in_the_background(make_store: MakeStore) -> None:
    store = make_store("sqlite")
    assert store.checkpointer is not None
    for i in range(20):
        n = notice(f"n-{i}")
        with store.transaction() as tx:
            tx.insert_notice(n, rows(n))
    checkpointer = store.checkpointer

    def complete() -> bool:
        last = checkpointer.last
        return last is not None and last[1] > 0 and last[1] == last[2]

    wait_for(complete, "a complete checkpoint of the WAL by the store's background thread")
    with store.read() as tx:
        assert tx.get_notice("n-19") is not None


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_line_opens_migrated_and_keeps_what_it_is_given(url: str) -> None:
    store = open_store(url)
    try:
        with store.transaction() as tx:
            tx.add_party(Party("blue", "Blue", T0))
        with store.read() as tx:
            assert tx.get_party("blue") == Party("blue", "Blue", T0)
    finally:
        store.close()


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_conflicts_found_before_alert_levels_are_graded_by_the_migration(
    make_store: MakeStore, kind: str
) -> None:
    store = make_store(kind)
    hospital = notice("n-hosp", "aid", protected=True)
    op, other = notice("n-op", "alpha"), notice("n-other", "beta")
    with store.transaction() as tx:
        for n in (hospital, op, other):
            tx.insert_notice(n, rows(n))
        tx.insert_conflicts([conflict("c-hosp", op, hospital), conflict("c-plain", op, other)])
    with store.engine.connect() as conn, conn.begin():  # back to the schema before 0011, and up
        command.downgrade(alembic_config(conn), "0010")
        command.upgrade(alembic_config(conn), "head")
    with store.read() as tx:
        graded = {c: tx.get_conflict(c) for c in ("c-hosp", "c-plain")}
    assert {c: g.severity.value for c, g in graded.items() if g} == {
        "c-hosp": "caution",  # a protected notice is involved
        "c-plain": "advisory",
    }
