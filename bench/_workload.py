"""The strategic-detection workload: square-ish volumes over one theatre, made with numpy.

Volumes are 100 m to 200 km across (log-uniform), centred uniformly over 29-37 N x 35-48 E,
starting uniformly over 30 days and lasting 15 min to 24 h (log-uniform), owned by one of 8
parties, with no altitude band and no buffers. Everything follows from one seed; times are whole
seconds after ``base_us`` so both databases hold exactly the same instants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "LAT_RANGE",
    "LON_RANGE",
    "N_PARTIES",
    "RadiusQuery",
    "Volumes",
    "generate",
    "party_slug",
    "radius_queries",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

LAT_RANGE = (29.0, 37.0)
LON_RANGE = (35.0, 48.0)
SIZE_M = (100.0, 200_000.0)
DURATION_S = (15 * 60.0, 24 * 3600.0)
SPAN_S = 30 * 86_400.0
N_PARTIES = 8
_ASPECT = (0.8, 1.25)  # width / height, log-uniform: square-ish, not all squares
_M_PER_DEG_LAT = 110_900.0  # near 33 N; only shapes the corners, both sides use the same ones
_R_EQ = 6_378_137.0


def party_slug(p: int) -> str:
    return f"party-{p}"


@dataclass(frozen=True)
class Volumes:
    """``n`` volumes as columns: corners (n, 4, 2) lon/lat degrees counter-clockwise, whole
    seconds as epoch microseconds, and a party index 0..7."""

    corners: F64
    start_us: I64
    end_us: I64
    party: I64
    size_m: F64

    def __len__(self) -> int:
        return len(self.party)

    def slice(self, lo: int, hi: int) -> Volumes:
        return Volumes(
            self.corners[lo:hi],
            self.start_us[lo:hi],
            self.end_us[lo:hi],
            self.party[lo:hi],
            self.size_m[lo:hi],
        )


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> F64:
    return np.exp(rng.uniform(math.log(lo), math.log(hi), n))


def generate(rng: np.random.Generator, n: int, base_us: int) -> Volumes:
    """``n`` volumes drawn from the workload's distribution."""
    size = _log_uniform(rng, *SIZE_M, n)
    aspect = _log_uniform(rng, *_ASPECT, n)
    width = size * np.sqrt(aspect)
    height = size / np.sqrt(aspect)
    lat = rng.uniform(*LAT_RANGE, n)
    lon = rng.uniform(*LON_RANGE, n)
    dlat = height / 2.0 / _M_PER_DEG_LAT
    dlon = width / 2.0 / (_R_EQ * np.pi / 180.0 * np.cos(np.radians(lat)))
    corners = np.empty((n, 4, 2), dtype=np.float64)
    corners[:, 0] = np.column_stack((lon - dlon, lat - dlat))
    corners[:, 1] = np.column_stack((lon + dlon, lat - dlat))
    corners[:, 2] = np.column_stack((lon + dlon, lat + dlat))
    corners[:, 3] = np.column_stack((lon - dlon, lat + dlat))
    start_s = np.floor(rng.uniform(0.0, SPAN_S, n)).astype(np.int64)
    dur_s = np.maximum(1, np.rint(_log_uniform(rng, *DURATION_S, n))).astype(np.int64)
    party = rng.integers(0, N_PARTIES, n).astype(np.int64)
    start_us = base_us + start_s * 1_000_000
    end_us = start_us + dur_s * 1_000_000
    return Volumes(corners, start_us, end_us, party, size)


@dataclass(frozen=True)
class RadiusQuery:
    lon: float
    lat: float
    start_us: int
    end_us: int


def radius_queries(
    rng: np.random.Generator, n: int, base_us: int, hours: float = 6.0
) -> list[RadiusQuery]:
    """``n`` random points in the theatre, each with a window of ``hours`` within the 30 days."""
    lon = rng.uniform(*LON_RANGE, n)
    lat = rng.uniform(*LAT_RANGE, n)
    span = int(hours * 3600)
    start = np.floor(rng.uniform(0.0, SPAN_S - span, n)).astype(np.int64)
    return [
        RadiusQuery(
            float(lon[i]),
            float(lat[i]),
            base_us + int(start[i]) * 1_000_000,
            base_us + (int(start[i]) + span) * 1_000_000,
        )
        for i in range(n)
    ]
