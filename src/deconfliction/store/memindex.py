"""The active volumes in memory, one index per process: strategic candidates without a query.

The store (the ``volume`` table and its R*Tree or GiST index) stays the record; this is a copy of
what strategic detection reads from it, built from it at first use and kept in step with it. Per
volume it holds the notice id, volume index, party, version, audience and whether the notice is
protected (which grades every conflict with it a caution, so a checked write needs no query for
it), the prepared ``geo.Shape`` decoded once (the exact test's input, as a
``detect.strategic.Candidate``), and its 4-D index boxes (the same boxes the store indexes:
antimeridian halves, polar caps, own buffers).

Finding candidates: a tree over the boxes of a large base (``store.lanes.LaneTree``: shapely 2's
``STRtree``, GEOS in C, over longitude and latitude, with the boxes laid out in lanes of time so
that a question about the next hours does not get back the boxes of every other day), plus a
small delta of boxes added since the tree was built, compared in numpy; then altitude
and time are compared for all hits at once, and deletions are a mask (a removed volume's boxes
stay in the arrays, dead, until the next rebuild). The tree is immutable, so it is rebuilt
from the live boxes when the delta or the dead outgrow a share of the base (LSM style): the delta
stays small enough that a brute-force numpy pass over it costs less than the tree query. The
answer is exactly the set of stored volumes whose boxes meet a query box in all four dimensions
(closed intervals, float64); the R*Tree stores 32-bit floats rounded outward, so it may return a
few more, never fewer. The exact decision stays ``detect.strategic.conflicts_with``.

Why this is correct across processes and nodes. Every notice write (``store.notices``) appends a
row to ``notice_change`` numbered ``MAX(seq) + 1`` under the notice write lock (SQLite's single
writer; PostgreSQL's advisory lock, taken by the store if the caller has not), so the numbers are
gap-free and commit in order. The index is stamped with the number it reflects. A checked write
takes the lock, then asks :meth:`VolumeIndex.nearby`, which first reads ``MAX(seq)`` (one probe
of a primary key) and, if another process or node committed notice changes since, reloads the
volumes of those notices from the store before answering. Holding the lock, no other writer can
commit a change in between (and under READ COMMITTED each statement sees every commit made
before it), so the index answers from exactly the state the SQL candidate query would see: a
true conflict is never missed, whoever wrote the other notice. A transaction's own writes are
applied after it commits, and only if the index was at the position just before them (otherwise
the next catch-up reloads them from the store); a transaction that rolls back applies nothing.
A reader without the lock (the radius query) may find the index ahead of its own snapshot; it
then answers from the index as it stands.
Expiry is not a write: a notice whose window has ended keeps its volumes in the store's index
and here alike, and the time dimension keeps them out of answers about later times.

Written here because no well-kept library keeps a mutable 4-D box index in step with a SQL store
across processes; the spatial part is shapely's STRtree and numpy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from deconfliction.detect.strategic import Candidate
from deconfliction.domain import AltitudeBand, Audience, Buffers, TimeWindow
from deconfliction.geo import Shape
from deconfliction.geo.box import Box4
from deconfliction.store import codec
from deconfliction.store.lanes import LaneTree

__all__ = ["Change", "HeldVolume", "Pending", "VolumeIndex"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_top_sql = sa.text("SELECT coalesce(max(seq), 0) FROM notice_change")
_changed_sql = sa.text(
    "SELECT DISTINCT notice_id FROM notice_change WHERE seq > :after AND seq <= :upto"
)
_COLUMNS = (
    "v.id, v.notice_id, v.idx, v.party, v.version, v.alt_lower_m, v.alt_upper_m, v.t_start_us, "
    "v.t_end_us, v.buffer_h_m, v.buffer_v_m, v.buffer_t_s, v.boxes, v.shape, v.audience, "
    "n.protected"
)
# an inner join drops no volume the store's candidate query would return: v0001's foreign key
# (ON DELETE CASCADE) holds every volume row to its notice's row
_FROM = "FROM volume v JOIN notice n ON n.id = v.notice_id WHERE v.active"
_ALL = f"SELECT {_COLUMNS} {_FROM}"
_of_sql = sa.text(f"SELECT {_COLUMNS} {_FROM} AND v.notice_id IN :ids").bindparams(
    sa.bindparam("ids", expanding=True)
)

_BOX_BYTES = 64
"""One box in ``codec.boxes_to_bytes``: eight little-endian float64."""

_RELOAD_SHARE = 4
"""Catching up on more changed notices than 1/this of the held ones reloads everything."""
_MIN_DELTA = 4096
_MAX_DELTA = 32768
_DELTA_SHARE = 8
"""Rebuild the tree when the delta holds more than base / _DELTA_SHARE boxes (kept between
_MIN_DELTA and _MAX_DELTA: a numpy pass over 32k boxes is ~0.3 ms; a rebuild of 1M ~2 s), or the
dead more than base / _DEAD_SHARE."""
_DEAD_SHARE = 4


class HeldVolume:
    """One stored volume of an active notice, as detection and need-to-know read it."""

    __slots__ = (
        "_candidate",
        "_shape",
        "altitude",
        "audience",
        "buffers",
        "index",
        "notice_id",
        "party",
        "protected",
        "time",
        "version",
        "volume_id",
    )

    def __init__(
        self,
        volume_id: int,
        notice_id: str,
        index: int,
        party: str,
        version: int,
        altitude: AltitudeBand,
        time: TimeWindow,
        buffers: Buffers | None,
        audience: Audience,
        shape: bytes | Shape,
        protected: bool,
    ) -> None:
        self.volume_id = volume_id
        self.notice_id = notice_id
        self.index = index
        self.party = party
        self.version = version
        self.altitude = altitude
        self.time = time
        self.buffers = buffers
        self.audience = audience
        self.protected = protected
        """Whether the volume's notice is protected (its conflicts are cautions)."""
        self._shape = shape
        self._candidate: Candidate | None = None

    @property
    def candidate(self) -> Candidate:
        """The volume as the exact test takes it (its shape decoded once, on first use)."""
        c = self._candidate
        if c is None:
            shape = self._shape
            if not isinstance(shape, Shape):
                shape = self._shape = Shape.from_bytes(shape)
            c = self._candidate = Candidate(
                f"{self.notice_id}#{self.index}",
                self.party,
                self.time,
                self.altitude,
                shape,
                self.buffers,
            )
        return c

    def touched(self, version: int, audience: Audience, protected: bool) -> HeldVolume:
        """The same volume under a new version of its notice that kept its volumes."""
        held = HeldVolume(
            self.volume_id,
            self.notice_id,
            self.index,
            self.party,
            version,
            self.altitude,
            self.time,
            self.buffers,
            audience,
            self._shape,
            protected,
        )
        held._candidate = self._candidate  # the same shape, window, band and buffers
        return held


@dataclass(frozen=True, slots=True)
class Change:
    """What one notice write did to the active volumes of ``notice_id``.

    ``volumes`` (each with its index boxes as ``codec.boxes_to_bytes`` stores them) replace the
    notice's held volumes; or, when ``None``, the notice kept its volumes and only ``version``,
    ``audience``, ``protected`` and ``active`` changed."""

    notice_id: str
    volumes: tuple[tuple[HeldVolume, bytes], ...] | None
    version: int = 0
    audience: Audience | None = None
    active: bool = True
    protected: bool | None = None

    def __post_init__(self) -> None:
        # a protected notice's conflicts are cautions: its volumes may not forget it by default
        if self.volumes is None and self.active and self.protected is None:
            raise ValueError(f"the change of {self.notice_id!r} keeps its volumes: say protected")


@dataclass(slots=True)
class Pending:
    """A transaction's notice changes, numbered ``first`` to ``last`` in ``notice_change``."""

    first: int
    last: int
    changes: list[Change]


def _held_from_row(r: Any, audiences: dict[str, Audience]) -> tuple[HeldVolume, bytes]:
    text = r[14]
    audience = audiences.get(text)
    if audience is None:
        audience = audiences[text] = codec.audience_from_text(text)
    held = HeldVolume(
        volume_id=int(r[0]),
        notice_id=r[1],
        index=r[2],
        party=r[3],
        version=r[4],
        altitude=AltitudeBand(r[5], r[6]),
        time=TimeWindow(codec.dt_from_us(r[7]), codec.dt_from_us(r[8])),
        buffers=None if r[9] is None else Buffers(r[9], r[10], r[11]),
        audience=audience,
        shape=bytes(r[13]),
        protected=bool(r[15]),
    )
    return held, bytes(r[12])


def _volume_id(held: HeldVolume) -> int:
    return held.volume_id


def _box_array(boxes: Sequence[Box4]) -> F64:
    return np.array(
        [
            (b.lon_min, b.lat_min, b.alt_min, b.t_min, b.lon_max, b.lat_max, b.alt_max, b.t_max)
            for b in boxes
        ],  # fmt: skip
        dtype=np.float64,
    ).reshape(-1, 8)


class VolumeIndex:
    """The active volumes of one store, in memory; thread-safe (one lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.position: int | None = None
        """The ``notice_change`` number this index reflects; ``None`` until built."""
        self._clear()

    def _clear(self) -> None:
        self._held: list[HeldVolume | None] = []  # by slot
        self._slot_boxes: list[int] = []  # by slot: how many boxes
        self._by_notice: dict[str, list[int]] = {}
        self._alive = np.zeros(0, dtype=bool)  # by slot
        self._coords = np.zeros((0, 8), dtype=np.float64)  # by box: lo x4, hi x4
        self._slot = np.zeros(0, dtype=np.int64)  # by box
        self._n = 0  # boxes in use
        self._base = 0  # boxes [0, _base) are in the tree
        self._tree: LaneTree | None = None
        self._dead = 0  # dead boxes in the arrays
        self._live = 0  # live volumes

    def __len__(self) -> int:
        return self._live

    # -- reading --------------------------------------------------------------------------------

    def nearby(
        self, conn: sa.Connection, boxes: Sequence[Box4], exclude_notice: str | None = None
    ) -> list[HeldVolume]:
        """Held volumes with an index box meeting any of ``boxes`` in all four dimensions,
        ordered by volume id, after catching up on ``conn`` with notice changes committed
        elsewhere. Call it holding the notice write lock to decide a write (see the module)."""
        with self._lock:
            self._catch_up(conn)
            if not boxes or self._n == 0:
                return []
            slots = self._query(_box_array(boxes))
            out = [h for s in slots.tolist() if (h := self._held[s]) is not None]
        if exclude_notice is not None:
            out = [h for h in out if h.notice_id != exclude_notice]
        out.sort(key=_volume_id)
        return out

    def warm(self, conn: sa.Connection) -> int:
        """Build (or catch up) now, rather than on the first checked write; the volumes held."""
        with self._lock:
            self._catch_up(conn)
            return self._live

    def _query(self, q: F64) -> I64:
        n, base = self._n, self._base
        coords = self._coords
        hit_boxes: list[I64] = []
        if self._tree is not None and base:
            qi, ti = self._tree.query(q)
            if len(ti):
                hit_boxes.append(ti[_meet(coords[ti], q if len(q) == 1 else q[qi])])
        if n > base:
            d = coords[base:n]
            ok = np.zeros(n - base, dtype=bool)
            for box in q:  # the delta against one query box at a time, as the tree's hits
                ok |= _meet(d, box[None, :])
            hit_boxes.append(base + np.flatnonzero(ok))
        if not hit_boxes:
            return np.zeros(0, dtype=np.int64)
        slots = np.unique(self._slot[np.concatenate(hit_boxes)])
        return slots[self._alive[slots]]

    # -- keeping in step ------------------------------------------------------------------------

    def apply(self, pending: Pending) -> None:
        """A committed transaction's own changes, if the index stood just before them."""
        with self._lock:
            if self.position is None or self.position != pending.first - 1:
                return  # not built, or behind: the next catch-up reads them from the store
            for change in pending.changes:
                self._change(change)
            self.position = pending.last
            self._maybe_rebuild()

    def _catch_up(self, conn: sa.Connection) -> None:
        top = int(conn.execute(_top_sql).scalar_one())
        if self.position is None:
            self._load_all(conn, top)
            return
        if top <= self.position:
            # Nothing new; or a read whose snapshot began before a commit this index has
            # already taken (the index is ahead of it, never behind a writer holding the lock).
            return
        ids = list(conn.execute(_changed_sql, {"after": self.position, "upto": top}).scalars())
        if len(ids) * _RELOAD_SHARE > max(self._live, 1000):
            self._load_all(conn, top)
            return
        found: dict[str, list[tuple[HeldVolume, bytes]]] = {i: [] for i in ids}
        audiences: dict[str, Audience] = {}
        for start in range(0, len(ids), 500):
            for r in conn.execute(_of_sql, {"ids": ids[start : start + 500]}):
                found[r[1]].append(_held_from_row(r, audiences))
        for notice_id, volumes in found.items():
            volumes.sort(key=lambda hv: hv[0].volume_id)
            self._change(Change(notice_id, tuple(volumes)))
        self.position = top
        self._maybe_rebuild()

    def _load_all(self, conn: sa.Connection, top: int) -> None:
        """Everything active, read after ``top`` (so what it reads is at least that new)."""
        self._clear()
        audiences: dict[str, Audience] = {}
        cursor = conn.connection.cursor()  # straight to the driver: every active volume's row
        try:
            cursor.execute(_ALL)
            rows = [_held_from_row(r, audiences) for r in cursor.fetchall()]
        finally:
            cursor.close()
        rows.sort(key=lambda hv: hv[0].volume_id)
        self._add(rows)
        self.position = top
        self._rebuild()

    def _change(self, change: Change) -> None:
        slots = self._by_notice.get(change.notice_id, [])
        if change.volumes is None:
            if not change.active or change.audience is None:
                self._remove(change.notice_id)
                return
            for s in slots:
                held = self._held[s]
                if held is not None:
                    protected = bool(change.protected)
                    self._held[s] = held.touched(change.version, change.audience, protected)
            return
        self._remove(change.notice_id)
        self._add(change.volumes)

    def _remove(self, notice_id: str) -> None:
        for s in self._by_notice.pop(notice_id, ()):
            if self._held[s] is not None:
                self._held[s] = None
                self._alive[s] = False
                self._live -= 1
                self._dead += self._slot_boxes[s]

    def _add(self, volumes: Iterable[tuple[HeldVolume, bytes]]) -> None:
        volumes = list(volumes)
        if not volumes:
            return
        first_slot = len(self._held)
        blobs: list[bytes] = []
        box_slots: list[int] = []
        for k, (held, blob) in enumerate(volumes):
            slot = first_slot + k
            n_boxes = len(blob) // _BOX_BYTES
            self._held.append(held)
            self._slot_boxes.append(n_boxes)
            self._by_notice.setdefault(held.notice_id, []).append(slot)
            blobs.append(blob)
            box_slots.extend([slot] * n_boxes)
        self._live += len(volumes)
        self._alive = _grown(self._alive, len(self._held), True)
        self._alive[first_slot:] = True
        m = len(box_slots)
        if not m:
            return
        need = self._n + m
        self._coords = _grown(self._coords, need, 0.0)
        self._slot = _grown(self._slot, need, 0)
        # the stored blob is the index's own layout: lo (lon, lat, alt, t), hi, little-endian f8
        self._coords[self._n : need] = np.frombuffer(b"".join(blobs), "<f8").reshape(-1, 8)
        self._slot[self._n : need] = box_slots
        self._n = need

    def _maybe_rebuild(self) -> None:
        delta = self._n - self._base
        if delta > max(_MIN_DELTA, min(_MAX_DELTA, self._base // _DELTA_SHARE)) or (
            self._dead > max(_MIN_DELTA, self._base // _DEAD_SHARE)
        ):
            self._rebuild()

    def _rebuild(self) -> None:
        """The live boxes in a new tree; the delta and the dead are gone."""
        n = self._n
        keep = self._alive[self._slot[:n]]
        coords = self._coords[:n][keep]
        slots = self._slot[:n][keep]
        live = len(slots)
        # room for the delta that comes before the next rebuild: the first add after a rebuild
        # would otherwise copy the whole base (64 MB at a million boxes) in some writer's time
        room = live + _MAX_DELTA + 1
        self._coords = np.zeros((room, 8), dtype=np.float64)
        self._coords[:live] = coords
        self._slot = np.zeros(room, dtype=np.int64)
        self._slot[:live] = slots
        self._n = self._base = live
        self._dead = 0
        self._tree = LaneTree(coords) if live else None


def _meet(hit: F64, q: F64) -> npt.NDArray[np.bool_]:
    """Which boxes ``hit`` (rows as ``_coords`` holds them) meet their query box in all four
    dimensions (closed intervals): ``q`` holds one query box per row, or one box for all (the
    tree's hits, and the delta box by box).

    The rows are gathered whole (one cache line each; at a million volumes a query's ~50,000
    hits are scattered over 64 MB) and compared a bound at a time, with no temporary the size of
    the hits times the bounds."""
    ok = np.ones(len(hit), dtype=bool)
    for k in range(4):
        ok &= hit[:, k] <= q[:, k + 4]
        ok &= q[:, k] <= hit[:, k + 4]
    return ok


def _grown(a: npt.NDArray[Any], size: int, fill: Any) -> npt.NDArray[Any]:
    """``a`` with room for at least ``size`` rows (doubling), new rows set to ``fill``."""
    if len(a) >= size:
        return a
    cap = max(size, 2 * len(a), 1024)
    out = np.full((cap, *a.shape[1:]), fill, dtype=a.dtype)
    out[: len(a)] = a
    return out
