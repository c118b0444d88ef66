"""``record verify`` holds the volumes strategic detection reads to the notices they belong to:
a host that deletes a volume row, switches it off, shifts its window, shrinks or swaps its
shape or index boxes, gives it to another party or plants one — which would silence conflict
detection for that notice while the notice itself reads as declared — is named by volume
(``<notice>/<index>``), with the event that last told the notice."""

from __future__ import annotations

import contextlib
import math
import sqlite3
import struct
from collections.abc import Iterator
from dataclasses import astuple, dataclass
from typing import Any

import numpy as np
import pytest

from deconfliction.domain import Footprint, FootprintKind
from deconfliction.geo.shape import Shape, prepare
from deconfliction.service.record import advance
from deconfliction.service.record.verify import Verification, verify_store
from deconfliction.service.record.volumes import same_shape
from deconfliction.store import SqlStore, codec, schema
from tests.api.conftest import Api, make_api, notice, square
from tests.conftest import STORE_KINDS, MakeStore
from tests.service.record.test_served import _ok, named, sql

WINDOW = {"start": "2026-11-25T13:00:00Z", "end": "2026-11-25T15:00:00Z"}
CIRCLE = {
    "footprint": {"type": "Point", "coordinates": [40.3, 35.2]},
    "radius_m": 5000,
    "altitude": {"lower_m": 0, "upper_m": 1500},
    "time": WINDOW,
}
CORRIDOR = {
    "footprint": {"type": "LineString", "coordinates": [[40.0, 35.4], [40.4, 35.6]]},
    "half_width_m": 2000,
    "time": WINDOW,
}

ACROSS = {
    "footprint": {"type": "LineString", "coordinates": [[179.9, -16.0], [-179.9, -16.1]]},
    "half_width_m": 3000,
    "altitude": {"lower_m": None, "upper_m": 2000},
    "time": WINDOW,
}
HOLED = {
    "footprint": {"type": "Polygon", "coordinates": [
        [[44.0, 35.0], [44.2, 35.0], [44.2, 35.2], [44.0, 35.2], [44.0, 35.0]],
        [[44.05, 35.05], [44.05, 35.15], [44.15, 35.15], [44.15, 35.05], [44.05, 35.05]],
    ]},
    "time": WINDOW,
}  # fmt: skip
POLAR = {"footprint": {"type": "Point", "coordinates": [10.0, 88.9]}, "radius_m": 20_000,
         "time": WINDOW}  # fmt: skip


@dataclass
class Indexed:
    """A line whose notices cover every way volume rows are written: ids of its notices."""

    api: Api
    several: str  # blue's: a square, a circle and a corridor, shared with red
    moved: str  # red's: updated onto another square (its volume rows made again)
    kept: str  # aid's: updated with the same volume (a new title)
    buffered: str  # red's, with buffers of its own, conflicting with blue's square
    withdrawn: str  # blue's, withdrawn: no volume rows
    far: str  # aid's: across the antimeridian (two index boxes), a polygon with a hole, a pole

    @property
    def store(self) -> SqlStore:
        store = self.api.line.store
        assert isinstance(store, SqlStore)
        return store


def _put(api: Api, who: str, notice_id: str, body: Any) -> None:
    headers = api.headers(who, **{"If-Match": '"1"'})
    _ok(api.client.put(f"/v1/notices/{notice_id}", json=body, headers=headers))


def indexed_line(api: Api) -> Indexed:
    made = {}
    made["several"] = notice(square(40.0, 35.0), CIRCLE, CORRIDOR, audience=["red"])
    made["moved"] = notice(square(41.0, 35.0))
    made["kept"] = notice(square(42.0, 35.0))
    made["buffered"] = notice(square(40.05, 35.0)) | {"buffers": {"h_m": 2000, "t_s": 600}}
    made["withdrawn"] = notice(square(43.0, 35.0))
    made["far"] = notice(ACROSS, HOLED, POLAR)
    who = {"several": "blue", "moved": "red", "kept": "aid", "buffered": "red", "withdrawn": "blue",
           "far": "aid"}  # fmt: skip
    ids = {k: _ok(api.post(who[k], body), 201)["notice"]["id"] for k, body in made.items()}
    _put(api, "red", ids["moved"], notice(square(41.5, 35.2, 0.05)))
    _put(api, "aid", ids["kept"], made["kept"] | {"title": "Same place, new title"})
    _ok(api.client.delete(f"/v1/notices/{ids['withdrawn']}", headers=api.headers("blue")))
    advance(api.line)
    return Indexed(api, **ids)


@pytest.fixture(params=STORE_KINDS)
def line(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[Indexed]:
    api = make_api(make_store(request.param))
    with api.client:
        yield indexed_line(api)


def check(line: Indexed, host: bool = True) -> Verification:
    labels = line.api.line.labels if host else None
    return verify_store(line.store, line.api.line.signer.verifier(), labels=labels)


def query(line: Indexed, statement: str, *params: Any) -> list[Any]:
    with line.store.read() as tx:
        mark = "%s" if tx._dialect == "postgresql" else "?"
        return list(tx._conn.exec_driver_sql(statement.replace("?", mark), tuple(params)))


def unchecked(line: Indexed, statement: str, *params: Any) -> None:
    """``statement`` past the foreign keys, as a host with the database's own tools can."""
    url = line.store.url
    if url.startswith("postgresql"):
        with line.store.transaction() as tx:
            tx._conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            tx._conn.exec_driver_sql(statement.replace("?", "%s"), tuple(params))
        return
    with contextlib.closing(sqlite3.connect(url.split("///", 1)[1])) as db:  # keys off
        db.execute(statement, params)
        db.commit()


def volume_id(line: Indexed, notice_id: str, idx: int) -> int:
    ((vid,),) = query(line, "SELECT id FROM volume WHERE notice_id = ? AND idx = ?", notice_id, idx)
    return int(vid)


def told(line: Indexed, notice_id: str) -> int:
    """The event that last told the notice."""
    with line.store.read() as tx:
        seqs = [r.seq for r in tx.event_rows(0) if r.subject == notice_id and
                r.kind.startswith("notice.")]  # fmt: skip
    return seqs[-1]


def differs(line: Indexed, notice_id: str, idx: int, said: str) -> tuple[str, str, str]:
    """The finding of volume ``idx`` of ``notice_id`` whose ``said`` ("shape differs", "boxes
    differ") is held against the event that last told its notice."""
    seq = told(line, notice_id)
    return ("volume", f"{notice_id}/{idx}",
            f"{said} from its notice as the event log tells it (seq {seq})")  # fmt: skip


def test_an_honest_line_verifies_with_every_volume_held(line: Indexed) -> None:
    found = check(line)
    assert found.ok, [str(p) for p in found.problems]
    assert check(line, host=False).ok
    counts = dict(query(line, "SELECT notice_id, count(*) FROM volume GROUP BY notice_id"))
    assert counts == {line.several: 3, line.moved: 1, line.kept: 1, line.buffered: 1, line.far: 3}
    (across,) = query(line, "SELECT n_boxes FROM volume WHERE notice_id = ? AND idx = 0", line.far)
    assert across[0] == 2  # one index box each side of the antimeridian
    (conflicts,) = query(line, "SELECT count(*) FROM conflict")
    assert conflicts[0] >= 1  # the buffered notice meets blue's square: detection saw them


def test_a_deleted_volume_row_is_named(line: Indexed) -> None:
    sql(line.store, "DELETE FROM volume WHERE notice_id = ? AND idx = 1", line.several)
    seq = told(line, line.several)
    found = named(check(line))
    assert [p for p in found if p[0] == "volume"] == [("volume", f"{line.several}/1",
        f"is told by the event log (seq {seq}) but missing from the store")]  # fmt: skip
    # SQLite's R*Tree has no foreign key: the volume's index boxes stay behind, and are named
    left = [p for p in found if p[0] != "volume"]
    assert all(p[0] == "volume_box" and "is no box of a stored volume" in p[2] for p in left)
    assert len(left) == (0 if line.store.url.startswith("postgresql") else 1)


def test_a_volume_switched_off_is_named(line: Indexed) -> None:
    sql(line.store, "UPDATE volume SET active = false WHERE notice_id = ?", line.buffered)
    assert named(check(line)) == [differs(line, line.buffered, 0, "active differs")]


def test_a_shifted_window_and_band_are_named(line: Indexed) -> None:
    sql(line.store, "UPDATE volume SET t_start_us = t_start_us + 3600000000, t_end_us = "
        "t_end_us + 3600000000, alt_lower_m = 1000 WHERE notice_id = ? AND idx = 1",
        line.several)  # fmt: skip
    said = "alt_lower_m, t_start_us, t_end_us differ"
    assert named(check(line)) == [differs(line, line.several, 1, said)]


def test_a_volume_given_to_another_party_or_audience_is_named(line: Indexed) -> None:
    sql(line.store, "UPDATE volume SET party = 'blue' WHERE notice_id = ?", line.moved)
    sql(line.store, "UPDATE volume SET audience = ',blue,' WHERE notice_id = ? AND idx = 2",
        line.several)  # fmt: skip
    assert sorted(named(check(line))) == sorted(
        [differs(line, line.moved, 0, "party differs"),
         differs(line, line.several, 2, "audience differs")]
    )  # fmt: skip


def _set_blob(line: Indexed, column: str, blob: bytes, notice_id: str, idx: int = 0) -> None:
    sql(line.store, f"UPDATE volume SET {column} = ? WHERE notice_id = ? AND idx = ?", blob,
        notice_id, idx)  # fmt: skip


def test_a_shrunk_shape_is_named(line: Indexed) -> None:
    small = prepare(Footprint(FootprintKind.CIRCLE, (((40.3, 35.2),),), 50.0))
    _set_blob(line, "shape", small.to_bytes(), line.several, 1)
    assert named(check(line)) == [differs(line, line.several, 1, "shape differs")]


def test_a_shape_swapped_for_another_volumes_is_named(line: Indexed) -> None:
    ((far,),) = query(line, "SELECT shape FROM volume WHERE notice_id = ?", line.kept)
    _set_blob(line, "shape", bytes(far), line.buffered)
    assert named(check(line)) == [differs(line, line.buffered, 0, "shape differs")]


def test_a_shape_that_is_no_blob_is_a_finding_not_a_crash(line: Indexed) -> None:
    sql(line.store, "UPDATE volume SET shape = 'not a shape' WHERE notice_id = ?", line.kept)
    assert named(check(line)) == [differs(line, line.kept, 0, "shape differs")]


def test_shrunk_boxes_are_named(line: Indexed) -> None:
    ((blob,),) = query(line, "SELECT boxes FROM volume WHERE notice_id = ?", line.moved)
    (box,) = codec.boxes_from_bytes(bytes(blob))
    shrunk = type(box)(box.lon_min, box.lat_min, box.alt_min, box.t_min, box.lon_min + 0.001,
                       box.lat_max, box.alt_max, box.t_max)  # fmt: skip
    _set_blob(line, "boxes", codec.boxes_to_bytes([shrunk]), line.moved)
    assert named(check(line)) == [differs(line, line.moved, 0, "boxes differ")]


def test_a_shape_off_in_its_last_bits_is_no_finding(line: Indexed) -> None:
    """Another machine may round a last bit differently: that is not a tampered shape; a metre
    is."""
    ((blob,),) = query(line, "SELECT shape FROM volume WHERE notice_id = ? AND idx = 2",
                       line.several)  # fmt: skip
    shape = Shape.from_bytes(bytes(blob))
    lon = np.nextafter(shape.lon, np.inf)
    nudged = Shape(shape.kind, lon, shape.lat, shape.offsets, shape.radius_m,
                   np.nextafter(shape.seg_m, 0.0), shape.centre, shape.reach_m)  # fmt: skip
    assert nudged.to_bytes() != bytes(blob)
    _set_blob(line, "shape", nudged.to_bytes(), line.several, 2)
    ((blob,),) = query(line, "SELECT boxes FROM volume WHERE notice_id = ? AND idx = 2",
                       line.several)  # fmt: skip
    boxes = [type(b)(*np.nextafter(astuple(b), np.inf).tolist())
             for b in codec.boxes_from_bytes(bytes(blob))]  # fmt: skip
    assert codec.boxes_to_bytes(boxes) != bytes(blob)
    _set_blob(line, "boxes", codec.boxes_to_bytes(boxes), line.several, 2)
    assert check(line).ok
    lon[0] += 1e-5  # a metre: a moved shape
    moved = Shape(shape.kind, lon, shape.lat, shape.offsets, shape.radius_m, shape.seg_m,
                  shape.centre, shape.reach_m)  # fmt: skip
    _set_blob(line, "shape", moved.to_bytes(), line.several, 2)
    assert [p[2].split(" ")[0] for p in named(check(line))] == ["shape"]


def test_planted_volume_rows_are_named(line: Indexed) -> None:
    columns = ", ".join(c.name for c in schema.volume.c if c.name not in ("id", "idx", "notice_id"))
    top = max(r[0] for r in query(line, "SELECT id FROM volume"))
    for i, (notice_id, idx) in enumerate(
        [(line.several, 3), (line.withdrawn, 0), ("planted", 0)], 1
    ):
        unchecked(line, f"INSERT INTO volume (id, notice_id, idx, {columns}) SELECT ?, ?, ?, "
                  f"{columns} FROM volume WHERE notice_id = ?", top + i, notice_id, idx,
                  line.buffered)  # fmt: skip
    several, withdrawn = told(line, line.several), told(line, line.withdrawn)
    assert sorted(named(check(line))) == sorted([
        ("volume", f"{line.several}/3",
         f"is in the store, but its notice (seq {several}) has 3 volumes"),
        ("volume", f"{line.withdrawn}/0",
         f"is in the store, but its notice is withdrawn (seq {withdrawn}): a notice not in "
         "force has no volumes"),
        ("volume", "planted/0",
         "is in the store, but no event of the log tells of its notice"),
    ])  # fmt: skip


def test_a_deleted_or_shrunk_index_box_is_named(line: Indexed) -> None:
    gone, shrunk = volume_id(line, line.several, 0), volume_id(line, line.buffered, 0)
    stride = 256
    sql(line.store, "DELETE FROM volume_box WHERE id = ?", gone * stride)
    if line.store.url.startswith("postgresql"):
        sql(line.store, "UPDATE volume_box SET box = cube_enlarge(box, -0.001, 4) WHERE id = ?",
            shrunk * stride)  # fmt: skip
    else:
        sql(line.store, "UPDATE volume_box SET lon_max = lon_max - 0.001 WHERE id = ?",
            shrunk * stride)  # fmt: skip
    several, buffered = told(line, line.several), told(line, line.buffered)
    assert sorted(named(check(line))) == sorted([
        ("volume_box", f"{line.several}/0/0",
         "the volume's index box is missing: track scans cannot find the volume there"),
        ("volume_box", f"{line.buffered}/0/0",
         f"the index box does not hold the volume's box as its notice makes it (seq {buffered})"),
    ])  # fmt: skip
    assert several  # the missing box is named with its notice's event too
    (problem,) = [p for p in check(line).problems if p.key == f"{line.several}/0/0"]
    assert problem.seq == several


def test_an_index_box_of_no_volume_is_named(line: Indexed) -> None:
    vid = volume_id(line, line.moved, 0)
    if line.store.url.startswith("postgresql"):
        sql(line.store, "INSERT INTO volume_box (id, volume_id, box) SELECT id + 7, volume_id, "
            "box FROM volume_box WHERE id = ?", vid * 256)  # fmt: skip
    else:
        sql(line.store, "INSERT INTO volume_box SELECT id + 7, lon_min, lon_max, lat_min, "
            "lat_max, alt_min, alt_max, t_min, t_max, volume_id FROM volume_box WHERE id = ?",
            vid * 256)  # fmt: skip
    assert named(check(line)) == [("volume_box", str(vid * 256 + 7),
        f"is in the store (for volume row {vid}), but is no box of a stored volume")]  # fmt: skip


def _shape_of(line: Indexed, notice_id: str, idx: int) -> Shape:
    ((blob,),) = query(line, "SELECT shape FROM volume WHERE notice_id = ? AND idx = ?",
                       notice_id, idx)  # fmt: skip
    return Shape.from_bytes(bytes(blob))


@pytest.mark.parametrize("field", ["reach_m", "seg_m"])
def test_a_shape_with_an_infinite_reach_or_segment_is_named(line: Indexed, field: str) -> None:
    """An infinite reach makes every pair look clear to the exact test (every conflict with the
    volume gone); an infinite segment makes it raise. Neither is "close" to the made value."""
    s = _shape_of(line, line.several, 1)
    reach = -math.inf if field == "reach_m" else s.reach_m
    seg = math.inf if field == "seg_m" else s.seg_m
    bad = Shape(s.kind, s.lon, s.lat, s.offsets, s.radius_m, seg, s.centre, reach)
    _set_blob(line, "shape", bad.to_bytes(), line.several, 1)
    assert named(check(line)) == [differs(line, line.several, 1, "shape differs")]


def test_a_point_at_a_pole_is_the_same_point_whatever_its_longitude(line: Indexed) -> None:
    """Another machine may give a densified point on the pole another longitude: the same
    point of the ground, no finding; a latitude past 90 is one."""
    s = _shape_of(line, line.several, 1)
    lat = s.lat.copy()
    lat[0] = 90.0
    at_pole = Shape(s.kind, s.lon, lat, s.offsets, s.radius_m, s.seg_m, s.centre, s.reach_m)
    lon = s.lon.copy()
    lon[0] = -lon[0] + 17.0
    elsewhere = Shape(s.kind, lon, lat, s.offsets, s.radius_m, s.seg_m, s.centre, s.reach_m)
    assert same_shape(elsewhere, at_pole)
    lat[0] = 91.0
    past = Shape(s.kind, s.lon, lat, s.offsets, s.radius_m, s.seg_m, s.centre, s.reach_m)
    assert not same_shape(past, at_pole)


def test_an_index_box_blown_up_is_named(line: Indexed) -> None:
    """Larger than rounding allows: every track scan would fetch the volume everywhere."""
    vid = volume_id(line, line.moved, 0)
    if line.store.url.startswith("postgresql"):
        sql(line.store, "UPDATE volume_box SET box = cube_enlarge(box, 10.0, 4) WHERE id = ?",
            vid * 256)  # fmt: skip
    else:
        sql(line.store, "UPDATE volume_box SET lon_min = lon_min - 10, lon_max = lon_max + 10 "
            "WHERE id = ?", vid * 256)  # fmt: skip
    seq = told(line, line.moved)
    assert named(check(line)) == [("volume_box", f"{line.moved}/0/0",
        f"the index box is larger than the volume's box as its notice makes it (seq {seq}), "
        "past rounding")]  # fmt: skip


@pytest.mark.parametrize("line", ["postgres"], indirect=True)
def test_a_cube_of_five_dimensions_is_named(line: Indexed) -> None:
    """``&&`` asks the dimensions past a query's four to hold 0: a fifth of [1, 1] hides the
    box from every query of detection while its first four read as made."""
    vid = volume_id(line, line.buffered, 0)
    sql(line.store, "UPDATE volume_box SET box = cube(box, 1.0, 1.0) WHERE id = ?", vid * 256)
    found = named(check(line))
    assert (
        "volume_box",
        f"{line.buffered}/0/0",
        "the index box has 5 dimensions, not 4: no query of detection meets it",
    ) in found
    assert (
        "volume_box",
        str(vid * 256),
        f"is in the store (for volume row {vid}), but is no box of a stored volume",
    ) in found


@pytest.mark.parametrize("line", ["sqlite"], indirect=True)
def test_an_index_box_naming_no_volume_is_a_finding_not_a_crash(line: Indexed) -> None:
    vid = volume_id(line, line.moved, 0)
    unchecked(
        line,
        "INSERT INTO volume_box SELECT id + 9, lon_min, lon_max, lat_min, lat_max, "
        "alt_min, alt_max, t_min, t_max, NULL FROM volume_box WHERE id = ?",
        vid * 256,
    )
    assert named(check(line)) == [("volume_box", str(vid * 256 + 9),
        "is in the store (for volume row None), but is no box of a stored volume")]  # fmt: skip


@pytest.mark.parametrize("line", ["sqlite"], indirect=True)
def test_an_r_tree_whose_nodes_hide_a_box_is_named(line: Indexed) -> None:
    """The R*Tree's own tables edited so that the root's box for the leaf leaves one volume's
    box out: a lookup by id (each box as made) still finds it, a range query (as track scans
    ask) no longer does. SQLite's own check of the tree says so."""
    vid = volume_id(line, line.buffered, 0)
    ((blob,),) = query(line, "SELECT boxes FROM volume WHERE id = ?", vid)
    boxes = codec.boxes_from_bytes(bytes(blob))
    with line.store.read() as tx:
        assert line.buffered in {r.notice_id for r in tx.candidates(list(boxes))}
    path = line.store.url.split("///", 1)[1]
    with contextlib.closing(sqlite3.connect(path)) as db:
        (root,) = db.execute("SELECT data FROM volume_box_node WHERE nodeno = 1").fetchone()
        others = db.execute(
            "SELECT lon_min, lon_max, lat_min, lat_max, alt_min, alt_max, "
            "t_min, t_max FROM volume_box WHERE id <> ?",
            (vid * 256,),
        ).fetchall()
        lo = [min(c[i] for c in others) for i in (0, 2, 4, 6)]
        hi = [max(c[i] for c in others) for i in (1, 3, 5, 7)]
        lo[0] = max(lo[0], boxes[0].lon_max + 0.01)  # the hidden box lies west of the node's
        cell = struct.pack(">q8f", 2, lo[0], hi[0], lo[1], hi[1], lo[2], hi[2], lo[3], hi[3])
        new_root = struct.pack(">HH", 1, 1) + cell
        new_root += b"\x00" * (len(root) - len(new_root))
        db.execute("INSERT INTO volume_box_node VALUES (2, ?)", (b"\x00\x00" + root[2:],))
        db.execute("UPDATE volume_box_node SET data = ? WHERE nodeno = 1", (new_root,))
        db.execute("UPDATE volume_box_rowid SET nodeno = 2")
        db.execute("INSERT INTO volume_box_parent VALUES (2, 1)")
        db.commit()
    with line.store.read() as tx:
        assert line.buffered not in {r.notice_id for r in tx.candidates(list(boxes))}
    found = named(check(line))
    assert found and all(table == "volume_box" and key == "(index)" for table, key, _ in found)
    assert "a range query, as track scans ask, may miss volumes" in found[0][2]
