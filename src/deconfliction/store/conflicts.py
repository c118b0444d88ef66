"""Strategic conflicts (between volumes of notices), for ``SqlTx`` (a mixin: same connection, same
transaction). Conflicts on tracks are ``store.tracks``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from deconfliction.domain import Conflict, ConflictStatus
from deconfliction.errors import AlreadyExists
from deconfliction.store import codec
from deconfliction.store.bulk import BulkRows

__all__ = ["ConflictRows"]

_LIVE = tuple(s.value for s in ConflictStatus if s.is_live())
_LIVE_SQL = ", ".join(f"'{s}'" for s in _LIVE)

_get_conflict = sa.text("SELECT * FROM conflict WHERE id = :id")
_notice_live = f"(notice_a = :n OR notice_b = :n) AND status IN ({_LIVE_SQL})"
_live_conflicts_of = sa.text(f"SELECT * FROM conflict WHERE {_notice_live} ORDER BY id")
_resolve_conflicts_of = sa.text(
    f"UPDATE conflict SET status = :status, resolved_us = :at WHERE {_notice_live}"
)


@cache
def _list_conflicts_sql(live_only: bool) -> sa.TextClause:
    live = f" AND status IN ({_LIVE_SQL})" if live_only else ""
    return sa.text(
        f"SELECT * FROM conflict WHERE (party_a = :p OR party_b = :p){live} "
        "ORDER BY detected_us DESC, id DESC LIMIT :limit"
    )


class ConflictRows(BulkRows):
    """The strategic conflict methods of ``store.repos.ConflictRepo``; mixed into ``SqlTx``."""

    def insert_conflicts(self, conflicts: Sequence[Conflict]) -> None:
        if not conflicts:
            return
        try:
            self._many("conflict", [codec.conflict_to_row(c) for c in conflicts])
        except IntegrityError:
            raise AlreadyExists("a conflict with one of these ids already exists", "/id") from None

    def resolve_conflicts(self, notice_id: str, at: datetime) -> list[Conflict]:
        rows = self._conn.execute(_live_conflicts_of, {"n": notice_id}).all()
        if rows:
            self._conn.execute(
                _resolve_conflicts_of,
                {"n": notice_id, "status": ConflictStatus.RESOLVED.value, "at": codec.dt_to_us(at)},
            )
        return [codec.conflict_from_row(r) for r in rows]

    def get_conflict(self, conflict_id: str) -> Conflict | None:
        row = self._conn.execute(_get_conflict, {"id": conflict_id}).first()
        return None if row is None else codec.conflict_from_row(row)

    def list_conflicts(
        self, party: str, live_only: bool = False, limit: int = 1000
    ) -> list[Conflict]:
        rows = self._conn.execute(_list_conflicts_sql(live_only), {"p": party, "limit": limit})
        return [codec.conflict_from_row(r) for r in rows]
