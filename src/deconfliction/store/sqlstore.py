"""The store on SQLAlchemy Core: one implementation for SQLite and PostgreSQL.

Statements are built once (module level, or cached per number of query boxes) so the hot path,
a checked create, costs a handful of round trips: candidates, id allocation, and one executemany
per table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from deconfliction.domain import (
    Audience,
    Conflict,
    Notice,
    NoticeState,
)
from deconfliction.errors import AlreadyExists, NotFound, VersionMismatch
from deconfliction.store import codec, spatial
from deconfliction.store.base import Box4, NoticeQuery, VolumeRow
from deconfliction.store.bulk import COPY_FROM
from deconfliction.store.checkpoint import Checkpointer
from deconfliction.store.conflicts import ConflictRows
from deconfliction.store.conversation import ThreadRows
from deconfliction.store.events import EventRows
from deconfliction.store.keys import MemberKeyRows
from deconfliction.store.parties import PartyRows
from deconfliction.store.receipts import ReceiptRows
from deconfliction.store.record import RecordRows
from deconfliction.store.statements import (
    _NOTICE_COLUMNS,
    NOTICE_WRITE_LOCK,
    _candidates_sql,
    _delete_box,
    _delete_volumes,
    _get_notice,
    _like_escape,
    _max_volume_id,
    _next_volume_ids,
    _notice_audiences,
    _notice_versions,
    _touch_volumes,
    _update_notice,
    _volume_row,
    _volumes_of,
)
from deconfliction.store.tracks import TrackRows

__all__ = ["SqlStore", "SqlTx"]


class SqlTx(
    ConflictRows,
    PartyRows,
    MemberKeyRows,
    TrackRows,
    EventRows,
    ThreadRows,
    ReceiptRows,
    RecordRows,
):
    """One transaction on one connection; see ``store.base.Tx`` for the contract."""

    def __init__(self, conn: sa.Connection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    # -- locking ------------------------------------------------------------------------------

    def lock_for_notice_write(self) -> None:
        # SQLite: BEGIN IMMEDIATE already took the database's single write lock.
        if self._dialect == "postgresql":
            self._conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": NOTICE_WRITE_LOCK}
            )

    # -- notices and volumes ------------------------------------------------------------------

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
            volumes_json = [codec.volume_to_json(v) for v in n.volumes]
            row = codec.notice_to_row(n, volumes_json)
            notices.append(tuple(row[c] for c in _NOTICE_COLUMNS))
            versions.append(self._version_row(n, volumes_json))
        try:
            self._many("notice", notices)
        except IntegrityError:
            ids = ", ".join(repr(n.id) for n, _ in items[:3])
            raise AlreadyExists(f"a notice with id {ids} already exists", "/id") from None
        self._many("notice_version", versions)
        self._insert_volumes(items)
        self.insert_conflicts(conflicts)

    def _version_row(
        self, notice: Notice, volumes_json: list[dict[str, Any]] | None = None
    ) -> tuple[Any, ...]:
        body = codec.notice_to_json(notice, volumes_json).decode()
        return (notice.id, notice.version, codec.dt_to_us(notice.updated_at), body)

    def _allocate_volume_ids(self, n: int) -> list[int]:
        if self._dialect == "postgresql":
            return list(self._conn.execute(_next_volume_ids, {"n": n}).scalars())
        # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so max(id) is ours.
        top = self._conn.execute(_max_volume_id).scalar_one()
        return list(range(top + 1, top + n + 1))

    def _insert_volumes(self, items: Sequence[tuple[Notice, Sequence[VolumeRow]]]) -> None:
        total = sum(len(rows) for _, rows in items)
        if total == 0:
            return
        ids = iter(self._allocate_volume_ids(total))
        volume_rows: list[tuple[Any, ...]] = []
        box_rows: list[tuple[Any, ...]] = []
        for notice, rows in items:
            active = notice.state is NoticeState.ACTIVE
            audience = codec.audience_to_text(notice.audience)
            for k, row in enumerate(rows):
                vid = next(ids)
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
                        codec.boxes_to_bytes(row.boxes),
                        row.shape,
                        audience,
                    )
                )
                box_rows.extend(
                    spatial.box_rows(self._dialect, vid, row.boxes, f"/volumes/{k}/boxes")
                )
        self._many("volume", volume_rows)
        if not box_rows:
            return
        if self._dialect == "postgresql" and len(box_rows) >= COPY_FROM:
            self._copy(
                "volume_box", box_rows, "id, volume_id, box"
            )  # COPY parses the cube's text form itself
        else:
            self._conn.exec_driver_sql(spatial.insert_sql(self._dialect), box_rows)

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
        else:
            self._drop_volumes(notice.id)
            self._insert_volumes(((notice, volumes),))

    def get_notice(self, notice_id: str) -> Notice | None:
        row = self._conn.execute(_get_notice, {"id": notice_id}).first()
        return None if row is None else codec.notice_from_row(row)

    def notice_audiences(self, notice_ids: Sequence[str]) -> dict[str, tuple[str, Audience]]:
        if not notice_ids:
            return {}
        rows = self._conn.execute(_notice_audiences, {"ids": sorted(set(notice_ids))})
        return {r[0]: (r[1], codec.audience_from_text(r[2])) for r in rows}

    def get_notice_versions(self, notice_id: str) -> list[Notice]:
        rows = self._conn.execute(_notice_versions, {"id": notice_id}).scalars()
        return [codec.notice_from_json(body) for body in rows]

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
        sql = "SELECT * FROM notice"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_us, id LIMIT :limit"
        return [codec.notice_from_row(r) for r in self._conn.execute(sa.text(sql), params)]

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


class SqlStore:
    """A store on one SQLAlchemy engine (opened and migrated by ``store.open_store``)."""

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine
        self._dialect = engine.dialect.name
        path = engine.url.database
        self.checkpointer = (
            Checkpointer(path)
            if self._dialect == "sqlite" and path not in (None, "", ":memory:")
            else None
        )

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[SqlTx]:
        """One transaction: committed when the block ends, rolled back if it raises.

        On SQLite a write transaction starts with BEGIN IMMEDIATE (it takes the write lock at
        once, so a later write cannot fail on a stale snapshot); ``write=False`` starts a deferred
        one for reading.
        """
        with self.engine.connect() as conn:
            if self._dialect == "sqlite":
                conn.execution_options(sqlite_begin="IMMEDIATE" if write else "DEFERRED")
            with conn.begin():
                yield SqlTx(conn, self._dialect)

    def read(self) -> AbstractContextManager[SqlTx]:
        """A read-only transaction (a deferred BEGIN on SQLite)."""
        return self.transaction(write=False)

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()
