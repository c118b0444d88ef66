"""The fast plane (Gauss's conformal sphere) against the ellipsoidal azimuthal equidistant plane.

The bound :func:`fast_error_m` is measured here over the whole domain it is used in; the test holds
it to a safety factor of 3 over what the samples show.
"""

from __future__ import annotations

import numpy as np
import pytest

from deconfliction.geo.geodesy import (
    FAST_LAT_MAX,
    FAST_RHO_MAX,
    GEOD,
    fast_error_m,
    fast_project,
    isometric_lat,
    project,
)

RHO = np.concatenate(([0.0, 1.0, 1_000.0], np.linspace(50_000.0, FAST_RHO_MAX, 50)))
AZ = np.arange(0.0, 360.0, 5.0)


@pytest.mark.parametrize("lat0", np.arange(-FAST_LAT_MAX, FAST_LAT_MAX + 0.5, 1.0).tolist())
def test_fast_plane_within_a_third_of_its_bound(lat0: float) -> None:
    lon0 = 179.5 if lat0 % 2 else 33.25  # across the antimeridian too
    az, rho = np.meshgrid(AZ + lat0 % 5, RHO)
    az, rho = az.ravel(), rho.ravel()
    n = len(az)
    lon, lat, _ = GEOD.fwd(np.full(n, lon0), np.full(n, lat0), az, rho)
    lon, lat = np.asarray(lon), np.asarray(lat)
    x, y, _ = project(lon0, lat0, lon, lat)
    fx, fy = fast_project(lon0, lat0, lon, isometric_lat(lat))
    err = np.hypot(fx - x, fy - y)
    assert np.all(err * 3.0 <= fast_error_m(rho)), float(np.max(err / fast_error_m(rho)))


def test_fast_plane_at_a_pole_vertex() -> None:
    fx, fy = fast_project(10.0, 88.0, np.array([0.0, 10.0]), isometric_lat(np.array([90.0, 88.0])))
    x, y, _ = project(10.0, 88.0, np.array([0.0, 10.0]), np.array([90.0, 88.0]))
    assert np.all(np.hypot(fx - x, fy - y) <= fast_error_m(300_000.0))
