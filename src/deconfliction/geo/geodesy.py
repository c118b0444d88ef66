"""Geodesy on WGS84 for the exact tests: the local projection, its error bound, densified edges.

Everything here is a vectorized function over numpy arrays of degrees and metres.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from pyproj import Geod

__all__ = [
    "DENSIFY_M",
    "FAST_LAT_MAX",
    "FAST_RHO_MAX",
    "GEOD",
    "R_K",
    "centre_of",
    "densify",
    "deviation_m",
    "fast_error_m",
    "fast_project",
    "isometric_lat",
    "k_factor",
    "project",
    "unproject",
]

F64 = npt.NDArray[np.float64]

GEOD = Geod(ellps="WGS84")

R_K = 6_356_000.0
"""A radius no larger than 1/sqrt(K) anywhere on WGS84 (the largest Gaussian curvature K is at the
equator, 1/(M N) = 1/b^2 with b = 6,356,752 m). Comparison geometry then bounds the projection."""

DENSIFY_M = 20_000.0
"""Longest geodesic segment kept after densifying; its chord then strays < 1 m from the projected
geodesic for projection centres up to ~700 km away (see :func:`deviation_m`)."""

_DEVIATION_C = 0.15
"""Measured: the chord of a projected geodesic segment of length L at distance rho from the centre
of the azimuthal equidistant projection strays at most 0.106 L^2 rho / R^2 from it (rho up to
8,000 km, any latitude and heading); 0.15 leaves a safety factor."""


def centre_of(lon: F64, lat: F64) -> tuple[float, float]:
    """The normalised mean of the points' unit vectors, as (lon, lat) degrees.

    Robust at the poles and across the antimeridian, unlike a mean of longitudes.

    >>> centre_of(np.array([179.0, -179.0]), np.array([0.0, 0.0]))
    (180.0, 0.0)
    """
    la = np.radians(lat)
    lo = np.radians(lon)
    c = np.cos(la)
    x, y, z = (
        float(np.mean(c * np.cos(lo))),
        float(np.mean(c * np.sin(lo))),
        float(np.mean(np.sin(la))),
    )
    norm = math.sqrt(x * x + y * y + z * z)
    if norm < 1e-9:  # points balanced around the globe; any centre is as good as another
        return float(lon[0]), float(lat[0])
    lat0 = math.degrees(math.asin(max(-1.0, min(1.0, z / norm))))
    lon0 = math.degrees(math.atan2(y, x)) if math.hypot(x, y) > 1e-12 else 0.0
    return lon0, lat0


def project(lon0: float, lat0: float, lon: F64, lat: F64) -> tuple[F64, F64, F64]:
    """Ellipsoidal azimuthal equidistant projection centred at (lon0, lat0): x, y and the exact
    geodesic distance s from the centre (metres). One vectorized call into PROJ's geodesic code."""
    n = len(lon)
    az, _, s = GEOD.inv(np.full(n, lon0), np.full(n, lat0), lon, lat)
    az = np.radians(np.asarray(az, dtype=np.float64))
    s = np.asarray(s, dtype=np.float64)
    return s * np.sin(az), s * np.cos(az), s


def unproject(lon0: float, lat0: float, x: F64, y: F64) -> tuple[F64, F64]:
    """The inverse of :func:`project`: (lon, lat) of planar points."""
    n = len(x)
    az = np.degrees(np.arctan2(x, y))
    lon, lat, _ = GEOD.fwd(np.full(n, lon0), np.full(n, lat0), az, np.hypot(x, y))
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def k_factor(rho_m: F64 | float) -> F64:
    """Bound on planar / true distance for two points within ``rho_m`` of the projection centre.

    The map from plane to ellipsoid is non-expanding (geodesic polar coordinates, K > 0), so the
    true distance never exceeds the planar one; and planar <= k(rho) * true with
    k = (rho/R)/sin(rho/R), R = :data:`R_K` (Rauch comparison).

    >>> round(float(k_factor(1_000_000.0)), 5)
    1.00414
    """
    t = np.minimum(np.asarray(rho_m, dtype=np.float64) / R_K, 3.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(t < 1e-4, 1.0 + t * t / 6.0 + 1e-12, t / np.sin(t))
    return np.asarray(k, dtype=np.float64)


def deviation_m(seg_m: F64 | float, rho_m: F64 | float) -> F64:
    """Bound on how far a projected chord strays from its projected geodesic segment (metres)."""
    seg = np.asarray(seg_m, dtype=np.float64)
    rho = np.asarray(rho_m, dtype=np.float64)
    return np.asarray(_DEVIATION_C * seg * seg * rho / (R_K * R_K) + 1e-3, dtype=np.float64)


def densify(
    lon: F64, lat: F64, closed: bool, step_m: float = DENSIFY_M
) -> tuple[F64, F64, float, npt.NDArray[np.int64]]:
    """Insert points along each geodesic edge so that no segment is longer than ``step_m``.

    Returns the new lon/lat (a closed ring is still returned without its repeated first point),
    the longest segment length in metres, and for each new point the edge it starts from.
    """
    if len(lon) < 2:
        return lon.copy(), lat.copy(), 0.0, np.zeros(len(lon), dtype=np.int64)
    lo2 = np.roll(lon, -1) if closed else lon[1:]
    la2 = np.roll(lat, -1) if closed else lat[1:]
    lo1 = lon if closed else lon[:-1]
    la1 = lat if closed else lat[:-1]
    az, _, dist = GEOD.inv(lo1, la1, lo2, la2)
    dist = np.asarray(dist, dtype=np.float64)
    parts = np.maximum(1, np.ceil(dist / step_m)).astype(np.int64)
    edge = np.repeat(np.arange(len(lo1)), parts)
    first = np.cumsum(parts) - parts
    frac = (np.arange(len(edge)) - first[edge]) / parts[edge]
    nlon, nlat, _ = GEOD.fwd(lo1[edge], la1[edge], np.asarray(az)[edge], dist[edge] * frac)
    nlon = np.asarray(nlon, dtype=np.float64)
    nlat = np.asarray(nlat, dtype=np.float64)
    at_vertex = frac == 0.0
    nlon[at_vertex] = lo1[edge[at_vertex]]  # keep the caller's vertices bit for bit
    nlat[at_vertex] = la1[edge[at_vertex]]
    if not closed:
        nlon = np.append(nlon, lon[-1])
        nlat = np.append(nlat, lat[-1])
        edge = np.append(edge, len(lon) - 1)
    seg = float(np.max(dist / parts))
    return nlon, nlat, seg, edge


# --- the fast plane -------------------------------------------------------------------------------
# Gauss's conformal sphere (the Gauss-Schreiber double projection) osculates the ellipsoid at the
# centre: its scale is 1 there with vanishing first and second derivatives. The spherical azimuthal
# equidistant projection of that sphere then stays within fast_error_m(rho) of the ellipsoidal one
# (:func:`project`), and costs a few numpy passes instead of one geodesic inverse per point.

_WGS84_A = 6_378_137.0
_WGS84_F = 1.0 / 298.257223563
_E2 = _WGS84_F * (2.0 - _WGS84_F)
_E = math.sqrt(_E2)

FAST_LAT_MAX = 89.0
"""Largest |latitude| of a projection centre for :func:`fast_project` (measured domain)."""
FAST_RHO_MAX = 2_500_000.0
"""Largest distance from the centre for which :func:`fast_error_m` is measured."""

_FAST_C = 10.0
"""Measured (centres every half degree of latitude to 89, every 2 degrees of azimuth, rho up to
2,500 km; tests/geo/test_fast_plane.py keeps checking): the fast plane strays at most
2.6 (rho / 1,000 km)^4 m from :func:`project`; 10 leaves a safety factor near 4."""


def isometric_lat(lat: F64) -> F64:
    """The isometric latitude psi (radians) of geodetic latitudes (degrees)."""
    phi = np.radians(lat)
    # asinh(tan) is atanh(sin), finite at a pole (tan of the float nearest pi/2 is 1.6e16)
    return np.asarray(np.arcsinh(np.tan(phi)) - _E * np.arctanh(_E * np.sin(phi)), dtype=np.float64)


def fast_error_m(rho_m: F64 | float) -> F64:
    """Bound on the distance between :func:`fast_project` and :func:`project` of a point within
    ``rho_m`` of the centre (rho <= FAST_RHO_MAX, |centre latitude| <= FAST_LAT_MAX)."""
    t = np.asarray(rho_m, dtype=np.float64) / 1e6
    return np.asarray(0.01 + _FAST_C * (t * t) * (t * t), dtype=np.float64)


def fast_project(lon0: float, lat0: float, lon: F64, psi: F64) -> tuple[F64, F64]:
    """The azimuthal equidistant projection centred at (lon0, lat0), computed on Gauss's conformal
    sphere: within :func:`fast_error_m` of :func:`project`. ``psi`` is :func:`isometric_lat`."""
    p0 = math.radians(lat0)
    s0 = math.sin(p0)
    w = 1.0 - _E2 * s0 * s0
    c = math.sqrt(1.0 + _E2 * math.cos(p0) ** 4 / (1.0 - _E2))
    radius = _WGS84_A * math.sqrt(1.0 - _E2) / w
    chi0 = math.asin(s0 / c)
    sin_c0, cos_c0 = math.sin(chi0), math.cos(chi0)
    psi0 = math.atanh(s0) - _E * math.atanh(_E * s0)
    log_k = math.atanh(sin_c0) - c * psi0
    dl = np.radians(lon - lon0)
    dl = (dl + math.pi) % (2.0 * math.pi) - math.pi
    dl *= c
    ex = np.exp(c * psi + log_k)
    inv = 1.0 / ex
    den = 1.0 / (ex + inv)
    sin_chi = (ex - inv) * den
    cos_chi = 2.0 * den
    cos_dl = np.cos(dl)
    east = cos_chi * np.sin(dl)
    t = cos_chi * cos_dl
    north = cos_c0 * sin_chi - sin_c0 * t
    up = sin_c0 * sin_chi + cos_c0 * t
    h = np.hypot(east, north)
    ang = np.arctan2(h, up)
    scale = radius * np.divide(ang, h, out=np.ones_like(h), where=h > 0.0)
    return east * scale, north * scale
