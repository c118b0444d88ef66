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
)

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
    )


def conflict_to_row(c: TrackConflict) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind.value,
        "status": c.status.value,
        "key": c.key,
        "party_a": c.party_a,
        "track_a": c.track_a,
        "party_b": c.party_b,
        "track_b": c.track_b,
        "notice_b": c.notice_b,
        "volume_b": c.volume_b,
        "movement": c.movement,
        "reason": c.reason,
        "t_in_us": dt_to_us(c.t_in),
        "t_out_us": opt_to_us(c.t_out),
        "cpa_us": opt_to_us(c.cpa),
        "distance_m": c.distance_m,
        "detail": c.detail,
        "told": audience_to_text(c.told),
        "visible_a": audience_to_text(c.visible_a),
        "visible_b": audience_to_text(c.visible_b),
        "detected_us": dt_to_us(c.detected_at),
        "updated_us": dt_to_us(c.updated_at),
        "resolved_us": opt_to_us(c.resolved_at),
        "agreement": c.agreement,
        "notice_a": c.notice_a,
        "volume_a": c.volume_a,
    }


def conflict_from_row(r: Any) -> TrackConflict:
    return TrackConflict(
        id=r.id,
        kind=ConflictKind(r.kind),
        status=ConflictStatus(r.status),
        key=r.key,
        party_a=r.party_a,
        track_a=r.track_a,
        party_b=r.party_b,
        track_b=r.track_b,
        notice_b=r.notice_b,
        volume_b=r.volume_b,
        movement=r.movement,
        reason=r.reason,
        t_in=dt_from_us(r.t_in_us),
        t_out=opt_from_us(r.t_out_us),
        cpa=opt_from_us(r.cpa_us),
        distance_m=r.distance_m,
        detail=r.detail,
        told=audience_from_text(r.told),
        visible_a=audience_from_text(r.visible_a),
        visible_b=audience_from_text(r.visible_b),
        detected_at=dt_from_us(r.detected_us),
        updated_at=dt_from_us(r.updated_us),
        resolved_at=opt_from_us(r.resolved_us),
        agreement=r.agreement,
        notice_a=r.notice_a,
        volume_a=r.volume_a,
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

    def put_tracks(self, tracks: Sequence[Track]) -> None:
        if tracks:
            self._conn.execute(self._upsert(), [track_to_row(t) for t in tracks])

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
    ) -> list[Track]:
        query = sa.select(_T).where(_visible_to(sa.bindparam("viewer", viewer)))
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
        return [conflict_from_row(r) for r in rows]

    def closed_track_conflicts_since(self, since: datetime) -> list[TrackConflict]:
        """Conflicts on tracks closed at or after ``since``, the newest per key."""
        rows = self._conn.execute(
            sa.select(_C)
            .where(_C.c.status.not_in(_LIVE), _C.c.resolved_us >= dt_to_us(since))
            .order_by(_C.c.resolved_us)
        )
        return list({c.key: c for c in map(conflict_from_row, rows)}.values())

    def insert_track_conflicts(self, conflicts: Sequence[TrackConflict]) -> None:
        if conflicts:
            self._conn.execute(_C.insert(), [conflict_to_row(c) for c in conflicts])

    def update_track_conflicts(self, conflicts: Sequence[TrackConflict]) -> None:
        """Store the new state of each conflict (matched by id)."""
        if not conflicts:
            return
        rows = [conflict_to_row(c) for c in conflicts]
        for row in rows:
            row["cid"] = row.pop("id")
        stmt = _C.update().where(_C.c.id == sa.bindparam("cid"))
        self._conn.execute(stmt, rows)

    def get_track_conflict(self, conflict_id: str) -> TrackConflict | None:
        row = self._conn.execute(sa.select(_C).where(_C.c.id == conflict_id)).first()
        return None if row is None else conflict_from_row(row)

    def list_track_conflicts(
        self, party: str, live_only: bool = False, limit: int = 1000
    ) -> list[TrackConflict]:
        query = sa.select(_C).where(_told(sa.bindparam("party", party)))
        if live_only:
            query = query.where(_C.c.status.in_(_LIVE))
        query = query.order_by(_C.c.detected_us.desc(), _C.c.id.desc()).limit(limit)
        return [conflict_from_row(r) for r in self._conn.execute(query)]
