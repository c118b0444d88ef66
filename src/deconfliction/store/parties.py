"""Parties and their members, for ``SqlTx`` (a mixin: same connection, same transaction).

A member is found by the hash of its bearer token, never the token; its key is ``store.keys``'s.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from deconfliction.domain import Member, Party
from deconfliction.errors import AlreadyExists
from deconfliction.store import codec, schema

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
_list_members = sa.text("SELECT * FROM member ORDER BY created_us, id")
_list_party_members = sa.text("SELECT * FROM member WHERE party = :p ORDER BY created_us, id")


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

    def list_members(self, party: str | None = None) -> list[Member]:
        if party is None:
            rows = self._conn.execute(_list_members)
        else:
            rows = self._conn.execute(_list_party_members, {"p": party})
        return [codec.member_from_row(r) for r in rows]
