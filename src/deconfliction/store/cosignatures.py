"""Witness cosignatures of the record's checkpoints: the contract (``CosignatureRepo``) and its
rows for ``SqlTx`` (a mixin: same connection, same transaction).

One row per member and checkpoint size; cosigning the same size again keeps the newest. The
table lives in the database a dishonest host could edit: ``docs/security.md`` says what it
catches anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from deconfliction.store import schema
from deconfliction.store.codec import dt_from_us, dt_to_us

__all__ = ["CosignatureRepo", "CosignatureRows", "StoredCosignature"]

_W = schema.record_cosignature


@dataclass(frozen=True, slots=True)
class StoredCosignature:
    """A member of ``party`` cosigned the checkpoint over ``size`` events (root ``root``) at
    ``time_s`` (its own clock, seconds since the Epoch) with the cosigner key ``vkey``;
    ``signature`` is the C2SP signature line; the line received it at ``received_at``."""

    member: str
    party: str
    size: int
    root: bytes
    vkey: str
    time_s: int
    signature: str
    received_at: datetime


def _cosignature(r: Any) -> StoredCosignature:
    return StoredCosignature(
        member=r.member, party=r.party, size=r.size, root=bytes(r.root), vkey=r.vkey,
        time_s=r.time_s, signature=r.signature, received_at=dt_from_us(r.received_us),
    )  # fmt: skip


class CosignatureRepo(Protocol):
    """Witness cosignatures of checkpoints (``store.cosignatures``)."""

    def put_cosignature(self, cosignature: StoredCosignature) -> None:
        """Keep it; one the same member made of the same size earlier is replaced unless it is
        newer (by its time)."""

    def cosignatures_of_size(self, size: int) -> list[StoredCosignature]:
        """Every cosignature of the checkpoint over ``size`` events, by party and member."""

    def latest_cosignatures(self) -> list[StoredCosignature]:
        """Each member's cosignature of the largest checkpoint it cosigned, largest first."""


class CosignatureRows:
    """The methods of ``CosignatureRepo``; mixed into ``SqlTx``."""

    _conn: sa.Connection

    def put_cosignature(self, cosignature: StoredCosignature) -> None:
        c = cosignature
        key = sa.and_(_W.c.member == c.member, _W.c.size == c.size)
        held = self._conn.execute(sa.select(_W.c.time_s).where(key)).scalar()
        values = {
            "member": c.member, "size": c.size, "party": c.party, "vkey": c.vkey,
            "root": c.root, "time_s": c.time_s, "signature": c.signature,
            "received_us": dt_to_us(c.received_at),
        }  # fmt: skip
        if held is None:
            self._conn.execute(_W.insert().values(values))
        elif held < c.time_s:
            self._conn.execute(_W.update().where(key).values(values))

    def cosignatures_of_size(self, size: int) -> list[StoredCosignature]:
        query = sa.select(_W).where(_W.c.size == int(size)).order_by(_W.c.party, _W.c.member)
        return [_cosignature(r) for r in self._conn.execute(query)]

    def latest_cosignatures(self) -> list[StoredCosignature]:
        top = (
            sa.select(_W.c.member, sa.func.max(_W.c.size).label("size"))
            .group_by(_W.c.member)
            .subquery()
        )
        query = (
            sa.select(_W)
            .join(top, sa.and_(_W.c.member == top.c.member, _W.c.size == top.c.size))
            .order_by(_W.c.size.desc(), _W.c.party, _W.c.member)
        )
        return [_cosignature(r) for r in self._conn.execute(query)]
