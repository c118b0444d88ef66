"""Prepared footprints: a densified geodesic core plus a radius, with index boxes and a blob.

A circle is its centre point plus the radius, a corridor its centre line plus the half-width, a
polygon its rings plus 0: d(buffer(A, ra), buffer(B, rb)) = max(0, d(A, B) - ra - rb).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deconfliction.domain import Footprint, FootprintKind
from deconfliction.geo.geodesy import centre_of, densify, project

__all__ = ["POLE_LAT", "Shape", "prepare"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

POLE_LAT = 88.0
"""A widened region reaching beyond this latitude gets every longitude, up to the pole."""

_KIND_CODE = {FootprintKind.POLYGON: 0, FootprintKind.CIRCLE: 1, FootprintKind.CORRIDOR: 2}
_CODE_KIND = {v: k for k, v in _KIND_CODE.items()}
_MAGIC = b"DLS1"
_HEADER = struct.Struct("<4sBxxxII5d")  # 56 bytes: lon/lat buffers that follow stay 8-aligned
_A = 6_378_137.0  # equatorial radius: a parallel's radius N cos(lat) is never below a cos(lat)
_M_MIN = 6_335_439.0  # smallest meridional radius of curvature (at the equator)


@dataclass(frozen=True, eq=False)
class Shape:
    """A footprint ready for the exact test.

    ``lon``/``lat`` hold the densified core (degrees): every ring of a polygon (exterior first, no
    repeated closing point), a corridor's centre line, or a circle's centre; ring ``i`` is
    ``lon[offsets[i]:offsets[i + 1]]``. ``radius_m`` is the circle radius or corridor half-width
    (0 for a polygon); ``seg_m`` the longest densified geodesic segment; ``centre`` a point inside
    or near the core and ``reach_m`` the largest distance from it to the core.
    """

    kind: FootprintKind
    lon: F64
    lat: F64
    offsets: I64
    radius_m: float
    seg_m: float
    centre: tuple[float, float]
    reach_m: float

    @property
    def n_points(self) -> int:
        return len(self.lon)

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
        """Decode :meth:`to_bytes` without copying the coordinate buffers."""
        magic, code, n_off, n, radius, seg, lon0, lat0, reach = _HEADER.unpack_from(b)
        if magic != _MAGIC:
            raise ValueError("not a prepared shape blob")
        h = _HEADER.size
        lon = np.frombuffer(b, dtype="<f8", count=n, offset=h)
        lat = np.frombuffer(b, dtype="<f8", count=n, offset=h + 8 * n)
        offsets = np.frombuffer(b, dtype="<i4", count=n_off, offset=h + 16 * n).astype(np.int64)
        return cls(_CODE_KIND[code], lon, lat, offsets, radius, seg, (lon0, lat0), reach)

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
    _, _, dist = project(lon0, lat0, lon, lat)
    reach = float(np.max(dist)) * (1 + 1e-9) + 1e-3
    return Shape(
        footprint.kind, lon, lat, offsets, float(footprint.radius_m), seg, (lon0, lat0), reach
    )
