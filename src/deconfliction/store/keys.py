"""Members' registered public keys, for ``SqlTx`` (a mixin: same connection, same transaction).

A key lives on its member's row (base64 of the 32 raw bytes); registering another replaces it, and
the ``key.registered`` events keep every key a member ever had.
"""

from __future__ import annotations

import base64
from datetime import datetime

import sqlalchemy as sa

from deconfliction.domain.party import MemberKey
from deconfliction.errors import NotFound
from deconfliction.store import schema
from deconfliction.store.codec import dt_from_us, dt_to_us

__all__ = ["MemberKeyRows"]

_MB = schema.member
_key_of = sa.select(_MB.c.id, _MB.c.party, _MB.c.public_key, _MB.c.key_registered_us).where(
    _MB.c.id == sa.bindparam("id"), _MB.c.public_key.is_not(None)
)


class MemberKeyRows:
    """The member key methods of ``store.repos.PartyRepo``; mixed into ``SqlTx``."""

    _conn: sa.Connection

    def member_key(self, member_id: str) -> MemberKey | None:
        row = self._conn.execute(_key_of, {"id": member_id}).first()
        if row is None:
            return None
        return MemberKey(
            row.id, row.party, base64.b64decode(row.public_key), dt_from_us(row.key_registered_us)
        )

    def key_holder(self, public_key: bytes) -> str | None:
        text = base64.b64encode(public_key).decode("ascii")
        found = self._conn.execute(
            sa.select(_MB.c.id).where(_MB.c.public_key == text).order_by(_MB.c.id).limit(1)
        ).scalar()
        return None if found is None else str(found)

    def set_member_key(self, member_id: str, public_key: bytes, at: datetime) -> None:
        """Register (or replace) the member's key; ``NotFound`` for an unknown member."""
        done = self._conn.execute(
            _MB.update()
            .where(_MB.c.id == member_id)
            .values(
                public_key=base64.b64encode(public_key).decode("ascii"),
                key_registered_us=dt_to_us(at),
            )
        )
        if done.rowcount != 1:
            raise NotFound(f"no member {member_id!r}", "/member")
