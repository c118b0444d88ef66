"""Notices, their stored versions and the indexed volumes of active ones, for ``SqlTx`` (a mixin:
same connection, same transaction). A bulk load stores the conflicts among what it loads too.

Statements are built once (module level, or cached per number of query boxes) so the hot path,
a checked create, costs a handful of round trips: candidates, id allocation, and one executemany
per table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from deconfliction.domain import (
    AltitudeBand,
    Audience,
    Buffers,
    Conflict,
    Notice,
    NoticeState,
    TimeWindow,
)
from deconfliction.errors import AlreadyExists, NotFound, VersionMismatch
from deconfliction.store import codec, schema, spatial
from deconfliction.store.base import Box4, NoticeQuery, VolumeRow
from deconfliction.store.bulk import COPY_FROM, BulkRows
from deconfliction.store.memindex import Change, HeldVolume, Pending, VolumeIndex

__all__ = ["NoticeRows"]

_NOTICE_COLUMNS = tuple(c.name for c in schema.notice.c)
_update_notice = schema.notice.update().where(schema.notice.c.id == sa.bindparam("key"))
_get_notice = sa.text("SELECT * FROM notice WHERE id = :id")
_get_notices = sa.text("SELECT * FROM notice WHERE id IN :ids").bindparams(
    sa.bindparam("ids", expanding=True)
)
_notice_audiences = sa.text("SELECT id, party, audience FROM notice WHERE id IN :ids").bindparams(
    sa.bindparam("ids", expanding=True)
)
_notice_versions = sa.text("SELECT body FROM notice_version WHERE notice_id = :id ORDER BY version")
_MAX_CHANGE = "SELECT coalesce(max(seq), 0) FROM notice_change"
_MAX_VOLUME_ID = "SELECT coalesce(max(id), 0) FROM volume"
_next_volume_ids = sa.text("SELECT nextval('volume_id_seq') FROM generate_series(1, :n)")
_volumes_of = sa.text("SELECT id, n_boxes FROM volume WHERE notice_id = :id")
_delete_volumes = sa.text("DELETE FROM volume WHERE notice_id = :id")
_delete_box = sa.text("DELETE FROM volume_box WHERE id = :id")
_touch_volumes = sa.text(
    "UPDATE volume SET version = :version, active = :active, audience = :audience "
    "WHERE notice_id = :id"
)
_VOLUME_COLUMNS = (
    "v.notice_id, v.idx, v.party, v.version, v.alt_lower_m, v.alt_upper_m, v.t_start_us, "
    "v.t_end_us, v.buffer_h_m, v.buffer_v_m, v.buffer_t_s, v.boxes, v.shape, v.audience"
)


def _driver_sql(dialect: str, sql: str) -> str:
    """``:name`` binds as the driver wants them (sqlite3 takes ``:name`` as it is)."""
    if dialect == "postgresql":
        return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)
    return sql


@cache
def _candidates_sql(dialect: str, n_boxes: int, exclude: bool) -> str:
    sql = (
        f"SELECT {_VOLUME_COLUMNS} FROM volume v "
        f"WHERE v.id IN ({spatial.matching_volumes_sql(dialect, n_boxes)}) AND v.active"
    )
    if exclude:
        sql += " AND v.notice_id <> :exclude"
    return _driver_sql(dialect, sql + " ORDER BY v.id")


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _volume_row(r: Any) -> VolumeRow:
    return VolumeRow(
        notice_id=r[0],
        index=r[1],
        party=r[2],
        version=r[3],
        altitude=AltitudeBand(r[4], r[5]),
        time=TimeWindow(codec.dt_from_us(r[6]), codec.dt_from_us(r[7])),
        shape=bytes(r[12]),
        boxes=codec.boxes_from_bytes(bytes(r[11])),
        buffers=None if r[8] is None else Buffers(r[8], r[9], r[10]),
        audience=codec.audience_from_text(r[13]),
    )


def _held(volume_id: int, notice: Notice, row: VolumeRow) -> HeldVolume:
    return HeldVolume(
        volume_id=volume_id,
        notice_id=notice.id,
        index=row.index,
        party=notice.party,
        version=notice.version,
        altitude=row.altitude,
        time=row.time,
        buffers=row.buffers,
        audience=notice.audience,
        shape=row.shape,
        protected=notice.protected,
    )


class NoticeRows(BulkRows):
    """The notice and volume methods of ``store.repos.NoticeRepo``; mixed into ``SqlTx``."""

    _index: VolumeIndex | None
    _pending: Pending | None

    if TYPE_CHECKING:  # ConflictRows's and SqlTx's, on the same transaction

        def insert_conflicts(self, conflicts: Sequence[Conflict]) -> None: ...
        def lock_for_notice_write(self) -> None: ...

    def _log_changes(self, changes: list[Change]) -> None:
        """Number the notice writes in ``notice_change`` (under the write lock, so in commit
        order) and keep them for the in-memory index once this transaction commits."""
        if not changes:
            return
        self.lock_for_notice_write()  # PostgreSQL: a no-op when the caller holds it already
        last = self._driver_number(_MAX_CHANGE)
        self._many("notice_change", [(last + i, c.notice_id) for i, c in enumerate(changes, 1)])
        if self._pending is None:
            self._pending = Pending(last + 1, last + len(changes), [])
        elif self._pending.last != last:  # cannot happen under the lock; then trust the store
            self._pending.first = -1
        self._pending.last = last + len(changes)
        self._pending.changes.extend(changes)

    def insert_notice(self, notice: Notice, volumes: Sequence[VolumeRow]) -> None:
        self.insert_notices_bulk(((notice, volumes),))

    def insert_notices_bulk(
        self,
        items: Sequence[tuple[Notice, Sequence[VolumeRow]]],
        conflicts: Sequence[Conflict] = (),
    ) -> None:
        """Insert many notices with their volumes (and conflicts) in a few executemany calls.

        For loading: call it with a few thousand notices at a time inside one transaction.
        """
        if not items:
            self.insert_conflicts(conflicts)
            return
        notices = []
        versions = []
        for n, _ in items:
            volumes_json = [codec.stored_volume_json(v) for v in n.volumes]
            row = codec.notice_to_row(n, volumes_json)
            notices.append(tuple(row[c] for c in _NOTICE_COLUMNS))
            versions.append(self._version_row(n, volumes_json))
        try:
            self._many("notice", notices)
        except IntegrityError:
            ids = ", ".join(repr(n.id) for n, _ in items[:3])
            raise AlreadyExists(f"a notice with id {ids} already exists", "/id") from None
        self._many("notice_version", versions)
        held = self._insert_volumes(items)
        self._log_changes([Change(n.id, held.get(n.id, ())) for n, _ in items])
        self.insert_conflicts(conflicts)

    def _version_row(
        self, notice: Notice, volumes_json: list[dict[str, Any]] | None = None
    ) -> tuple[Any, ...]:
        body = codec.stored_notice_json(notice, volumes_json).decode()
        return (notice.id, notice.version, codec.dt_to_us(notice.updated_at), body)

    def _allocate_volume_ids(self, n: int) -> list[int]:
        if self._dialect == "postgresql":
            return list(self._conn.execute(_next_volume_ids, {"n": n}).scalars())
        # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so max(id) is ours.
        top = self._driver_number(_MAX_VOLUME_ID)
        return list(range(top + 1, top + n + 1))

    def _insert_volumes(
        self, items: Sequence[tuple[Notice, Sequence[VolumeRow]]]
    ) -> dict[str, tuple[tuple[HeldVolume, bytes], ...]]:
        """Insert the volumes (and index boxes) of ``items``; the active ones as the in-memory
        index holds them, by notice."""
        total = sum(len(rows) for _, rows in items)
        if total == 0:
            return {}
        held: dict[str, tuple[tuple[HeldVolume, bytes], ...]] = {}
        ids = iter(self._allocate_volume_ids(total))
        volume_rows: list[tuple[Any, ...]] = []
        box_rows: list[tuple[Any, ...]] = []
        for notice, rows in items:
            active = notice.state is NoticeState.ACTIVE
            audience = codec.audience_to_text(notice.audience)
            mine: list[tuple[HeldVolume, bytes]] = []
            for k, row in enumerate(rows):
                vid = next(ids)
                boxes = codec.boxes_to_bytes(row.boxes)
                if active:
                    mine.append((_held(vid, notice, row), boxes))
                b = row.buffers
                # In schema.volume's column order.
                volume_rows.append(
                    (
                        vid,
                        notice.id,
                        row.index,
                        notice.party,
                        notice.version,
                        active,
                        row.altitude.lower_m,
                        row.altitude.upper_m,
                        codec.dt_to_us(row.time.start),
                        codec.dt_to_us(row.time.end),
                        None if b is None else b.h_m,
                        None if b is None else b.v_m,
                        None if b is None else b.t_s,
                        len(row.boxes),
                        boxes,
                        row.shape,
                        audience,
                    )
                )
                box_rows.extend(
                    spatial.box_rows(self._dialect, vid, row.boxes, f"/volumes/{k}/boxes")
                )
            if mine:
                held[notice.id] = tuple(mine)
        self._many("volume", volume_rows)
        if not box_rows:
            return held
        if self._dialect == "postgresql" and len(box_rows) >= COPY_FROM:
            self._copy(
                "volume_box", box_rows, "id, volume_id, box"
            )  # COPY parses the cube's text form itself
        else:
            self._driver_many(spatial.insert_sql(self._dialect), box_rows)
        return held

    def _drop_volumes(self, notice_id: str) -> None:
        if self._dialect != "postgresql":
            # An R*Tree has no foreign keys: its rows go first, found by their derived ids.
            box_ids = [
                {"id": vid * spatial.BOX_STRIDE + k}
                for vid, n in self._conn.execute(_volumes_of, {"id": notice_id})
                for k in range(n)
            ]
            if box_ids:
                self._conn.execute(_delete_box, box_ids)
        self._conn.execute(_delete_volumes, {"id": notice_id})

    def update_notice(self, notice: Notice, volumes: Sequence[VolumeRow] | None) -> None:
        row = codec.notice_to_row(notice)
        row["key"] = row.pop("id")
        if self._conn.execute(_update_notice, row).rowcount != 1:
            raise NotFound(f"there is no notice {notice.id!r}", "/id")
        try:
            with self._conn.begin_nested():
                self._many("notice_version", [self._version_row(notice)])
        except IntegrityError:
            raise VersionMismatch(
                f"version {notice.version} of notice {notice.id!r} is already stored", "/version"
            ) from None
        if volumes is None:
            active = notice.state is NoticeState.ACTIVE
            self._conn.execute(
                _touch_volumes,
                {
                    "id": notice.id,
                    "version": notice.version,
                    "active": active,
                    "audience": codec.audience_to_text(notice.audience),
                },
            )
            change = Change(
                notice.id, None, notice.version, notice.audience, active, notice.protected
            )
            self._log_changes([change])
        else:
            self._drop_volumes(notice.id)
            held = self._insert_volumes(((notice, volumes),))
            self._log_changes([Change(notice.id, held.get(notice.id, ()))])

    def get_notice(self, notice_id: str) -> Notice | None:
        row = self._conn.execute(_get_notice, {"id": notice_id}).first()
        return None if row is None else codec.notice_from_row(row)

    def get_notices(self, notice_ids: Sequence[str]) -> dict[str, Notice]:
        if not notice_ids:
            return {}
        rows = self._conn.execute(_get_notices, {"ids": sorted(set(notice_ids))})
        return {r.id: codec.notice_from_row(r) for r in rows}

    def notice_audiences(self, notice_ids: Sequence[str]) -> dict[str, tuple[str, Audience]]:
        if not notice_ids:
            return {}
        rows = self._conn.execute(_notice_audiences, {"ids": sorted(set(notice_ids))})
        return {r[0]: (r[1], codec.audience_from_text(r[2])) for r in rows}

    def get_notice_versions(self, notice_id: str) -> list[Notice]:
        rows = self._conn.execute(_notice_versions, {"id": notice_id}).scalars()
        return [codec.notice_from_stored_json(body) for body in rows]

    def list_notices(self, query: NoticeQuery) -> list[Notice]:
        where: list[str] = []
        params: dict[str, Any] = {"limit": query.limit}
        if query.viewer is not None:
            where.append(
                "(party = :viewer OR audience = 'all' OR audience LIKE :viewer_like ESCAPE '\\')"
            )
            params["viewer"] = query.viewer
            params["viewer_like"] = f"%,{_like_escape(query.viewer)},%"
        if query.boxes:
            boxes_sql = spatial.matching_volumes_sql(self._dialect, len(query.boxes))
            where.append(f"id IN (SELECT notice_id FROM volume WHERE id IN ({boxes_sql}))")
            params.update(spatial.query_params(query.boxes))
        if query.start is not None:
            where.append("t_end_us >= :start")
            params["start"] = codec.dt_to_us(query.start)
        if query.end is not None:
            where.append("t_start_us <= :end")
            params["end"] = codec.dt_to_us(query.end)
        if query.kind is not None:
            where.append("kind = :kind")
            params["kind"] = query.kind.value
        if query.party is not None:
            where.append("party = :party")
            params["party"] = query.party
        if query.after is not None:
            where.append("(created_us > :after_us OR (created_us = :after_us AND id > :after_id))")
            params["after_us"] = codec.dt_to_us(query.after[0])
            params["after_id"] = query.after[1]
        sql = "SELECT * FROM notice"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_us, id LIMIT :limit"
        return [codec.notice_from_row(r) for r in self._conn.execute(sa.text(sql), params)]

    def nearby(self, boxes: Sequence[Box4], exclude_notice: str | None = None) -> list[HeldVolume]:
        if self._index is None:
            raise RuntimeError("this transaction's store keeps no in-memory index")
        return self._index.nearby(self._conn, boxes, exclude_notice)

    def candidates(
        self, boxes: Sequence[Box4], exclude_notice: str | None = None
    ) -> list[VolumeRow]:
        if not boxes:
            return []
        params: dict[str, Any] = spatial.query_params(boxes)
        if exclude_notice is not None:
            params["exclude"] = exclude_notice
        sql = _candidates_sql(self._dialect, len(boxes), exclude_notice is not None)
        # The hot path: straight to the driver's cursor, skipping SQLAlchemy's result rows.
        cursor = self._conn.connection.cursor()
        try:
            cursor.execute(sql, params)
            return [_volume_row(r) for r in cursor.fetchall()]
        finally:
            cursor.close()
