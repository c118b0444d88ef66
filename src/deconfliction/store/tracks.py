"""Tracks and the conflicts detected on them, for ``SqlTx`` (a mixin: same connection, same tx).

A track row is the latest state of one asset; a report older than the stored one never replaces
it, even when two batches race (the upsert's own ``WHERE``). Track conflicts are few and
short-lived next to strategic ones: plain indexed queries serve them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from deconfliction.domain import (
    ConflictKind,
    ConflictStatus,
    Track,
    TrackConflict,
    TrackDomain,
)
from deconfliction.store import schema
from deconfliction.store.codec import (
    audience_from_text,
    audience_to_text,
    dt_from_us,
    dt_to_us,
    opt_from_us,
    opt_to_us,
    track_conflict_from_row,
    track_conflict_to_row,
)
from deconfliction.store.conflicts import changed_since
from deconfliction.store.keyset import after_key
from deconfliction.store.values import ConflictQuery

__all__ = ["TrackRows"]

_LIVE = (ConflictStatus.OPEN.value, ConflictStatus.ACKNOWLEDGED.value)
_T = schema.track
_C = schema.track_conflict
_KEEP = ("party", "uid")


def track_to_row(t: Track) -> dict[str, Any]:
    time_us = dt_to_us(t.time)
    return {
        "party": t.party,
        "uid": t.uid,
        "domain": t.domain.value,
        "lat": t.lat,
        "lon": t.lon,
        "alt_m": t.alt_m,
        "gs_mps": t.gs_mps,
        "trk_deg": t.trk_deg,
        "vs_mps": t.vs_mps,
        "time_us": time_us,
        "stale_s": t.stale_s,
        "live_until_us": time_us + round(t.stale_s * 1e6),
        "audience": audience_to_text(t.audience),
        "callsign": t.callsign,
        "movement": t.movement,
        "stopped_since_us": opt_to_us(t.stopped_since),
        "received_us": dt_to_us(t.received_at or t.time),
        "alt_unc_m": t.alt_unc_m,
    }


def track_from_row(r: Any) -> Track:
    return Track(
        party=r.party,
        uid=r.uid,
        domain=TrackDomain(r.domain),
        lat=r.lat,
        lon=r.lon,
        alt_m=r.alt_m,
        gs_mps=r.gs_mps,
        trk_deg=r.trk_deg,
        vs_mps=r.vs_mps,
        time=dt_from_us(r.time_us),
        stale_s=r.stale_s,
        audience=audience_from_text(r.audience),
        callsign=r.callsign,
        movement=r.movement,
        stopped_since=opt_from_us(r.stopped_since_us),
        received_at=dt_from_us(r.received_us),
        alt_unc_m=r.alt_unc_m,
    )


def _visible_to(viewer: sa.BindParameter[str]) -> sa.ColumnElement[bool]:
    return sa.or_(
        _T.c.party == viewer,
        _T.c.audience == "all",
        _T.c.audience.contains(sa.literal(",") + viewer + sa.literal(","), autoescape=False),
    )


def _told(party: sa.BindParameter[str]) -> sa.ColumnElement[bool]:
    return sa.or_(
        _C.c.party_a == party,
        sa.and_(_C.c.party_b == party, _C.c.kind != ConflictKind.DEVIATION.value),
        _C.c.told == "all",
        _C.c.told.contains(sa.literal(",") + party + sa.literal(","), autoescape=False),
    )


def _filtered(
    select: sa.Select[tuple[object, ...]], q: ConflictQuery | None
) -> sa.Select[tuple[object, ...]]:
    """``select`` narrowed to the conflicts on tracks ``q`` asks for."""
    if q is None:
        return select
    if q.kinds:
        select = select.where(_C.c.kind.in_(sorted(k.value for k in q.kinds)))
    if q.statuses:
        select = select.where(_C.c.status.in_(sorted(s.value for s in q.statuses)))
    if q.severities:
        select = select.where(_C.c.severity.in_(sorted(s.value for s in q.severities)))
    if q.notice is not None:
        n = q.notice
        select = select.where(sa.or_(_C.c.notice_a == n, _C.c.notice_b == n, _C.c.movement == n))
    if q.since is not None:
        select = select.where(changed_since(_C, q.since))
    if q.after is not None:
        key = (dt_to_us(q.after[0]), q.after[1])
        select = select.where(after_key(_C.c.detected_us, _C.c.id, key, newest=True))
    return select


class TrackRows:
    """The track methods of ``store.repos.TrackRepo``; mixed into ``SqlTx``."""

    _conn: sa.Connection
    _dialect: str

    def _upsert(self) -> Any:
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        stmt = insert(_T)
        changed = {c.name: stmt.excluded[c.name] for c in _T.c if c.name not in _KEEP}
        return stmt.on_conflict_do_update(
            index_elements=[_T.c.party, _T.c.uid],
            set_=changed,
            where=_T.c.time_us < stmt.excluded.time_us,
        )

    def _write_rev(self) -> int:
        """The ``rev`` this transaction writes: on SQLite one more than the table's highest
        (BEGIN IMMEDIATE holds the single write lock, so revs grow in commit order); on
        PostgreSQL this transaction's id, which a reader's snapshot xmin bounds (``track_mark``)."""
        if self._dialect == "postgresql":
            sql = "SELECT pg_current_xact_id()::text::bigint"
        else:
            sql = "SELECT COALESCE(MAX(rev), 0) + 1 FROM track"
        return int(self._conn.execute(sa.text(sql)).scalar_one())

    def put_tracks(self, tracks: Sequence[Track]) -> int:
        if not tracks:
            return 0
        rev = self._write_rev()
        rows = [track_to_row(t) for t in tracks]
        for row in rows:
            row["rev"] = rev
        self._conn.execute(self._upsert(), rows)
        if self._dialect != "postgresql":
            # every row older than the stored one: the rev is still free, and the next writer
            # takes it; it names no write of this transaction
            taken = self._conn.execute(sa.select(_T.c.uid).where(_T.c.rev == rev).limit(1))
            if taken.first() is None:
                return 0
        return rev

    def track_mark(self) -> int:
        if self._dialect == "postgresql":
            # every transaction not yet visible to a later statement has an id >= this
            sql = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        else:
            sql = "SELECT COALESCE(MAX(rev), 0) + 1 FROM track"
        return int(self._conn.execute(sa.text(sql)).scalar_one())

    def tracks_changed(self, mark: int, skip: Sequence[int] = ()) -> list[Track]:
        query = sa.select(_T).where(_T.c.rev >= mark)
        if skip:
            query = query.where(_T.c.rev.not_in(sorted(set(skip))))
        return [track_from_row(r) for r in self._conn.execute(query)]

    def get_tracks(self, party: str, uids: Sequence[str]) -> dict[str, Track]:
        out: dict[str, Track] = {}
        unique = sorted(set(uids))
        for i in range(0, len(unique), 500):
            rows = self._conn.execute(
                sa.select(_T).where(_T.c.party == party, _T.c.uid.in_(unique[i : i + 500]))
            )
            out.update((r.uid, track_from_row(r)) for r in rows)
        return out

    def live_tracks(self, now: datetime) -> list[Track]:
        rows = self._conn.execute(
            sa.select(_T).where(_T.c.live_until_us >= dt_to_us(now)).order_by(_T.c.party, _T.c.uid)
        )
        return [track_from_row(r) for r in rows]

    def list_tracks(
        self,
        viewer: str,
        live_at: datetime | None,
        bbox: tuple[float, float, float, float] | None = None,
        domain: TrackDomain | None = None,
        limit: int = 10_000,
        after: tuple[str, str] | None = None,
        received_since: datetime | None = None,
    ) -> list[Track]:
        query = sa.select(_T).where(_visible_to(sa.bindparam("viewer", viewer)))
        if received_since is not None:
            query = query.where(_T.c.received_us >= dt_to_us(received_since))
        if after is not None:
            query = query.where(after_key(_T.c.party, _T.c.uid, after, newest=False))
        if live_at is not None:
            query = query.where(_T.c.live_until_us >= dt_to_us(live_at))
        if domain is not None:
            query = query.where(_T.c.domain == domain.value)
        if bbox is not None:
            lon0, lat0, lon1, lat1 = bbox
            query = query.where(_T.c.lat.between(lat0, lat1))
            if lon0 <= lon1:
                query = query.where(_T.c.lon.between(lon0, lon1))
            else:  # crosses the antimeridian
                query = query.where(sa.or_(_T.c.lon >= lon0, _T.c.lon <= lon1))
        rows = self._conn.execute(query.order_by(_T.c.party, _T.c.uid).limit(limit))
        return [track_from_row(r) for r in rows]

    # -- conflicts on tracks ------------------------------------------------------------------

    def live_track_conflicts(self) -> list[TrackConflict]:
        rows = self._conn.execute(sa.select(_C).where(_C.c.status.in_(_LIVE)))
        return [track_conflict_from_row(r) for r in rows]

    def closed_track_conflicts_since(self, since: datetime) -> list[TrackConflict]:
        """Conflicts on tracks closed at or after ``since``, the newest per key."""
        rows = self._conn.execute(
            sa.select(_C)
            .where(_C.c.status.not_in(_LIVE), _C.c.resolved_us >= dt_to_us(since))
            .order_by(_C.c.resolved_us)
        )
        return list({c.key: c for c in map(track_conflict_from_row, rows)}.values())

    def insert_track_conflicts(self, conflicts: Sequence[TrackConflict]) -> None:
        if conflicts:
            self._conn.execute(_C.insert(), [track_conflict_to_row(c) for c in conflicts])

    def update_track_conflicts(self, conflicts: Sequence[TrackConflict]) -> None:
        """Store the new state of each conflict (matched by id)."""
        if not conflicts:
            return
        rows = [track_conflict_to_row(c) for c in conflicts]
        for row in rows:
            row["cid"] = row.pop("id")
        stmt = _C.update().where(_C.c.id == sa.bindparam("cid"))
        self._conn.execute(stmt, rows)

    def get_track_conflict(self, conflict_id: str) -> TrackConflict | None:
        row = self._conn.execute(sa.select(_C).where(_C.c.id == conflict_id)).first()
        return None if row is None else track_conflict_from_row(row)

    def list_track_conflicts(
        self,
        party: str,
        live_only: bool = False,
        limit: int = 1000,
        query: ConflictQuery | None = None,
    ) -> list[TrackConflict]:
        select = _filtered(sa.select(_C).where(_told(sa.bindparam("party", party))), query)
        if live_only:
            select = select.where(_C.c.status.in_(_LIVE))
        select = select.order_by(_C.c.detected_us.desc(), _C.c.id.desc()).limit(limit)
        return [track_conflict_from_row(r) for r in self._conn.execute(select)]
