"""The closed-form geometry of a pair of tracks in straight-line relative motion: when they are
within a radius and within an altitude band, when they come closest, and how far the line can stray.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from deconfliction.detect.tactical.states import F64, K_MAX

__all__ = ["STILL_MPS", "band", "bisector", "disk", "drift_bound_m", "planar"]

STILL_MPS = 1e-9
"""Relative speeds below this are rounding: the pair keeps its distance. A model that uses it
widens R by this speed times the time the model spans, so no pair is lost by it."""


def drift_bound_m(gs_mps: npt.ArrayLike, theta_rad: npt.ArrayLike, d_s: npt.ArrayLike) -> F64:
    """How far, at most, a track's position in the tangent plane of a pair leaves the straight
    line it is extrapolated on, ``d_s`` seconds from the instant it was linearised at, when its
    surface normal then made ``theta_rad`` with the plane's normal.

    >>> [round(float(x), 3) for x in drift_bound_m([257.0, 257.0], [0.0, 7.3e-4], [150.0, 150.0])]
    [0.238, 0.324]
    """
    g = np.asarray(gs_mps, dtype=np.float64)
    d = np.asarray(d_s, dtype=np.float64)
    return np.asarray(g * g * K_MAX * (g * K_MAX * d**3 / 6 + np.asarray(theta_rad) * d * d / 2))


def bisector(ni: F64, nj: F64) -> tuple[F64, F64]:
    """The unit bisector of two unit normals, and the angle each makes with it."""
    total = ni + nj
    size = np.linalg.norm(total, axis=1)
    far = size < 1e-9  # antipodes: any plane will do, the angle bound says the rest
    u = np.where(far[:, None], ni, total / np.where(far, 1.0, size)[:, None])
    half = np.arcsin(np.minimum(np.linalg.norm(nj - ni, axis=1) / 2, 1.0))
    return u, np.where(far, np.pi, half)


def planar(r: F64, w: F64, u: F64) -> tuple[F64, F64]:
    """r and w without their components along u (both (m, 3))."""
    ru = np.einsum("ij,ij->i", r, u)
    wu = np.einsum("ij,ij->i", w, u)
    return r - u * ru[:, None], w - u * wu[:, None]


def disk(r: F64, w: F64, radius: F64) -> tuple[F64, F64, F64]:
    """The open interval of τ where |r + w·τ| < radius (empty: lo = inf, hi = -inf), and the
    τ of closest approach (-inf when the pair keeps its distance: the earliest time will do)."""
    aa = np.einsum("ij,ij->i", w, w)
    bb = np.einsum("ij,ij->i", r, w)
    cc = np.einsum("ij,ij->i", r, r) - radius * radius
    disc = bb * bb - aa * cc
    moving = aa > STILL_MPS**2
    cross = moving & (disc > 0)
    q = -(bb + np.copysign(np.sqrt(np.where(cross, disc, 0.0)), bb))
    safe_q = np.where(cross, q, 1.0)
    t1 = np.where(cross, q, 0.0) / np.where(moving, aa, 1.0)
    t2 = np.where(cross, cc, 0.0) / safe_q
    always = ~moving & (cc < 0)
    lo = np.where(cross, np.minimum(t1, t2), np.where(always, -np.inf, np.inf))
    hi = np.where(cross, np.maximum(t1, t2), np.where(always, np.inf, -np.inf))
    at = np.where(moving, -bb / np.where(moving, aa, 1.0), -np.inf)
    return lo, hi, at


def band(dz: F64, dv: F64, half: F64) -> tuple[F64, F64]:
    """The open interval of τ where |dz + dv·τ| < half (empty: lo = inf, hi = -inf)."""
    moving = dv != 0
    step = np.where(moving, dv, 1.0)
    with np.errstate(over="ignore"):  # a vanishing rate: ±inf is the right answer
        t1, t2 = (-half - dz) / step, (half - dz) / step
    always = ~moving & (np.abs(dz) < half)
    lo = np.where(moving, np.minimum(t1, t2), np.where(always, -np.inf, np.inf))
    hi = np.where(moving, np.maximum(t1, t2), np.where(always, np.inf, -np.inf))
    return lo, hi
