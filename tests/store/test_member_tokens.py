"""Members' tokens in the store: expiry, revocation, rotation, last use, paging; and migration
0014, which gives old tokens a term and moves every admin into the host's party (or refuses)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from deconfliction.domain import Member, Party, Role
from deconfliction.errors import AlreadyExists
from deconfliction.service.parties import hash_token
from deconfliction.store import SqlStore
from deconfliction.store.migrate import alembic_config, current_revision, head_revision

from .common import HOUR, T0

US = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def member(ident: str, party: str = "blue", role: Role = Role.COORDINATOR, **kw: object) -> Member:
    return Member(ident, party, role, T0, expires_at=T0 + 90 * 24 * HOUR, **kw)  # type: ignore[arg-type]


def test_revoke_rotate_and_touch(store: SqlStore) -> None:
    alice = member("m-1", token_prefix="dl_aaaaaaaa")
    with store.transaction() as tx:
        tx.add_party(Party("blue", "Blue", T0))
        tx.add_member(alice, "hash-a")
        tx.add_member(member("m-2", token_prefix="dl_bbbbbbbb"), "hash-b")
        tx.put_stream_ticket("ticket-a", "m-1", T0 + HOUR, T0)
        with pytest.raises(AlreadyExists):  # a prefix names one token
            tx.add_member(member("m-3", token_prefix="dl_aaaaaaaa"), "hash-c")
    with store.read() as tx:
        assert tx.member_for_token("hash-a") == alice
    with store.transaction() as tx:
        tx.touch_member("m-1", T0 + HOUR, T0)
        tx.touch_member("m-1", T0 + HOUR + HOUR / 60, T0 + HOUR / 2)  # seen since: no write
        tx.replace_token("m-1", "hash-a2", "dl_cccccccc", T0 + 10 * HOUR)
        with pytest.raises(AlreadyExists):
            tx.replace_token("m-2", "hash-x", "dl_cccccccc", T0 + HOUR)
        tx.revoke_member("m-2", T0 + 2 * HOUR)
        tx.revoke_member("m-2", T0 + 3 * HOUR)  # the first revocation stands
    with store.transaction() as tx:
        assert tx.member_for_token("hash-a") is None  # the old token is gone
        rotated = tx.member_for_token("hash-a2")
        assert rotated is not None
        assert (rotated.token_prefix, rotated.expires_at) == ("dl_cccccccc", T0 + 10 * HOUR)
        assert rotated.last_used_at == T0 + HOUR
        assert tx.take_stream_ticket("ticket-a", T0) is None  # rotation voided the ticket
        revoked = tx.get_members(["m-2", "m-9"])
        assert list(revoked) == ["m-2"] and revoked["m-2"].revoked_at == T0 + 2 * HOUR


def test_members_page_oldest_first(store: SqlStore) -> None:
    made = [
        Member(f"m-{i}", "blue" if i % 2 else "red", Role.OBSERVER, T0 + i * HOUR) for i in range(5)
    ]
    with store.transaction() as tx:
        for m in made:
            tx.add_member(m, f"hash-{m.id}")
    with store.read() as tx:
        first = tx.list_members(limit=2)
        rest = tx.list_members(after=(first[-1].created_at, first[-1].id))
        assert [m.id for m in first + rest] == [m.id for m in made]
        assert [m.id for m in tx.list_members("blue", limit=1, after=(T0, "m-0"))] == ["m-1"]


def _back_to_0013(store: SqlStore) -> None:
    with store.engine.connect() as conn, conn.begin():
        command.downgrade(alembic_config(conn), "0013")


def _insert(store: SqlStore, *rows: tuple[str, str, str, str]) -> None:
    """Parties and members as a line before 0014 held them: (id, party, role, token)."""
    with store.engine.connect() as conn, conn.begin():
        for slug in sorted({r[1] for r in rows}):
            conn.execute(
                sa.text("INSERT INTO party (slug, name, created_us) VALUES (:s, :n, 0)"),
                {"s": slug, "n": slug.title()},
            )
        for ident, party, role, token in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO member (id, party, role, name, created_us, token_hash) "
                    "VALUES (:id, :p, :r, '', 0, :h)"
                ),
                {"id": ident, "p": party, "r": role, "h": hash_token(token)},
            )


def _upgrade(store: SqlStore) -> None:
    with store.engine.connect() as conn, conn.begin():
        command.upgrade(alembic_config(conn), "head")


def test_migration_moves_admins_into_the_host_party_and_gives_old_tokens_a_term(
    store: SqlStore,
) -> None:
    _back_to_0013(store)
    _insert(
        store,
        ("m-admin", "blue", "admin", "dl_old-admin-token"),
        ("m-blue", "blue", "coordinator", "dl_old-blue-token"),
        ("m-red", "red", "observer", "dl_old-red-token"),
    )
    before = datetime.now(UTC)
    _upgrade(store)
    with store.engine.connect() as conn:
        assert current_revision(conn) == head_revision()
    with store.read() as tx:
        host = tx.get_party("host")
        assert host is not None and host.name == "The host"
        admin = tx.member_for_token(hash_token("dl_old-admin-token"))  # old tokens still work
        assert admin is not None and (admin.party, admin.role) == ("host", Role.ADMIN)
        blue = tx.member_for_token(hash_token("dl_old-blue-token"))
        assert blue is not None and blue.party == "blue"
        everyone = tx.list_members()
    assert sorted((m.id, m.party) for m in everyone) == [
        ("m-admin", "host"),
        ("m-blue", "blue"),
        ("m-red", "red"),
    ]
    for m in everyone:  # no prefix to show; 90 days from the upgrade
        assert m.token_prefix is None and m.revoked_at is None and m.last_used_at is None
        assert m.expires_at is not None
        assert timedelta(days=90) <= m.expires_at - before < timedelta(days=90, minutes=5)
    # and back: the columns go, the admins stay where they are (the old schema holds them too)
    _back_to_0013(store)
    with store.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("member")}
        assert "expires_us" not in columns and "token_prefix" not in columns
    _upgrade(store)


def test_migration_refuses_when_host_is_an_ordinary_party(store: SqlStore) -> None:
    _back_to_0013(store)
    _insert(
        store,
        ("m-admin", "blue", "admin", "dl_old-admin-token"),
        ("m-host", "host", "coordinator", "dl_old-host-token"),
    )
    with pytest.raises(RuntimeError) as refused:
        _upgrade(store)
    message = str(refused.value)
    assert "party 'host' here is an ordinary party with 1 coordinator(s)" in message
    assert "Nothing was changed" in message
    with store.engine.connect() as conn:
        assert current_revision(conn) == "0013"
        rows = conn.execute(sa.text("SELECT id, party FROM member ORDER BY id")).all()
        columns = {c["name"] for c in sa.inspect(conn).get_columns("member")}
    assert [tuple(r) for r in rows] == [("m-admin", "blue"), ("m-host", "host")]
    assert "expires_us" not in columns
