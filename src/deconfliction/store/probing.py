"""What bounds probing, for ``SqlTx`` (a mixin: same connection, same transaction): the units
each party spent of its budgets, the conflicts one party opened with one notice, and when a
party was last suspected of probing a notice.

Budgets are kept here, not in a process's memory, because every writer reaches them under the
write lock: several processes (or API nodes on one PostgreSQL) share one budget per party, a
restart forgives nothing, and each change is charged in the transaction that makes it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from deconfliction.domain import ConflictKind
from deconfliction.store.codec import dt_from_us, dt_to_us

__all__ = ["ProbingRows"]

# the same upsert on SQLite (3.24+) and PostgreSQL: two changes in one microsecond add up
_spend = sa.text(
    "INSERT INTO budget_spend (party, pool, at_us, units) VALUES (:party, :pool, :at, :units) "
    "ON CONFLICT (party, pool, at_us) DO UPDATE SET units = budget_spend.units + excluded.units"
)
_spent = sa.text(
    "SELECT at_us, units FROM budget_spend WHERE party = :party AND pool = :pool "
    "AND at_us > :since ORDER BY at_us"
)
_forget = sa.text("DELETE FROM budget_spend WHERE at_us <= :before")
_opens = sa.text(
    "SELECT (SELECT COUNT(*) FROM conflict WHERE notice_b = :n AND party_a = :p "
    "AND detected_us >= :since) + (SELECT COUNT(*) FROM track_conflict WHERE notice_b = :n "
    "AND party_a = :p AND kind = :intrusion AND detected_us >= :since)"
)
_told_at = sa.text("SELECT at_us FROM probing_told WHERE party = :p AND notice_id = :n")
_tell = sa.text(
    "INSERT INTO probing_told (party, notice_id, at_us) VALUES (:p, :n, :at) "
    "ON CONFLICT (party, notice_id) DO UPDATE SET at_us = excluded.at_us"
)


class ProbingRows:
    """The methods of ``store.repos.ProbingRepo``; mixed into ``SqlTx``."""

    _conn: sa.Connection

    def budget_spent(self, party: str, pool: str, since: datetime) -> list[tuple[datetime, int]]:
        rows = self._conn.execute(_spent, {"party": party, "pool": pool, "since": dt_to_us(since)})
        return [(dt_from_us(r.at_us), int(r.units)) for r in rows]

    def spend_budget(self, party: str, pool: str, at: datetime, units: int) -> None:
        self._conn.execute(
            _spend, {"party": party, "pool": pool, "at": dt_to_us(at), "units": units}
        )

    def forget_budget_spent(self, before: datetime) -> None:
        self._conn.execute(_forget, {"before": dt_to_us(before)})

    def probing_opens(self, party: str, notice_id: str, since: datetime) -> int:
        params = {
            "p": party,
            "n": notice_id,
            "since": dt_to_us(since),
            "intrusion": ConflictKind.INTRUSION.value,
        }
        return int(self._conn.execute(_opens, params).scalar_one())

    def probing_told_at(self, party: str, notice_id: str) -> datetime | None:
        us = self._conn.execute(_told_at, {"p": party, "n": notice_id}).scalar_one_or_none()
        return None if us is None else dt_from_us(us)

    def set_probing_told(self, party: str, notice_id: str, at: datetime) -> None:
        self._conn.execute(_tell, {"p": party, "n": notice_id, "at": dt_to_us(at)})
