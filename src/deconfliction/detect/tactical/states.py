"""Tracks as numpy columns for tactical detection, and how each one moves: along its geodesic on
WGS84 at constant ground speed, as ECEF vectors for the models or stepped exactly by ``Geod.fwd``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pyproj import Geod

__all__ = ["F64", "I8", "I64", "K_MAX", "MAX_ALT_M", "MAX_SPEED_MPS", "States", "ecef", "forward"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]

_A = 6_378_137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)
K_MAX = 1 / (_A * (1 - _E2))
"""The largest normal curvature of the WGS84 ellipsoid, 1/m (radius a(1-e²) = 6,335,439 m)."""

MAX_SPEED_MPS = 20_000.0
"""Faster than anything that flies, sails or drives; a larger speed is a bad report."""
MAX_ALT_M = 10_000_000.0
"""Far above anything that flies; a larger altitude is a bad report."""
_GEOD = Geod(ellps="WGS84")
_FLOAT_COLUMNS = ("lat", "lon", "alt_m", "gs_mps", "trk_deg", "vs_mps")


@dataclass(frozen=True)
class States:
    """Tracks as columns, one row per track; all arrays have length n.

    Positions are WGS84: ``lat``/``lon`` degrees, ``alt_m`` metres above the ellipsoid (NaN for
    a ground or sea track reported without its height: on the surface, height unknown);
    ``gs_mps`` ground speed, ``trk_deg`` true track over ground (0 north, 90 east), ``vs_mps``
    vertical speed (up positive). Pairs inside one ``group`` (the party) are skipped unless
    detection asks for all pairs; ``domain`` holds each track's ``TrackDomain.code``;
    ``alt_unc_m`` how far each true height may lie from ``alt_m`` either way (a barometric
    altitude converted to an ellipsoid height): a pair's vertical minimum grows by both.

    >>> s = States.of([52.0, 52.1], [4.0, 4.0], [3000, 3000], [200, 200], [0, 180], [0, 0])
    >>> len(s), s.group.tolist(), s.domain.tolist()
    (2, [0, 1], [0, 0])
    """

    lat: F64
    lon: F64
    alt_m: F64
    gs_mps: F64
    trk_deg: F64
    vs_mps: F64
    group: I64
    domain: I8
    alt_unc_m: F64

    @classmethod
    def of(
        cls,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        alt_m: npt.ArrayLike,
        gs_mps: npt.ArrayLike,
        trk_deg: npt.ArrayLike,
        vs_mps: npt.ArrayLike,
        group: npt.ArrayLike | None = None,
        domain: npt.ArrayLike | None = None,
        alt_unc_m: npt.ArrayLike | None = None,
    ) -> States:
        """Checked float64 copies; ``group`` defaults to one group per track, ``domain`` to air.

        Raises ``ValueError`` naming the column and first row when lengths differ, a value is
        not finite (but a NaN ``alt_m`` of a ground or sea track), a latitude is outside ±90,
        a ground speed is negative, a speed or an altitude is beyond :data:`MAX_SPEED_MPS` or
        :data:`MAX_ALT_M`, a domain code is not 0, 1 or 2, or a vertical uncertainty is
        negative or beyond :data:`MAX_ALT_M` (default: 0, the heights as given).
        """
        cols = [np.array(v, dtype=np.float64).reshape(-1) for v in
                (lat, lon, alt_m, gs_mps, trk_deg, vs_mps)]  # fmt: skip
        n = len(cols[0])
        grp = np.arange(n, dtype=np.int64) if group is None else np.array(group, dtype=np.int64)
        dom = np.zeros(n, np.int8) if domain is None else np.array(domain, dtype=np.int64)
        unc = (np.zeros(n) if alt_unc_m is None
               else np.array(alt_unc_m, dtype=np.float64).reshape(-1))  # fmt: skip
        for name, col in (*zip(_FLOAT_COLUMNS, cols, strict=True), ("group", grp),
                          ("domain", dom), ("alt_unc_m", unc)):  # fmt: skip
            if col.shape != (n,):
                raise ValueError(f"{name} has shape {col.shape}, not ({n},) like lat")
        unknown = np.isnan(cols[2])  # a surface track without its height
        checks = [(name, ~np.isfinite(c) & (~unknown if name == "alt_m" else True),
                   "is not finite")
                  for name, c in zip(_FLOAT_COLUMNS, cols, strict=True)]  # fmt: skip
        checks += [
            ("alt_m", unknown & (dom == 0), "is unknown (NaN): only ground and sea may omit it"),
            ("lat", np.abs(cols[0]) > 90, "is outside -90..90"),
            ("alt_m", np.abs(cols[2]) > MAX_ALT_M, f"is beyond ±{MAX_ALT_M:g} m"),
            ("gs_mps", cols[3] < 0, "is negative"),
            ("gs_mps", cols[3] > MAX_SPEED_MPS, f"is above {MAX_SPEED_MPS:g} m/s"),
            ("vs_mps", np.abs(cols[5]) > MAX_SPEED_MPS, f"is beyond ±{MAX_SPEED_MPS:g} m/s"),
            ("domain", (dom < 0) | (dom > 2), "is not 0 (air), 1 (ground) or 2 (sea)"),
            ("alt_unc_m", ~((unc >= 0) & (unc <= MAX_ALT_M)), f"is not in 0..{MAX_ALT_M:g} m"),
        ]
        for name, bad, reason in checks:
            if bad.any():
                k = int(np.argmax(bad))
                raise ValueError(f"{name}[{k}] {reason}")
        lat_, lon_, alt_, gs_, trk_, vs_ = cols
        return cls(lat_, lon_, alt_, gs_, trk_, vs_, grp, dom.astype(np.int8), unc)

    def __len__(self) -> int:
        return len(self.lat)

    def advanced(self, dt_s: float | npt.ArrayLike) -> States:
        """Every track moved ``dt_s`` seconds (a scalar or one per track, negative goes back)
        along its geodesic at its ground speed, altitude by its vertical speed: the motion
        :func:`~deconfliction.detect.tactical.detect` extrapolates, used to bring reports of
        different times to one instant.

        >>> s = States.of([0.0], [179.99], [100.0], [100.0], [90.0], [2.0]).advanced(60.0)
        >>> round(float(s.lon[0]), 4), float(s.alt_m[0]), float(s.trk_deg[0])
        (-179.9561, 220.0, 90.0)
        """
        dt = np.broadcast_to(np.asarray(dt_s, dtype=np.float64), self.lat.shape)
        lat, lon, trk = forward(self.lat, self.lon, self.trk_deg, self.gs_mps * dt)
        return States(
            lat, lon, self.alt_m + self.vs_mps * dt, self.gs_mps.copy(), trk,
            self.vs_mps.copy(), self.group.copy(), self.domain.copy(), self.alt_unc_m.copy(),
        )  # fmt: skip


def ecef(lat: F64, lon: F64, trk: F64, gs: F64) -> tuple[F64, F64, F64]:
    """Each track's surface point, unit surface normal and velocity, in ECEF metres (all (n, 3))."""
    phi, lam, az = np.radians(lat), np.radians(lon), np.radians(trk)
    sp, cp, sl, cl = np.sin(phi), np.cos(phi), np.sin(lam), np.cos(lam)
    nrm = np.stack([cp * cl, cp * sl, sp], axis=1)
    big_n = _A / np.sqrt(1 - _E2 * sp * sp)
    x = nrm * big_n[:, None]
    x[:, 2] *= 1 - _E2
    north = np.stack([-sp * cl, -sp * sl, cp], axis=1)
    east = np.stack([-sl, cl, np.zeros_like(sl)], axis=1)
    v = (north * np.cos(az)[:, None] + east * np.sin(az)[:, None]) * gs[:, None]
    return x, nrm, v


def forward(lat: F64, lon: F64, trk: F64, dist: F64) -> tuple[F64, F64, F64]:
    """Where each geodesic takes a track after ``dist`` metres, and its track there."""
    if len(lat) == 0:
        return lat.copy(), lon.copy(), trk.copy()
    lon2, lat2, back = _GEOD.fwd(lon, lat, trk, dist)
    trk2 = np.mod(np.asarray(back, dtype=np.float64) + 180.0, 360.0)
    return np.asarray(lat2, dtype=np.float64), np.asarray(lon2, dtype=np.float64), trk2
