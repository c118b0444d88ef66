"""``record verify`` against a tampered log: one changed byte, a deleted event, two swapped,
a truncated log, a forged checkpoint, a rewrite that also rewrote the stored leaf — each named
by sequence number, with a failing exit code. The log here is synthetic (no served rows behind
it), so only the log is verified; ``test_served`` holds the served tables to a real one."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from deconfliction.cli.main import app
from deconfliction.record import Checkpoint, Signer, sign_checkpoint
from deconfliction.record.tree import leaf_hash
from deconfliction.service import Line
from deconfliction.service.record import advance, row_entry
from deconfliction.service.record.verify import Verification, verify_store
from deconfliction.store import SqlStore
from tests.conftest import STORE_KINDS, MakeStore
from tests.service.record.test_record import append, event

N = 40


@pytest.fixture(params=STORE_KINDS)
def recorded(request: pytest.FixtureRequest, make_store: MakeStore, tmp_path: Path) -> Line:
    """A line with 40 events recorded under 4 checkpoints (10, 20, 30, 40)."""
    line = Line(store=make_store(request.param), key_path=tmp_path / "line.key")
    for start in range(0, N, 10):
        append(line.store, [event(i) for i in range(start, start + 10)])
        advance(line)
    return line


def sql(store: SqlStore, *statements: str) -> None:
    with store.transaction() as tx:
        for s in statements:
            tx._conn.exec_driver_sql(s)


def check(line: Line) -> Verification:
    return verify_store(line.store, line.signer.verifier(), served=False)


def said(found: Verification) -> list[tuple[int, str]]:
    return [(p.seq, p.what) for p in found.problems]


def test_an_untouched_store_verifies(recorded: Line) -> None:
    found = check(recorded)
    assert found.ok and (found.events, found.recorded, found.checkpoints) == (N, N, 4)


def test_one_changed_byte_is_named(recorded: Line) -> None:
    sql(
        recorded.store,
        "UPDATE event SET body = REPLACE(body, '\"n\":16', '\"n\":61') WHERE seq = 17",
    )
    assert said(check(recorded)) == [
        (17, "event 17 does not match the leaf recorded for it: it was changed, replaced or moved"),
        (20, "checkpoint 20 does not match the log: the first 20 events hash to another root "
             "than the one signed"),
        (30, "checkpoint 30 does not match the log: the first 30 events hash to another root "
             "than the one signed"),
        (40, "checkpoint 40 does not match the log: the first 40 events hash to another root "
             "than the one signed"),
    ]  # fmt: skip


def test_a_deleted_event_is_named(recorded: Line) -> None:
    sql(recorded.store, "DELETE FROM event WHERE seq = 17")
    found = said(check(recorded))
    assert found[0] == (17, "event 17 is missing: the log goes from 16 to 18")
    assert [seq for seq, _ in found[1:]] == [20, 30, 40]


def test_two_swapped_events_are_named(recorded: Line) -> None:
    sql(
        recorded.store,
        "UPDATE event SET seq = -1 WHERE seq = 10",
        "UPDATE event SET seq = 10 WHERE seq = 11",
        "UPDATE event SET seq = 11 WHERE seq = -1",
    )
    found = said(check(recorded))
    assert [seq for seq, _ in found] == [10, 10, 11, 20, 30, 40]  # checkpoint 10 holds event 10
    assert "event 10 does not match" in found[0][1] and "event 11 does not match" in found[2][1]


def test_a_truncated_log_is_named(recorded: Line) -> None:
    sql(recorded.store, "DELETE FROM event WHERE seq > 33")
    assert said(check(recorded)) == [
        (34, "the log holds 33 events, but checkpoint 40 was signed over 40: events 34 to 40 "
             "were removed"),
    ]  # fmt: skip


def test_a_forged_checkpoint_is_named(recorded: Line) -> None:
    with recorded.store.read() as tx:
        real = tx.get_checkpoint(30)
    assert real is not None
    forger = Signer.generate(recorded.origin)  # the same name, another key
    note = sign_checkpoint(Checkpoint(recorded.origin, 30, real.root), forger)
    with recorded.store.transaction() as tx:
        tx._conn.exec_driver_sql(
            "UPDATE record_checkpoint SET note = " + ("%s" if tx._dialect == "postgresql" else "?")
            + " WHERE size = 30", (note,)
        )  # fmt: skip
    ((seq, what),) = said(check(recorded))
    assert seq == 30 and what.startswith("checkpoint 30 is not signed by the line's key")


def test_a_rewrite_that_also_rewrote_the_leaf_is_caught_by_the_checkpoints(recorded: Line) -> None:
    sql(
        recorded.store,
        "UPDATE event SET body = REPLACE(body, '\"n\":25', '\"n\":52') WHERE seq = 26",
    )
    with recorded.store.transaction() as tx:
        row = next(tx.event_rows(25, 1))
        mark = "%s" if tx._dialect == "postgresql" else "?"
        tx._conn.exec_driver_sql(
            f"UPDATE record_node SET hash = {mark} WHERE level = 0 AND idx = 25",
            (leaf_hash(row_entry(row)),),
        )
    assert [seq for seq, _ in said(check(recorded))] == [30, 40]


def _run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout + r.stderr


def test_the_command_exits_non_zero_naming_the_sequence_number(
    make_store: MakeStore, tmp_path: Path
) -> None:
    store = make_store("sqlite")
    line = Line(store=store, key_path=tmp_path / "line.key")
    append(store, [event(i) for i in range(12)])
    advance(line)
    url = store.url
    key_file = str(tmp_path / "line.key")
    code, text = _run("record", "verify", "--db", url, "--key-file", key_file, "--log-only")
    assert code == 0 and "The record verifies: 12 events, 12 in the tree, 1 checkpoints" in text
    code, text = _run("record", "verify", "--db", url, "--key-file", key_file)
    assert code == 1 and "thread thread-0: is told by the event log (seq 1) but missing" in text

    sql(store, "UPDATE event SET body = REPLACE(body, '\"n\":4', '\"n\":5') WHERE seq = 5")
    vkey = line.signer.verifier().vkey()
    code, text = _run("record", "verify", "--db", url, "--key", vkey, "--log-only")
    assert code == 1
    assert "seq 5: event 5 does not match the leaf recorded for it" in text
    assert "seq 12: checkpoint 12 does not match the log" in text
    assert "The record does NOT verify" in text


def test_the_command_needs_the_public_key(make_store: MakeStore) -> None:
    url = make_store("sqlite").url
    code, text = _run("record", "verify", "--db", url, "--key", "not-a-key")
    assert code == 2 and "--key:" in text
