"""The store's SQL: statements built once at import (or cached per shape of query), row decoding.

Kept apart from ``sqlstore`` so the transaction code reads as the contract it implements.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import sqlalchemy as sa

from deconfliction.domain import AltitudeBand, Buffers, TimeWindow
from deconfliction.store import codec, schema, spatial
from deconfliction.store.base import VolumeRow

# Any constant every writer agrees on (PostgreSQL advisory lock key): "deconfln".
NOTICE_WRITE_LOCK = 0x6465_636F_6E66_6C6E

_NOTICE_COLUMNS = tuple(c.name for c in schema.notice.c)
_update_notice = schema.notice.update().where(schema.notice.c.id == sa.bindparam("key"))

_get_notice = sa.text("SELECT * FROM notice WHERE id = :id")
_notice_audiences = sa.text("SELECT id, party, audience FROM notice WHERE id IN :ids").bindparams(
    sa.bindparam("ids", expanding=True)
)
_notice_versions = sa.text("SELECT body FROM notice_version WHERE notice_id = :id ORDER BY version")
_max_volume_id = sa.text("SELECT coalesce(max(id), 0) FROM volume")
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
