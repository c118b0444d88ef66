"""Strategic conflicts (between volumes of notices), for ``SqlTx`` (a mixin: same connection, same
transaction), and every conflict's acknowledgements. Conflicts on tracks are ``store.tracks``'s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from deconfliction.domain import Conflict, ConflictAck, ConflictKind, ConflictStatus, Severity
from deconfliction.errors import AlreadyExists
from deconfliction.store import codec, schema
from deconfliction.store.bulk import BulkRows
from deconfliction.store.keyset import after_key
from deconfliction.store.values import ConflictQuery

__all__ = ["ConflictRows", "changed_since"]

_LIVE = tuple(s.value for s in ConflictStatus if s.is_live())
_LIVE_SQL = ", ".join(f"'{s}'" for s in _LIVE)

_get_conflict = sa.text("SELECT * FROM conflict WHERE id = :id")
_notice_live = f"(notice_a = :n OR notice_b = :n) AND status IN ({_LIVE_SQL})"
_live_conflicts_of = sa.text(f"SELECT * FROM conflict WHERE {_notice_live} ORDER BY id")
_resolve_conflicts_of = sa.text(
    f"UPDATE conflict SET status = :status, resolved_us = :at WHERE {_notice_live}"
)
_update_conflict = sa.text(
    "UPDATE conflict SET status = :status, severity = :severity, "
    "version_a = :version_a, version_b = :version_b, distance_m = :distance_m, "
    "window_start_us = :window_start_us, window_end_us = :window_end_us, "
    "resolved_us = :resolved_us, updated_us = :at WHERE id = :id"
)
_to_escalate = sa.text(
    f"SELECT * FROM conflict WHERE status IN ({_LIVE_SQL}) AND severity = :severity "
    "AND window_start_us <= :before ORDER BY window_start_us, id LIMIT :limit"
)
_set_severity = sa.text("UPDATE conflict SET severity = :severity, updated_us = :at WHERE id = :id")
_acks_of = sa.text(
    "SELECT conflict_id, party, member, severity, at_us FROM conflict_ack "
    "WHERE conflict_id IN :ids ORDER BY at_us, party"
).bindparams(sa.bindparam("ids", expanding=True))
_drop_ack = sa.text("DELETE FROM conflict_ack WHERE conflict_id = :conflict_id AND party = :party")
_drop_acks = sa.text("DELETE FROM conflict_ack WHERE conflict_id IN :ids").bindparams(
    sa.bindparam("ids", expanding=True)
)
_put_ack = sa.text(
    "INSERT INTO conflict_ack (conflict_id, party, member, severity, at_us) "
    "VALUES (:conflict_id, :party, :member, :severity, :at_us)"
)
_C = schema.conflict
_ACK = schema.conflict_ack


def changed_since(table: sa.Table, at: datetime) -> sa.ColumnElement[bool]:
    """Conflicts of ``table`` (either) detected, changed, closed or acknowledged at or after
    ``at``: what a client catching up with ``since`` has not seen."""
    us = codec.dt_to_us(at)
    acknowledged = sa.select(_ACK.c.conflict_id).where(_ACK.c.at_us >= us)
    c = table.c
    return sa.or_(
        c.detected_us >= us, c.updated_us >= us, c.resolved_us >= us, c.id.in_(acknowledged)
    )


def _list_conflicts(
    party: str, live_only: bool, limit: int, q: ConflictQuery
) -> sa.Select[tuple[object, ...]]:
    query = sa.select(_C).where(sa.or_(_C.c.party_a == party, _C.c.party_b == party))
    if live_only:
        query = query.where(_C.c.status.in_(_LIVE))
    if q.kinds and ConflictKind.STRATEGIC not in q.kinds:
        query = query.where(sa.false())
    if q.statuses:
        query = query.where(_C.c.status.in_(sorted(s.value for s in q.statuses)))
    if q.severities:
        query = query.where(_C.c.severity.in_(sorted(s.value for s in q.severities)))
    if q.notice is not None:
        query = query.where(sa.or_(_C.c.notice_a == q.notice, _C.c.notice_b == q.notice))
    if q.since is not None:
        query = query.where(changed_since(_C, q.since))
    if q.after is not None:
        at, last = q.after
        key = (codec.dt_to_us(at), last)
        query = query.where(after_key(_C.c.detected_us, _C.c.id, key, newest=True))
    return query.order_by(_C.c.detected_us.desc(), _C.c.id.desc()).limit(limit)


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

    def live_conflicts_of(self, notice_id: str) -> list[Conflict]:
        rows = self._conn.execute(_live_conflicts_of, {"n": notice_id})
        return [codec.conflict_from_row(r) for r in rows]

    def update_conflicts(self, conflicts: Sequence[Conflict], at: datetime) -> None:
        if not conflicts:
            return
        params: list[dict[str, Any]] = []
        for c in conflicts:
            row = codec.conflict_columns(c)
            row["resolved_us"] = None if c.status.is_live() else codec.dt_to_us(at)
            row["at"] = codec.dt_to_us(at)
            params.append(row)
        self._conn.execute(_update_conflict, params)

    def conflicts_to_escalate(self, severity: Severity, before: datetime) -> list[Conflict]:
        rows = self._conn.execute(
            _to_escalate,
            {"severity": severity.value, "before": codec.dt_to_us(before), "limit": 1000},
        )
        return [codec.conflict_from_row(r) for r in rows]

    def set_severity(self, conflicts: Sequence[Conflict], at: datetime) -> None:
        if conflicts:
            us = codec.dt_to_us(at)
            self._conn.execute(
                _set_severity,
                [{"id": c.id, "severity": c.severity.value, "at": us} for c in conflicts],
            )

    def conflict_acks(self, conflict_ids: Sequence[str]) -> dict[str, list[ConflictAck]]:
        out: dict[str, list[ConflictAck]] = defaultdict(list)
        if not conflict_ids:
            return out
        for r in self._conn.execute(_acks_of, {"ids": sorted(set(conflict_ids))}):
            at = codec.dt_from_us(r.at_us)
            out[r.conflict_id].append(ConflictAck(r.party, r.member, at, Severity(r.severity)))
        return out

    def drop_conflict_acks(self, conflict_ids: Sequence[str]) -> None:
        if conflict_ids:
            self._conn.execute(_drop_acks, {"ids": sorted(set(conflict_ids))})

    def put_conflict_ack(self, conflict_id: str, ack: ConflictAck) -> None:
        row = {
            "conflict_id": conflict_id,
            "party": ack.party,
            "member": ack.member,
            "severity": ack.severity.value,
            "at_us": codec.dt_to_us(ack.at),
        }
        self._conn.execute(_drop_ack, row)
        self._conn.execute(_put_ack, row)

    def get_conflict(self, conflict_id: str) -> Conflict | None:
        row = self._conn.execute(_get_conflict, {"id": conflict_id}).first()
        return None if row is None else codec.conflict_from_row(row)

    def list_conflicts(
        self,
        party: str,
        live_only: bool = False,
        limit: int = 1000,
        query: ConflictQuery | None = None,
    ) -> list[Conflict]:
        rows = self._conn.execute(
            _list_conflicts(party, live_only, limit, query or ConflictQuery())
        )
        return [codec.conflict_from_row(r) for r in rows]
