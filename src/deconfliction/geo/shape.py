"""Prepared footprints: a densified geodesic core plus a radius, with index boxes and a blob.

A circle is its centre point plus the radius, a corridor its centre line plus the half-width, a
polygon its rings plus 0: d(buffer(A, ra), buffer(B, rb)) = max(0, d(A, B) - ra - rb).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from deconfliction.domain import Footprint, FootprintKind
from deconfliction.geo.geodesy import (
    FAST_LAT_MAX,
    FAST_RHO_MAX,
    centre_of,
    densify,
    fast_error_m,
    fast_project,
    isometric_lat,
    project,
)

__all__ = ["POLE_LAT", "Shape", "prepare", "shapes_from_blobs"]

F64 = npt.NDArray[np.float64]

POLE_LAT = 88.0
"""A widened region reaching beyond this latitude gets every longitude, up to the pole."""

_KIND_CODE = {FootprintKind.POLYGON: 0, FootprintKind.CIRCLE: 1, FootprintKind.CORRIDOR: 2}
_CODE_KIND = {v: k for k, v in _KIND_CODE.items()}
_MAGIC = b"DLS1"
_HEADER = struct.Struct("<4sBxxxII5d")  # 56 bytes: lon/lat buffers that follow stay 8-aligned
_HEADER_SIZE = _HEADER.size
_unpack_header = _HEADER.unpack_from
_frombuffer = np.frombuffer
_F8 = np.dtype("<f8")
_I4 = np.dtype("<i4")
_new = object.__new__
_ONE_RING: dict[int, npt.NDArray[np.int32]] = {}


def _one_ring(n: int) -> npt.NDArray[np.int32]:
    offsets = np.array([0, n], dtype=np.int32)
    offsets.setflags(write=False)
    return offsets


_A = 6_378_137.0  # equatorial radius: a parallel's radius N cos(lat) is never below a cos(lat)
_M_MIN = 6_335_439.0  # smallest meridional radius of curvature (at the equator)


class Shape:
    """A footprint ready for the exact test (treat it as immutable).

    ``lon``/``lat`` hold the densified core (degrees): every ring of a polygon (exterior first, no
    repeated closing point), a corridor's centre line, or a circle's centre; ring ``i`` is
    ``lon[offsets[i]:offsets[i + 1]]``. ``radius_m`` is the circle radius or corridor half-width
    (0 for a polygon); ``seg_m`` the longest densified geodesic segment; ``centre`` a point inside
    or near the core and ``reach_m`` the largest distance from it to the core. ``n_points`` and
    ``n_rings`` are plain ints, ``code`` the kind as a small int (0 polygon, 1 circle, 2 corridor):
    the exact test reads them for every candidate.
    """

    __slots__ = (
        "centre",
        "code",
        "kind",
        "lat",
        "lon",
        "n_points",
        "n_rings",
        "offsets",
        "radius_m",
        "reach_m",
        "seg_m",
    )

    kind: FootprintKind
    lon: F64
    lat: F64
    offsets: npt.NDArray[np.integer[Any]]
    radius_m: float
    seg_m: float
    centre: tuple[float, float]
    reach_m: float
    n_points: int
    n_rings: int
    code: int

    def __init__(
        self,
        kind: FootprintKind,
        lon: F64,
        lat: F64,
        offsets: npt.NDArray[np.integer[Any]],
        radius_m: float,
        seg_m: float,
        centre: tuple[float, float],
        reach_m: float,
    ) -> None:
        self.kind = kind
        self.lon = lon
        self.lat = lat
        self.offsets = offsets
        self.radius_m = radius_m
        self.seg_m = seg_m
        self.centre = centre
        self.reach_m = reach_m
        self.n_points = len(lon)
        self.n_rings = len(offsets) - 1
        self.code = _KIND_CODE[kind]

    def to_bytes(self) -> bytes:
        """A compact blob: a 56-byte header, then lon, lat (float64) and ring offsets (int32)."""
        header = _HEADER.pack(
            _MAGIC,
            _KIND_CODE[self.kind],
            len(self.offsets),
            len(self.lon),
            self.radius_m,
            self.seg_m,
            self.centre[0],
            self.centre[1],
            self.reach_m,
        )
        return b"".join(
            (
                header,
                self.lon.astype("<f8").tobytes(),
                self.lat.astype("<f8").tobytes(),
                self.offsets.astype("<i4").tobytes(),
            )
        )

    @classmethod
    def from_bytes(cls, b: bytes) -> Shape:
        """Decode :meth:`to_bytes` without copying: the arrays are views of the blob."""
        magic, code, n_off, n, radius, seg, lon0, lat0, reach = _unpack_header(b)
        if magic != _MAGIC:
            raise ValueError("not a prepared shape blob")
        coords = _frombuffer(b, _F8, 2 * n, _HEADER_SIZE)
        self = _new(cls)
        self.kind = _CODE_KIND[code]
        self.lon = coords[:n]
        self.lat = coords[n:]
        if n_off == 2:  # one ring (or line, or point): a shared read-only (0, n)
            offsets = _ONE_RING.get(n)
            if offsets is None:
                offsets = _one_ring(n)
                if n < 4096:  # bounded: a few thousand tiny arrays at most
                    _ONE_RING[n] = offsets
            self.offsets = offsets
        else:
            self.offsets = _frombuffer(b, _I4, n_off, _HEADER_SIZE + 16 * n)
        self.radius_m = radius
        self.seg_m = seg
        self.centre = (lon0, lat0)
        self.reach_m = reach
        self.n_points = n
        self.n_rings = n_off - 1
        self.code = code
        return self

    def boxes(self, h_m: float = 0.0) -> list[tuple[float, float, float, float]]:
        """Conservative (lon_min, lat_min, lon_max, lat_max) boxes holding every point within
        ``h_m + radius_m`` of the core.

        Two boxes when the region crosses the antimeridian; every longitude, up to the pole, when
        the widened region comes near a pole or contains it.

        >>> s = prepare(Footprint(FootprintKind.CIRCLE, (((179.9, 0.0),),), 50_000.0))
        >>> [tuple(round(v, 2) for v in b) for b in s.boxes()]
        [(179.45, -0.45, 180.0, 0.45), (-180.0, -0.45, -179.65, 0.45)]
        """
        ring = slice(int(self.offsets[0]), int(self.offsets[1]))
        lon, lat = self.lon[ring], self.lat[ring]
        widen = float(h_m) + self.radius_m + 1.0 + 1e-6 * (float(h_m) + self.radius_m)
        step = np.diff(lon, append=lon[0] if self.kind is FootprintKind.POLYGON else lon[-1:])
        step = (step + 180.0) % 360.0 - 180.0
        winding = float(np.sum(step)) if self.kind is FootprintKind.POLYGON else 0.0
        unwrapped = lon[0] + np.concatenate(([0.0], np.cumsum(step[:-1])))
        # a geodesic bulges poleward of its end points by at most ~ L^2 tan(lat) / (8 R)
        lat_abs = float(np.max(np.abs(lat)))
        tan_lat = math.tan(math.radians(min(lat_abs, POLE_LAT)))
        bulge = 2.0 * self.seg_m**2 * tan_lat / (8.0 * _M_MIN)
        dlat = math.degrees((widen + bulge) / _M_MIN)
        lat_lo = float(np.min(lat)) - dlat
        lat_hi = float(np.max(lat)) + dlat
        if abs(winding) > 180.0:  # the exterior ring winds around a pole, so contains it
            if float(np.mean(lat)) > 0:
                return [(-180.0, max(-90.0, lat_lo), 180.0, 90.0)]
            return [(-180.0, -90.0, 180.0, min(90.0, lat_hi))]
        if lat_hi > POLE_LAT:  # near a pole every longitude is close: take them all, to the pole
            return [(-180.0, max(-90.0, lat_lo), 180.0, 90.0)]
        if lat_lo < -POLE_LAT:
            return [(-180.0, -90.0, 180.0, min(90.0, lat_hi))]
        cos_max = math.cos(math.radians(max(abs(lat_lo), abs(lat_hi))))
        dlon = math.degrees(widen / (_A * cos_max))
        lo = float(np.min(unwrapped)) - dlon
        hi = float(np.max(unwrapped)) + dlon
        if hi - lo >= 360.0:
            return [(-180.0, lat_lo, 180.0, lat_hi)]
        shift = 360.0 * math.floor((lo + 180.0) / 360.0)
        lo, hi = lo - shift, hi - shift
        if hi <= 180.0:
            return [(lo, lat_lo, hi, lat_hi)]
        return [(lo, lat_lo, 180.0, lat_hi), (-180.0, lat_lo, hi - 360.0, lat_hi)]


def _reach(lon0: float, lat0: float, lon: F64, lat: F64) -> float:
    """An upper bound on the geodesic distance from (lon0, lat0) to the points: from the fast
    plane plus its error bound where that is measured, else exact."""
    if abs(lat0) <= FAST_LAT_MAX:
        x, y = fast_project(lon0, lat0, lon, isometric_lat(lat))
        r = float(np.max(np.hypot(x, y)))
        if r < FAST_RHO_MAX - 10_000.0:
            return (r + float(fast_error_m(r + 1_000.0))) * (1 + 1e-9) + 1e-3
    _, _, dist = project(lon0, lat0, lon, lat)
    return float(np.max(dist)) * (1 + 1e-9) + 1e-3


def shapes_from_blobs(blobs: Sequence[bytes]) -> list[Shape]:
    """Decode many :meth:`Shape.to_bytes` blobs (the candidates a store query returned)."""
    decode = Shape.from_bytes
    return [decode(b) for b in blobs]


def prepare(footprint: Footprint) -> Shape:
    """Densify the footprint's geodesic core and measure it.

    >>> sq = Footprint(FootprintKind.POLYGON, (((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)),))
    >>> s = prepare(sq)
    >>> s.n_points, round(s.seg_m), Shape.from_bytes(s.to_bytes()).n_points
    (24, 18553, 24)
    """
    closed = footprint.kind is FootprintKind.POLYGON
    lons: list[F64] = []
    lats: list[F64] = []
    seg = 0.0
    for ring in footprint.rings:
        pts = np.asarray(ring, dtype=np.float64).reshape(-1, 2)
        lo, la, s, _ = densify(pts[:, 0], pts[:, 1], closed)
        lons.append(lo)
        lats.append(la)
        seg = max(seg, s)
    lon = np.concatenate(lons)
    lat = np.concatenate(lats)
    offsets = np.concatenate(([0], np.cumsum([len(x) for x in lons]))).astype(np.int64)
    lon0, lat0 = centre_of(lon, lat)
    reach = _reach(lon0, lat0, lon, lat)
    return Shape(
        footprint.kind, lon, lat, offsets, float(footprint.radius_m), seg, (lon0, lat0), reach
    )
