"""Reading the served tables whole, for ``record verify`` to hold them to the event log: the
contract (``AuditRepo``) and its rows for ``SqlTx`` (a mixin: same connection, same
transaction).

Rows come page by page in primary-key order (keyset paging: no cursor stays open while the
caller asks for the events it compares them with), as the database holds them; turning them
into domain values is the caller's, so that a row too broken to read is a finding, not a crash.

The volumes strategic detection reads (``volume``) and their index boxes (``volume_box``) are
read by notice instead, a page of notices at a time: they are held to the notice they belong to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa

from deconfliction.store import schema, spatial
from deconfliction.store.values import EventRow

__all__ = ["SERVED", "AuditRepo", "AuditRows", "IndexBox"]

_E = schema.event
_M = schema.message
_MR = schema.message_receipt
_MB = schema.member
_EVENTS_AT = "SELECT seq, kind, at_us, subject, party, told, body FROM event WHERE seq IN"
_VOLUME_SELECT = (
    "SELECT id, notice_id, idx, party, version, CASE WHEN active THEN 1 ELSE 0 END AS active, "
    "alt_lower_m, alt_upper_m, t_start_us, t_end_us, buffer_h_m, buffer_v_m, buffer_t_s, "
    "n_boxes, boxes, shape, audience FROM volume"
)
"""As the database holds them (no type applied: a value SQLAlchemy could not convert is a
finding, not a crash), ``active`` as ``WHERE active`` reads it."""
_VOLUME_ORDER = " ORDER BY notice_id, idx, id"
_volumes_of = sa.text(f"{_VOLUME_SELECT} WHERE notice_id IN :ids{_VOLUME_ORDER}").bindparams(
    sa.bindparam("ids", expanding=True)
)
_stray_volumes = sa.text(
    f"{_VOLUME_SELECT} WHERE NOT EXISTS (SELECT 1 FROM notice WHERE notice.id = "
    f"volume.notice_id){_VOLUME_ORDER}"
)
_BOX_COORDS = {
    # its dimensions, then lower corner and upper corner, as ``spatial.index_coords`` gives them
    "sqlite": "4, lon_min, lat_min, alt_min, t_min, lon_max, lat_max, alt_max, t_max",
    "postgresql": ", ".join(
        ["cube_dim(box)"]
        + [f"cube_ll_coord(box, {i})" for i in range(1, 5)]
        + [f"cube_ur_coord(box, {i})" for i in range(1, 5)]
    ),
}
_STRAY_BOXES = (
    "SELECT b.id, b.volume_id FROM volume_box b LEFT JOIN volume v ON v.id = b.volume_id "
    "WHERE v.id IS NULL OR b.id / {stride} <> b.volume_id "
    "OR b.id - b.volume_id * {stride} >= v.n_boxes{more} ORDER BY b.id"
)
_STRAY_MORE = {
    "sqlite": "",
    # a cube of other than four dimensions meets no query of detection's (``&&`` asks the
    # dimensions past a query's four to hold 0)
    "postgresql": " OR cube_dim(b.box) <> 4",
}

SERVED: dict[str, tuple[sa.Table, tuple[str, ...]]] = {
    "notice": (schema.notice, ("id",)),
    "notice_version": (schema.notice_version, ("notice_id", "version")),
    "conflict": (schema.conflict, ("id",)),
    "track_conflict": (schema.track_conflict, ("id",)),
    "conflict_ack": (schema.conflict_ack, ("conflict_id", "party")),
    "thread": (schema.thread, ("id",)),
    "thread_party": (schema.thread_party, ("thread_id", "party")),
    "message": (schema.message, ("id",)),
    "receipt": (schema.receipt, ("notice_id", "version", "party")),
    "message_receipt": (schema.message_receipt, ("message_id", "party")),
    "member": (schema.member, ("id",)),
}
"""The tables ``record verify`` re-derives from the event log, each with its primary key."""


def _select(table: str) -> sa.Select[Any]:
    t, _ = SERVED[table]
    if table == "message_receipt":  # with its message's thread, as the domain value holds it
        return sa.select(_MR, _M.c.thread_id).outerjoin(_M, _M.c.id == _MR.c.message_id)
    if table == "member":  # never the token hashes
        return sa.select(_MB.c.id, _MB.c.party, _MB.c.public_key, _MB.c.key_registered_us)
    return sa.select(t)


class AuditRepo(Protocol):
    """Whole-table reads for the audit of the served state (``store.audit``)."""

    def hold_snapshot(self) -> None:
        """Make every later read of this transaction see one snapshot of the database (call it
        first): the log and the tables it is compared with must not move apart meanwhile."""

    def served_page(self, table: str, after: tuple[Any, ...] | None, limit: int) -> list[Any]:
        """Up to ``limit`` rows of ``table`` (a key of ``SERVED``) after the primary key
        ``after``, in primary-key order; each has the table's columns as attributes."""

    def events_at(self, seqs: Iterable[int]) -> dict[int, EventRow]:
        """The stored events with these sequence numbers, by sequence number."""

    def volumes_of(self, notice_ids: Sequence[str]) -> list[Any]:
        """The ``volume`` rows of these notices, by notice, index and id; each has the table's
        columns as attributes."""

    def stray_volumes(self) -> list[Any]:
        """The ``volume`` rows whose notice is not in the store, as ``volumes_of`` gives them."""

    def index_boxes(self, box_ids: Sequence[int]) -> list[IndexBox]:
        """The ``volume_box`` rows with these ids (``spatial.BOX_STRIDE`` times the volume's id
        plus the box's index), in no order."""

    def stray_index_boxes(self) -> list[tuple[Any, Any]]:
        """(id, volume_id) of every ``volume_box`` row that is not one of a stored volume's
        boxes: its volume is gone, or its id is not one of the volume's ``n_boxes`` (or, on
        PostgreSQL, its cube is not of four dimensions); as the database holds them."""

    def index_problems(self) -> list[str]:
        """What is wrong with the structure of the index of boxes itself (SQLite: the R*Tree's
        own check, ``rtreecheck``: a tree whose nodes no longer hold their children hides boxes
        from a range query while a lookup by id still finds them); nothing when it is sound."""


class IndexBox(NamedTuple):
    """One ``volume_box`` row as the database holds it: its id, its volume, its dimensions (4
    on SQLite), and its box in index coordinates (lower corner then upper, as
    ``spatial.index_coords`` writes them; SQLite's R*Tree keeps them as 32-bit floats rounded
    outward). Nothing converted: a broken row is for the caller to name, not to crash on."""

    id: int
    volume_id: Any
    dims: Any
    coords: tuple[Any, ...]


class AuditRows:
    """The methods of ``AuditRepo``; mixed into ``SqlTx``."""

    _conn: sa.Connection
    _dialect: str

    def hold_snapshot(self) -> None:
        # SQLite: a read transaction keeps the snapshot of its first read until it ends.
        if self._dialect == "postgresql":
            self._conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    def served_page(self, table: str, after: tuple[Any, ...] | None, limit: int) -> list[Any]:
        t, key = SERVED[table]
        columns = [t.c[name] for name in key]
        query = _select(table)
        if after is not None:
            query = query.where(sa.tuple_(*columns) > sa.tuple_(*after))
        return list(self._conn.execute(query.order_by(*columns).limit(int(limit))))

    def events_at(self, seqs: Iterable[int]) -> dict[int, EventRow]:
        wanted: Sequence[int] = sorted(set(seqs))
        out: dict[int, EventRow] = {}
        mark = "%s" if self._dialect == "postgresql" else "?"
        for i in range(0, len(wanted), 500):
            chunk = tuple(wanted[i : i + 500])
            sql = f"{_EVENTS_AT} ({', '.join([mark] * len(chunk))})"
            out.update((r[0], EventRow(*r)) for r in self._conn.exec_driver_sql(sql, chunk))
        return out

    def volumes_of(self, notice_ids: Sequence[str]) -> list[Any]:
        if not notice_ids:
            return []
        return list(self._conn.execute(_volumes_of, {"ids": list(notice_ids)}))

    def stray_volumes(self) -> list[Any]:
        return list(self._conn.execute(_stray_volumes))

    def index_boxes(self, box_ids: Sequence[int]) -> list[IndexBox]:
        wanted = sorted(set(box_ids))
        out: list[IndexBox] = []
        mark = "%s" if self._dialect == "postgresql" else "?"
        coords = _BOX_COORDS[self._dialect]
        for i in range(0, len(wanted), 500):
            chunk = tuple(wanted[i : i + 500])
            sql = f"SELECT id, volume_id, {coords} FROM volume_box WHERE id IN "
            sql += f"({', '.join([mark] * len(chunk))})"
            out.extend(
                IndexBox(int(r[0]), r[1], r[2], tuple(r[3:]))
                for r in self._conn.exec_driver_sql(sql, chunk)
            )
        return out

    def stray_index_boxes(self) -> list[tuple[Any, Any]]:
        more = _STRAY_MORE[self._dialect]
        sql = _STRAY_BOXES.format(stride=spatial.BOX_STRIDE, more=more)
        return [(r[0], r[1]) for r in self._conn.exec_driver_sql(sql)]

    def index_problems(self) -> list[str]:
        if self._dialect != "sqlite":
            return []
        (said,) = self._conn.exec_driver_sql("SELECT rtreecheck('volume_box')").one()
        return [] if said == "ok" else [line for line in str(said).splitlines() if line]
