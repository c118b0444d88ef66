"""Parties and their members, for ``SqlTx`` (a mixin: same connection, same transaction).

A member is found by the hash of its bearer token, never the token; its key is ``store.keys``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from deconfliction.domain import Member, Party
from deconfliction.errors import AlreadyExists
from deconfliction.store import codec, schema
from deconfliction.store.keyset import after_key

__all__ = ["PartyRows"]

_insert_party = schema.party.insert()
_insert_member = schema.member.insert()
_get_party = sa.text("SELECT * FROM party WHERE slug = :slug")
_list_parties = sa.text("SELECT * FROM party ORDER BY slug")
_member_for_token = sa.text("SELECT * FROM member WHERE token_hash = :h")
_purge_tickets = sa.text("DELETE FROM stream_ticket WHERE expires_us < :now")
_put_ticket = sa.text(
    "INSERT INTO stream_ticket (hash, member, expires_us) VALUES (:h, :member, :expires)"
)
_ticket = sa.text("SELECT member, expires_us FROM stream_ticket WHERE hash = :h")
_drop_ticket = sa.text("DELETE FROM stream_ticket WHERE hash = :h")
_member_by_id = sa.text("SELECT * FROM member WHERE id = :id")
_M = schema.member
_revoke = sa.text("UPDATE member SET revoked_us = :at WHERE id = :id AND revoked_us IS NULL")
_drop_member_tickets = sa.text("DELETE FROM stream_ticket WHERE member = :id")
_replace_token = sa.text(
    "UPDATE member SET token_hash = :h, token_prefix = :prefix, expires_us = :expires "
    "WHERE id = :id"
)
_touch = sa.text(
    "UPDATE member SET last_used_us = :at WHERE id = :id "
    "AND (last_used_us IS NULL OR last_used_us <= :since)"
)


class PartyRows:
    """The party and member methods of ``store.repos.PartyRepo``; mixed into ``SqlTx``."""

    _conn: sa.Connection

    def add_party(self, party: Party) -> None:
        row = {
            "slug": party.slug,
            "name": party.name,
            "created_us": codec.dt_to_us(party.created_at),
        }
        try:
            with self._conn.begin_nested():
                self._conn.execute(_insert_party, row)
        except IntegrityError:
            raise AlreadyExists(f"party {party.slug!r} already exists", "/slug") from None

    def get_party(self, slug: str) -> Party | None:
        row = self._conn.execute(_get_party, {"slug": slug}).first()
        return None if row is None else codec.party_from_row(row)

    def list_parties(self) -> list[Party]:
        return [codec.party_from_row(r) for r in self._conn.execute(_list_parties)]

    def add_member(self, member: Member, token_hash: str) -> None:
        row = {
            "id": member.id,
            "party": member.party,
            "role": member.role.value,
            "name": member.name,
            "created_us": codec.dt_to_us(member.created_at),
            "token_hash": token_hash,
            "expires_us": codec.opt_to_us(member.expires_at),
            "revoked_us": codec.opt_to_us(member.revoked_at),
            "last_used_us": codec.opt_to_us(member.last_used_at),
            "token_prefix": member.token_prefix,
        }
        try:
            with self._conn.begin_nested():
                self._conn.execute(_insert_member, row)
        except IntegrityError:
            raise AlreadyExists(
                f"member {member.id!r} (or its token) already exists", "/id"
            ) from None

    def member_for_token(self, token_hash: str) -> Member | None:
        row = self._conn.execute(_member_for_token, {"h": token_hash}).first()
        return None if row is None else codec.member_from_row(row)

    def put_stream_ticket(
        self, ticket_hash: str, member: str, expires: datetime, now: datetime
    ) -> None:
        self._conn.execute(_purge_tickets, {"now": codec.dt_to_us(now)})  # the spent ones go
        row = {"h": ticket_hash, "member": member, "expires": codec.dt_to_us(expires)}
        self._conn.execute(_put_ticket, row)

    def take_stream_ticket(self, ticket_hash: str, now: datetime) -> Member | None:
        row = self._conn.execute(_ticket, {"h": ticket_hash}).first()
        if row is None:
            return None
        self._conn.execute(_drop_ticket, {"h": ticket_hash})  # one use, whatever happens next
        if row.expires_us < codec.dt_to_us(now):
            return None
        member = self._conn.execute(_member_by_id, {"id": row.member}).first()
        return None if member is None else codec.member_from_row(member)

    def list_members(
        self,
        party: str | None = None,
        limit: int | None = None,
        after: tuple[datetime, str] | None = None,
    ) -> list[Member]:
        query = sa.select(_M)
        if party is not None:
            query = query.where(_M.c.party == party)
        if after is not None:
            key = (codec.dt_to_us(after[0]), after[1])
            query = query.where(after_key(_M.c.created_us, _M.c.id, key, newest=False))
        query = query.order_by(_M.c.created_us, _M.c.id)
        if limit is not None:
            query = query.limit(limit)
        return [codec.member_from_row(r) for r in self._conn.execute(query)]

    def get_members(self, member_ids: Sequence[str]) -> dict[str, Member]:
        found: dict[str, Member] = {}
        ids = list(dict.fromkeys(member_ids))
        for i in range(0, len(ids), 500):  # within every database's limit on parameters
            rows = self._conn.execute(sa.select(_M).where(_M.c.id.in_(ids[i : i + 500])))
            found.update((r.id, codec.member_from_row(r)) for r in rows)
        return found

    def revoke_member(self, member_id: str, at: datetime) -> None:
        self._conn.execute(_revoke, {"id": member_id, "at": codec.dt_to_us(at)})
        self._conn.execute(_drop_member_tickets, {"id": member_id})

    def replace_token(
        self, member_id: str, token_hash: str, token_prefix: str, expires: datetime
    ) -> None:
        row = {
            "id": member_id,
            "h": token_hash,
            "prefix": token_prefix,
            "expires": codec.dt_to_us(expires),
        }
        try:
            with self._conn.begin_nested():
                self._conn.execute(_replace_token, row)
        except IntegrityError:
            raise AlreadyExists("that token (or its prefix) is taken", "/token") from None
        self._conn.execute(_drop_member_tickets, {"id": member_id})

    def touch_member(self, member_id: str, at: datetime, unless_since: datetime) -> None:
        params = {"id": member_id, "at": codec.dt_to_us(at), "since": codec.dt_to_us(unless_since)}
        self._conn.execute(_touch, params)
