"""The volumes strategic detection reads, held to the notices they belong to.

Strategic detection never reads a notice row: the in-memory index (``store.memindex``) is built
from the ``volume`` rows of active notices, and a track scan finds its candidates through their
index boxes (``volume_box``). So each row is held to what the line itself makes of the notice
it belongs to (the notice row, held to the log by ``served``), as ``service.notices`` makes it
(``detect_and_index``, then ``store.notices``):

- a notice in force (stored state ``active``, expired or not) has one row per volume, index
  ``0..n-1``, with its party, version and audience, ``active`` true, the volume's band and window
  and the notice's buffers; a withdrawn notice has none (withdrawal drops them);
- ``shape`` is ``geo.prepare(footprint).to_bytes()`` and ``boxes`` are ``index_boxes`` of it,
  recomputed here. Equal bytes are the common case; otherwise the decoded values are compared
  with tolerances far above floating-point noise and far below anything that moves a conflict
  (``ANGLE_TOL``, ``LENGTH_TOL``, ``METRE_TOL``, ``SECOND_TOL``): another machine's libm or
  PROJ may round a last bit differently, but a host that shrinks, moves or swaps a shape cannot
  hide in 0.1 mm. Points are compared as points of the sphere (at a pole every longitude is the
  same point), lengths relatively to the made value, and every stored value must be finite and
  in range (an infinite reach would make every pair look clear). The kind, the rings, the
  number of points and the radius must be equal (a recomputation could change the number of
  points only for an edge whose length is, to its last bit, a whole number of densifying
  steps);
- each box has its ``volume_box`` row (id ``volume id * BOX_STRIDE + k``, same volume, four
  dimensions) whose box contains it and is no larger than SQLite's rounding outward to 32-bit
  floats makes it (a box blown up to the world would send every scan every volume), no other
  row is there, and the index's own structure is sound (SQLite: ``rtreecheck``; a tree whose
  nodes no longer hold their children hides a box from the range query track scans ask, while
  the lookup by id here still finds it).

Rows of no notice, or of a notice no event tells of, are findings too. A notice row that
differs from its event in what its volumes are made of is named by ``served`` and its volumes
are not held to it. Holding a volume costs about 0.13 ms of CPU, two thirds of it making the
shape and boxes again (a circle's; docs/benchmarks.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from deconfliction.detect.strategic import Candidate, index_boxes
from deconfliction.domain import Buffers, Notice, NoticeState
from deconfliction.geo.box import Box4
from deconfliction.geo.shape import Shape, prepare
from deconfliction.store import codec, spatial
from deconfliction.store.base import Tx

__all__ = ["ANGLE_TOL", "LENGTH_TOL", "METRE_TOL", "SECOND_TOL", "VolumeCheck", "same_shape"]

ANGLE_TOL = 1e-9
"""Degrees a recomputed longitude or latitude may differ by (about 0.1 mm on the ground; the
rounding of a last bit is below 1e-13)."""
METRE_TOL = 1e-6
"""Metres an altitude may differ by."""
LENGTH_TOL = 1e-9
"""How much a shape's lengths (longest segment, reach) may differ by, relatively (0.1 mm in
100 km; a last bit is 1e-16)."""
SECOND_TOL = 1e-6
"""Seconds a box's time may differ by."""

_COORD_TOL = (ANGLE_TOL, ANGLE_TOL, METRE_TOL, SECOND_TOL) * 2
_INDEX_TOL = np.array([ANGLE_TOL, ANGLE_TOL, METRE_TOL, SECOND_TOL / 60.0])  # time: minutes
_F32_SLACK = 2.0**-22
"""Relative widening of an index box's bound past which it is larger than rounding outward to
32-bit floats (SQLite's R*Tree: 2**-24 relative) can make it."""
_NO_BUFFERS = Buffers()

Report = Callable[[str, str, int, str], None]
"""``report(table, row key, seq, what)``, as ``served.Report``."""


@dataclass(frozen=True, slots=True)
class _Made:
    """A volume row as the line makes it from its notice."""

    values: dict[str, Any]
    shape: Shape
    shape_bytes: bytes
    boxes: list[Box4]
    boxes_bytes: bytes


def _made(notice: Notice, index: int) -> _Made:
    volume = notice.volumes[index]
    shape = prepare(volume.footprint)
    mine = Candidate("", notice.party, volume.time, volume.altitude, shape, notice.buffers)
    boxes = index_boxes(mine, _NO_BUFFERS)
    b = notice.buffers
    values = {
        "party": notice.party,
        "version": notice.version,
        "active": True,
        "alt_lower_m": volume.altitude.lower_m,
        "alt_upper_m": volume.altitude.upper_m,
        "t_start_us": codec.dt_to_us(volume.time.start),
        "t_end_us": codec.dt_to_us(volume.time.end),
        "buffer_h_m": None if b is None else b.h_m,
        "buffer_v_m": None if b is None else b.v_m,
        "buffer_t_s": None if b is None else b.t_s,
        "n_boxes": len(boxes),
        "audience": codec.audience_to_text(notice.audience),
    }
    return _Made(values, shape, shape.to_bytes(), boxes, codec.boxes_to_bytes(boxes))


def _close(stored: float, made: float, tol: float) -> bool:
    """``stored`` within ``tol`` of ``made``, relatively: scaled by the made value only (a
    stored infinity is never close), and finite."""
    return math.isfinite(stored) and abs(stored - made) <= tol * max(1.0, abs(made))


_CHORD_TOL = math.radians(ANGLE_TOL)
"""``ANGLE_TOL`` of arc as a chord of the unit sphere."""


def _unit(lon: Any, lat: Any) -> npt.NDArray[np.float64]:
    lam, phi = np.radians(np.asarray(lon, np.float64)), np.radians(np.asarray(lat, np.float64))
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], -1)


def _same_points(lon: Any, lat: Any, made_lon: Any, made_lat: Any) -> bool:
    """Stored points on the ground within ``ANGLE_TOL`` of arc of the made ones, and well
    formed (finite, latitudes within +-90, longitudes within +-180). Compared as points of the
    sphere, not as numbers: at a pole any longitude is the same point, and a recomputation on
    another machine may give another one there; across the antimeridian 180 is -180."""
    lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
    if not (np.all(np.abs(lat) <= 90.0) and np.all(np.abs(lon) <= 180.0)):  # NaN fails too
        return False
    chord = np.linalg.norm(_unit(lon, lat) - _unit(made_lon, made_lat), axis=-1)
    return bool(np.all(chord <= _CHORD_TOL))


def same_shape(stored: Shape, made: Shape) -> bool:
    """Whether a stored shape is the one made, up to the last bits of a recomputation: the same
    kind, rings and points, radius exactly, points and centre within ``ANGLE_TOL`` of arc,
    segment and reach within ``LENGTH_TOL`` of the made ones, relatively; every value finite
    (an infinite reach would make every pair look clear)."""
    return (
        stored.code == made.code
        and stored.n_points == made.n_points
        and np.array_equal(stored.offsets, made.offsets)
        and stored.radius_m == made.radius_m
        and _same_points(stored.lon, stored.lat, made.lon, made.lat)
        and _same_points(stored.centre[0], stored.centre[1], made.centre[0], made.centre[1])
        and _close(stored.seg_m, made.seg_m, LENGTH_TOL)
        and _close(stored.reach_m, made.reach_m, LENGTH_TOL)
    )


def _values(b: Box4) -> tuple[float, ...]:
    return (b.lon_min, b.lat_min, b.alt_min, b.t_min, b.lon_max, b.lat_max, b.alt_max, b.t_max)


def same_boxes(stored: Sequence[Box4], made: Sequence[Box4]) -> bool:
    """Whether stored index boxes are the ones made, each value within its tolerance."""
    return len(stored) == len(made) and all(
        abs(x - y) <= tol
        for s, m in zip(stored, made, strict=True)
        for x, y, tol in zip(_values(s), _values(m), _COORD_TOL, strict=True)
    )


def _blob(value: Any) -> bytes | None:
    """A blob column's bytes (``None``: not a blob, as a host's SQLite can make it)."""
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else None


def _shown(fields: list[str]) -> str:
    one = len(fields) == 1 and fields[0] != "boxes"
    return f"{', '.join(fields)} {'differs' if one else 'differ'}"


@dataclass
class VolumeCheck:
    """Hold the volume rows, a page of notices at a time (``page``), then those of no notice
    and the stray index rows (``finish``)."""

    tx: Tx
    report: Report
    told: dict[str, list[int]]
    """The notices the log tells of: the sequence numbers of their versions."""

    def page(self, notices: dict[str, tuple[Notice | None, int | None]]) -> None:
        """``notices``: a page of notice rows, each as read (``None``: unreadable, a finding of
        its own) with the sequence number of the event that last told it (``None``: none)."""
        rows: dict[str, list[Any]] = {}
        for r in self.tx.volumes_of(list(notices)):
            rows.setdefault(r.notice_id, []).append(r)
        wanted: dict[int, tuple[str, int, Box4]] = {}  # index box id -> (key, seq, box)
        for notice_id, (notice, seq) in notices.items():
            mine = rows.get(notice_id, [])
            if seq is None:
                for r in mine:
                    self.report("volume", f"{notice_id}/{r.idx}", 0, "is in the store, but no "
                                "event of the log tells of its notice")  # fmt: skip
            elif notice is not None:
                self._notice(notice, seq, mine, wanted)
        self._index_rows(wanted)

    def _notice(
        self,
        notice: Notice,
        seq: int,
        rows: list[Any],
        wanted: dict[int, tuple[str, int, Box4]],
    ) -> None:
        if notice.state is not NoticeState.ACTIVE:
            for r in rows:
                self.report("volume", f"{notice.id}/{r.idx}", seq, f"is in the store, but its "
                            f"notice is {notice.state.value} (seq {seq}): a notice not in force "
                            "has no volumes")  # fmt: skip
            return
        held: set[int] = set()
        for r in rows:
            key = f"{notice.id}/{r.idx}"
            if type(r.idx) is not int or not 0 <= r.idx < len(notice.volumes):
                self.report("volume", key, seq, f"is in the store, but its notice (seq {seq}) "
                            f"has {len(notice.volumes)} volumes")  # fmt: skip
                continue
            if r.idx in held:
                self.report("volume", key, seq, "is in the store twice: a second row for this "
                            f"volume of the notice (seq {seq})")  # fmt: skip
                continue
            held.add(r.idx)
            try:
                made = _made(notice, r.idx)
            except Exception as exc:  # a notice row that reads but cannot be indexed
                self.report("volume", key, seq, "cannot be made from its notice "
                            f"({type(exc).__name__}: {exc})")  # fmt: skip
                continue
            try:
                self._row(key, seq, r, made)
            except Exception as exc:  # a row too broken to compare is itself the finding
                self.report("volume", key, seq, "the row cannot be read "
                            f"({type(exc).__name__}: {exc})")  # fmt: skip
                continue
            for k, box in enumerate(made.boxes):
                wanted[r.id * spatial.BOX_STRIDE + k] = (f"{key}/{k}", seq, box)
        for index in range(len(notice.volumes)):
            if index not in held:
                self.report("volume", f"{notice.id}/{index}", seq, "is told by the event log "
                            f"(seq {seq}) but missing from the store")  # fmt: skip

    def _row(self, key: str, seq: int, r: Any, made: _Made) -> None:
        fields = [name for name, value in made.values.items() if getattr(r, name) != value]
        shape, boxes = _blob(r.shape), _blob(r.boxes)
        if shape != made.shape_bytes:
            try:
                if shape is None or not same_shape(Shape.from_bytes(shape), made.shape):
                    fields.append("shape")
            except Exception:  # a blob too broken to read differs
                fields.append("shape")
        if boxes != made.boxes_bytes:
            try:
                if boxes is None or not same_boxes(codec.boxes_from_bytes(boxes), made.boxes):
                    fields.append("boxes")
            except Exception:
                fields.append("boxes")
        if fields:
            self.report("volume", key, seq, f"{_shown(fields)} from its notice as the event log "
                        f"tells it (seq {seq})")  # fmt: skip

    def _index_rows(self, wanted: dict[int, tuple[str, int, Box4]]) -> None:
        """Each box made has its index row, of its volume, holding it (compared a page at a
        time: a NaN holds nothing)."""
        if not wanted:
            return
        found = {b.id: b for b in self.tx.index_boxes(list(wanted))}
        held: list[int] = []
        coords: list[tuple[float, ...]] = []
        for box_id, (key, seq, _) in wanted.items():
            row = found.get(box_id)
            if row is None:
                self.report("volume_box", key, seq, "the volume's index box is missing: track "
                            "scans cannot find the volume there")  # fmt: skip
            elif row.volume_id != box_id // spatial.BOX_STRIDE:
                self.report("volume_box", key, seq, f"the index box names volume row "
                            f"{row.volume_id!r}, not its own")  # fmt: skip
            elif row.dims != 4:
                self.report("volume_box", key, seq, f"the index box has {row.dims!r} "
                            "dimensions, not 4: no query of detection meets it")  # fmt: skip
            else:
                try:
                    coords.append(tuple(float(x) for x in row.coords))
                except (TypeError, ValueError) as exc:
                    self.report("volume_box", key, seq, "the index box cannot be read "
                                f"({type(exc).__name__}: {exc})")  # fmt: skip
                    continue
                held.append(box_id)
        if not held:
            return
        stored = np.array(coords, dtype=np.float64)
        made = np.array([spatial.index_coords(wanted[i][2]) for i in held], dtype=np.float64)
        # holds the made box (SQLite rounds outward to 32-bit floats) ...
        holds = np.all(stored[:, :4] <= made[:, :4] + _INDEX_TOL, axis=1) & np.all(
            stored[:, 4:] >= made[:, 4:] - _INDEX_TOL, axis=1
        )
        # ... and no more than that rounding: a box blown up to the world would send every
        # track scan every volume
        slack = np.tile(_INDEX_TOL, 2) + np.abs(made) * _F32_SLACK
        tight = np.all(stored[:, :4] >= made[:, :4] - slack[:, :4], axis=1) & np.all(
            stored[:, 4:] <= made[:, 4:] + slack[:, 4:], axis=1
        )
        for i in np.flatnonzero(~holds).tolist():
            key, seq, _ = wanted[held[i]]
            self.report("volume_box", key, seq, "the index box does not hold the volume's box "
                        f"as its notice makes it (seq {seq})")  # fmt: skip
        for i in np.flatnonzero(holds & ~tight).tolist():
            key, seq, _ = wanted[held[i]]
            self.report("volume_box", key, seq, "the index box is larger than the volume's box "
                        f"as its notice makes it (seq {seq}), past rounding")  # fmt: skip

    def finish(self) -> None:
        """The volume rows of no notice in the store, and the index rows of no volume box."""
        for r in self.tx.stray_volumes():
            told = self.told.get(r.notice_id)
            if told:
                self.report("volume", f"{r.notice_id}/{r.idx}", told[-1], "is in the store, "
                            "but its notice is not")  # fmt: skip
            else:
                self.report("volume", f"{r.notice_id}/{r.idx}", 0, "is in the store, but no "
                            "event of the log tells of its notice")  # fmt: skip
        for box_id, volume_id in self.tx.stray_index_boxes():
            self.report("volume_box", str(box_id), 0, f"is in the store (for volume row "
                        f"{volume_id!r}), but is no box of a stored volume")  # fmt: skip
        for problem in self.tx.index_problems():
            self.report("volume_box", "(index)", 0, f"the index of boxes is broken ({problem}): "
                        "a range query, as track scans ask, may miss volumes")  # fmt: skip
